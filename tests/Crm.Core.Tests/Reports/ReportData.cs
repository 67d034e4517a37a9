using System.Text.Json.Nodes;
using Crm.Core.Activities;
using Crm.Core.Records;
using Crm.Core.Reports;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Reports;

/// <summary>
/// Small fixed data sets whose report figures are worked out by hand in the tests. Every record is written through
/// <see cref="RecordService"/> with backdated times, so stage and status transitions are the real ones.
/// Day 0 is Monday 2025-12-01 00:00 UTC; "now" is day 45 (2026-01-15 00:00 UTC).
/// </summary>
public sealed class ReportData : IAsyncDisposable
{
    public static readonly DateTime Day0 = new(2025, 12, 1, 0, 0, 0, DateTimeKind.Utc);
    public static readonly DateTimeOffset Now = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

    private ReportData(Workspace ws, Actor other) => (Ws, Other) = (ws, other);

    public Workspace Ws { get; }
    public Actor Owner => Ws.Owner;
    /// <summary>A second salesperson (Member).</summary>
    public Actor Other { get; }
    public Dictionary<string, Guid> Ids { get; } = [];

    public static DateTime Day(double day) => Day0.AddDays(day);

    public static async Task<ReportData> CreateAsync(string provider, params string[] templates)
    {
        var ws = await Workspace.CreateAsync(provider, new ManualClock(Now));
        foreach (var t in templates) await ws.InstallAsync(t);
        var other = await ws.MemberAsync(MemberRole.Member);
        return new ReportData(ws, other);
    }

    public ValueTask DisposeAsync() => Ws.DisposeAsync();

    public Task<ReportResult> RunAsync(string entity, ReportSpec spec, ReportFilters? filters = null)
        => Ws.Get<ReportEngine>().RunAsync(Owner, entity, spec, filters);

    public async Task<Guid> CreateAsync(string name, string entity, double day, JsonObject values, string? pipeline = null)
    {
        var result = await Ws.Records.CreateAsync(Owner, entity, new RecordInput(values) { AsOf = Day(day), Pipeline = pipeline });
        Assert.True(result.Succeeded, $"{name}: {result.Errors}");
        Ids[name] = result.Record!.Id;
        return result.Record.Id;
    }

    public async Task UpdateAsync(string name, double day, params (string Key, JsonNode? Value)[] values)
    {
        var result = await Ws.Records.UpdateAsync(Owner, Ids[name], RecordInput.Of(values) with { AsOf = Day(day) });
        Assert.True(result.Succeeded, $"{name} on day {day}: {result.Errors}");
    }

    /// <summary>An activity as the record page logs it (interactions also move the record's last-activity time).</summary>
    public async Task ActivityAsync(string record, ActivityKind kind, double day, Actor by)
    {
        await using var db = Ws.Database.Factory.CreateForTenant(Ws.Tenant.Id);
        var r = await db.Records.FirstAsync(x => x.Id == Ids[record]);
        var at = Day(day);
        db.Activities.Add(new Activity { RecordId = r.Id, EntityTypeId = r.EntityTypeId, Kind = kind, Subject = kind + " " + record, OccurredAt = at, OwnerId = by.UserId, CreatedAt = at });
        if (Activity.IsInteraction(kind) && (r.LastActivityAt is null || r.LastActivityAt < at)) r.LastActivityAt = at;
        await db.SaveChangesAsync();
    }

    private async Task StagesAsync(string name, params (double Day, string Stage)[] moves)
    {
        foreach (var (day, stage) in moves) await UpdateAsync(name, day, ("stage", stage));
    }

