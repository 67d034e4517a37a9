using System.Text.Json.Nodes;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Lists;

/// <summary>Bulk edit goes through the record writer for every record, all or nothing; bulk delete stays inside one type.</summary>
public class BulkRecordServiceTests
{
    // Messages name fields in the UI language: English here.
    public BulkRecordServiceTests() => System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("en");

    private static async Task<(Workspace Ws, EntityMeta Entity, List<Record> All)> OpportunitiesAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var entity = (await ws.MetadataAsync()).Entity("opportunity")!;
        return (ws, entity, await LoadAsync(ws, entity));
    }

    private static async Task<List<Record>> LoadAsync(Workspace ws, EntityMeta entity)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id).OrderBy(r => r.Title).ToListAsync();
    }

    private static string? S(Record r, string key) => RecordWriter.ParseValues(r.Values)[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Bulk_edit_changes_every_selected_record_with_its_timeline_and_transitions(string provider)
    {
        var (ws, entity, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        var chosen = all.Where(r => S(r, "stage") is "identify" or "first_contact" && r.PipelineId == entity.Pipeline("b2b")!.Pipeline.Id).Take(4).ToList();
        Assert.Equal(4, chosen.Count);
        var events = new List<RecordEvent>();
        int ChangesOf(Crm.Core.Data.CrmDbContext db, List<Guid> ids) => db.RecordChanges.Count(c => ids.Contains(c.RecordId) && c.Kind == RecordChangeKind.Updated);
        int changesBefore;
        await using (var db0 = ws.Database.Factory.CreateForTenant(ws.Tenant.Id)) changesBefore = ChangesOf(db0, chosen.Select(c => c.Id).ToList());
        using var subscription = ws.Get<RecordEvents>().Subscribe(ws.Tenant.Id, events.Add);

        var source = await ws.Get<BulkRecordService>().EditAsync(ws.Owner, "opportunity", chosen.Select(r => r.Id).ToList(), "source", JsonValue.Create("event"));
        Assert.True(source.Succeeded, source.Error);
        Assert.Equal(4, source.Updated);
        var stage = await ws.Get<BulkRecordService>().EditAsync(ws.Owner, "opportunity", chosen.Select(r => r.Id).ToList(), "stage", JsonValue.Create("proposal"));
        Assert.True(stage.Succeeded);

        var after = await LoadAsync(ws, entity);
        var proposal = entity.Pipeline("b2b")!.Stage("proposal")!.Id;
        foreach (var before in chosen)
        {
            var now = after.Single(r => r.Id == before.Id);
            Assert.Equal("event", S(now, "source"));
            Assert.Equal(proposal, now.StageId);
            Assert.Equal(before.Version + 2, now.Version);
        }
        // Records not chosen keep their values.
        Assert.All(after.Where(r => chosen.All(c => c.Id != r.Id)), r => Assert.Equal(all.Single(a => a.Id == r.Id).Version, r.Version));

        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var ids = chosen.Select(c => c.Id).ToList();
        Assert.Equal(4, await db.Transitions.CountAsync(t => ids.Contains(t.RecordId) && t.ToId == proposal));
        var changes = await db.RecordChanges.Where(c => ids.Contains(c.RecordId) && c.Kind == RecordChangeKind.Updated).ToListAsync();
        Assert.Equal(changesBefore + 8, changes.Count);
        Assert.Contains(changes, c => c.Changes.Contains("\"source\"") && c.Changes.Contains("\"event\""));
        Assert.Equal(8, events.Count(e => e.Kind == RecordEventKind.Updated));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task One_refused_record_stops_them_all_and_each_refusal_is_listed(string provider)
    {
        var (ws, entity, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        // "after_sales" is a stage of the b2b pipeline only: records in the demo & quote pipeline refuse it.
        var b2b = all.Where(r => r.PipelineId == entity.Pipeline("b2b")!.Pipeline.Id && S(r, "stage") == "identify").Take(2).ToList();
        var demo = all.Where(r => r.PipelineId == entity.Pipeline("demo_quote")!.Pipeline.Id).Take(2).ToList();
        var chosen = b2b.Concat(demo).ToList();

        var result = await ws.Get<BulkRecordService>().EditAsync(ws.Owner, "opportunity", chosen.Select(r => r.Id).ToList(), "stage", JsonValue.Create("after_sales"));

        Assert.False(result.Succeeded);
        Assert.Equal(0, result.Updated);
        Assert.Null(result.Error);
        Assert.Equal(demo.Select(r => r.Id).Order(), result.RecordErrors.Select(e => e.RecordId).Order());
        Assert.All(result.RecordErrors, e =>
        {
            Assert.Equal(demo.Single(r => r.Id == e.RecordId).Title, e.Title);
            Assert.Contains("Stage", Assert.Single(e.Messages));
        });
        var after = await LoadAsync(ws, entity);
        Assert.All(chosen, r => Assert.Equal(r.Version, after.Single(a => a.Id == r.Id).Version));
        Assert.All(b2b, r => Assert.Equal("identify", S(after.Single(a => a.Id == r.Id), "stage")));
        Assert.All(chosen, r => Assert.Equal(r.UpdatedAt, after.Single(a => a.Id == r.Id).UpdatedAt));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Clearing_a_required_field_is_refused_for_every_record(string provider)
    {
        var (ws, _, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        var chosen = all.Take(3).Select(r => r.Id).ToList();
        var result = await ws.Get<BulkRecordService>().EditAsync(ws.Owner, "opportunity", chosen, "amount", null);
        Assert.Equal(3, result.RecordErrors.Count);
        Assert.All(result.RecordErrors, e => Assert.Equal("Amount is required.", Assert.Single(e.Messages)));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Fields_that_cannot_be_bulk_edited_are_refused_before_anything_runs(string provider)
    {
        var (ws, entity, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        var bulk = ws.Get<BulkRecordService>();
        var ids = all.Take(2).Select(r => r.Id).ToList();

        Assert.Contains("weighted_amount", (await bulk.EditAsync(ws.Owner, "opportunity", ids, "weighted_amount", JsonValue.Create(5))).Error);
        Assert.Contains("nope", (await bulk.EditAsync(ws.Owner, "opportunity", ids, "nope", JsonValue.Create(5))).Error);
        Assert.DoesNotContain(BulkRecordService.EditableFields(entity), f => f.Key is "code" or "weighted_amount");

        var companies = (await ws.MetadataAsync()).Entity("company")!;
        Assert.DoesNotContain(BulkRecordService.EditableFields(companies), f => f.Key == "name"); // unique
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var twoCompanies = await db.Records.Where(r => r.EntityTypeId == companies.Entity.Id).Select(r => r.Id).Take(2).ToListAsync();
        var unique = await bulk.EditAsync(ws.Owner, "company", twoCompanies, "name", JsonValue.Create("Same Name Ltd"));
        Assert.False(unique.Succeeded);
        Assert.Contains("several records", unique.Error);
        Assert.Equal(0, await db.Records.CountAsync(r => r.Title == "Same Name Ltd"));

        Assert.Contains("500", (await bulk.EditAsync(ws.Owner, "opportunity", Enumerable.Range(0, 501).Select(_ => Guid.NewGuid()).ToList(), "source", JsonValue.Create("event"))).Error);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_viewer_cannot_bulk_edit_or_delete(string provider)
    {
        var (ws, entity, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        var viewer = await ws.MemberAsync(MemberRole.Viewer);
        var ids = all.Take(2).Select(r => r.Id).ToList();
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<BulkRecordService>().EditAsync(viewer, "opportunity", ids, "source", JsonValue.Create("event")));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<BulkRecordService>().DeleteAsync(viewer, "opportunity", ids));
        Assert.Equal(35, (await LoadAsync(ws, entity)).Count);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Bulk_delete_removes_only_the_selected_records_of_that_type_in_this_workspace(string provider)
    {
        var (ws, entity, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        var (other, otherEntity, theirs) = await OpportunitiesAsync(provider);
        await using var __ = other;
        var companies = (await ws.MetadataAsync()).Entity("company")!;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var aCompany = await db.Records.Where(r => r.EntityTypeId == companies.Entity.Id).Select(r => r.Id).FirstAsync();

        var doomed = all.Take(3).Select(r => r.Id).ToList();
        var asked = doomed.Append(theirs[0].Id).Append(aCompany).ToList();
        var deleted = await ws.Get<BulkRecordService>().DeleteAsync(ws.Owner, "opportunity", asked);

        Assert.Equal(new BulkDeleteResult(3, 0), deleted);
        var left = await LoadAsync(ws, entity);
        Assert.Equal(32, left.Count);
        Assert.DoesNotContain(left, r => doomed.Contains(r.Id));
        Assert.True(await db.Records.AnyAsync(r => r.Id == aCompany));
        Assert.Equal(35, (await LoadAsync(other, otherEntity)).Count);
        Assert.Equal(0, await db.Transitions.CountAsync(t => doomed.Contains(t.RecordId)));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Records_of_another_workspace_are_never_edited(string provider)
    {
        var (ws, _, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        var (other, otherEntity, theirs) = await OpportunitiesAsync(provider);
        await using var __ = other;

        var result = await ws.Get<BulkRecordService>().EditAsync(ws.Owner, "opportunity", [theirs[0].Id, all[0].Id], "next_step", JsonValue.Create("Call back"));
        Assert.True(result.Succeeded);
        Assert.Equal(1, result.Updated);
        var untouched = (await LoadAsync(other, otherEntity)).Single(r => r.Id == theirs[0].Id);
        Assert.Equal(theirs[0].Version, untouched.Version);
        Assert.NotEqual("Call back", S(untouched, "next_step"));
    }
}
