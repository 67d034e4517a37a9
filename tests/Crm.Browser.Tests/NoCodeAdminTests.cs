using System.Text.RegularExpressions;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// A tenant admin who never wrote code, in Chinese: adds a single-select 「客户等级」 A/B/C to 客户 in the designer,
/// moves it to the top of the form, creates a customer with level A, shows the column in the list, filters by it,
/// and sees the value and a later change in the record's timeline.
/// </summary>
[Collection(BrowserCollection.Name)]
public class NoCodeAdminTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_adds_a_customer_level_and_uses_it_in_form_list_filter_and_timeline(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, _) = await app.WorkspaceAsync("Levels " + Guid.NewGuid().ToString("N")[..6], samples: true, ["b2b_sales_funnel"]);
        var services = app.Factory.Services;

        await using var context = await browser.NewContextAsync(app, "zh-CN");
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");

        // Designer: 客户 → add a field, name it, make it a single select with A/B/C, move it to the top, save.
        await page.Locator("[data-testid=nav-designer]").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/t/{owner.Slug}/designer$"));
        await page.GotoAsync($"/t/{owner.Slug}/designer/company");
        await page.Locator("[data-testid=entity-designer][data-ready='true']").WaitForAsync();
        await page.Locator("#designer-add-field").ClickAsync();
        await page.Locator("[data-testid=field-settings]").WaitForAsync();
        await page.Locator("#d-field-label").FillAsync("客户等级");
        await page.Locator("#d-field-type").ClickAsync();
        await page.Locator(".mud-popover-open [data-testid=type-select]").ClickAsync();
        await page.Locator("[data-testid=options-editor]").WaitForAsync();
        string[] levels = ["A", "B", "C"];
        for (var i = 0; i < levels.Length; i++)
        {
            await page.Locator("#d-option-new").FillAsync(levels[i]);
            await page.Locator("[data-testid=option-add]").ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=options-editor] [data-option]")).ToHaveCountAsync(i + 1);
            await Assertions.Expect(page.Locator($"#d-option-{i}")).ToHaveValueAsync(levels[i]);
        }
        var key = (await page.Locator("[data-testid=field-settings]").GetAttributeAsync("data-field"))!;
        await page.Locator($"[data-testid=field-move-top-{key}]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid^=field-row-]").First).ToHaveAttributeAsync("data-field", key);
        await Assertions.Expect(page.Locator("[data-testid=designer-preview] [data-field]").First).ToHaveAttributeAsync("data-field", key);
        await page.Locator("#designer-save").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=entity-designer]")).ToHaveAttributeAsync("data-dirty", "false");
        var company = (await services.GetRequiredService<Crm.Core.Metadata.MetadataStore>().GetAsync(owner.Tenant.Id)).Entity("company")!;
        Assert.Equal(key, company.Fields[0].Key);
        Assert.Equal("select", company.Fields[0].Type);

        // A new customer: the level is the first field of the form.
        await page.Locator("[data-testid=nav-entity-company]").ClickAsync();
        await page.ReadyAsync("#record-list");
        var before = int.Parse((await page.Locator("#record-list").GetAttributeAsync("data-total"))!);
        await page.Locator("[data-testid=new-record]").ClickAsync();
        await page.ReadyAsync("#new-record-page");
        await Assertions.Expect(page.Locator("#new-record-form .crm-field[data-field]").First).ToHaveAttributeAsync("data-field", key);
        await page.Locator("#f-name").FillAsync("星河贸易有限公司");
        await page.Locator($"#new-record-form .crm-field[data-field='{key}'] .mud-input-control").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "A" }).First.ClickAsync();
        await Assertions.Expect(page.Locator($"#f-{key}")).ToHaveValueAsync("A");
        await page.Locator("#new-record-save").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/t/{owner.Slug}/r/company/[0-9a-f-]{{36}}$"));
        var id = Guid.Parse(page.Url.Split('/')[^1]);
        await page.ReadyAsync("#record-page");
        await Assertions.Expect(page.Locator($"[data-testid=timeline] [data-change='{key}']")).ToContainTextAsync("A");

        // The list: show the column, filter by A.
        await page.Locator("[data-testid=nav-entity-company]").ClickAsync();
        await page.ReadyAsync("#record-list");
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", (before + 1).ToString());
        await page.Locator("[data-testid=columns-button]").ClickAsync();
        await page.Locator($"[data-testid=column-{key}]").ClickAsync();
        await page.Locator("[data-testid=list-total]").ClickAsync(new() { Force = true }); // outside the menu closes it
        await Assertions.Expect(page.Locator(".mud-popover-open")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator($"[data-testid=sort-{key}]")).ToContainTextAsync("客户等级");
        await page.Locator($"[data-testid=filter-{key}]").ClickAsync();
        await page.Locator($".crm-column-filter [data-option='a'], .crm-column-filter label:has-text('A')").First.ClickAsync();
        await page.Locator("[data-testid=filter-apply]").ClickAsync();
        await Assertions.Expect(page.Locator($"[data-testid=filter-chip-{key}]")).ToContainTextAsync("A");
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", "1");
        await Assertions.Expect(page.Locator(".crm-record-grid [data-testid=record-link]")).ToHaveTextAsync(["星河贸易有限公司"]);

        // Change the level on the record page: the timeline says who changed what, A → B.
        await page.Locator(".crm-record-grid [data-testid=record-link]").First.ClickAsync();
        await page.WaitForURLAsync(new Regex($"/t/{owner.Slug}/r/company/{id}$"));
        await page.ReadyAsync("#record-page");
        await page.Locator("#record-edit").ClickAsync();
        await page.Locator($".crm-field[data-field='{key}'] .mud-input-control").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "B" }).First.ClickAsync();
        await page.Locator("#record-save").ClickAsync();
        await page.Locator("#record-page[data-editing='false']").WaitForAsync();
        var change = page.Locator("[data-testid=timeline] .crm-timeline-changes li", new() { HasText = "客户等级" }).First;
        await Assertions.Expect(change.Locator(".crm-change-old")).ToHaveTextAsync("A");
        await Assertions.Expect(change.Locator(".crm-change-new")).ToHaveTextAsync("B");
        await Assertions.Expect(page.Locator("[data-testid=timeline]")).ToContainTextAsync(owner.User.DisplayName);

        await using var db = app.Factory.Database.Factory.CreateForTenant(owner.Tenant.Id);
        var stored = await db.Records.AsNoTracking().SingleAsync(r => r.Id == id);
        Assert.Equal("b", RecordWriter.ParseValues(stored.Values)[key]!.GetValue<string>());
    }
}
