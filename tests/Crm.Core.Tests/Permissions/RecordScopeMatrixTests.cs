using System.Text.Json.Nodes;
using Crm.Core.Activities;
using Crm.Core.Boards;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Reports;
using Crm.Core.Search;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Core.Timeline;
using Crm.Core.Views;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Permissions;

/// <summary>
/// The generated matrix of issue 12 for record access: departments X (with sub-department X1) and Y; a rep of X
/// (own), the manager of X (own + department tree), a rep of X1, a rep of Y, a member without custom roles and an
/// admin; deals owned across them, one shared with a user (read), one shared with department X1 (edit) and one
/// owned by the rep of Y with the rep of X in the "helper" member field, which the rep role names as an owner
/// field. Every surface × every user is compared with <see cref="Expected"/>, a hand-written rule over the
/// ownership table that does not call the production predicate.
/// </summary>
public class RecordScopeMatrixTests
{
    private enum U { RepX, MgrX, RepX1, RepY, Plain, Admin }
    private enum Op { Read, Edit, Delete }

    /// <summary>One deal of the ownership table.</summary>
    private sealed record Deal(string Name, U Owner, decimal Amount, U? Helper = null, U? SharedWith = null, bool SharedWithX1 = false, bool ShareEdits = false);

    private static readonly Deal[] Table =
    [
        new("matrix a", U.RepX, 100),
        new("matrix b", U.RepX, 200),
        new("matrix c", U.MgrX, 300),
        new("matrix d", U.RepX1, 400),
        new("matrix e", U.RepY, 500),
        new("matrix f", U.RepY, 600, Helper: U.RepX),
        new("matrix g", U.Admin, 700, SharedWith: U.RepY),
        new("matrix h", U.Admin, 800, SharedWithX1: true, ShareEdits: true),
        new("matrix i", U.Plain, 900),
    ];

    // ---- the expectation, by hand: who is where, what each role reaches ------------------------------------

    private static readonly Dictionary<U, string[]> DepartmentsOf = new()
    {
        [U.RepX] = ["X"], [U.MgrX] = ["X"], [U.RepX1] = ["X1"], [U.RepY] = ["Y"], [U.Plain] = [], [U.Admin] = [],
    };

    private static bool IsRep(U u) => u is U.RepX or U.RepX1 or U.RepY;

    /// <summary>The people whose deals count as "own" for <paramref name="u"/> under the role's scope for <paramref name="op"/>.</summary>
    private static HashSet<U> Owners(U u, Op op)
    {
        if (u == U.MgrX && op != Op.Delete)
            return [U.MgrX, U.RepX, U.RepX1]; // X and its sub-department X1
        return [u];
    }

    private static bool Expected(U u, Deal d, Op op)
    {
        if (u is U.Admin or U.Plain) return true;          // admins; members whose roles say nothing about deals
        var owners = Owners(u, op);
        if (owners.Contains(d.Owner)) return true;
        if (IsRep(u) && d.Helper is { } h && owners.Contains(h)) return true; // only the rep role names "helper"
        if (op == Op.Delete) return false;                 // shares never allow deleting
        var shared = d.SharedWith == u || (d.SharedWithX1 && DepartmentsOf[u].Contains("X1"));
        return shared && (op == Op.Read || d.ShareEdits);
    }

    // ---- the workspace ------------------------------------------------------------------------------------

    private sealed class World
    {
        public required Workspace Ws { get; init; }
        public required Dictionary<U, Actor> Actors { get; init; }
        public required EntityMeta Deals { get; init; }
        public required Guid CompanyId { get; init; }
        public Dictionary<Guid, Deal> Records { get; } = [];
        public Actor this[U u] => Actors[u];
    }

