using Crm.Core.Automation;
using Crm.Core.Pools;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Reports;

/// <summary>
/// Pools (公海) of the report's record type: how many records wait in each now, and how many entered, were claimed,
/// assigned and returned in the report's period (by when it happened, in the workspace's time zone). Counted in
/// SQL (GROUP BY pool and kind over the pool log). A viewer sees only the pools they belong to (member or pool
/// admin, by name, role or department, as now); workspace admins see every pool.
/// </summary>
internal static class PoolReports
{
    public static async Task<ReportResult> ActivityAsync(ReportContext c, CancellationToken ct)
    {
        var entityId = c.Entity.Entity.Id;
        var pools = await c.Db.Pools.AsNoTracking().Where(p => p.EntityTypeId == entityId && !p.IsArchived)
            .OrderBy(p => p.SortOrder).ThenBy(p => p.Key).ToListAsync(ct);
        var visible = new List<Pool>();
        foreach (var pool in pools)
            if (await BelongsAsync(c, pool, ct)) visible.Add(pool);
        var ids = visible.Select(p => p.Id).ToList();

        var sizes = await c.Db.Records.AsNoTracking().Where(r => r.PoolId != null && ids.Contains(r.PoolId.Value) && r.OwnerId == null)
            .GroupBy(r => r.PoolId).Select(g => new { Id = g.Key!.Value, Count = g.Count() }).ToListAsync(ct);
        var events = c.Db.PoolEvents.AsNoTracking().Where(e => ids.Contains(e.PoolId));
        if (c.FromUtc is { } from) events = events.Where(e => e.At >= from);
        if (c.ToExclusiveUtc is { } to) events = events.Where(e => e.At < to);
        var counts = await events.GroupBy(e => new { e.PoolId, e.Kind }).Select(g => new { g.Key.PoolId, g.Key.Kind, Count = g.Count() }).ToListAsync(ct);
        int Count(Guid pool, PoolEventKind kind) => counts.Where(x => x.PoolId == pool && x.Kind == kind).Sum(x => x.Count);

        var rows = visible.Select(p => new ReportRow(p.Key, p.Label.Get(),
        [
            sizes.Where(s => s.Id == p.Id).Sum(s => s.Count), Count(p.Id, PoolEventKind.Entered), Count(p.Id, PoolEventKind.Claimed),
            Count(p.Id, PoolEventKind.Assigned), Count(p.Id, PoolEventKind.Returned),
        ])).ToList();
        List<ReportColumn> columns =
        [
            new("size", c.T("Report.Col.PoolSize"), ReportFormat.Integer),
            new("entered", c.T("Report.Col.PoolEntered"), ReportFormat.Integer),
            new("claimed", c.T("Report.Col.PoolClaimed"), ReportFormat.Integer),
            new("assigned", c.T("Report.Col.PoolAssigned"), ReportFormat.Integer),
            new("returned", c.T("Report.Col.PoolReturned"), ReportFormat.Integer),
        ];
        var result = c.Result(c.T("Report.Dim.Pool"), columns, rows);
        return PipelineReports.With(result, kpi: new ReportKpi(c.T("Report.Col.PoolSize"), rows.Sum(r => r.Cells[0].Number ?? 0), ReportFormat.Integer, null, []));
    }

    private static async Task<bool> BelongsAsync(ReportContext c, Pool pool, CancellationToken ct)
    {
        var actor = c.Actor;
        if (PoolService.IsMember(actor, pool) || PoolService.IsAdmin(actor, pool)) return true;
        if (!actor.CanEdit || (!pool.Groups.HasMembers && !pool.Groups.HasAdmins)) return false;
        var holders = await RuleTargets.MembersOfAsync(c.Db, actor.TenantId,
            [.. pool.Groups.MemberRoles, .. pool.Groups.AdminRoles], [.. pool.Groups.MemberDepartments, .. pool.Groups.AdminDepartments], ct);
        return holders.Contains(actor.UserId);
    }
}
