using Bunit;
using Crm.Core;
using Crm.Core.Automation;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Tenancy;
using Crm.Core.Webhooks;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Settings;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Settings;

/// <summary>The webhooks page: a refused URL is named, the secret is shown once, switching off, the delivery log and redelivery.</summary>
public class WebhooksPageTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_adds_a_webhook_sees_the_secret_once_switches_it_off_and_reads_the_log(string provider)
    {
        var keys = new EphemeralDataProtectionProvider();
        // Loopback is allowed for this test only: the URL is a literal address, so nothing is resolved or sent.
        var options = new WebhookOptions { AllowedAddresses = ["127.0.0.1"] };
        await using var ws = await Workspace.CreateAsync(provider, configure: s => { s.AddSingleton(options); s.AddSingleton<IDataProtectionProvider>(keys); });
        await ws.InstallAsync("b2b_sales_funnel");
        await using var context = new ComponentTestContext("zh-CN", services =>
        {
            services.AddLogging();
            services.AddSingleton(options);
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
            services.AddSingleton<IDataProtectionProvider>(keys);
        });
        context.Bunit.Render<MudPopoverProvider>();
        var cut = context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(ws.Tenant, ws.Owner))
            .AddChildContent<WebhooksPage>(c => c.Add(x => x.Slug, ws.Tenant.Identifier)));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=webhooks-empty]")));

        // An internal address is refused beside the field; nothing is stored.
        await cut.InputAsync("#webhook-url", "http://10.0.0.8/hook");
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());
        cut.WaitForAssertion(() => Assert.Contains("URL 被拒绝", cut.Find("#webhooks-page").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=webhook-secret]"));

        await cut.InputAsync("#webhook-url", "http://127.0.0.1:9/hook");
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=webhook-secret]")));
        var secret = cut.Find("[data-testid=webhook-secret]").TextContent.Trim();
        Assert.StartsWith("whsec_", secret);
        Assert.Contains("不会再次显示", cut.Find("[data-testid=webhook-secret-alert]").TextContent);
        var hook = Assert.Single(await ws.Get<WebhookService>().ListAsync(ws.Owner));
        Assert.Equal([WebhookEventTypes.RecordCreated, WebhookEventTypes.RecordUpdated], hook.Events);
        await cut.ClickAsync("#webhook-secret-done");
        cut.WaitForAssertion(() => Assert.DoesNotContain(secret, cut.Markup));

        // A record write shows in the delivery log, which offers redelivery.
        Assert.True((await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "日志公司")))).Succeeded);
        await cut.ClickAsync($"#webhook-log-{hook.Id}");
        cut.WaitForAssertion(() => Assert.Contains("记录创建", cut.Find("[data-testid=webhook-log]").TextContent));
        var delivery = Assert.Single(await ws.Get<WebhookService>().DeliveriesAsync(ws.Owner, hook.Id));
        Assert.Equal("待投递", cut.Find($"[data-testid=delivery-status-{delivery.Id}]").TextContent.Trim());
        await cut.ClickAsync($"#delivery-redeliver-{delivery.Id}");
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=webhook-log] tbody tr").Count));

        await cut.ClickAsync($"#webhook-toggle-{hook.Id}");
        cut.WaitForAssertion(() => Assert.Contains("已停用", cut.Find($"[data-testid=webhook-status-{hook.Id}]").TextContent));
        Assert.False((await ws.Get<WebhookService>().GetAsync(ws.Owner, hook.Id))!.IsEnabled);
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Contains(Crm.Core.Audit.AuditActions.WebhookDisabled, await db.AuditEntries.Where(a => a.TargetId == hook.Id.ToString()).Select(a => a.Action).ToListAsync());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Deleting_a_webhook_that_rules_call_names_those_rules_first_and_the_rules_stay(string provider)
    {
        var keys = new EphemeralDataProtectionProvider();
        var options = new WebhookOptions { AllowedAddresses = ["127.0.0.1"] };
        await using var ws = await Workspace.CreateAsync(provider, configure: s => { s.AddSingleton(options); s.AddSingleton<IDataProtectionProvider>(keys); });
        await ws.InstallAsync("b2b_sales_funnel");
        var hooks = ws.Get<WebhookService>();
        var called = (await hooks.CreateAsync(ws.Owner, new WebhookInput("http://127.0.0.1:9/erp", [WebhookEventTypes.RecordDeleted], Description: "ERP"))).Webhook!;
        var quiet = (await hooks.CreateAsync(ws.Owner, new WebhookInput("http://127.0.0.1:9/other", [WebhookEventTypes.RecordDeleted], Description: "Other"))).Webhook!;
        var company = (await ws.Get<MetadataStore>().GetAsync(ws.Tenant.Id)).Entity("company")!.Entity.Id;
        var (rule, errors) = await ws.Get<AutomationRuleService>().SaveAsync(ws.Owner, new AutomationRule
        {
            EntityTypeId = company, Name = LocalizedText.Same("同步到 ERP"), Trigger = new RuleTrigger { Kind = TriggerKinds.Created },
            Actions = [new RuleAction { Kind = ActionKinds.CallWebhook, Webhook = called.Id }],
        });
        Assert.True(errors.IsEmpty, errors.ToString());

        await using var context = new ComponentTestContext("zh-CN", services =>
        {
            services.AddLogging();
            services.AddSingleton(options);
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
            services.AddSingleton<IDataProtectionProvider>(keys);
        });
        context.Bunit.Render<MudPopoverProvider>();
        var cut = context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(ws.Tenant, ws.Owner))
            .AddChildContent<WebhooksPage>(c => c.Add(x => x.Slug, ws.Tenant.Identifier)));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll($"#webhook-delete-{called.Id}")));

        // A webhook no rule calls: no warning.
        await cut.ClickAsync($"#webhook-delete-{quiet.Id}");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll($"#webhook-delete-yes-{quiet.Id}")));
        Assert.Empty(cut.FindAll($"[data-testid=webhook-delete-rules-{quiet.Id}]"));

        // The called one: the warning names the rule before anything is deleted.
        await cut.ClickAsync($"#webhook-delete-{called.Id}");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll($"[data-testid=webhook-delete-rules-{called.Id}]")));
        var warning = cut.Find($"[data-testid=webhook-delete-rules-{called.Id}]").TextContent;
        Assert.Contains("有 1 条规则会调用此 Webhook", warning);
        Assert.Contains("同步到 ERP", warning);
        Assert.NotNull(await hooks.GetAsync(ws.Owner, called.Id));

        await cut.ClickAsync($"#webhook-delete-yes-{called.Id}");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll($"#webhook-delete-{called.Id}")));
        Assert.Null(await hooks.GetAsync(ws.Owner, called.Id));
        // The rule is kept as it was (its call now fails in its run history).
        var kept = Assert.Single(await ws.Get<AutomationRuleService>().ListAsync(ws.Owner), r => r.Id == rule!.Id);
        Assert.True(kept.IsEnabled);
        Assert.Equal(called.Id, Assert.Single(kept.Actions).Webhook);
    }
}