    private static async Task<World> BuildAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        // The starter template plus a "helper" member field (协作人) on deals.
        var template = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!;
        var deal = template["entityTypes"]!.AsArray().First(e => e!["key"]!.GetValue<string>() == "opportunity")!;
        deal["fields"]!.AsArray().Add(new JsonObject { ["key"] = "helper", ["type"] = "member", ["label"] = new JsonObject { ["en"] = "Helper", ["zh-CN"] = "协作人" } });
        var installed = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, template.ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());

        var actors = new Dictionary<U, Actor>
        {
            [U.RepX] = await ws.MemberAsync(MemberRole.Member),
            [U.MgrX] = await ws.MemberAsync(MemberRole.Member),
            [U.RepX1] = await ws.MemberAsync(MemberRole.Member),
            [U.RepY] = await ws.MemberAsync(MemberRole.Member),
            [U.Plain] = await ws.MemberAsync(MemberRole.Member),
            [U.Admin] = await ws.MemberAsync(MemberRole.Admin),
        };
        var metadata = await ws.MetadataAsync();
        var deals = metadata.Entity("opportunity")!;

        Dictionary<string, Guid> departments;
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var x = new Department { Name = "X" };
            var x1 = new Department { Name = "X1", ParentId = x.Id };
            var y = new Department { Name = "Y" };
            departments = new() { ["X"] = x.Id, ["X1"] = x1.Id, ["Y"] = y.Id };
            var rep = new RoleDefinition { Key = "rep", Label = LocalizedText.Same("销售") };
            var manager = new RoleDefinition { Key = "manager", Label = LocalizedText.Same("销售经理") };
            db.AddRange(x, y, rep, manager);
            await db.SaveChangesAsync();
            db.Add(x1);
            foreach (var (u, names) in DepartmentsOf)
                foreach (var name in names)
                    db.Add(new DepartmentMember { DepartmentId = departments[name], UserId = actors[u].UserId, IsLeader = u == U.MgrX });
            foreach (var u in new[] { U.RepX, U.RepX1, U.RepY })
                db.Add(new MemberRoleAssignment { UserId = actors[u].UserId, RoleId = rep.Id });
            db.Add(new MemberRoleAssignment { UserId = actors[U.MgrX].UserId, RoleId = manager.Id });
            db.Add(new EntityPermission { RoleId = rep.Id, EntityTypeId = deals.Entity.Id, Read = DataScope.Own, Edit = DataScope.Own, Delete = DataScope.Own, OwnerFieldKeys = ["helper"] });
            db.Add(new EntityPermission { RoleId = manager.Id, EntityTypeId = deals.Entity.Id, Read = DataScope.OwnAndDepartmentTree, Edit = DataScope.OwnAndDepartmentTree, Delete = DataScope.Own });
            await db.SaveChangesAsync();
        }

        var company = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "Matrix Holdings" }));
        Assert.True(company.Succeeded, company.Errors.ToString());
        var world = new World { Ws = ws, Actors = actors, Deals = deals, CompanyId = company.Record!.Id };
        foreach (var d in Table) world.Records[await CreateAsync(world, d, departments)] = d;
        return world;
    }

    private static async Task<Guid> CreateAsync(World w, Deal d, Dictionary<string, Guid>? departments = null)
    {
        var values = new JsonObject
        {
            ["name"] = d.Name, ["amount"] = d.Amount, ["owner"] = w[d.Owner].UserId.ToString(), ["company"] = w.CompanyId.ToString(), ["expected_close"] = "2027-01-15",
        };
        if (d.Helper is { } h) values["helper"] = w[h].UserId.ToString();
        var created = await w.Ws.Records.CreateAsync(w.Ws.Owner, "opportunity", new RecordInput(values));
        Assert.True(created.Succeeded, created.Errors.ToString());
        var id = created.Record!.Id;
        await using var db = w.Ws.Database.Factory.CreateForTenant(w.Ws.Tenant.Id);
        if (d.SharedWith is { } s) db.Add(new RecordShare { RecordId = id, UserId = w[s].UserId, CanEdit = d.ShareEdits });
        if (d.SharedWithX1)
        {
            var x1 = departments?["X1"] ?? await db.Departments.Where(x => x.Name == "X1").Select(x => x.Id).FirstAsync();
            db.Add(new RecordShare { RecordId = id, DepartmentId = x1, CanEdit = d.ShareEdits });
        }
        await db.SaveChangesAsync();
        return id;
    }

    private static HashSet<Guid> ExpectedIds(World w, U u, Op op) => w.Records.Where(r => Expected(u, r.Value, op)).Select(r => r.Key).ToHashSet();

    private static void Same(IEnumerable<Guid> expected, IEnumerable<Guid> actual, U u, string surface)
    {
        var e = expected.ToHashSet();
        var a = actual.ToHashSet();
        Assert.True(e.SetEquals(a), $"{surface} for {u}: expected {e.Count} records, got {a.Count} (missing {e.Except(a).Count()}, extra {a.Except(e).Count()})");
    }

    // ---- the read surfaces --------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Every_read_surface_shows_each_user_exactly_the_records_the_rules_allow(string provider)
    {
        var w = await BuildAsync(provider);
        await using var _ = w.Ws;
        var lists = w.Ws.Get<RecordListService>();
        var boards = w.Ws.Get<BoardService>();
        var engine = w.Ws.Get<ReportEngine>();
        var reports = w.Ws.Get<ReportService>();
        var search = w.Ws.Get<GlobalSearchService>();
        var directory = w.Ws.Get<RecordDirectory>();
        var related = w.Ws.Get<RelatedRecordsQuery>();
        var timeline = w.Ws.Get<RecordTimeline>();
        var activities = w.Ws.Get<ActivityService>();

        // One task per deal, assigned to its owner, logged by the workspace owner: activities and "My tasks".
        foreach (var (id, d) in w.Records)
        {
            var task = await activities.LogAsync(w.Ws.Owner, id, new ActivityInput(ActivityKind.Task, "follow up " + d.Name) { DueAt = DateTime.UtcNow.AddDays(1), AssigneeId = w[U.Plain].UserId });
            Assert.True(task.Succeeded, task.Errors.ToString());
        }

        foreach (var u in Enum.GetValues<U>())
        {
            var actor = w[u];
            var visible = ExpectedIds(w, u, Op.Read);
            var count = visible.Count;
            var sum = w.Records.Where(r => visible.Contains(r.Key)).Sum(r => r.Value.Amount);

            // List and a saved view (filters + sort + search), count included.
            var list = await lists.QueryAsync(actor, "opportunity", new RecordQuery { Take = 100 });
            Same(visible, list.Items.Select(i => i.Id), u, "list");
            Assert.Equal(count, list.Total);
            var view = RecordQuery.From(new ViewDefinition
            {
                Filters = [new FilterSpec("amount", "gte", JsonValue.Create(0))], Sort = [new SortSpec("amount", Descending: true)], Search = "matrix", PageSize = 100,
            });
            var viewed = await lists.QueryAsync(actor, "opportunity", view);
            Same(visible, viewed.Items.Select(i => i.Id), u, "saved view");
            Assert.Equal(count, viewed.Total);

            // Board: cards, column counts, sums and weighted sums only of visible deals.
            var board = (await boards.LoadAsync(actor, new BoardRequest("opportunity") { PageSize = 100 }))!;
            Same(visible, board.Columns.SelectMany(c => c.Cards).Select(c => c.Id), u, "board cards");
            Assert.Equal(count, board.Columns.Sum(c => c.Count));
            Assert.Equal(sum, board.Columns.Sum(c => c.Sum ?? 0));
            var firstStage = board.Columns[0];
            Assert.Equal(count, firstStage.Count); // new deals start in the first stage
            Assert.Equal(sum * (firstStage.Column.Probability ?? 0) / 100m, board.Columns.Sum(c => c.Weighted ?? 0));

            // Report aggregates: count and sum grouped by owner.
            var counted = await engine.RunAsync(actor, "opportunity", new ReportSpec { GroupBy = new GroupBySpec("owner"), Measure = new MeasureSpec("count") });
            Assert.Null(counted.Problem);
            Assert.Equal(count, counted.Rows.Sum(r => r.Cells[0].Number ?? 0));
            var summed = await engine.RunAsync(actor, "opportunity", new ReportSpec { GroupBy = new GroupBySpec("owner"), Measure = new MeasureSpec("sum", "amount") });
            Assert.Equal(sum, summed.Rows.Sum(r => r.Cells[0].Number ?? 0));

            // Dashboard widget: the starter dashboard's "open opportunities" KPI (every deal is in the first stage).
            var kpi = await engine.RunAsync(actor, (await reports.GetAsync(actor, "open_opportunity_count"))!);
            Assert.Equal(count, kpi.Kpi?.Value ?? kpi.Rows.Sum(r => r.Cells[0].Number ?? 0));

            // Global search (the total per type too) and lookup candidates.
            var found = await search.SearchAsync(actor, "matrix", perType: 50);
            var dealHits = found.Groups.FirstOrDefault(g => g.Entity.Key == "opportunity");
            Assert.Equal(count, dealHits?.Total ?? 0);
            Same(visible, dealHits?.Hits.Select(h => h.Id) ?? [], u, "search");
            Assert.Equal(1, found.Groups.First(g => g.Entity.Key == "company").Total); // companies are not restricted
            Same(visible, (await directory.SearchRecordsAsync(actor, "opportunity", "matrix", 100)).Select(n => n.Id), u, "lookup candidates");

            // Related-record panel of the company every deal points at.
            var panel = await related.GetAsync(actor, w.CompanyId, take: 50);
            var group = panel.Incoming.FirstOrDefault(g => g.Entity.Key == "opportunity");
            Assert.Equal(count, group?.Count ?? 0);
            Same(visible, group?.Rows.Select(r => r.Id) ?? [], u, "related records");

            // Record by id, its timeline, its activities, and "My tasks" of the plain member.
            foreach (var id in w.Records.Keys)
            {
                var sees = visible.Contains(id);
                Assert.True(sees == (await w.Ws.Records.GetAsync(actor, id) is not null), $"record by id for {u}: {w.Records[id].Name}");
                Assert.True(sees == (await timeline.GetAsync(actor, id)).Entries.Count > 0, $"timeline for {u}: {w.Records[id].Name}");
                Assert.True(sees == (await activities.ListForRecordAsync(actor, id)).Count > 0, $"activities for {u}: {w.Records[id].Name}");
                Assert.True(sees == (await related.GetAsync(actor, id)).Outgoing.Count > 0, $"related panel of the record for {u}: {w.Records[id].Name}");
            }
        }
        // The plain member sees every deal, so every task assigned to them.
        Assert.Equal(Table.Length, (await activities.MyTasksAsync(w[U.Plain])).Count);
    }

    // ---- the write surfaces -------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Single_and_bulk_writes_change_exactly_the_records_the_rules_allow(string provider)
    {
        var w = await BuildAsync(provider);
        await using var _ = w.Ws;
        var bulk = w.Ws.Get<BulkRecordService>();
        var all = w.Records.Keys.ToList();

        foreach (var u in Enum.GetValues<U>())
        {
            var actor = w[u];
            var editable = ExpectedIds(w, u, Op.Edit);
            var readable = ExpectedIds(w, u, Op.Read);

            // Single updates: allowed, refused with a message (readable), or not found (hidden).
            foreach (var id in all)
            {
                var note = $"{u} {Guid.NewGuid():N}";
                if (editable.Contains(id))
                {
                    var ok = await w.Ws.Records.UpdateAsync(actor, id, new RecordInput(new JsonObject { ["next_step"] = note }));
                    Assert.True(ok.Succeeded, $"{u} edits {w.Records[id].Name}: {ok.Errors}");
                }
                else if (readable.Contains(id))
                {
                    var refused = await Assert.ThrowsAsync<ForbiddenException>(() => w.Ws.Records.UpdateAsync(actor, id, new RecordInput(new JsonObject { ["next_step"] = note })));
                    Assert.True(refused.IsRecordScope);
                    Assert.False(string.IsNullOrWhiteSpace(refused.Message));
                }
                else
                {
                    var hidden = await w.Ws.Records.UpdateAsync(actor, id, new RecordInput(new JsonObject { ["next_step"] = note }));
                    Assert.True(hidden.NotFound, $"{u} must not find {w.Records[id].Name}");
                }
            }

            // Bulk update of every deal: only the editable ones change, the others are skipped and counted.
            var stamp = $"bulk {u}";
            var result = await bulk.EditAsync(actor, "opportunity", all, "next_step", JsonValue.Create(stamp));
            Assert.True(result.Succeeded, string.Join("; ", result.RecordErrors.SelectMany(e => e.Messages)));
            Assert.Equal(editable.Count, result.Updated);
            Assert.Equal(all.Count - editable.Count, result.Skipped);
            await using (var db = w.Ws.Database.Factory.CreateForTenant(w.Ws.Tenant.Id))
            {
                var stamped = await db.Records.Where(r => r.EntityTypeId == w.Deals.Entity.Id).ToListAsync();
                Same(editable, stamped.Where(r => RecordWriter.ParseValues(r.Values)["next_step"]?.GetValue<string>() == stamp).Select(r => r.Id), u, "bulk update");
            }
        }

        // Deletes on fresh copies of the table, one set per user and kind of delete.
        foreach (var u in Enum.GetValues<U>())
        {
            var copies = new Dictionary<Guid, Deal>();
            foreach (var d in Table) copies[await CreateAsync(w, d)] = d;
            var bulkCopies = new Dictionary<Guid, Deal>();
            foreach (var d in Table) bulkCopies[await CreateAsync(w, d)] = d;

            foreach (var (id, d) in copies)
                Assert.True((await w.Ws.Records.DeleteAsync(w[u], [id]) == 1) == Expected(u, d, Op.Delete), $"single delete by {u}: {d.Name}");

            var deletable = bulkCopies.Where(c => Expected(u, c.Value, Op.Delete)).Select(c => c.Key).ToHashSet();
            var deleted = await bulk.DeleteAsync(w[u], "opportunity", bulkCopies.Keys.ToList());
            Assert.Equal(new BulkDeleteResult(deletable.Count, Table.Length - deletable.Count), deleted);
            await using var db = w.Ws.Database.Factory.CreateForTenant(w.Ws.Tenant.Id);
            var ids = bulkCopies.Keys.ToList();
            var left = await db.Records.Where(r => ids.Contains(r.Id)).Select(r => r.Id).ToListAsync();
            Same(bulkCopies.Keys.Except(deletable), left, u, "bulk delete");
            await w.Ws.Records.DeleteAsync(w.Ws.Owner, [.. left, .. copies.Keys]);
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_rep_cannot_hand_a_deal_to_someone_outside_their_edit_scope_but_the_manager_can(string provider)
    {
        var w = await BuildAsync(provider);
        await using var _ = w.Ws;
        var mine = w.Records.First(r => r.Value.Name == "matrix a").Key;

        var refused = await Assert.ThrowsAsync<ForbiddenException>(() =>
            w.Ws.Records.UpdateAsync(w[U.RepX], mine, new RecordInput(new JsonObject { ["owner"] = w[U.RepY].UserId.ToString() })));
        Assert.True(refused.IsRecordScope);
        Assert.Equal(w[U.RepX].UserId, (await w.Ws.Records.GetAsync(w.Ws.Owner, mine))!.OwnerId);

        // The manager's scope covers both the rep of X and the rep of X1.
        var moved = await w.Ws.Records.UpdateAsync(w[U.MgrX], mine, new RecordInput(new JsonObject { ["owner"] = w[U.RepX1].UserId.ToString() }));
        Assert.True(moved.Succeeded, moved.Errors.ToString());
        Assert.Null(await w.Ws.Records.GetAsync(w[U.RepX], mine));
        Assert.NotNull(await w.Ws.Records.GetAsync(w[U.RepX1], mine));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Creating_needs_the_roles_create_right(string provider)
    {
        var w = await BuildAsync(provider);
        await using var _ = w.Ws;
        await using (var db = w.Ws.Database.Factory.CreateForTenant(w.Ws.Tenant.Id))
            await db.EntityPermissions.Where(p => p.EntityTypeId == w.Deals.Entity.Id).ExecuteUpdateAsync(s => s.SetProperty(p => p.CanCreate, false));

        var refused = await Assert.ThrowsAsync<ForbiddenException>(() => w.Ws.Records.CreateAsync(w[U.RepX], "opportunity", new RecordInput(new JsonObject { ["name"] = "new", ["amount"] = 1, ["expected_close"] = "2027-01-15", ["company"] = w.CompanyId.ToString() })));
        Assert.Contains(w.Deals.Entity.Label.Get(), refused.Message);
        var plain = await w.Ws.Records.CreateAsync(w[U.Plain], "opportunity", new RecordInput(new JsonObject { ["name"] = "new", ["amount"] = 1, ["expected_close"] = "2027-01-15", ["company"] = w.CompanyId.ToString() }));
        Assert.True(plain.Succeeded, plain.Errors.ToString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Shares_are_added_listed_and_revoked_only_by_those_who_may_edit_the_record(string provider)
    {
        var w = await BuildAsync(provider);
        await using var _ = w.Ws;
        var shares = w.Ws.Get<RecordShareService>();
        var mine = w.Records.First(r => r.Value.Name == "matrix a").Key;

        Assert.Null(await w.Ws.Records.GetAsync(w[U.RepY], mine));
        // The rep of Y cannot even find it; the rep of X shares it with them for reading.
        Assert.Null(await shares.ListAsync(w[U.RepY], mine));
        var added = await shares.ShareAsync(w[U.RepX], mine, new RecordShareInput(w[U.RepY].UserId, null, CanEdit: false));
        Assert.True(added.Succeeded, added.Errors.ToString());
        Assert.NotNull(await w.Ws.Records.GetAsync(w[U.RepY], mine));
        // Read only: the rep of Y may not edit it, nor share it further.
        await Assert.ThrowsAsync<ForbiddenException>(() => w.Ws.Records.UpdateAsync(w[U.RepY], mine, new RecordInput(new JsonObject { ["next_step"] = "x" })));
        await Assert.ThrowsAsync<ForbiddenException>(() => shares.ShareAsync(w[U.RepY], mine, new RecordShareInput(w[U.RepX1].UserId, null, false)));

        // Sharing again changes the level: now the rep of Y may edit.
        var again = await shares.ShareAsync(w[U.RepX], mine, new RecordShareInput(w[U.RepY].UserId, null, CanEdit: true));
        Assert.Equal(added.Share!.Id, again.Share!.Id);
        Assert.True((await w.Ws.Records.UpdateAsync(w[U.RepY], mine, new RecordInput(new JsonObject { ["next_step"] = "shared edit" }))).Succeeded);
        var listed = Assert.Single((await shares.ListAsync(w[U.RepX], mine))!);
        Assert.True(listed.CanEdit);
        Assert.Equal(w[U.RepY].UserId, listed.UserId);

        // Bad input names the field.
        var neither = await shares.ShareAsync(w[U.RepX], mine, new RecordShareInput(null, null, false));
        Assert.NotEmpty(neither.Errors.For(RecordShareService.UserField));
        var stranger = await shares.ShareAsync(w[U.RepX], mine, new RecordShareInput(Guid.NewGuid(), null, false));
        Assert.NotEmpty(stranger.Errors.For(RecordShareService.UserField));
        var nowhere = await shares.ShareAsync(w[U.RepX], mine, new RecordShareInput(null, Guid.NewGuid(), false));
        Assert.NotEmpty(nowhere.Errors.For(RecordShareService.DepartmentField));

        Assert.True(await shares.RevokeAsync(w[U.Admin], mine, listed.Id));
        Assert.Null(await w.Ws.Records.GetAsync(w[U.RepY], mine));
        Assert.False(await shares.RevokeAsync(w[U.RepX], mine, listed.Id));
    }
}
