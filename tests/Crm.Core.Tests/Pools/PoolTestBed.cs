using Crm.Core.Metadata;
using Crm.Core.Pools;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Pools;

/// <summary>A workspace with the 线索与商机管理 template, a lead pool and two salespeople.</summary>
internal sealed class PoolTestBed : IAsyncDisposable
{
    public required Workspace Ws { get; init; }
    public required ManualClock Clock { get; init; }
    public required Pool Pool { get; init; }
    public required Actor Alice { get; init; }
    public required Actor Bob { get; init; }

    public PoolService Pools => Ws.Get<PoolService>();

    public static async Task<PoolTestBed> CreateAsync(string provider, int? limit = 3, int? cooldown = 7, params PoolReturnRule[] rules)
    {
        var clock = new ManualClock();
        var ws = await Workspace.CreateAsync(provider, clock);
        await ws.InstallAsync("leads_opportunities");
        var (pool, errors) = await ws.Get<PoolDefinitions>().SaveAsync(ws.Owner,
            new PoolDefinition("public_leads", new LocalizedText("线索公海", "Lead pool"), "lead", limit, cooldown, ReturnRules: rules));
        Assert.True(errors.IsEmpty, errors.ToString());
        return new PoolTestBed
        {
            Ws = ws, Clock = clock, Pool = pool!,
            Alice = await ws.MemberAsync(MemberRole.Member),
            Bob = await ws.MemberAsync(MemberRole.Member),
        };
    }

    public async Task<Record> LeadAsync(string name, Actor? owner = null)
    {
        var input = owner is null ? RecordInput.Of(("name", name), ("source", "website"))
            : RecordInput.Of(("name", name), ("source", "website"), ("owner", owner.UserId.ToString()));
        var created = await Ws.Records.CreateAsync(Ws.Owner, "lead", input);
        Assert.True(created.Succeeded, created.Errors.ToString());
        return created.Record!;
    }

    /// <summary>An opportunity (with its customer), optionally from a lead.</summary>
    public async Task<Record> DealAsync(string name, Actor owner, Guid? lead = null)
    {
        var company = await Ws.Records.CreateAsync(Ws.Owner, "company", RecordInput.Of(("name", $"{name} Co {Guid.NewGuid():N}")));
        Assert.True(company.Succeeded, company.Errors.ToString());
        var values = new List<(string Key, System.Text.Json.Nodes.JsonNode? Value)> { ("name", name), ("company", company.Record!.Id.ToString()), ("amount", 1000), ("expected_close", "2026-06-30"), ("owner", owner.UserId.ToString()) };
        if (lead is { } l) values.Add(("lead", l.ToString()));
        var created = await Ws.Records.CreateAsync(Ws.Owner, "opportunity", RecordInput.Of([.. values]));
        Assert.True(created.Succeeded, created.Errors.ToString());
        return created.Record!;
    }

    /// <summary>A lead put into the pool (owner cleared).</summary>
    public async Task<Record> PooledLeadAsync(string name)
    {
        var lead = await LeadAsync(name);
        Assert.True(await Pools.MoveToPoolAsync(Ws.Owner, lead.Id, Pool.Key, "test"));
        return await ReloadAsync(lead.Id);
    }

    public async Task<Record> ReloadAsync(Guid id)
    {
        await using var db = Ws.Database.Factory.CreateForTenant(Ws.Tenant.Id);
        return await db.Records.AsNoTracking().SingleAsync(r => r.Id == id);
    }

    public ValueTask DisposeAsync() => Ws.DisposeAsync();
}
