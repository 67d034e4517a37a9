using System.Text.Json.Nodes;
using Crm.Core.Audit;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Audit;

/// <summary>
/// Changes of rights are audited: departments (create, rename, move, delete), membership and leadership, custom
/// roles (create, edit, delete, assign), their permissions and record shares each write exactly one entry with the
/// change, naming the actor, the target and what changed; a refused change or one that changes nothing writes none.
/// </summary>
public class PermissionAuditTests
{
    private static readonly RequestOrigin Origin = RequestOrigin.Of("203.0.113.9", "PermissionAudit/1.0");

    private static async Task<List<AuditEntry>> EntriesAsync(Workspace ws)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.AuditEntries.AsNoTracking().OrderBy(e => e.At).ThenBy(e => e.Id).ToListAsync();
    }

    private static async Task<string> CompanyAsync(Workspace ws)
    {
        var company = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "测试客户 " + Guid.NewGuid().ToString("N")[..6] }));
        Assert.True(company.Succeeded, company.Errors.ToString());
        return company.Record!.Id.ToString();
    }

    private static JsonObject Details(AuditEntry e) => (JsonObject)JsonNode.Parse(e.Details!)!;

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Department_changes_and_memberships_each_write_one_entry(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var admin = ws.Owner with { Origin = Origin };
        var service = ws.Get<DepartmentService>();
        var rep = await ws.MemberAsync(MemberRole.Member);

        var sales = (await service.CreateAsync(admin, "销售部", null)).Id!.Value;
        var east = (await service.CreateAsync(admin, "华东", sales)).Id!.Value;
        var south = (await service.CreateAsync(admin, "华南", sales)).Id!.Value;
        Assert.False((await service.CreateAsync(admin, "华东", sales)).Succeeded);       // refused: no entry
        Assert.True((await service.RenameAsync(admin, east, "华东区")).Succeeded);
        Assert.True((await service.RenameAsync(admin, east, "华东区")).Succeeded);        // unchanged: no entry
        Assert.True((await service.MoveAsync(admin, south, null)).Succeeded);
        Assert.False((await service.MoveAsync(admin, sales, east)).Succeeded);            // a cycle: no entry
        Assert.True((await service.AddMemberAsync(admin, east, rep.UserId)).Succeeded);
        Assert.True((await service.AddMemberAsync(admin, east, rep.UserId)).Succeeded);   // already so: no entry
        Assert.True((await service.SetLeaderAsync(admin, east, rep.UserId, true)).Succeeded);
        Assert.True((await service.RemoveMemberAsync(admin, east, rep.UserId)).Succeeded);
        Assert.True((await service.AddMemberAsync(admin, south, rep.UserId)).Succeeded);
        Assert.True((await service.DeleteAsync(admin, south, moveMembersUp: true)).Succeeded);

        var entries = await EntriesAsync(ws);
        Assert.Equal(
        [
            AuditActions.DepartmentCreated, AuditActions.DepartmentCreated, AuditActions.DepartmentCreated,
            AuditActions.DepartmentRenamed, AuditActions.DepartmentMoved,
            AuditActions.DepartmentMemberAdded, AuditActions.DepartmentLeaderChanged, AuditActions.DepartmentMemberRemoved,
            AuditActions.DepartmentMemberAdded, AuditActions.DepartmentDeleted,
        ], entries.Select(e => e.Action));
        Assert.All(entries, e =>
        {
            Assert.Equal(ws.Owner.UserId, e.ActorUserId);
            Assert.Equal("203.0.113.9", e.IpAddress);
            Assert.Equal("PermissionAudit/1.0", e.UserAgent);
        });
        var renamed = entries[3];
        Assert.Equal((AuditActions.Targets.Department, east.ToString(), "华东区"), (renamed.TargetType, renamed.TargetId, renamed.TargetLabel));
        Assert.Equal("华东", Details(renamed)["oldName"]!.GetValue<string>());
        var moved = Details(entries[4]);
        Assert.Equal("销售部", moved["oldParent"]!.GetValue<string>());
        Assert.Null(moved["newParent"]);
        var leader = entries[6];
        Assert.Equal((AuditActions.Targets.User, rep.UserId.ToString()), (leader.TargetType, leader.TargetId));
        Assert.Equal("华东区", Details(leader)["department"]!.GetValue<string>());
        Assert.True(Details(leader)["leader"]!.GetValue<bool>());
        var deleted = entries[9];
        Assert.Equal(("华南", 1), (deleted.TargetLabel, Details(deleted)["members"]!.GetValue<int>()));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Roles_assignments_permissions_and_shares_each_write_one_entry(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var admin = ws.Owner with { Origin = Origin };
        var roles = ws.Get<RoleService>();
        var rep = await ws.MemberAsync(MemberRole.Member);
        var colleague = await ws.MemberAsync(MemberRole.Member);
        var deals = (await ws.MetadataAsync()).Entity("opportunity")!;
        int before;
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id)) before = await db.AuditEntries.CountAsync();

        var role = (await roles.CreateAsync(admin, new LocalizedText("外勤销售", "Field sales"))).Id!.Value;
        Assert.False((await roles.CreateAsync(admin, new LocalizedText("外勤销售", "Field sales"))).Succeeded); // refused: no entry
        Assert.True((await roles.RenameAsync(admin, role, new LocalizedText("外勤销售代表", "Field sales rep"))).Succeeded);
        Assert.True((await roles.AssignAsync(admin, role, rep.UserId)).Succeeded);
        Assert.True((await roles.AssignAsync(admin, role, rep.UserId)).Succeeded); // already: no entry
        var narrowed = PermissionInput.Open with
        {
            Read = DataScope.OwnAndDepartment, Edit = DataScope.Own, Delete = DataScope.None,
            Fields = new Dictionary<string, FieldAccessLevel> { ["cost_price"] = FieldAccessLevel.Hidden },
        };
        Assert.True((await roles.SetPermissionAsync(admin, role, deals.Entity.Id, narrowed)).Succeeded);
        Assert.True((await roles.SetPermissionAsync(admin, role, deals.Entity.Id, narrowed)).Succeeded); // unchanged: no entry
        Assert.False((await roles.SetPermissionAsync(admin, role, deals.Entity.Id, narrowed with { Edit = DataScope.All })).Succeeded); // refused
        Assert.True((await roles.SetPermissionAsync(admin, role, deals.Entity.Id, narrowed with { Fields = new Dictionary<string, FieldAccessLevel> { ["cost_price"] = FieldAccessLevel.ReadOnly } })).Succeeded);
        Assert.True((await roles.ClearPermissionAsync(admin, role, deals.Entity.Id)).Succeeded);
        Assert.True((await roles.UnassignAsync(admin, role, rep.UserId)).Succeeded);

        var created = await ws.Records.CreateAsync(ws.Owner, "opportunity", new RecordInput(new JsonObject
        {
            ["name"] = "共享的商机", ["amount"] = 100, ["company"] = await CompanyAsync(ws), ["expected_close"] = "2027-01-15",
        }));
        Assert.True(created.Succeeded, created.Errors.ToString());
        var shares = ws.Get<RecordShareService>();
        var shared = await shares.ShareAsync(admin, created.Record!.Id, new RecordShareInput(colleague.UserId, null, CanEdit: false));
        Assert.True(shared.Succeeded);
        Assert.True((await shares.ShareAsync(admin, created.Record.Id, new RecordShareInput(colleague.UserId, null, CanEdit: false))).Succeeded); // same: no entry
        Assert.True((await shares.ShareAsync(admin, created.Record.Id, new RecordShareInput(colleague.UserId, null, CanEdit: true))).Succeeded);
        Assert.True(await shares.RevokeAsync(admin, created.Record.Id, shared.Share!.Id));
        Assert.True((await roles.DeleteAsync(admin, role)).Succeeded);

        var entries = (await EntriesAsync(ws)).Skip(before).ToList();
        Assert.Equal(
        [
            AuditActions.RoleCreated, AuditActions.RoleEdited, AuditActions.RoleAssigned,
            AuditActions.PermissionChanged, AuditActions.PermissionChanged, AuditActions.PermissionCleared, AuditActions.RoleUnassigned,
            AuditActions.RecordShared, AuditActions.RecordShared, AuditActions.RecordUnshared, AuditActions.RoleDeleted,
        ], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal("203.0.113.9", e.IpAddress));
        Assert.Equal((AuditActions.Targets.Role, role.ToString()), (entries[0].TargetType, entries[0].TargetId));
        Assert.Equal((AuditActions.Targets.User, rep.UserId.ToString()), (entries[2].TargetType, entries[2].TargetId));
        Assert.Equal(role.ToString(), Details(entries[2])["roleId"]!.GetValue<string>());

        var first = Details(entries[3]);
        Assert.Equal("opportunity", first["entity"]!.GetValue<string>());
        Assert.Null(first["before"]);
        Assert.Equal("department", first["after"]!["read"]!.GetValue<string>());
        Assert.Equal("hidden", first["after"]!["fields"]!["cost_price"]!.GetValue<string>());
        var second = Details(entries[4]);
        Assert.Equal("hidden", second["before"]!["fields"]!["cost_price"]!.GetValue<string>());
        Assert.Equal("readOnly", second["after"]!["fields"]!["cost_price"]!.GetValue<string>());

        var share = entries[7];
        Assert.Equal((AuditActions.Targets.Record, created.Record.Id.ToString(), "共享的商机"), (share.TargetType, share.TargetId, share.TargetLabel));
        Assert.Equal(("user", colleague.UserId.ToString(), "read"), (Details(share)["with"]!.GetValue<string>(), Details(share)["withId"]!.GetValue<string>(), Details(share)["level"]!.GetValue<string>()));
        Assert.Equal(("read", "edit"), (Details(entries[8])["before"]!.GetValue<string>(), Details(entries[8])["level"]!.GetValue<string>()));
        Assert.Contains(entries[10].TargetLabel, new[] { "外勤销售代表", "Field sales rep" }); // the label as it was when deleted
        Assert.Equal(0, Details(entries[10])["members"]!.GetValue<int>());
    }
}