    /// <summary>
    /// b2b_sales_funnel: eight deals in the b2b pipeline (amount, close date, owner A = workspace owner, B = other):
    /// <code>
    /// O1 A 100k 02-10 website   identify d0 → first_contact d2 → qualify d5 → proposal d10 (open)
    /// O2 A 200k 02-20 referral  identify d0 → first_contact d1 → qualify d3 → proposal d6 → negotiation d8 → won d20
    /// O3 B  50k 03-05 website   identify d1 → first_contact d3 → lost d7 (price_too_high)
    /// O4 B  80k 01-31 referral  identify d2 → first_contact d4 → qualify d9 → lost d12 (chose_competitor)
    /// O5 A  30k 02-15 website   identify d3 (open)
    /// O6 B 120k 03-20 exhibition identify d4 → first_contact d5 → qualify d7 → proposal d9 → negotiation d12 → won d14 → after_sales d30
    /// O7 A  60k 02-28 referral  identify d5 → first_contact d6 → lost d10 (price_too_high)
    /// O8 A  40k 04-05 event     identify d6 → qualify d8 (skips first contact; open)
    /// </code>
    /// </summary>
    public async Task SalesAsync()
    {
        var company = await CreateAsync("acme", "company", 0, new JsonObject { ["name"] = "Acme 制造" });
        async Task Deal(string name, Actor owner, decimal amount, string close, string source, double day)
            => await CreateAsync(name, "opportunity", day, new JsonObject
            {
                ["name"] = name, ["company"] = company.ToString(), ["amount"] = amount, ["expected_close"] = close,
                ["owner"] = owner.UserId.ToString(), ["source"] = source, ["stage"] = "identify",
            }, "b2b");
        await Deal("O1", Owner, 100000, "2026-02-10", "website", 0);
        await Deal("O2", Owner, 200000, "2026-02-20", "referral", 0);
        await Deal("O3", Other, 50000, "2026-03-05", "website", 1);
        await Deal("O4", Other, 80000, "2026-01-31", "referral", 2);
        await Deal("O5", Owner, 30000, "2026-02-15", "website", 3);
        await Deal("O6", Other, 120000, "2026-03-20", "exhibition", 4);
        await Deal("O7", Owner, 60000, "2026-02-28", "referral", 5);
        await Deal("O8", Owner, 40000, "2026-04-05", "event", 6);
        await StagesAsync("O1", (2, "first_contact"), (5, "qualify"), (10, "proposal"));
        await StagesAsync("O2", (1, "first_contact"), (3, "qualify"), (6, "proposal"), (8, "negotiation"), (20, "won"));
        await StagesAsync("O3", (3, "first_contact"));
        await UpdateAsync("O3", 7, ("stage", "lost"), ("lost_reason", "price_too_high"));
        await StagesAsync("O4", (4, "first_contact"), (9, "qualify"));
        await UpdateAsync("O4", 12, ("stage", "lost"), ("lost_reason", "chose_competitor"));
        await StagesAsync("O6", (5, "first_contact"), (7, "qualify"), (9, "proposal"), (12, "negotiation"), (14, "won"), (30, "after_sales"));
        await StagesAsync("O7", (6, "first_contact"));
        await UpdateAsync("O7", 10, ("stage", "lost"), ("lost_reason", "price_too_high"));
        await StagesAsync("O8", (8, "qualify"));
    }

    /// <summary>
    /// Activities on the deals of <see cref="SalesAsync"/>: A call O1 d1, e-mail O1 d3, meeting O2 d5, note O2 d6,
    /// task O5 d7; B call O3 d2, call O3 d4, message O4 d5.
    /// </summary>
    public async Task SalesActivitiesAsync()
    {
        await ActivityAsync("O1", ActivityKind.Call, 1, Owner);
        await ActivityAsync("O1", ActivityKind.Email, 3, Owner);
        await ActivityAsync("O2", ActivityKind.Meeting, 5, Owner);
        await ActivityAsync("O2", ActivityKind.Note, 6, Owner);
        await ActivityAsync("O5", ActivityKind.Task, 7, Owner);
        await ActivityAsync("O3", ActivityKind.Call, 2, Other);
        await ActivityAsync("O3", ActivityKind.Call, 4, Other);
        await ActivityAsync("O4", ActivityKind.Message, 5, Other);
    }

