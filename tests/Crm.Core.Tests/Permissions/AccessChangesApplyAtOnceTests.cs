using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Permissions;

/// <summary>
/// Rights are read from a per-tenant access chart cached at the tenant's metadata version; every change to
/// permissions, role assignments, departments and their members moves that version, through the services and
/// through SaveChanges or ExecuteUpdate/ExecuteDelete directly, so the user's very next list query and write
/// reflect it.
/// </summary>
public class AccessChangesApplyAtOnceTests
{
    private sealed record Setup(Workspace Ws, Actor Rep, Actor Other, Guid RoleId, EntityMeta Deals, Guid Mine, Guid Theirs, Guid Department);

    private static async Task<Setup> SetUpAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        var installed = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, Workspace.Catalog.Find("b2b_sales_funnel")!.Json, new InstallOptions(WithSampleData: false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        var rep = await ws.MemberAsync(MemberRole.Member);
        var other = await ws.MemberAsync(MemberRole.Member);
        var deals = (await ws.MetadataAsync()).Entity("opportunity")!;
        var roles = ws.Get<RoleService>();
        var role = await roles.CreateAsync(ws.Owner, LocalizedText.Same("销售"));
        Assert.True(role.Succeeded, role.Errors.ToString());
        Assert.True((await roles.AssignAsync(ws.Owner, role.Id!.Value, rep.UserId)).Succeeded);
        Assert.True((await roles.SetPermissionAsync(ws.Owner, role.Id.Value, deals.Entity.Id,
            PermissionInput.Open with { Read = DataScope.OwnAndDepartment, Edit = DataScope.Own, Delete = DataScope.Own })).Succeeded);
        var department = await ws.Get<DepartmentService>().CreateAsync(ws.Owner, "华东", null);
        Assert.True(department.Succeeded, department.Errors.ToString());
        Assert.True((await ws.Get<DepartmentService>().AddMemberAsync(ws.Owner, department.Id!.Value, rep.UserId)).Succeeded);

        var company = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "Chart Co" }));
        async Task<Guid> DealAsync(Actor owner, string name)
        {
            var created = await ws.Records.CreateAsync(ws.Owner, "opportunity", new RecordInput(new JsonObject
            {
                ["name"] = name, ["amount"] = 10, ["cost_price"] = 4, ["owner"] = owner.UserId.ToString(), ["company"] = company.Record!.Id.ToString(), ["expected_close"] = "2027-01-15",
            }));
            Assert.True(created.Succeeded, created.Errors.ToString());
            return created.Record!.Id;
        }
        return new Setup(ws, rep, other, role.Id.Value, deals, await DealAsync(rep, "mine"), await DealAsync(other, "theirs"), department.Id.Value);
    }

    private static async Task<HashSet<Guid>> ListAsync(Setup s)
        => (await s.Ws.Get<RecordListService>().QueryAsync(s.Rep, "opportunity", new RecordQuery { Take = 50 })).Items.Select(i => i.Id).ToHashSet();

    private static async Task<bool> CanEditTheirsAsync(Setup s)
    {
        try { return (await s.Ws.Records.UpdateAsync(s.Rep, s.Theirs, new RecordInput(new JsonObject { ["next_step"] = Guid.NewGuid().ToString() }))).Succeeded; }
        catch (ForbiddenException) { return false; }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_permission_change_shows_in_the_very_next_list_query_and_write(string provider)
    {
        var s = await SetUpAsync(provider);
        await using var _ = s.Ws;
        var roles = s.Ws.Get<RoleService>();
        Assert.Equal([s.Mine], await ListAsync(s));
        Assert.False(await CanEditTheirsAsync(s));

        // Through the roles service: the rep may now read and edit everything.
        Assert.True((await roles.SetPermissionAsync(s.Ws.Owner, s.RoleId, s.Deals.Entity.Id, PermissionInput.Open)).Succeeded);
        Assert.Equal([s.Mine, s.Theirs], await ListAsync(s));
        Assert.True(await CanEditTheirsAsync(s));

        // ExecuteUpdate straight on the table: back to "own".
        await using (var db = s.Ws.Database.Factory.CreateForTenant(s.Ws.Tenant.Id))
            await db.EntityPermissions.Where(p => p.RoleId == s.RoleId).ExecuteUpdateAsync(x => x.SetProperty(p => p.Read, DataScope.Own).SetProperty(p => p.Edit, DataScope.Own));
        Assert.Equal([s.Mine], await ListAsync(s));
        Assert.False(await CanEditTheirsAsync(s));

        // The other member joins the rep's department (SaveChanges on the table): the rep's department scope reaches
        // their deal once the role reads "own + department" again.
        await using (var db = s.Ws.Database.Factory.CreateForTenant(s.Ws.Tenant.Id))
        {
            var row = await db.EntityPermissions.FirstAsync(p => p.RoleId == s.RoleId);
            row.Read = DataScope.OwnAndDepartment;
            await db.SaveChangesAsync();
        }
        Assert.Equal([s.Mine], await ListAsync(s));
        Assert.True((await s.Ws.Get<DepartmentService>().AddMemberAsync(s.Ws.Owner, s.Department, s.Other.UserId)).Succeeded);
        Assert.Equal([s.Mine, s.Theirs], await ListAsync(s));
        Assert.False(await CanEditTheirsAsync(s)); // edit is still "own"

        // ExecuteDelete of the role assignment: the base role (Member) decides again, which sees and edits all.
        await using (var db = s.Ws.Database.Factory.CreateForTenant(s.Ws.Tenant.Id))
            await db.MemberRoleAssignments.Where(a => a.UserId == s.Rep.UserId).ExecuteDeleteAsync();
        Assert.True(await CanEditTheirsAsync(s));

        // Hiding a field applies to the next write as well: the assignment back, and cost_price hidden.
        Assert.True((await roles.AssignAsync(s.Ws.Owner, s.RoleId, s.Rep.UserId)).Succeeded);
        Assert.True((await roles.SetPermissionAsync(s.Ws.Owner, s.RoleId, s.Deals.Entity.Id,
            PermissionInput.Open with { Fields = new Dictionary<string, FieldAccessLevel> { ["cost_price"] = FieldAccessLevel.Hidden } })).Succeeded);
        var refused = await s.Ws.Records.UpdateAsync(s.Rep, s.Mine, new RecordInput(new JsonObject { ["cost_price"] = 1 }));
        Assert.NotEmpty(refused.Errors.For("cost_price"));
        Assert.All((await s.Ws.Get<RecordListService>().QueryAsync(s.Rep, "opportunity", new RecordQuery { Take = 50 })).Items, i => Assert.False(i.Values.ContainsKey("cost_price")));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_chart_is_read_once_per_version_and_every_access_table_moves_the_version(string provider)
    {
        var s = await SetUpAsync(provider);
        await using var _ = s.Ws;
        var cache = s.Ws.Get<Microsoft.Extensions.Caching.Memory.IMemoryCache>();
        await using var db = s.Ws.Database.Factory.CreateForTenant(s.Ws.Tenant.Id);
        var first = await AccessResolver.ChartAsync(db, cache);
        Assert.Same(first, await AccessResolver.ChartAsync(db, cache));

        async Task MovesAsync(Func<CrmDbContext, Task> change)
        {
            var before = await MetadataStore.CurrentVersionAsync(db, default);
            await using (var other = s.Ws.Database.Factory.CreateForTenant(s.Ws.Tenant.Id)) await change(other);
            Assert.True(await MetadataStore.CurrentVersionAsync(db, default) > before);
            var chart = await AccessResolver.ChartAsync(db, cache);
            Assert.NotSame(first, chart);
            first = chart;
        }
        await MovesAsync(async x => { x.Departments.Add(new Department { Name = "华南" }); await x.SaveChangesAsync(); });
        await MovesAsync(x => x.Departments.Where(d => d.Name == "华南").ExecuteUpdateAsync(u => u.SetProperty(d => d.Name, "华南区")));
        await MovesAsync(x => x.DepartmentMembers.Where(m => m.UserId == s.Rep.UserId).ExecuteDeleteAsync());
        await MovesAsync(async x => { x.DepartmentMembers.Add(new DepartmentMember { DepartmentId = s.Department, UserId = s.Rep.UserId }); await x.SaveChangesAsync(); });
        await MovesAsync(x => x.RoleDefinitions.Where(r => r.Id == s.RoleId).ExecuteUpdateAsync(u => u.SetProperty(r => r.Key, "rep2")));
        await MovesAsync(x => x.EntityPermissions.Where(p => p.RoleId == s.RoleId).ExecuteUpdateAsync(u => u.SetProperty(p => p.CanCreate, false)));
        await MovesAsync(x => x.MemberRoleAssignments.Where(a => a.RoleId == s.RoleId).ExecuteDeleteAsync());
        // Records and shares are not part of the chart: they leave the version alone.
        var version = await MetadataStore.CurrentVersionAsync(db, default);
        await s.Ws.Records.UpdateAsync(s.Ws.Owner, s.Mine, new RecordInput(new JsonObject { ["next_step"] = "no bump" }));
        Assert.Equal(version, await MetadataStore.CurrentVersionAsync(db, default));
        Assert.Same(first, await AccessResolver.ChartAsync(db, cache));
    }
}
