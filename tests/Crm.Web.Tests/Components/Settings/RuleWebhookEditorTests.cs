using Bunit;
using Crm.Core;
using Crm.Core.Automation;
using Crm.Core.Webhooks;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Settings;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Settings;

/// <summary>
/// The rule editor's "call a webhook" action: a select of the workspace's enabled webhooks by name (switched-off ones
/// are not offered), and a link to the webhook settings when there is none. On both databases.
/// </summary>
public class RuleWebhookEditorTests
{
    private static async Task<(Workspace Ws, ComponentTestContext Context, IRenderedComponent<MudPopoverProvider> Popovers)> ArrangeAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("leads_opportunities");
        var context = new ComponentTestContext("en", services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        return (ws, context, context.Bunit.Render<MudPopoverProvider>());
    }

    /// <summary>Webhook rows as the settings page would have made them (no URL check needed here).</summary>
    private static async Task<Webhook> HookAsync(Workspace ws, string description, bool enabled)
    {
        var hook = new Webhook
        {
            TenantId = ws.Tenant.Id, Url = "https://erp.example.com/" + description, Description = description, Events = [WebhookEventTypes.RecordDeleted],
            ProtectedSecret = "x", IsEnabled = enabled, CreatedBy = ws.Owner.UserId, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
        };
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        db.Webhooks.Add(hook);
        await db.SaveChangesAsync();
        return hook;
    }

    private static string? TestId(IDictionary<string, object?>? attributes)
        => attributes is not null && attributes.TryGetValue("data-testid", out var v) ? v?.ToString() : null;

    private static async Task<IRenderedComponent<AutomationPage>> NewRuleWithWebhookActionAsync(Workspace ws, ComponentTestContext context, IRenderedComponent<MudPopoverProvider> popovers)
    {
        var session = new TenantSession(ws.Tenant, ws.Owner);
        var page = context.Bunit.Render<AutomationPage>(p => p.Add(x => x.Slug, ws.Tenant.Identifier).AddCascadingValue(session));
        page.WaitForAssertion(() => Assert.Equal("true", page.Find("#automation-page").GetAttribute("data-ready")));
        var entity = page.FindComponents<MudSelect<string>>().Single(s => TestId(s.Instance.UserAttributes) == "automation-entity" || s.Instance.InputId == "automation-entity");
        await page.InvokeAsync(() => entity.Instance.ValueChanged.InvokeAsync("lead"));
        await page.ClickAsync("#automation-new");
        page.WaitForAssertion(() => Assert.Single(page.FindAll("#rule-editor")));
        await page.InputAsync("#rule-name", "Tell the ERP");
        // Under load a re-render of the editor can close the menu before the item is clicked: open it again then.
        for (var attempt = 1; ; attempt++)
        {
            var menu = page.FindComponents<MudMenu>().Single(m => m.Instance.UserAttributes.TryGetValue("id", out var id) && (string?)id == "rule-add-action");
            await page.InvokeAsync(() => menu.Instance.OpenMenuAsync(EventArgs.Empty));
            popovers.WaitForAssertion(() => Assert.NotEmpty(popovers.FindAll($"[data-testid=add-action-{ActionKinds.CallWebhook}]")));
            try
            {
                Assert.Equal("Call a webhook", popovers.Find($"[data-testid=add-action-{ActionKinds.CallWebhook}]").TextContent.Trim());
                await popovers.ClickAsync($"[data-testid=add-action-{ActionKinds.CallWebhook}]");
                break;
            }
            catch (Bunit.ElementNotFoundException) when (attempt < 3) { }
        }
        page.WaitForAssertion(() => Assert.Single(page.FindAll($"[data-kind={ActionKinds.CallWebhook}]")));
        return page;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_action_offers_only_enabled_webhooks_by_name_and_saves_the_chosen_one(string provider)
    {
        var (ws, context, popovers) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = context;
        await HookAsync(ws, "Old system", enabled: false);
        var erp = await HookAsync(ws, "ERP", enabled: true);
        var crmSync = await HookAsync(ws, "Data warehouse", enabled: true);

        var page = await NewRuleWithWebhookActionAsync(ws, context, popovers);
        var select = page.FindComponents<MudSelect<Guid?>>().Single(s => TestId(s.Instance.UserAttributes) == "action-webhook-0");
        Assert.Equal(erp.Id, select.Instance.Value); // the first enabled one is preselected
        Assert.Equal(["ERP", "Data warehouse"], select.FindComponents<MudSelectItem<Guid?>>().Select(i => i.Instance.Value)
            .Select(v => v == erp.Id ? "ERP" : v == crmSync.Id ? "Data warehouse" : "other").ToArray());
        await page.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(crmSync.Id));

        await page.ClickAsync("#rule-save");
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("#rule-editor")));
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var rule = await db.AutomationRules.AsNoTracking().SingleAsync(r => r.Origin == null);
        var action = Assert.Single(rule.Actions);
        Assert.Equal((ActionKinds.CallWebhook, (Guid?)crmSync.Id), (action.Kind, action.Webhook));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Without_an_enabled_webhook_the_action_links_to_the_webhook_settings_and_saving_names_the_field(string provider)
    {
        var (ws, context, popovers) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = context;
        await HookAsync(ws, "Old system", enabled: false);

        var page = await NewRuleWithWebhookActionAsync(ws, context, popovers);
        Assert.Empty(page.FindComponents<MudSelect<Guid?>>());
        Assert.Equal("No webhook is switched on in this workspace.", page.Find("[data-testid=action-webhook-0]").TextContent.Trim());
        var link = page.Find("[data-testid=action-webhook-settings-0]");
        Assert.EndsWith($"/t/{ws.Tenant.Identifier}/settings/webhooks", link.GetAttribute("href"));

        await page.ClickAsync("#rule-save");
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=rule-errors]")));
        Assert.Contains("Choose the webhook to call.", page.Find("#rule-editor").TextContent);
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.False(await db.AutomationRules.AnyAsync(r => r.Origin == null));
    }
}
