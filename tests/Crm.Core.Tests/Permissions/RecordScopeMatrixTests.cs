using System.Text.Json.Nodes;
using Crm.Core.Activities;
using Crm.Core.Automation;
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
/// The generated matrix of issue 12 ("Done when", first point): departments X (with sub-department X1) and Y; in X
/// one member per data scope — Own (own records, plus those naming them in the "helper" member field), Dept (own +
/// department), Tree (own + department and sub-departments; deletes only their own) and AllX (all records) — a rep
/// of X1 and a rep of Y (own), a member without custom roles and an admin. Every custom role hides 成本价
/// (cost_price, money) and makes the amount read-only. Deals are owned across them, one shared with a user (read),
/// one shared with department X1 (edit). Every surface × every user is compared with <see cref="Expected"/> and
/// <see cref="Restricted"/>, hand-written rules over the ownership table that do not call the production predicate.
/// </summary>
public class RecordScopeMatrixTests
{
    private enum U { Own, Dept, Tree, AllX, RepX1, RepY, Plain, Admin }
    private enum Op { Read, Edit, Delete }

    /// <summary>One deal of the ownership table.</summary>
    private sealed record Deal(string Name, U Owner, decimal Amount, U? Helper = null, U? SharedWith = null, bool SharedWithX1 = false, bool ShareEdits = false)
    {
        public decimal Cost => Amount / 2;
    }

    private static readonly Deal[] Table =
    [
        new("matrix a", U.Own, 100),
        new("matrix b", U.Own, 200),
        new("matrix c", U.Tree, 300),
        new("matrix d", U.RepX1, 400),
        new("matrix e", U.RepY, 500),
        new("matrix f", U.RepY, 600, Helper: U.Own),
        new("matrix g", U.Admin, 700, SharedWith: U.RepY),
        new("matrix h", U.Admin, 800, SharedWithX1: true, ShareEdits: true),
        new("matrix i", U.Plain, 900),
        new("matrix j", U.Dept, 1000),
        new("matrix k", U.AllX, 1100),
    ];

    // ---- the expectation, by hand: who is where, what each role reaches ------------------------------------

    private static readonly Dictionary<U, string[]> DepartmentsOf = new()
    {
        [U.Own] = ["X"], [U.Dept] = ["X"], [U.Tree] = ["X"], [U.AllX] = ["X"], [U.RepX1] = ["X1"], [U.RepY] = ["Y"], [U.Plain] = [], [U.Admin] = [],
    };

    /// <summary>The members of department X, and of X with its sub-department X1, written out.</summary>
    private static readonly U[] MembersOfX = [U.Own, U.Dept, U.Tree, U.AllX];
    private static readonly U[] MembersOfXTree = [U.Own, U.Dept, U.Tree, U.AllX, U.RepX1];

    /// <summary>Users with the "own" rep role (the only role that names "helper" as an owner field).</summary>
    private static bool IsRep(U u) => u is U.Own or U.RepX1 or U.RepY;

    /// <summary>Users whose custom role restricts deals: cost_price hidden, amount read-only.</summary>
    private static bool Restricted(U u) => u is not (U.Plain or U.Admin);

    /// <summary>The people whose deals count as "own" for <paramref name="u"/> under the role's scope for <paramref name="op"/>; null: all.</summary>
    private static HashSet<U>? Owners(U u, Op op) => u switch
    {
        U.Plain or U.Admin or U.AllX => null,
        U.Dept => [.. MembersOfX],
        U.Tree => op == Op.Delete ? [U.Tree] : [.. MembersOfXTree],
        _ => [u],
    };

