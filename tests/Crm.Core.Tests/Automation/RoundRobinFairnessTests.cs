using System.Text.Json.Nodes;
using Crm.Core.Records;
using Crm.Core.Metadata;
using Crm.Core.Tenancy;
using Record = Crm.Core.Records.Record;
using Crm.Core.Accounts;
using Crm.Core.Automation;
using Crm.Core.Security;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using static Crm.Core.Tests.Automation.RuleKit;

namespace Crm.Core.Tests.Automation;

/// <summary>Round robin stays fair under concurrent writes and skips members who left the workspace.</summary>
public class RoundRobinFairnessTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_thousand_leads_created_concurrently_are_spread_evenly_and_removed_members_get_none(string provider)
    {
        await using var ws = await LeadsAsync(provider);
        var members = new List<Actor>();
        for (var i = 0; i < 4; i++) members.Add(await ws.MemberAsync(MemberRole.Member));
        var rule = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.Created }, null,
            new RuleAction { Kind = ActionKinds.AssignOwner, Mode = AssignModes.RoundRobin, Users = [.. members.Select(m => m.UserId)] });
        await ws.Get<MembershipService>().RemoveAsync(ws.Owner, members[2].UserId);

        const int total = 1000;
        var next = 0;
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) is var n && n <= total)
            {
                var result = await ws.Records.CreateAsync(ws.Owner, "lead", RecordInput.Of(("name", "线索" + n), ("source", "website")));
                Assert.True(result.Succeeded, result.Errors.ToString());
            }
        })).ToList();
        await Task.WhenAll(workers);

        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var counts = await db.Records.AsNoTracking().GroupBy(r => r.OwnerId).Select(g => new { Owner = g.Key, Count = g.Count() }).ToListAsync();
        Assert.Equal(total, counts.Sum(c => c.Count));
        Assert.DoesNotContain(counts, c => c.Owner == members[2].UserId || c.Owner == ws.Owner.UserId);
        var kept = new[] { members[0], members[1], members[3] }.Select(m => counts.SingleOrDefault(c => c.Owner == m.UserId)?.Count ?? 0).ToList();
        Assert.True(kept.Max() - kept.Min() <= 1, string.Join(", ", kept));
        Assert.Equal(total, (await RunsAsync(ws, rule.Id)).Count(r => r.Succeeded && r.ConditionsMet));
    }
}
