using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Reports;

public sealed record DashboardSaveResult(Dashboard? Dashboard, ValidationErrors Errors)
{
    public bool Succeeded => Dashboard is not null && Errors.IsEmpty;
}

/// <summary>
/// Dashboards of a workspace: read by everyone, arranged by admins (widgets on a 12-column grid, each showing a
/// shared report). The default dashboard is the workspace home page.
/// </summary>
public sealed class DashboardService(ICrmDbContextFactory factory, IStringLocalizer<CoreStrings> t, TimeProvider clock)
{
    public async Task<IReadOnlyList<Dashboard>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Viewer);
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await db.Dashboards.AsNoTracking().OrderByDescending(d => d.IsDefault).ThenBy(d => d.Key).ToListAsync(ct);
    }

    /// <summary>The dashboard with <paramref name="key"/>, or (null key) the default one, else the first; null when there is none.</summary>
    public async Task<Dashboard?> GetAsync(Actor actor, string? key = null, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Viewer);
        await using var db = factory.CreateForTenant(actor.TenantId);
        return key is not null
            ? await db.Dashboards.AsNoTracking().FirstOrDefaultAsync(d => d.Key == key, ct)
            : await db.Dashboards.AsNoTracking().OrderByDescending(d => d.IsDefault).ThenBy(d => d.Key).FirstOrDefaultAsync(ct);
    }

    /// <summary>Replaces the widgets of a dashboard (admins). Every widget must fit the grid, not overlap, and show a shared report.</summary>
    public async Task<DashboardSaveResult> SaveWidgetsAsync(Actor actor, string key, IReadOnlyList<DashboardWidget> widgets, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var dashboard = await db.Dashboards.FirstOrDefaultAsync(d => d.Key == key, ct);
        var errors = new ValidationErrors();
        if (dashboard is null)
        {
            errors.Add("dashboard", t["Dashboard.Validation.NotFound", key]);
            return new DashboardSaveResult(null, errors);
        }
        await CheckAsync(db, widgets, errors, ct);
        if (!errors.IsEmpty) return new DashboardSaveResult(null, errors);
        dashboard.Widgets = widgets.ToList();
        dashboard.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return new DashboardSaveResult(dashboard, errors);
    }

    /// <summary>
    /// Puts a shared report on a dashboard (the default one when <paramref name="dashboardKey"/> is null; a
    /// workspace without a dashboard gets one) at the first free place, sized for its kind.
    /// </summary>
    public async Task<DashboardSaveResult> AddWidgetAsync(Actor actor, string? dashboardKey, string reportKey, string? kind = null, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var dashboard = dashboardKey is not null
            ? await db.Dashboards.FirstOrDefaultAsync(d => d.Key == dashboardKey, ct)
            : await db.Dashboards.OrderByDescending(d => d.IsDefault).ThenBy(d => d.Key).FirstOrDefaultAsync(ct);
        var errors = new ValidationErrors();
        var report = await db.Reports.AsNoTracking().FirstOrDefaultAsync(r => r.Key == reportKey, ct);
        if (report is null || report.OwnerUserId is not null) errors.Add("report", t["Dashboard.Validation.Report", reportKey]);
        if (dashboard is null && dashboardKey is not null) errors.Add("dashboard", t["Dashboard.Validation.NotFound", dashboardKey]);
        if (!errors.IsEmpty) return new DashboardSaveResult(null, errors);
        if (dashboard is null)
        {
            dashboard = new Dashboard { Key = "home", Name = new LocalizedText(t["Dashboard.DefaultName"], t["Dashboard.DefaultName"]), IsDefault = true };
            db.Dashboards.Add(dashboard);
        }
        var widgetKind = kind is not null && DashboardLayout.Kinds.Contains(kind) ? kind : DashboardLayout.KindFor(report!.Spec.Chart);
        var (w, h) = DashboardLayout.DefaultSize(widgetKind);
        var (x, y) = DashboardLayout.FirstFree(dashboard.Widgets, w, h);
        var widgetKey = reportKey;
        for (var n = 2; dashboard.Widgets.Any(o => o.Key == widgetKey); n++) widgetKey = $"{reportKey}_{n}";
        dashboard.Widgets = [.. dashboard.Widgets, new DashboardWidget(widgetKey, reportKey, widgetKind, null, x, y, w, h)];
        dashboard.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return new DashboardSaveResult(dashboard, errors);
    }

    /// <summary>Makes <paramref name="key"/> the workspace's home dashboard.</summary>
    public async Task<bool> SetDefaultAsync(Actor actor, string key, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var all = await db.Dashboards.ToListAsync(ct);
        if (all.All(d => d.Key != key)) return false;
        foreach (var d in all) d.IsDefault = d.Key == key;
        await db.SaveChangesAsync(ct);
        return true;
    }

    private async Task CheckAsync(CrmDbContext db, IReadOnlyList<DashboardWidget> widgets, ValidationErrors errors, CancellationToken ct)
    {
        foreach (var (index, problem) in DashboardLayout.Check(widgets)) errors.Add($"widgets[{index}]", t[problem]);
        var keys = widgets.Select(w => w.ReportKey).Distinct().ToList();
        var shared = await db.Reports.AsNoTracking().Where(r => keys.Contains(r.Key) && r.OwnerUserId == null).Select(r => r.Key).ToListAsync(ct);
        for (var i = 0; i < widgets.Count; i++)
            if (!shared.Contains(widgets[i].ReportKey)) errors.Add($"widgets[{i}]", t["Dashboard.Validation.Report", widgets[i].ReportKey]);
    }
}
