using Crm.Testing;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// Where things land on a record form in a real browser: dropdowns open under their own input (left and right
/// column alike), buttons keep their case, and the toast after saving covers no button.
/// </summary>
[Collection(BrowserCollection.Name)]
public class FormLayoutTests(BrowserFixture browser)
{
    /// <summary>Opens the dropdown of <paramref name="field"/> and returns the input's and the open list's boxes.</summary>
    private static async Task<(LocatorBoundingBoxResult Input, LocatorBoundingBoxResult List)> OpenAsync(IPage page, string field)
    {
        var input = page.Locator($".crm-field[data-field='{field}'] .mud-input-control .mud-input").First;
        await input.ClickAsync();
        var list = page.Locator(".mud-popover-open").First;
        await list.WaitForAsync();
        await Task.Delay(300); // the popover's own placement runs after it opens
        var boxes = (await input.BoundingBoxAsync(), await list.BoundingBoxAsync());
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator(".mud-popover-open")).ToHaveCountAsync(0);
        return (boxes.Item1!, boxes.Item2!);
    }

    [Fact]
    public async Task Dropdowns_open_under_their_input_and_the_created_toast_hides_no_button()
    {
        var app = await browser.AppAsync(Providers.Sqlite);
        var (owner, _) = await app.WorkspaceAsync("Layout " + Guid.NewGuid().ToString("N")[..6], samples: false, ["b2b_sales_funnel"]);

        await using var context = await browser.NewContextAsync(app);
        var page = await context.NewPageAsync();
        await page.SetViewportSizeAsync(1280, 800);
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");
        await page.GotoAsync($"/t/{owner.Slug}/r/company/new");
        await page.ReadyAsync("#new-record-page");

        // industry is in the right column, value_tier in the left one; owner is an autocomplete.
        var industry = await OpenAsync(page, "industry");
        var tier = await OpenAsync(page, "value_tier");
        var ownerField = await OpenAsync(page, "owner");
        Assert.True(industry.Input.X > tier.Input.X + 100, "the two selects should be in different columns");
        foreach (var (name, (input, list)) in new[] { ("industry", industry), ("value_tier", tier), ("owner", ownerField) })
        {
            Assert.True(Math.Abs(list.X - input.X) <= 4, $"{name}: the list opens at x={list.X}, its input at x={input.X}");
            Assert.True(list.Y >= input.Y + input.Height - 4, $"{name}: the list (y={list.Y}) should open below the input (bottom {input.Y + input.Height})");
        }

        await page.Locator(".crm-field[data-field='industry'] .mud-input-control .mud-input").First.ClickAsync();
        await page.Locator(".mud-popover-open").First.WaitForAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "crm-form-select-open.png") });
        await page.Keyboard.PressAsync("Escape");

        // One button style: as written, never upper-cased by the theme.
        Assert.Equal("none", await page.Locator("#new-record-save").EvaluateAsync<string>("e => getComputedStyle(e).textTransform"));
        Assert.Equal("none", await page.Locator("#new-record-cancel").EvaluateAsync<string>("e => getComputedStyle(e).textTransform"));

        await page.Locator("#f-name").FillAsync("Layout Trading Co");
        await page.Locator("#new-record-save").ClickAsync();
        await page.ReadyAsync("#record-page");
        var toast = page.Locator(".mud-snackbar").First;
        await toast.WaitForAsync();
        await Task.Delay(400);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "crm-created-toast.png") });
        var covered = await page.EvaluateAsync<string[]>(@"() => {
            const toast = document.querySelector('.mud-snackbar').getBoundingClientRect();
            return [...document.querySelectorAll('button, a.mud-button-root, [role=button]')]
                .filter(b => !b.closest('.mud-snackbar') && b.offsetParent !== null)
                .filter(b => { const r = b.getBoundingClientRect();
                    return r.width > 0 && r.left < toast.right && r.right > toast.left && r.top < toast.bottom && r.bottom > toast.top; })
                .map(b => (b.id || b.getAttribute('aria-label') || b.textContent || '').trim());
        }");
        Assert.True(covered.Length == 0, "the toast covers: " + string.Join(", ", covered));
    }
}
