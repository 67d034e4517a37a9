using Crm.Core.Metadata;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// The designer's drag and drop in a real browser: an admin drags a field by its handle from the last form section
/// to the top of the first one, sees the preview follow, saves, and the form order is stored that way.
/// </summary>
[Collection(BrowserCollection.Name)]
public class DesignerDragTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Dragging_a_field_into_another_section_moves_it_there_and_saves(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, _) = await app.WorkspaceAsync("Drag " + Guid.NewGuid().ToString("N")[..6], samples: false, ["b2b_sales_funnel"], culture: "en");
        var store = app.Factory.Services.GetRequiredService<MetadataStore>();
        var before = (await store.GetAsync(owner.Tenant.Id)).Entity("company")!;
        var sections = before.Entity.Sections.Select(s => s.Key).ToList();
        Assert.True(sections.Count >= 2, "the template's 客户 form has several sections");
        var visible = before.Fields.Where(f => !f.IsArchived).ToList();
        var moved = visible.Last(f => f.SectionKey == sections[^1]);
        var firstOfFirst = visible.First(f => (f.SectionKey ?? sections[0]) == sections[0]);

        await using var context = await browser.NewContextAsync(app, "en");
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.GotoAsync($"/t/{owner.Slug}/designer/company");
        await page.Locator("[data-testid=entity-designer][data-ready='true']").WaitForAsync();

        var firstZone = page.Locator($".crm-zone[data-zone='{sections[0]}']");
        await Assertions.Expect(firstZone.Locator(".crm-field-row").First).ToHaveAttributeAsync("data-field", firstOfFirst.Key);
        await page.Locator($"[data-testid=field-row-{moved.Key}]").DragToAsync(firstZone.Locator($"[data-testid=field-row-{firstOfFirst.Key}]"));

        // The list and the live preview follow before anything is saved.
        await Assertions.Expect(firstZone.Locator($"[data-testid=field-row-{moved.Key}]")).ToBeVisibleAsync();
        await Assertions.Expect(firstZone.Locator(".crm-field-row").First).ToHaveAttributeAsync("data-field", moved.Key);
        await Assertions.Expect(page.Locator("[data-testid=entity-designer]")).ToHaveAttributeAsync("data-dirty", "true");
        await Assertions.Expect(page.Locator($"[data-testid=designer-preview] [data-section='{sections[0]}'] [data-field]").First)
            .ToHaveAttributeAsync("data-field", moved.Key);

        await page.Locator("#designer-save").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=entity-designer]")).ToHaveAttributeAsync("data-dirty", "false");
        var after = (await store.GetAsync(owner.Tenant.Id)).Entity("company")!;
        var stored = after.Fields.Single(f => f.Key == moved.Key);
        Assert.Equal(sections[0], stored.SectionKey);
        Assert.Equal(moved.Key, after.Fields.Where(f => !f.IsArchived).First(f => (f.SectionKey ?? sections[0]) == sections[0]).Key);
        // Every other field keeps its relative order.
        Assert.Equal(visible.Where(f => f.Key != moved.Key).Select(f => f.Key), after.Fields.Where(f => !f.IsArchived && f.Key != moved.Key).Select(f => f.Key));
    }
}
