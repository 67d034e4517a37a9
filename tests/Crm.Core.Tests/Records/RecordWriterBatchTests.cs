using System.Text.Json.Nodes;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Tests.Records;

/// <summary>
/// The batch path of <see cref="RecordWriter"/> with <see cref="RecordWriter.StageNewRows"/> (what an import uses):
/// new records, timeline entries and transitions are held in lists and written set-wise (COPY on PostgreSQL) instead
/// of through the change tracker. What it stores must be what the tracked path stores, row for row.
/// </summary>
public class RecordWriterBatchTests
{
    private static readonly DateTime At = new(2027, 1, 4, 8, 0, 0, DateTimeKind.Utc);

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Staged_new_rows_are_the_rows_the_tracked_path_writes(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("leads_opportunities");
        var company = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "客户" }));
        Assert.True(company.Succeeded, company.Errors.ToString());
        var toUpdate = new List<Guid>();
        foreach (var name in new[] { "旧线索甲", "旧线索乙" })
        {
            var lead = await ws.Records.CreateAsync(ws.Owner, "lead", new RecordInput(new JsonObject { ["name"] = name, ["source"] = "website", ["lead_status"] = "new_lead" }));
            Assert.True(lead.Succeeded, lead.Errors.ToString());
            toUpdate.Add(lead.Record!.Id);
        }

        var tracked = await WriteAsync(ws, staged: false, "甲", company.Record!.Id, toUpdate[0]);
        var staged = await WriteAsync(ws, staged: true, "乙", company.Record!.Id, toUpdate[1]);

        var metadata = await ws.MetadataAsync();
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var transitions = 0;
        for (var i = 0; i < tracked.Count; i++)
        {
            var (a, b) = (await db.Records.AsNoTracking().SingleAsync(r => r.Id == tracked[i]), await db.Records.AsNoTracking().SingleAsync(r => r.Id == staged[i]));
            Assert.Equal(a.Title.Replace('甲', '乙'), b.Title);
            Assert.Equal((a.TenantId, a.EntityTypeId, a.OwnerId, a.StatusOptionId, a.PipelineId, a.StageId, a.Amount, a.CloseDate),
                (b.TenantId, b.EntityTypeId, b.OwnerId, b.StatusOptionId, b.PipelineId, b.StageId, b.Amount, b.CloseDate));
            Assert.Equal((a.Version, a.CreatedBy, a.UpdatedBy, a.UpdatedAt, a.StageEnteredAt, a.StatusChangedAt), (b.Version, b.CreatedBy, b.UpdatedBy, b.UpdatedAt, b.StageEnteredAt, b.StatusChangedAt));
            Assert.Equal(Normalise(a.Values), Normalise(b.Values));
            // The search text, with the auto-number (one counter for both runs: the later run's is the next) made alike.
            var (codeA, codeB) = (RecordWriter.ParseValues(a.Values)["code"]?.GetValue<string>(), RecordWriter.ParseValues(b.Values)["code"]?.GetValue<string>());
            Assert.Equal(codeA is null, codeB is null);
            Assert.Equal(codeA is null ? a.SearchText.Replace('甲', '乙') : a.SearchText.Replace('甲', '乙').Replace(codeA.ToLowerInvariant(), codeB!.ToLowerInvariant()), b.SearchText);
            // The typed index copies (slots), but the auto-number's.
            var numberSlot = metadata.Entity(a.EntityTypeId)!.Field("code")?.IndexSlot;
            foreach (var slot in IndexSlots.All.Where(s => s != numberSlot))
                Assert.Equal(IndexSlots.Get(a, slot) is string text ? text.Replace('甲', '乙') : IndexSlots.Get(a, slot), IndexSlots.Get(b, slot));
            Assert.Contains(IndexSlots.All, slot => IndexSlots.Get(b, slot) is not null);

            // The timeline: the same entries, the same fields changed from and to the same values.
            var (ca, cb) = (await db.RecordChanges.AsNoTracking().Where(c => c.RecordId == a.Id).OrderBy(c => c.At).ThenBy(c => c.Kind).ToListAsync(),
                await db.RecordChanges.AsNoTracking().Where(c => c.RecordId == b.Id).OrderBy(c => c.At).ThenBy(c => c.Kind).ToListAsync());
            Assert.NotEmpty(ca);
            // (The two updated leads were created by the form a moment apart: entries from before the batch differ in time only.)
            Assert.Equal(ca.Select(c => (c.TenantId, c.Kind, c.At == At, c.ByUserId, c.Reason)), cb.Select(c => (c.TenantId, c.Kind, c.At == At, c.ByUserId, c.Reason)));
            Assert.Contains(cb, c => c.At == At);
            Assert.Equal(ca.Select(c => NormaliseChanges(c.Changes)), cb.Select(c => NormaliseChanges(c.Changes)));

            // Stage and status transitions: the same moves.
            var (ta, tb) = (await db.Transitions.AsNoTracking().Where(x => x.RecordId == a.Id).OrderBy(x => x.At).ThenBy(x => x.Kind).ToListAsync(),
                await db.Transitions.AsNoTracking().Where(x => x.RecordId == b.Id).OrderBy(x => x.At).ThenBy(x => x.Kind).ToListAsync());
            Assert.Equal(ta.Select(x => (x.TenantId, x.EntityTypeId, x.Kind, x.PipelineId, x.FromId, x.ToId, x.At == At, x.ByUserId, x.Amount, x.SecondsInFrom is null)),
                tb.Select(x => (x.TenantId, x.EntityTypeId, x.Kind, x.PipelineId, x.FromId, x.ToId, x.At == At, x.ByUserId, x.Amount, x.SecondsInFrom is null)));
            Assert.All(ta.Zip(tb), p => Assert.True(Math.Abs((p.First.SecondsInFrom ?? 0) - (p.Second.SecondsInFrom ?? 0)) <= 5));
            transitions += ta.Count;
        }
        // A lead's status, a deal's stage, and the updated lead's new status: the comparison compared something.
        Assert.True(transitions >= 3, $"only {transitions} transitions");
        Assert.Equal(2, (await db.Records.AsNoTracking().SingleAsync(r => r.Id == toUpdate[1])).Version);
    }

    [Fact]
    public void The_timeline_changes_are_written_as_the_serializer_writes_them()
    {
        List<FieldChange>[] cases =
        [
            [],
            [new FieldChange("name", null, JsonValue.Create("王一 <b>\"引号\"</b> & ' \\ \n 😀"))],
            [new FieldChange("amount", JsonValue.Create(12.5m), JsonValue.Create(1e21)), new FieldChange("owner", JsonValue.Create(Guid.Empty.ToString()), null)],
            [new FieldChange("tags", new JsonArray("甲", 1, true, null), new JsonObject { ["a"] = new JsonArray(), ["b"] = null, ["c"] = "¥1,000 万" })],
            [new FieldChange("flag", JsonValue.Create(false), JsonValue.Create(true)), new FieldChange("n", JsonValue.Create(-0.0001), JsonValue.Create(long.MaxValue))],
        ];
        foreach (var changes in cases)
            Assert.Equal(Crm.Core.Json.Serialize(changes), RecordWriter.SerializeChanges(changes));
        // Parsed from stored JSON, as a rewrite's values are.
        var parsed = RecordWriter.ParseValues("{\"x\":{\"y\":[1,2.50,\"\\u00e9\"]},\"z\":\"\\u4e2d\"}");
        List<FieldChange> fromJson = [new("x", parsed["x"]!.DeepClone(), parsed["z"]!.DeepClone())];
        Assert.Equal(Crm.Core.Json.Serialize(fromJson), RecordWriter.SerializeChanges(fromJson));
    }

    /// <summary>Three new records (a lead, a company with an auto-number, a deal in a pipeline) and one update, in one batch.</summary>
    private static async Task<List<Guid>> WriteAsync(Workspace ws, bool staged, string suffix, Guid companyId, Guid leadToUpdate)
    {
        var metadata = await ws.MetadataAsync();
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var writer = new RecordWriter(db, metadata, ws.Owner, ws.Get<IStringLocalizer<CoreStrings>>(), TimeProvider.System) { StageNewRows = staged };
        var drafts = new List<RecordDraft>
        {
            await writer.PrepareCreateAsync("lead", new RecordInput(new JsonObject { ["name"] = "线索" + suffix, ["source"] = "website", ["lead_status"] = "contacted" }) { AsOf = At }),
            await writer.PrepareCreateAsync("company", new RecordInput(new JsonObject { ["name"] = "公司" + suffix, ["city"] = "上海" }) { AsOf = At }),
            await writer.PrepareCreateAsync("opportunity", new RecordInput(new JsonObject
            {
                ["name"] = "商机" + suffix, ["company"] = companyId.ToString(), ["amount"] = 1000, ["expected_close"] = "2027-03-31", ["owner"] = ws.Owner.UserId.ToString(),
            }) { AsOf = At }),
            await writer.PrepareUpdateAsync(leadToUpdate, new RecordInput(new JsonObject { ["lead_status"] = "qualified" }) { AsOf = At }),
        };
        foreach (var draft in drafts) Assert.True(draft.Succeeded, draft.Errors.ToString());
        await using var tx = await db.Database.BeginTransactionAsync();
        var results = await writer.ApplyManyAsync(drafts);
        // Staged: the new records and their history are not in the change tracker; tracked: they are.
        Assert.Equal(staged ? 0 : 3, db.ChangeTracker.Entries<Crm.Core.Records.Record>().Count(e => e.State == EntityState.Added));
        Assert.Equal(staged ? 0 : 4, db.ChangeTracker.Entries<RecordChange>().Count());
        await writer.SaveBatchAsync();
        await tx.CommitAsync();
        return results.Select(r => r.Record!.Id).ToList();
    }

    /// <summary>A record's values with the run's suffix made alike and the auto-number (one counter for both runs) left out.</summary>
    private static string Normalise(string json)
    {
        var values = RecordWriter.ParseValues(json.Replace('甲', '乙'));
        values.Remove("code");
        return values.ToJsonString();
    }

    private static string NormaliseChanges(string json)
    {
        var changes = JsonNode.Parse(json.Replace('甲', '乙'))!.AsArray();
        return new JsonArray(changes.Where(c => c?["field"]?.GetValue<string>() != "code").Select(c => c?.DeepClone()).ToArray()).ToJsonString();
    }
}
