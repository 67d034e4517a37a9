using System.Text.Json.Nodes;
using Crm.Core;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Templates;
using Crm.Testing;

namespace Crm.Core.Tests.Templates;

/// <summary>Roles with permissions and departments in templates: install, export, upgrade and the checker's paths.</summary>
public class TemplatePermissionTests
{
    private static async Task<IReadOnlyList<string>> RightsAsync(Workspace ws)
    {
        var metadata = await ws.MetadataAsync();
        var roles = ws.Get<RoleService>();
        var lines = new List<string>();
        foreach (var role in await roles.ListAsync(ws.Owner))
        {
            var detail = (await roles.GetAsync(ws.Owner, role.Id))!;
            foreach (var p in detail.Permissions)
                lines.Add($"{role.Key}.{metadata.Entity(p.EntityTypeId)!.Key}: create={p.CanCreate} {p.Read}/{p.Edit}/{p.Delete} owners=[{string.Join(",", p.OwnerFieldKeys)}] "
                    + string.Join(",", p.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}")));
            lines.Add($"{role.Key}: {role.Label.ZhCn}/{role.Label.En} {role.BaseRole}");
        }
        return lines.Order(StringComparer.Ordinal).ToList();
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_starter_templates_roles_get_their_permissions_and_can_be_given_to_members(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var rights = await RightsAsync(ws);
        Assert.Contains("sales_rep.opportunity: create=True Own/Own/None owners=[] cost_price=Hidden", rights);
        Assert.Contains("sales_manager.opportunity: create=True OwnAndDepartmentTree/OwnAndDepartmentTree/Own owners=[] cost_price=ReadOnly", rights);

        var rep = await ws.MemberAsync(Crm.Core.Tenancy.MemberRole.Member);
        var roles = ws.Get<RoleService>();
        var salesRep = (await roles.ListAsync(ws.Owner)).Single(r => r.Key == "sales_rep");
        Assert.True((await roles.AssignAsync(ws.Owner, salesRep.Id, rep.UserId)).Succeeded);
        var deal = (await ws.MetadataAsync()).Entity("opportunity")!;
        var access = await ws.Get<IAccessResolver>().GetAsync(rep, deal.Entity.Id);
        Assert.Equal(DataScope.Own, access.Read.Scope);
        Assert.False(access.CanSeeField("cost_price"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Export_then_install_into_an_empty_workspace_gives_the_same_roles_permissions_and_departments(string provider)
    {
        await using var source = await Workspace.CreateAsync(provider);
        await source.InstallAsync("b2b_sales_funnel");
        var roles = source.Get<RoleService>();
        var departments = source.Get<DepartmentService>();
        var deal = (await source.MetadataAsync()).Entity("opportunity")!;
        var custom = (await roles.CreateAsync(source.Owner, new LocalizedText("华东销售", "East sales"))).Id!.Value;
        await roles.SetPermissionAsync(source.Owner, custom, deal.Entity.Id, new PermissionInput(false, DataScope.OwnAndDepartment, DataScope.Own, DataScope.None, [],
            new Dictionary<string, FieldAccessLevel> { ["cost_price"] = FieldAccessLevel.Hidden, ["amount"] = FieldAccessLevel.ReadOnly }));
        var sales = (await departments.CreateAsync(source.Owner, "销售部", null)).Id!.Value;
        await departments.CreateAsync(source.Owner, "华东", sales);

        var exported = await source.Get<TemplateExporter>().ExportAsync(source.Owner);
        var json = Json.Serialize(exported);
        Assert.Contains("\"departmentTree\"", json);

        await using var target = await Workspace.CreateAsync(provider);
        var result = await target.Get<TemplateInstaller>().InstallAsync(target.Owner, json, new InstallOptions(WithSampleData: false));
        Assert.True(result.Succeeded, result.Errors.ToString());
        Assert.Equal(await RightsAsync(source), await RightsAsync(target));
        var org = await target.Get<DepartmentService>().GetAsync(target.Owner);
        Assert.Equal(["销售部", "华东"], org.Departments.Select(d => d.Name));
        Assert.Equal("销售部 / 华东", org.Path(org.Departments[1].Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_upgrade_keeps_what_the_admin_changed_and_brings_what_the_template_changed(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var roles = ws.Get<RoleService>();
        var deal = (await ws.MetadataAsync()).Entity("opportunity")!;
        var company = (await ws.MetadataAsync()).Entity("company")!;
        var rep = (await roles.ListAsync(ws.Owner)).Single(r => r.Key == "sales_rep");
        // The admin widens read on deals to the department and lets reps see the cost price read-only.
        var current = PermissionInput.From((await roles.GetAsync(ws.Owner, rep.Id))!.For(deal.Entity.Id)!);
        await roles.SetPermissionAsync(ws.Owner, rep.Id, deal.Entity.Id, current with
        {
            Read = DataScope.OwnAndDepartment,
            Fields = new Dictionary<string, FieldAccessLevel> { ["cost_price"] = FieldAccessLevel.ReadOnly },
        });

        // Version 1.1.0 makes deals' delete "own", hides the amount and makes companies department-wide.
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc["version"] = "9.0.0";
        var permissions = doc["roles"]!.AsArray().Single(r => (string)r!["key"]! == "sales_rep")!["permissions"]!;
        permissions["opportunity"]!["read"] = "own";
        permissions["opportunity"]!["delete"] = "own";
        permissions["opportunity"]!["fields"]!["amount"] = "readOnly";
        permissions["company"]!["read"] = "department";
        var plan = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false, DryRun: true));
        Assert.True(plan.Outcome == InstallOutcome.DryRun, plan.Errors.ToString());
        Assert.Contains(plan.Changes, c => c is { Kind: ChangeKind.KeepYours, Element: "permission", Path: "sales_rep.opportunity", Property: "read" });
        Assert.Contains(plan.Changes, c => c is { Kind: ChangeKind.Update, Element: "permission", Path: "sales_rep.opportunity", Property: "delete" });

        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.Equal(InstallOutcome.Upgraded, result.Outcome);
        var after = (await roles.GetAsync(ws.Owner, rep.Id))!;
        var dealRights = after.For(deal.Entity.Id)!;
        Assert.Equal(DataScope.OwnAndDepartment, dealRights.Read);       // the admin's
        Assert.Equal(DataScope.Own, dealRights.Delete);                  // the template's
        Assert.Equal(FieldAccessLevel.ReadOnly, dealRights.Fields["cost_price"]); // the admin's
        Assert.Equal(FieldAccessLevel.ReadOnly, dealRights.Fields["amount"]);     // the template's
        Assert.Equal(DataScope.OwnAndDepartment, after.For(company.Entity.Id)!.Read);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_checker_names_the_path_of_unknown_entities_fields_scopes_and_departments(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        var roles = doc["roles"]!.AsArray();
        var permissions = roles[0]!["permissions"]!.AsObject();
        permissions["deal"] = JsonNode.Parse("""{"read": "all"}""");
        permissions["opportunity"]!["fields"]!["cost"] = "hidden";
        permissions["opportunity"]!["ownerFields"] = JsonNode.Parse("""["amount"]""");
        permissions["company"]!["edit"] = "all";
        doc["departments"] = JsonNode.Parse("""[{"key": "east", "name": "华东", "parent": "sales"}, {"key": "a", "name": "A", "parent": "b"}, {"key": "b", "name": "B", "parent": "a"}]""");

        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));

        Assert.Equal(InstallOutcome.Refused, result.Outcome);
        Assert.Contains("deal", Assert.Single(result.Errors.For("$.roles[0].permissions.deal")));
        Assert.Contains("cost", Assert.Single(result.Errors.For("$.roles[0].permissions.opportunity.fields.cost")));
        Assert.Contains("amount", Assert.Single(result.Errors.For("$.roles[0].permissions.opportunity.ownerFields[0]")));
        Assert.Single(result.Errors.For("$.roles[0].permissions.company.edit"));
        Assert.Contains("sales", Assert.Single(result.Errors.For("$.departments[0].parent")));
        Assert.Single(result.Errors.For("$.departments[1].parent"));
        Assert.Empty(await ws.Get<RoleService>().ListAsync(ws.Owner));

        // A scope name that does not exist is refused by the schema, with its path.
        permissions.Remove("deal");
        permissions["company"]!["edit"] = "team";
        var bad = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.Equal(InstallOutcome.Refused, bad.Outcome);
        Assert.Contains(bad.Errors.ByField.Keys, k => k.StartsWith("$.roles[0].permissions.company.edit", StringComparison.Ordinal));
    }
}
