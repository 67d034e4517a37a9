using System.Net;
using System.Text.Json.Nodes;
using Crm.Core.Permissions;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>
/// A report on a field hidden from the caller answers 403 naming the field, as JSON and as CSV (and the CSV export is
/// then not written to the audit log: nothing was exported); the same report still reads for the owner.
/// </summary>
public class HiddenFieldReportsApiTests(AppFixture apps) : HttpTestBase(apps)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_report_on_a_hidden_field_is_403_naming_it_in_json_and_csv(string provider)
    {
        var app = await AppAsync(provider);
        var owner = await app.SignUpAsync();
        var ownerActor = new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner);
        var installed = await app.Services.GetRequiredService<TemplateInstaller>()
            .InstallAsync(ownerActor, Workspace.Catalog.Find("b2b_sales_funnel")!.Document, new InstallOptions(WithSampleData: true));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        var repUser = await app.AddMemberAsync(owner.Tenant, MemberRole.Member);
        var repActor = new Actor(repUser.Id, repUser.DisplayName, owner.Tenant, MemberRole.Member);
        var deals = (await app.Services.GetRequiredService<Crm.Core.Metadata.MetadataStore>().GetAsync(owner.Tenant.Id)).Entity("opportunity")!;
        await FieldRestrictions.RestrictAsync(app.Database.Factory, owner.Tenant.Id, repActor, deals.Entity.Id,
            new Dictionary<string, FieldAccessLevel> { ["amount"] = FieldAccessLevel.Hidden });

        using var rep = await app.SignedInClientAsync(repUser);
        using var ownerClient = await app.SignedInClientAsync(owner.User);
        foreach (var path in new[] { "pipeline_value", "pipeline_value.csv" })
        {
            var refused = await rep.GetAsync($"/t/{owner.Slug}/api/reports/{path}");
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
            Assert.Equal("amount", problem["field"]!.GetValue<string>());
            Assert.Equal("opportunity", problem["entity"]!.GetValue<string>());
            Assert.Contains("Amount", problem["title"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, (await ownerClient.GetAsync($"/t/{owner.Slug}/api/reports/{path}")).StatusCode);
        }
        // A report that does not read the amount still answers the member.
        Assert.Equal(HttpStatusCode.OK, (await rep.GetAsync($"/t/{owner.Slug}/api/reports/opportunity_funnel")).StatusCode);
        // The refused CSV left no "exported" line in the audit log; the owner's did.
        await using var db = app.Database.Factory.CreateForTenant(owner.Tenant.Id);
        var exports = db.AuditEntries.Where(e => e.Action == Crm.Core.Audit.AuditActions.ReportExported).Select(e => e.ActorUserId).ToList();
        Assert.Equal([owner.User.Id], exports.Select(x => x!.Value));
    }
}