    /// <summary>
    /// customer_lifecycle: C1 new d0 → negotiating d10 → purchased d20 (meeting d25); C2 new d0 (never contacted);
    /// C3 purchased d5 → churn_risk d30 (call d40); C4 maintaining d5 (e-mail d35); C5 churned d10.
    /// </summary>
    public async Task LifecycleAsync()
    {
        async Task Customer(string name, string status, double day)
            => await CreateAsync(name, "company", day, new JsonObject { ["name"] = name + " 公司", ["lifecycle_status"] = status, ["owner"] = Owner.UserId.ToString() });
        await Customer("C1", "new", 0);
        await Customer("C2", "new", 0);
        await Customer("C3", "purchased", 5);
        await Customer("C4", "maintaining", 5);
        await Customer("C5", "churned", 10);
        await UpdateAsync("C1", 10, ("lifecycle_status", "negotiating"));
        await UpdateAsync("C1", 20, ("lifecycle_status", "purchased"));
        await UpdateAsync("C3", 30, ("lifecycle_status", "churn_risk"));
        await ActivityAsync("C1", ActivityKind.Meeting, 25, Owner);
        await ActivityAsync("C3", ActivityKind.Call, 40, Owner);
        await ActivityAsync("C4", ActivityKind.Email, 35, Owner);
    }

    /// <summary>
    /// marketing_campaigns: K1 cost 10k revenue 50k (start 2025-11-10), K2 20k / 10k (2025-12-05), K3 no cost, 5k
    /// (2025-12-20). Leads: L1 K1 website converted_opportunity, L2 K1 website new_lead, L3 K1 referral
    /// converted_customer, L4 K2 website contacted.
    /// </summary>
    public async Task CampaignsAsync()
    {
        async Task Campaign(string name, decimal? cost, decimal revenue, string start)
        {
            var values = new JsonObject { ["name"] = name, ["channel"] = "exhibition", ["campaign_status"] = "completed", ["revenue"] = revenue, ["start_date"] = start };
            if (cost is { } c) values["cost"] = c;
            await CreateAsync(name, "campaign", 0, values);
        }
        await Campaign("K1", 10000, 50000, "2025-11-10");
        await Campaign("K2", 20000, 10000, "2025-12-05");
        await Campaign("K3", null, 5000, "2025-12-20");
        async Task Lead(string name, string campaign, string source, string status, double day)
            => await CreateAsync(name, "lead", day, new JsonObject { ["name"] = name, ["campaign"] = Ids[campaign].ToString(), ["source"] = source, ["lead_status"] = status });
        await Lead("L1", "K1", "website", "converted_opportunity", 1);
        await Lead("L2", "K1", "website", "new_lead", 2);
        await Lead("L3", "K1", "referral", "converted_customer", 3);
        await Lead("L4", "K2", "website", "contacted", 4);
    }

    /// <summary>
    /// support_tickets, created at 09:00: T1 billing d0, response +2 h, resolved d1 (+24 h), solved; T2 billing d1,
    /// response +4 h, processing; T3 data_issue d2, response +1 h, resolved d4 (+48 h), closed; T4 data_issue d3,
    /// new; T5 data_issue d3, response +3 h, cancelled.
    /// </summary>
    public async Task TicketsAsync()
    {
        var customer = await CreateAsync("acme", "company", 0, new JsonObject { ["name"] = "Acme 服务" });
        static string At(double day, double hours) => Day(day).AddHours(9 + hours).ToString("yyyy-MM-ddTHH:mm:ssZ");
        async Task Ticket(string name, string problem, double day, string status, double? response, double? resolved)
        {
            var values = new JsonObject
            {
                ["subject"] = name, ["customer"] = customer.ToString(), ["priority"] = "medium", ["problem_type"] = problem,
                ["ticket_status"] = status, ["description"] = "…",
            };
            if (response is { } r) values["first_response_at"] = At(day, r);
            if (resolved is { } s) values["resolved_at"] = At(day, s);
            await CreateAsync(name, "ticket", day + 9 / 24.0, values);
        }
        await Ticket("T1", "billing", 0, "solved", 2, 24);
        await Ticket("T2", "billing", 1, "processing", 4, null);
        await Ticket("T3", "data_issue", 2, "closed", 1, 48);
        await Ticket("T4", "data_issue", 3, "new", null, null);
        await Ticket("T5", "data_issue", 3, "cancelled", 3, null);
    }
}
