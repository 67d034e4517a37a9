using System.Text.RegularExpressions;
using Crm.Core.Data;
using Crm.Core.Metadata;
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
/// The Kanban board in real Chromium: a card dragged from 初步接触 to 资格认定 is saved (stage and transition row)
/// and a second browser on the same board sees it move without reloading.
/// </summary>
[Collection(BrowserCollection.Name)]
public class BoardTests(BrowserFixture browser)
{
    private static async Task<(Crm.Web.Tests.Infrastructure.SignedUp Owner, Crm.Core.Accounts.ApplicationUser Colleague)> WorkspaceAsync(RunningApp app)
    {
        var owner = await app.Factory.SignUpAsync("Board " + Guid.NewGuid().ToString("N")[..6], culture: "zh-CN");
        var colleague = await app.Factory.AddMemberAsync(owner.Tenant, MemberRole.Member, displayName: "李娜 Li Na");
        var actor = new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner);
        var entry = new TemplateCatalog(TemplateCatalog.DefaultFolder(AppContext.BaseDirectory)).Find("b2b_sales_funnel")!;
        var installed = await app.Factory.Services.GetRequiredService<TemplateInstaller>().InstallAsync(actor, entry.Document, new InstallOptions(WithSampleData: true));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        return (owner, colleague);
    }

    private static async Task<IPage> OpenBoardAsync(IBrowserContext context, string email, string slug)
    {
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, email);
        await page.GotoAsync($"/t/{slug}/board/opportunity");
        await page.ReadyAsync("#board-page");
        await page.ReadyAsync("#kanban-board");
        return page;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Dragging_a_card_to_the_next_stage_saves_it_and_a_second_browser_sees_it_move(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, colleague) = await WorkspaceAsync(app);
        await using var first = await browser.NewContextAsync(app, locale: "zh-CN");
        await using var second = await browser.NewContextAsync(app, locale: "zh-CN");
        var page = await OpenBoardAsync(first, owner.User.Email!, owner.Slug);
        var watcher = await OpenBoardAsync(second, colleague.Email!, owner.Slug);

        var from = page.Locator("[data-column='first_contact']");
        var to = page.Locator("[data-column='qualify']");
        await Assertions.Expect(from.Locator(".crm-column-name")).ToHaveTextAsync("初步接触");
        await Assertions.Expect(to.Locator(".crm-column-name")).ToHaveTextAsync("资格认定");
        var card = from.Locator(".crm-card").First;
        var id = Guid.Parse((await card.GetAttributeAsync("data-card"))!);
        var fromCount = int.Parse((await from.GetAttributeAsync("data-count"))!);
        var toCount = int.Parse((await to.GetAttributeAsync("data-count"))!);
        await Assertions.Expect(watcher.Locator($"[data-column='first_contact'] [data-card='{id}']")).ToBeVisibleAsync();

        await card.DragToAsync(to.Locator(".crm-column-cards"));

        await Assertions.Expect(to.Locator($"[data-card='{id}']")).ToBeVisibleAsync();
        await Assertions.Expect(to).ToHaveAttributeAsync("data-count", (toCount + 1).ToString());
        await Assertions.Expect(from).ToHaveAttributeAsync("data-count", (fromCount - 1).ToString());

        // Saved: the record's stage and a transition row first_contact → qualify.
        var factory = app.Factory.Services.GetRequiredService<ICrmDbContextFactory>();
        var metadata = await app.Factory.Services.GetRequiredService<MetadataStore>().GetAsync(owner.Tenant.Id);
        var pipeline = metadata.Entity("opportunity")!.Pipeline("b2b")!;
        await using (var db = factory.CreateForTenant(owner.Tenant.Id))
        {
            var record = await db.Records.AsNoTracking().SingleAsync(r => r.Id == id);
            Assert.Equal(pipeline.Stage("qualify")!.Id, record.StageId);
            Assert.Equal("qualify", RecordWriter.ParseValues(record.Values)["stage"]!.GetValue<string>());
            var transition = await db.Transitions.AsNoTracking().Where(t => t.RecordId == id).OrderByDescending(t => t.At).FirstAsync();
            Assert.Equal(pipeline.Stage("first_contact")!.Id, transition.FromId);
            Assert.Equal(pipeline.Stage("qualify")!.Id, transition.ToId);
            Assert.Equal(owner.User.Id, transition.ByUserId);
        }

        // The second browser was not reloaded: its board moved the card by itself.
        var navigations = 0;
        watcher.FrameNavigated += (_, _) => navigations++;
        await Assertions.Expect(watcher.Locator($"[data-column='qualify'] [data-card='{id}']")).ToBeVisibleAsync();
        await Assertions.Expect(watcher.Locator($"[data-column='first_contact'] [data-card='{id}']")).ToHaveCountAsync(0);
        await Assertions.Expect(watcher.Locator("[data-column='qualify']")).ToHaveAttributeAsync("data-count", (toCount + 1).ToString());
        Assert.Equal(0, navigations);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Scrolling_a_long_column_loads_its_next_cards(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, _) = await WorkspaceAsync(app);
        var actor = new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner);
        var records = app.Factory.Services.GetRequiredService<RecordService>();
        var company = (await records.CreateAsync(actor, "company", RecordInput.Of(("name", "Scroll Co")))).Record!;
        for (var i = 0; i < 55; i++)
        {
            var input = RecordInput.Of(("name", $"Deal {i:00}"), ("company", company.Id.ToString()), ("amount", 1000m + i), ("expected_close", "2026-12-31"), ("stage", "proposal")) with { Pipeline = "b2b" };
            Assert.True((await records.CreateAsync(actor, "opportunity", input)).Succeeded);
        }
        await using var context = await browser.NewContextAsync(app);
        var page = await OpenBoardAsync(context, owner.User.Email!, owner.Slug);
        var column = page.Locator("[data-column='proposal']");
        var total = int.Parse((await column.GetAttributeAsync("data-count"))!);
        Assert.True(total > 55);
        // The first page of cards (a small one: every loaded card is kept in every open tab), then a page per scroll to the end.
        var perPage = Crm.Web.Components.Boards.KanbanBoard.CardsPerPage;
        await Assertions.Expect(column.Locator(".crm-card")).ToHaveCountAsync(perPage);
        await Assertions.Expect(column.Locator("[data-testid='load-more']")).ToBeVisibleAsync();

        for (var shown = perPage; shown < total; shown = Math.Min(total, shown + perPage))
        {
            await column.Locator(".crm-column-cards").EvaluateAsync("el => el.scrollTop = el.scrollHeight");
            await Assertions.Expect(column.Locator(".crm-card")).ToHaveCountAsync(Math.Min(total, shown + perPage));
        }
        await Assertions.Expect(column.Locator("[data-testid='load-more']")).ToHaveCountAsync(0);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_column_on_a_tall_screen_loads_cards_until_it_is_filled(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, _) = await WorkspaceAsync(app);
        var actor = new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner);
        var records = app.Factory.Services.GetRequiredService<RecordService>();
        var company = (await records.CreateAsync(actor, "company", RecordInput.Of(("name", "Tall Co")))).Record!;
        for (var i = 0; i < 40; i++)
        {
            var input = RecordInput.Of(("name", $"Tall {i:00}"), ("company", company.Id.ToString()), ("amount", 2000m + i), ("expected_close", "2026-12-31"), ("stage", "proposal")) with { Pipeline = "b2b" };
            Assert.True((await records.CreateAsync(actor, "opportunity", input)).Succeeded);
        }
        await using var context = await browser.NewContextAsync(app);
        var page = await OpenBoardAsync(context, owner.User.Email!, owner.Slug);
        var column = page.Locator("[data-column='proposal']");
        var perPage = Crm.Web.Components.Boards.KanbanBoard.CardsPerPage;
        await Assertions.Expect(column.Locator(".crm-card")).ToHaveCountAsync(perPage);
        // A screen taller than a page of cards: nothing to scroll, so the column loads its next pages by itself
        // until its cards area can scroll (or every card is there), without a click.
        await page.SetViewportSizeAsync(1280, 2600);
        var zone = column.Locator(".crm-column-cards");
        await Assertions.Expect(column.Locator(".crm-card")).Not.ToHaveCountAsync(perPage);
        await page.WaitForFunctionAsync("el => el.scrollHeight > el.clientHeight + 48 || !el.closest('.crm-board-column').querySelector('[data-testid=load-more]')",
            await zone.ElementHandleAsync(), new PageWaitForFunctionOptions { Timeout = 20000 });
        Assert.True(await column.Locator(".crm-card").CountAsync() > perPage);
    }
}
