using System.Net;
using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Audit;
using Crm.Core.Data;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Accounts;
using Crm.Web.Components.Pages.Tenant.Settings;
using Crm.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>The audit log over HTTP: admins page and export it, others are refused, sign-ins carry their origin, CSV cells cannot become formulas.</summary>
public class AuditApiTests(AppFixture apps) : HttpTestBase(apps)
{
    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Signs in as the login page does, on the way to the workspace, so the sign-in lands in its log.</summary>
    private static async Task<HttpClient> SignInToWorkspaceAsync(CrmAppFactory app, ApplicationUser user, string slug, string language = "en")
    {
        var client = app.CreateBrowserLikeClient(language);
        client.DefaultRequestHeaders.UserAgent.ParseAdd("AuditBrowser/2.0");
        var ticket = app.Services.GetRequiredService<SignInTickets>().Issue(user.Id, remember: false);
        var response = await client.GetAsync($"/account/complete-signin?ticket={Uri.EscapeDataString(ticket)}&returnUrl={Uri.EscapeDataString($"/t/{slug}")}");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_pages_and_filters_the_log_and_members_are_refused_on_the_api_the_csv_and_the_page(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var memberUser = await app.AddMemberAsync(a.Tenant, MemberRole.Member);
        using var owner = await SignInToWorkspaceAsync(app, a.User, a.Slug);
        using var member = await SignInToWorkspaceAsync(app, memberUser, a.Slug);

        var page = await JsonAsync(await owner.GetAsync($"/t/{a.Slug}/api/audit?action=auth.signin&take=10"));
        Assert.Equal(2, page["total"]!.GetValue<int>());
        var items = page["items"]!.AsArray();
        var mine = items.Single(i => i!["actorUserId"]!.GetValue<Guid>() == a.User.Id)!;
        Assert.Equal(("auth.signin", a.User.Id.ToString(), "AuditBrowser/2.0"),
            (mine["action"]!.GetValue<string>(), mine["targetId"]!.GetValue<string>(), mine["userAgent"]!.GetValue<string>()));
        var byActor = await JsonAsync(await owner.GetAsync($"/t/{a.Slug}/api/audit?actor={memberUser.Id}"));
        Assert.Equal(memberUser.Id, Assert.Single(byActor["items"]!.AsArray())!["actorUserId"]!.GetValue<Guid>());
        var paged = await JsonAsync(await owner.GetAsync($"/t/{a.Slug}/api/audit?skip=1&take=1"));
        Assert.Equal((2, 1), (paged["total"]!.GetValue<int>(), paged["items"]!.AsArray().Count));

        Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync($"/t/{a.Slug}/api/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync($"/t/{a.Slug}/api/audit.csv")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync($"/t/{a.Slug}/settings/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/t/{a.Slug}/settings/audit")).StatusCode);

        // Bad filters are the caller's mistake, named.
        var bad = await owner.GetAsync($"/t/{a.Slug}/api/audit?from=2026-12-05&to=2026-12-01");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("\"to\"", await bad.Content.ReadAsStringAsync());
        var month = await owner.GetAsync($"/t/{a.Slug}/api/audit?from=2026-13-01");
        Assert.Equal(HttpStatusCode.BadRequest, month.StatusCode);
        Assert.Contains("\"from\"", await month.Content.ReadAsStringAsync());

        // A demoted admin is refused at once.
        var adminUser = await app.AddMemberAsync(a.Tenant, MemberRole.Admin);
        using var admin = await SignInToWorkspaceAsync(app, adminUser, a.Slug);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/t/{a.Slug}/api/audit")).StatusCode);
        await app.Services.GetRequiredService<MembershipService>().ChangeRoleAsync(new Actor(a.User.Id, "owner", a.Tenant, MemberRole.Owner), adminUser.Id, MemberRole.Member);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync($"/t/{a.Slug}/api/audit")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_csv_export_lists_every_entry_in_the_callers_language_and_no_cell_becomes_a_formula(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var evil = await app.AddMemberAsync(a.Tenant, MemberRole.Member, displayName: "=HYPERLINK(\"http://evil.test\",\"x\")");
        var owner = new Actor(a.User.Id, "owner", a.Tenant, MemberRole.Owner);
        await app.Services.GetRequiredService<MembershipService>().ChangeRoleAsync(owner, evil.Id, MemberRole.Viewer);
        var trail = app.Services.GetRequiredService<AuditTrail>();
        await trail.WriteAsync(owner, new AuditEvent("test.formula", "thing", "-1+1", "@SUM(A1:A9)"));
        await trail.WriteAsync(owner, new AuditEvent("test.plus", "thing", "x", "+cmd|' /C calc'!A0"));
        using var client = await SignInToWorkspaceAsync(app, a.User, a.Slug, "zh-CN");

        var response = await client.GetAsync($"/t/{a.Slug}/api/audit.csv");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith(".csv", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var csv = await response.Content.ReadAsStringAsync();
        var lines = csv.TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("时间,操作人,操作代码,操作", lines[0]);
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"x\"\") <", csv);
        Assert.Contains(",'-1+1,'@SUM(A1:A9),", csv);
        Assert.Contains("'+cmd|' /C calc'!A0", csv);
        Assert.DoesNotContain(",=", csv);
        Assert.DoesNotContain(",@", csv);
        Assert.DoesNotContain(",+", csv);
        Assert.Contains("\"修改了 =HYPERLINK", csv); // the sentence starts with text, so the label inside it is harmless
        // Sign-in, role change, the two test entries and, first (newest), the export itself.
        Assert.Equal(1 + 5, lines.Length);
        Assert.Contains(",export.audit,导出了审计日志,", lines[1]);

        await using var db = app.Services.GetRequiredService<ICrmDbContextFactory>().CreateForTenant(a.Tenant.Id);
        Assert.Equal(1, await db.AuditEntries.CountAsync(e => e.Action == AuditActions.AuditExported));
    }

    [Fact]
    public void A_cell_that_starts_like_a_formula_is_prefixed_and_quoted_when_needed()
    {
        Assert.Equal("'=1+2", AuditCsv.Cell("=1+2"));
        Assert.Equal("'+1", AuditCsv.Cell("+1"));
        Assert.Equal("'-1", AuditCsv.Cell("-1"));
        Assert.Equal("'@A1", AuditCsv.Cell("@A1"));
        Assert.Equal("\"'=A1,B1\"", AuditCsv.Cell("=A1,B1"));
        Assert.Equal("\"say \"\"hi\"\"\"", AuditCsv.Cell("say \"hi\""));
        Assert.Equal("张三 <a@b.c>", AuditCsv.Cell("张三 <a@b.c>"));
        Assert.Equal("", AuditCsv.Cell(null));
    }
}
