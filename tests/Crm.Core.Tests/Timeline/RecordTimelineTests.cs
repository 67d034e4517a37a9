using System.Globalization;
using Crm.Core.Activities;
using Crm.Core.Records;
using Crm.Core.Tenancy;
using Crm.Core.Timeline;
using Crm.Testing;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Timeline;

/// <summary>The record timeline merges activities, saves and stage/status moves, newest first, with values displayed and names resolved.</summary>
public class RecordTimelineTests
{
    private static readonly CultureInfo En = new("en");

    private static async Task<Record> CreateAsync(Workspace ws, string entity, params (string, System.Text.Json.Nodes.JsonNode?)[] values)
    {
        var r = await ws.Records.CreateAsync(ws.Owner, entity, RecordInput.Of(values));
        Assert.True(r.Succeeded, r.Errors.ToString());
        return r.Record!;
    }

    private static async Task<Record> UpdateAsync(Workspace ws, Record record, params (string, System.Text.Json.Nodes.JsonNode?)[] values)
    {
        var r = await ws.Records.UpdateAsync(ws.Owner, record.Id, RecordInput.Of(values) with { ExpectedVersion = record.Version });
        Assert.True(r.Succeeded, r.Errors.ToString());
        return r.Record!;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Activities_saves_and_stage_moves_merge_newest_first_with_old_and_new_values(string provider)
    {
        var clock = new ManualClock();
        await using var ws = await Workspace.CreateAsync(provider, clock);
        await ws.InstallAsync("b2b_sales_funnel");
        var member = await ws.MemberAsync(MemberRole.Member);
        var acme = await CreateAsync(ws, "company", ("name", "Acme Ltd"));
        var globex = await CreateAsync(ws, "company", ("name", "Globex Corp"));

        var deal = await CreateAsync(ws, "opportunity", ("name", "ERP rollout"), ("company", acme.Id.ToString()), ("amount", 100000), ("expected_close", "2026-03-31"));
        clock.Advance(TimeSpan.FromHours(1));
        deal = await UpdateAsync(ws, deal, ("stage", "first_contact"), ("amount", 120000));
        clock.Advance(TimeSpan.FromHours(1));
        var call = await ws.Get<ActivityService>().LogAsync(ws.Owner, deal.Id, new ActivityInput(ActivityKind.Call, "Discovery call"));
        Assert.True(call.Succeeded);
        clock.Advance(TimeSpan.FromHours(1));
        deal = await UpdateAsync(ws, deal, ("company", globex.Id.ToString()), ("owner", member.UserId.ToString()));

        var page = await ws.Get<RecordTimeline>().GetAsync(ws.Owner, deal.Id, culture: En);
        Assert.False(page.HasMore);
        Assert.Equal([TimelineEntryKind.Changed, TimelineEntryKind.Activity, TimelineEntryKind.Stage, TimelineEntryKind.Changed, TimelineEntryKind.Created],
            page.Entries.Select(e => e.Kind));
        Assert.Equal(page.Entries.Select(e => e.At).OrderByDescending(a => a), page.Entries.Select(e => e.At));

        // Lookups and members are shown by name, old → new.
        var reassigned = page.Entries[0];
        var company = reassigned.Changes.Single(c => c.FieldKey == "company");
        Assert.Equal(("Customer", "Acme Ltd", "Globex Corp"), (company.Label, company.Old, company.New));
        var owner = reassigned.Changes.Single(c => c.FieldKey == "owner");
        Assert.Equal((ws.Owner.DisplayName, member.DisplayName), (owner.Old, owner.New));
        Assert.Equal(ws.Owner.DisplayName, reassigned.ByName);

        Assert.Equal("Discovery call", page.Entries[1].Activity!.Subject);
        Assert.Equal(ws.Owner.DisplayName, page.Entries[1].ByName);

        var moved = page.Entries[2];
        Assert.Equal(("Stage", "Identify", "First contact"), (moved.FieldLabel, moved.From, moved.To));
        Assert.Equal(3600, moved.SecondsInFrom);

        // The save that moved the stage tells the amount; the stage itself is told by the move above.
        var amount = page.Entries[3].Changes.Single(c => c.FieldKey == "amount");
        Assert.Equal(("¥100,000.00", "¥120,000.00"), (amount.Old, amount.New));
        Assert.DoesNotContain(page.Entries[3].Changes, c => c.FieldKey == "stage");

        var created = page.Entries[4];
        Assert.Equal("Acme Ltd", created.Changes.Single(c => c.FieldKey == "company").New);
        Assert.Equal("", created.Changes.Single(c => c.FieldKey == "name").Old);

        var onlyActivities = await ws.Get<RecordTimeline>().GetAsync(ws.Owner, deal.Id, filter: TimelineFilter.Activities, culture: En);
        Assert.Equal([TimelineEntryKind.Activity], onlyActivities.Entries.Select(e => e.Kind));
        var onlyChanges = await ws.Get<RecordTimeline>().GetAsync(ws.Owner, deal.Id, filter: TimelineFilter.Changes, culture: En);
        Assert.DoesNotContain(onlyChanges.Entries, e => e.Kind == TimelineEntryKind.Activity);
        Assert.Equal(4, onlyChanges.Entries.Count);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Pages_follow_each_other_without_gaps_or_repeats(string provider)
    {
        var clock = new ManualClock();
        await using var ws = await Workspace.CreateAsync(provider, clock);
        await ws.InstallAsync("b2b_sales_funnel");
        var activities = ws.Get<ActivityService>();
        var company = await CreateAsync(ws, "company", ("name", "Paging Inc"));
        for (var i = 0; i < 7; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(10));
            Assert.True((await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Note, $"note {i}"))).Succeeded);
            if (i % 2 == 0)
            {
                clock.Advance(TimeSpan.FromMinutes(1));
                company = await UpdateAsync(ws, company, ("city", $"City {i}"));
            }
        }
        // Same instant as the previous save: ties are ordered, not lost.
        Assert.True((await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Call, "same instant") { OccurredAt = clock.GetUtcNow().UtcDateTime })).Succeeded);

        var timeline = ws.Get<RecordTimeline>();
        var all = await timeline.GetAsync(ws.Owner, company.Id, pageSize: 100, culture: En);
        Assert.Equal(7 + 1 + 4 + 1, all.Entries.Count);

        var paged = new List<TimelineEntry>();
        TimelineCursor? cursor = null;
        var pages = 0;
        do
        {
            var page = await timeline.GetAsync(ws.Owner, company.Id, cursor, pageSize: 3, culture: En);
            Assert.True(page.Entries.Count <= 3);
            paged.AddRange(page.Entries);
            cursor = page.Next;
            pages++;
        } while (cursor is not null && pages < 20);
        Assert.Equal(all.Entries.Select(e => e.Id), paged.Select(e => e.Id));
        Assert.Equal(5, pages);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_record_of_another_workspace_has_no_timeline(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        await using var other = await Workspace.CreateAsync(provider);
        var meta = await ws.MetadataAsync();
        var opportunityType = meta.Entity("opportunity")!.Entity.Id;
        Guid someId;
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            someId = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstAsync(db.Records.Where(r => r.EntityTypeId == opportunityType).Select(r => r.Id));

        var mine = await ws.Get<RecordTimeline>().GetAsync(ws.Owner, someId, culture: En);
        Assert.Contains(mine.Entries, e => e.Kind == TimelineEntryKind.Created);
        var theirs = await ws.Get<RecordTimeline>().GetAsync(other.Owner, someId, culture: En);
        Assert.Empty(theirs.Entries);
        Assert.False(theirs.HasMore);
    }
}