    private static bool Expected(U u, Deal d, Op op)
    {
        if (Owners(u, op) is not { } owners) return true;  // admins; members whose roles say nothing; the "all" role
        if (owners.Contains(d.Owner)) return true;
        if (IsRep(u) && d.Helper is { } h && owners.Contains(h)) return true;
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

        var actors = new Dictionary<U, Actor>();
        foreach (var u in Enum.GetValues<U>()) actors[u] = await ws.MemberAsync(u == U.Admin ? MemberRole.Admin : MemberRole.Member);
        var metadata = await ws.MetadataAsync();
        var deals = metadata.Entity("opportunity")!;

        Dictionary<string, Guid> departments;
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var x = new Department { Name = "X" };
            var x1 = new Department { Name = "X1", ParentId = x.Id };
            var y = new Department { Name = "Y" };
            departments = new() { ["X"] = x.Id, ["X1"] = x1.Id, ["Y"] = y.Id };
            db.AddRange(x, y);
            await db.SaveChangesAsync();
            db.Add(x1);
            foreach (var (u, names) in DepartmentsOf)
                foreach (var name in names)
                    db.Add(new DepartmentMember { DepartmentId = departments[name], UserId = actors[u].UserId, IsLeader = u == U.Tree });
            var fields = new Dictionary<string, FieldAccessLevel> { ["cost_price"] = FieldAccessLevel.Hidden, ["amount"] = FieldAccessLevel.ReadOnly };
            void Role(string key, DataScope read, DataScope edit, DataScope delete, string[] ownerFields, params U[] holders)
            {
                var role = new RoleDefinition { Key = key, Label = LocalizedText.Same(key) };
                db.Add(role);
                db.Add(new EntityPermission { RoleId = role.Id, EntityTypeId = deals.Entity.Id, Read = read, Edit = edit, Delete = delete, OwnerFieldKeys = [.. ownerFields], Fields = new(fields) });
                foreach (var u in holders) db.Add(new MemberRoleAssignment { UserId = actors[u].UserId, RoleId = role.Id });
            }
            Role("rep", DataScope.Own, DataScope.Own, DataScope.Own, ["helper"], U.Own, U.RepX1, U.RepY);
            Role("dept", DataScope.OwnAndDepartment, DataScope.OwnAndDepartment, DataScope.OwnAndDepartment, [], U.Dept);
            Role("manager", DataScope.OwnAndDepartmentTree, DataScope.OwnAndDepartmentTree, DataScope.Own, [], U.Tree);
            Role("all", DataScope.All, DataScope.All, DataScope.All, [], U.AllX);
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
            ["name"] = d.Name, ["amount"] = d.Amount, ["cost_price"] = d.Cost, ["owner"] = w[d.Owner].UserId.ToString(), ["company"] = w.CompanyId.ToString(), ["expected_close"] = "2027-01-15",
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

        // The workspace owner changes every deal's cost price: a change entry that restricted users must not see.
        foreach (var (id, d) in w.Records)
            Assert.True((await w.Ws.Records.UpdateAsync(w.Ws.Owner, id, new RecordInput(new JsonObject { ["cost_price"] = d.Cost + 1 }))).Succeeded);
        var resolver = w.Ws.Get<IAccessResolver>();

        foreach (var u in Enum.GetValues<U>())
        {
            var actor = w[u];
            var visible = ExpectedIds(w, u, Op.Read);
            var seesCost = !Restricted(u);
            var fields = await resolver.FieldViewAsync(actor, w.Deals);
            Assert.Equal(seesCost, fields.CanSee("cost_price"));
            Assert.Equal(seesCost, fields.CanWrite("amount"));
            Assert.True(fields.CanSee("amount"));
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
            // No cost price in list rows; a view filtering or sorting on it is dropped for those who may not see it
            // (else the filter would tell them the hidden values).
            Assert.All(list.Items, i => Assert.Equal(seesCost, i.Values.ContainsKey("cost_price")));
            Assert.All(list.Items, i => Assert.Equal(i.Values["amount"]!.GetValue<decimal>(), w.Records[i.Id].Amount));
            var probing = await lists.QueryAsync(actor, "opportunity", RecordQuery.From(new ViewDefinition
            {
                Filters = [new FilterSpec("cost_price", "gte", JsonValue.Create(500))], Sort = [new SortSpec("cost_price")], PageSize = 100,
            }));
            var costly = visible.Where(id => w.Records[id].Cost + 1 >= 500).ToHashSet();
            Same(seesCost ? costly : visible, probing.Items.Select(i => i.Id), u, "view filtered on the hidden field");

            // Board: cards, column counts, sums and weighted sums only of visible deals.
            var board = (await boards.LoadAsync(actor, new BoardRequest("opportunity") { PageSize = 100 }))!;
            Same(visible, board.Columns.SelectMany(c => c.Cards).Select(c => c.Id), u, "board cards");
            Assert.All(board.Columns.SelectMany(c => c.Cards), c => Assert.Equal(seesCost, c.Values.ContainsKey("cost_price")));
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
            // Per owner too: each row is the hand-computed sum of that owner's visible deals.
            foreach (var row in summed.Rows)
                Assert.Equal(w.Records.Where(r => visible.Contains(r.Key) && w[r.Value.Owner].UserId.ToString() == row.Key).Sum(r => r.Value.Amount), (decimal)(row.Cells[0].Number ?? 0));
            // The builder offers measures and groupings from the actor's field view: never the hidden cost price.
            Assert.Equal(seesCost, ReportService.NumericFields(w.Deals).Where(f => fields.CanSee(f.Key)).Any(f => f.Key == "cost_price"));
            Assert.Contains(ReportService.NumericFields(w.Deals).Where(f => fields.CanSee(f.Key)), f => f.Key == "amount");

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
                var entries = (await timeline.GetAsync(actor, id)).Entries;
                Assert.True(sees == entries.Count > 0, $"timeline for {u}: {w.Records[id].Name}");
                if (sees)
                    Assert.True(seesCost == entries.SelectMany(e => e.Changes).Any(c => c.FieldKey == "cost_price"), $"cost price in the timeline for {u}: {w.Records[id].Name}");
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
    public async Task The_read_only_amount_and_the_hidden_cost_price_are_refused_on_every_write_path(string provider)
    {
        var w = await BuildAsync(provider);
        await using var _ = w.Ws;
        var bulk = w.Ws.Get<BulkRecordService>();

        foreach (var u in Enum.GetValues<U>())
        {
            var actor = w[u];
            var mine = w.Records.First(r => Expected(u, r.Value, Op.Edit)).Key;
            var deal = w.Records[mine];

            // Form save (and the API, which uses the same service): each refused, naming the field; nothing written.
            var amount = await w.Ws.Records.UpdateAsync(actor, mine, new RecordInput(new JsonObject { ["amount"] = deal.Amount + 1, ["next_step"] = "x" }));
            var cost = await w.Ws.Records.UpdateAsync(actor, mine, new RecordInput(new JsonObject { ["cost_price"] = 1 }));
            Assert.Equal(!Restricted(u), amount.Succeeded);
            Assert.Equal(!Restricted(u), cost.Succeeded);
            if (Restricted(u))
            {
                Assert.NotEmpty(amount.Errors.For("amount"));
                Assert.NotEmpty(cost.Errors.For("cost_price"));
                // The unchanged read-only value is accepted (clients echo what they read).
                Assert.True((await w.Ws.Records.UpdateAsync(actor, mine, new RecordInput(new JsonObject { ["amount"] = deal.Amount, ["next_step"] = "echo" }))).Succeeded);
                // Creating with a value for either is refused as well.
                var created = await w.Ws.Records.CreateAsync(actor, "opportunity", new RecordInput(new JsonObject
                {
                    ["name"] = "new " + u, ["amount"] = 5, ["cost_price"] = 3, ["expected_close"] = "2027-01-15", ["company"] = w.CompanyId.ToString(),
                }));
                Assert.False(created.Succeeded);
                Assert.NotEmpty(created.Errors.For("cost_price"));
                // Bulk edit refuses the whole request.
                foreach (var key in new[] { "amount", "cost_price" })
                {
                    var refused = await bulk.EditAsync(actor, "opportunity", [.. w.Records.Keys], key, JsonValue.Create(1));
                    Assert.False(refused.Succeeded);
                    Assert.Equal(0, refused.Updated);
                    Assert.NotNull(refused.Error);
                }
                Assert.DoesNotContain(BulkRecordService.EditableFields(await w.Ws.Get<IAccessResolver>().FieldViewAsync(actor, w.Deals)), f => f.Key is "amount" or "cost_price");
            }
            var stored = RecordWriter.ParseValues((await w.Ws.Records.GetAsync(w.Ws.Owner, mine))!.Values);
            Assert.Equal(Restricted(u) ? deal.Amount : deal.Amount + 1, stored["amount"]!.GetValue<decimal>());
            Assert.Equal(Restricted(u) ? deal.Cost : 1, stored["cost_price"]!.GetValue<decimal>());
            // Put the values back for the next user.
            Assert.True((await w.Ws.Records.UpdateAsync(w.Ws.Owner, mine, new RecordInput(new JsonObject { ["amount"] = deal.Amount, ["cost_price"] = deal.Cost }))).Succeeded);
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_manual_rule_started_by_a_user_acts_only_on_the_records_they_may_edit(string provider)
    {
        var w = await BuildAsync(provider);
        await using var _ = w.Ws;
        var engine = w.Ws.Get<AutomationEngine>();
        var all = w.Records.Keys.ToList();

        foreach (var u in Enum.GetValues<U>())
        {
            var stamp = "rule " + u;
            var (rule, errors) = await w.Ws.Get<AutomationRuleService>().SaveAsync(w.Ws.Owner, new AutomationRule
            {
                EntityTypeId = w.Deals.Entity.Id, Name = new(stamp, stamp), Trigger = new RuleTrigger { Kind = TriggerKinds.Manual },
                Conditions = new RuleConditions(), Actions = [new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["competitor"] = stamp } }],
            });
            Assert.True(errors.IsEmpty, errors.ToString());

            var editable = ExpectedIds(w, u, Op.Edit);
            Assert.Equal(editable.Count, (await engine.RunManualAsync(w[u], rule!.Id, [.. all, w.CompanyId])).Matched);
            await using var db = w.Ws.Database.Factory.CreateForTenant(w.Ws.Tenant.Id);
            var stamped = (await db.Records.AsNoTracking().Where(r => r.EntityTypeId == w.Deals.Entity.Id).ToListAsync())
                .Where(r => RecordWriter.ParseValues(r.Values)["competitor"]?.GetValue<string>() == stamp).Select(r => r.Id);
            Same(editable, stamped, u, "manual rule");
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
            w.Ws.Records.UpdateAsync(w[U.Own], mine, new RecordInput(new JsonObject { ["owner"] = w[U.RepY].UserId.ToString() })));
        Assert.True(refused.IsRecordScope);
        Assert.Equal(w[U.Own].UserId, (await w.Ws.Records.GetAsync(w.Ws.Owner, mine))!.OwnerId);

        // The manager's scope covers both the rep of X and the rep of X1.
        var moved = await w.Ws.Records.UpdateAsync(w[U.Tree], mine, new RecordInput(new JsonObject { ["owner"] = w[U.RepX1].UserId.ToString() }));
        Assert.True(moved.Succeeded, moved.Errors.ToString());
        Assert.Null(await w.Ws.Records.GetAsync(w[U.Own], mine));
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

        var refused = await Assert.ThrowsAsync<ForbiddenException>(() => w.Ws.Records.CreateAsync(w[U.Own], "opportunity", new RecordInput(new JsonObject { ["name"] = "new", ["amount"] = 1, ["expected_close"] = "2027-01-15", ["company"] = w.CompanyId.ToString() })));
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
        var added = await shares.ShareAsync(w[U.Own], mine, new RecordShareInput(w[U.RepY].UserId, null, CanEdit: false));
        Assert.True(added.Succeeded, added.Errors.ToString());
        Assert.NotNull(await w.Ws.Records.GetAsync(w[U.RepY], mine));
        // Read only: the rep of Y may not edit it, nor share it further.
        await Assert.ThrowsAsync<ForbiddenException>(() => w.Ws.Records.UpdateAsync(w[U.RepY], mine, new RecordInput(new JsonObject { ["next_step"] = "x" })));
        await Assert.ThrowsAsync<ForbiddenException>(() => shares.ShareAsync(w[U.RepY], mine, new RecordShareInput(w[U.RepX1].UserId, null, false)));

        // Sharing again changes the level: now the rep of Y may edit.
        var again = await shares.ShareAsync(w[U.Own], mine, new RecordShareInput(w[U.RepY].UserId, null, CanEdit: true));
        Assert.Equal(added.Share!.Id, again.Share!.Id);
        Assert.True((await w.Ws.Records.UpdateAsync(w[U.RepY], mine, new RecordInput(new JsonObject { ["next_step"] = "shared edit" }))).Succeeded);
        var listed = Assert.Single((await shares.ListAsync(w[U.Own], mine))!);
        Assert.True(listed.CanEdit);
        Assert.Equal(w[U.RepY].UserId, listed.UserId);

        // Bad input names the field.
        var neither = await shares.ShareAsync(w[U.Own], mine, new RecordShareInput(null, null, false));
        Assert.NotEmpty(neither.Errors.For(RecordShareService.UserField));
        var stranger = await shares.ShareAsync(w[U.Own], mine, new RecordShareInput(Guid.NewGuid(), null, false));
        Assert.NotEmpty(stranger.Errors.For(RecordShareService.UserField));
        var nowhere = await shares.ShareAsync(w[U.Own], mine, new RecordShareInput(null, Guid.NewGuid(), false));
        Assert.NotEmpty(nowhere.Errors.For(RecordShareService.DepartmentField));

        Assert.True(await shares.RevokeAsync(w[U.Admin], mine, listed.Id));
        Assert.Null(await w.Ws.Records.GetAsync(w[U.RepY], mine));
        Assert.False(await shares.RevokeAsync(w[U.Own], mine, listed.Id));
    }
}
