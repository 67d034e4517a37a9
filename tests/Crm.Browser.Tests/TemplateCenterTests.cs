using Crm.Core.Data;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>An admin installs a starter template from the template centre, with its sample data, in a real browser.</summary>
[Collection(BrowserCollection.Name)]
public class TemplateCenterTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_installs_a_template_with_sample_data_from_the_template_centre(string provider)
    {
        var app = await browser.AppAsync(provider);
        var owner = await app.Factory.SignUpAsync("Templates " + Guid.NewGuid().ToString("N")[..6]);
        await using var context = await browser.NewContextAsync(app);
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");

        await page.GotoAsync($"/t/{owner.Slug}/templates");
        await page.ReadyAsync("#template-center");
        var card = page.Locator("[data-template='support_tickets']");
        await Assertions.Expect(card).ToContainTextAsync("Support tickets");
        await card.Locator("[data-testid='install']").ClickAsync();

        var dialog = page.Locator("[data-testid='install-dialog']");
        await Assertions.Expect(dialog).ToContainTextAsync("sample data");
        await page.Locator("[data-testid='install-confirm']").ClickAsync();

        // The dialog closes when the install is done; the card then says Installed.
        await Assertions.Expect(card).ToContainTextAsync("Installed", new() { Timeout = 60_000 });
        await Assertions.Expect(card.Locator("[data-testid='install']")).ToHaveCountAsync(0);

        await using var db = app.Factory.Services.GetRequiredService<ICrmDbContextFactory>().CreateForTenant(owner.Tenant.Id);
        Assert.Equal("support_tickets", (await db.TemplateInstallations.SingleAsync()).TemplateId);
        Assert.True(await db.Records.CountAsync() > 20);
    }
}
