using Bunit;
using Crm.Core;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Settings;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Settings;

/// <summary>The API keys page: a new key is shown once, then only its prefix; a blank name is refused; revoking stops the key.</summary>
public class ApiKeysPageTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_creates_a_key_sees_it_once_and_revokes_it(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await using var context = new ComponentTestContext("zh-CN", services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        context.Bunit.Render<MudPopoverProvider>();
        var cut = context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(ws.Tenant, ws.Owner))
            .AddChildContent<ApiKeysPage>(c => c.Add(x => x.Slug, ws.Tenant.Identifier)));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=apikeys-empty]")));

        // A blank name is refused beside the field, and nothing is stored.
        await cut.InputAsync("#apikey-name", "  ");
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());
        cut.WaitForAssertion(() => Assert.Contains("请为密钥填写名称", cut.Find("#api-keys-page").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=apikey-secret]"));

        await cut.InputAsync("#apikey-name", "ERP 同步");
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=apikey-secret]")));
        var secret = cut.Find("[data-testid=apikey-secret]").TextContent.Trim();
        Assert.StartsWith("crm_", secret);
        Assert.Contains("不会再次显示", cut.Find("[data-testid=apikey-created]").TextContent);

        ApiKey stored;
        await using (var db = ws.Database.Factory.CreateGlobal())
            stored = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.TenantId == ws.Tenant.Id);
        Assert.Equal((ApiKey.HashKey(secret), "ERP 同步", MemberRole.Member), (stored.Hash, stored.Name, stored.Role));
        Assert.Contains(secret[..10] + "…", cut.Find("[data-testid=apikeys-table]").TextContent);
        Assert.DoesNotContain(secret, cut.Find("[data-testid=apikeys-table]").TextContent);

        // Once dismissed, the key is gone from the page for good.
        await cut.ClickAsync("#apikey-done");
        cut.WaitForAssertion(() => Assert.DoesNotContain(secret, cut.Markup));

        var keys = ws.Get<ApiKeyService>();
        Assert.NotNull(await keys.FindAsync(secret));
        await cut.ClickAsync($"#apikey-revoke-{stored.Id}");
        await cut.ClickAsync($"#apikey-revoke-yes-{stored.Id}");
        cut.WaitForAssertion(() => Assert.Equal("已撤销", cut.Find($"[data-testid=apikey-status-{stored.Id}]").TextContent.Trim()));
        Assert.Null(await keys.FindAsync(secret));
        Assert.Empty(cut.FindAll($"#apikey-revoke-{stored.Id}"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_is_offered_only_roles_up_to_admin(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var admin = await ws.MemberAsync(MemberRole.Admin);
        await using var context = new ComponentTestContext("en", services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        context.Bunit.Render<MudPopoverProvider>();
        var cut = context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(ws.Tenant, admin))
            .AddChildContent<ApiKeysPage>(c => c.Add(x => x.Slug, ws.Tenant.Identifier)));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=apikeys-empty]")));

        var items = cut.FindComponents<MudSelectItem<MemberRole>>().Select(i => i.Instance.Value).ToList();
        Assert.Equal([MemberRole.Admin, MemberRole.Member, MemberRole.Viewer], items);
    }
}
