using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Reports;

/// <summary>Campaign ROI and lead conversion by source (seeds/003: cost, leads, converted customers, revenue).</summary>
internal static class MarketingReports
{
    private static bool IsNumeric(FieldDefinition f) => FieldType.IsNumericField(f);
    private static bool IsChoice(FieldDefinition f) => FieldTypeRegistry.Find(f.Type)?.ValueKind == FieldValueKind.Choice;

    /// <summary>Status options of <paramref name="entity"/>'s status list that belong to <paramref name="group"/>.</summary>
    private static List<Guid?> OptionsIn(EntityMeta entity, string? group)
        => entity.Owner.StatusList(entity.StatusField?.Settings.StatusList)?.AllOptions.Where(o => o.GroupKey == group || o.Key == group).Select(o => (Guid?)o.Id).ToList() ?? [];

    /// <summary>
    /// Per campaign: cost, revenue, ROI = (revenue − cost) / cost × 100 %, the lead records linked to it and how many
    /// of those converted. The KPI is the ROI of all campaigns together.
    /// </summary>
    public static async Task<ReportResult> CampaignRoiAsync(ReportContext c, CancellationToken ct)
    {
        var cost = c.OptionField("costField", IsNumeric);
        var revenue = c.OptionField("revenueField", IsNumeric);
        if (cost is null || revenue is null) return c.Problem(c.T("Report.Problem.Option", cost is null ? "costField" : "revenueField"));
        var leadEntity = c.Metadata.Entity(c.Option("leadEntity") ?? "");
        var leadLink = leadEntity is null ? null : c.OptionField("leadCampaignField", f => f.Type == "lookup", leadEntity);
        var converted = leadEntity is null ? [] : OptionsIn(leadEntity, c.Option("convertedGroup"));
        var costKey = cost.Key;
        var revenueKey = revenue.Key;

        var campaigns = c.Records(DateAxis.Created);
        var totals = await campaigns.GroupBy(r => r.TenantId)
            .Select(g => new { Count = g.Count(), Cost = g.Sum(r => JsonSql.Number(r.Values, EF.Constant(costKey))), Revenue = g.Sum(r => JsonSql.Number(r.Values, EF.Constant(revenueKey))) })
            .FirstOrDefaultAsync(ct);
        const int take = 100;
        var list = await campaigns
            .Select(r => new { r.Id, r.Title, Cost = JsonSql.Number(r.Values, EF.Constant(costKey)), Revenue = JsonSql.Number(r.Values, EF.Constant(revenueKey)) })
            .OrderByDescending(r => r.Revenue).ThenBy(r => r.Title).ThenBy(r => r.Id)
            .Take(take)
            .ToListAsync(ct);

        var leads = new Dictionary<string, (int Leads, int Converted)>();
        if (leadEntity is not null && leadLink is not null)
        {
            var leadEntityId = leadEntity.Entity.Id;
            var linkKey = leadLink.Key;
            var ids = list.Select(x => x.Id.ToString()).ToList();
            foreach (var g in await c.Visible(c.Db.Records.AsNoTracking())
                         .Where(r => r.EntityTypeId == leadEntityId && ids.Contains(JsonSql.Text(r.Values, EF.Constant(linkKey))!))
                         .GroupBy(r => JsonSql.Text(r.Values, EF.Constant(linkKey)))
                         .Select(g => new { Campaign = g.Key, Leads = g.Count(), Converted = g.Count(r => converted.Contains(r.StatusOptionId)) })
                         .ToListAsync(ct))
                if (g.Campaign is not null) leads[g.Campaign] = (g.Leads, g.Converted);
        }

        var currency = cost.Settings.Currency ?? "CNY";
        var rows = list.Select(x =>
        {
            var (n, conv) = leads.GetValueOrDefault(x.Id.ToString());
            var costValue = ReportContext.Round(x.Cost);
            var revenueValue = ReportContext.Round(x.Revenue);
            return new ReportRow(x.Id.ToString(), x.Title,
            [
                costValue, revenueValue, Roi(costValue, revenueValue), n, conv, ReportContext.Ratio(conv, n),
            ]) { RecordId = x.Id };
        }).ToList();
        var totalCost = ReportContext.Round(totals?.Cost);
        var totalRevenue = ReportContext.Round(totals?.Revenue);
        var result = c.Result(c.Entity.Entity.Label.Get(),
        [
            new("cost", cost.Label.Get(), ReportFormat.Money, currency),
            new("revenue", revenue.Label.Get(), ReportFormat.Money, revenue.Settings.Currency ?? currency),
            new("roi", c.T("Report.Col.Roi"), ReportFormat.Percent),
            new("leads", c.T("Report.Col.Leads"), ReportFormat.Integer),
            new("converted", c.T("Report.Col.Converted"), ReportFormat.Integer),
            new("conversion", c.T("Report.Col.ConversionRate"), ReportFormat.Percent),
        ], rows);
        return new ReportResult
        {
            Type = result.Type, Chart = result.Chart, Dimension = result.Dimension, Columns = result.Columns, Rows = rows,
            TotalRows = totals?.Count ?? 0, Series = [2],
            Kpi = new ReportKpi(c.T("Report.Col.Roi"), Roi(totalCost, totalRevenue), ReportFormat.Percent, null,
                [new(cost.Label.Get(), totalCost, ReportFormat.Money, currency), new(revenue.Label.Get(), totalRevenue, ReportFormat.Money, currency),
                 new(c.T("Report.Col.Leads"), rows.Sum(r => r.Cells[3].Number ?? 0), ReportFormat.Integer)]),
        };
    }

    /// <summary>(revenue − cost) / cost × 100, one decimal; none without a positive cost.</summary>
    public static decimal? Roi(decimal? cost, decimal? revenue)
        => cost is > 0 && revenue is { } r ? Math.Round((r - cost.Value) / cost.Value * 100m, 1, MidpointRounding.AwayFromZero) : null;

    /// <summary>Leads per source and how many reached the converted status group.</summary>
    public static async Task<ReportResult> LeadSourceConversionAsync(ReportContext c, CancellationToken ct)
    {
        var source = c.OptionField("sourceField", IsChoice);
        if (source is null) return c.Problem(c.T("Report.Problem.Option", "sourceField"));
        var converted = OptionsIn(c.Entity, c.Option("convertedGroup"));
        var key = source.Key;
        await c.GroupingByJsonAsync(key, ct);
        var groups = await c.Records(DateAxis.Created)
            .GroupBy(r => JsonSql.Text(r.Values, EF.Constant(key)))
            .Select(g => new { Source = g.Key, Leads = g.Count(), Converted = g.Count(r => converted.Contains(r.StatusOptionId)) })
            .ToListAsync(ct);
        var options = source.Settings.Options ?? [];
        var rows = options.Where(o => !o.IsArchived || groups.Any(g => g.Source == o.Key))
            .Select(o => (Key: (string?)o.Key, Label: o.Label.Get(), o.Color))
            .Concat(groups.Where(g => options.All(o => o.Key != g.Source)).Select(g => (Key: g.Source, Label: g.Source ?? c.T("Report.Row.None"), Color: (string?)null)))
            .Select(o =>
            {
                var g = groups.FirstOrDefault(x => x.Source == o.Key);
                decimal leads = g?.Leads ?? 0, conv = g?.Converted ?? 0;
                return new ReportRow(o.Key ?? "", o.Label, [leads, conv, ReportContext.Ratio(conv, leads)]) { Color = o.Color };
            }).ToList();
        var total = rows.Sum(r => r.Cells[0].Number ?? 0);
        var totalConverted = rows.Sum(r => r.Cells[1].Number ?? 0);
        var result = c.Result(source.Label.Get(),
        [
            new("leads", c.T("Report.Col.Leads"), ReportFormat.Integer),
            new("converted", c.T("Report.Col.Converted"), ReportFormat.Integer),
            new("conversion", c.T("Report.Col.ConversionRate"), ReportFormat.Percent),
        ], rows);
        return PipelineReports.With(result, series: [0, 1], kpi: new ReportKpi(c.T("Report.Col.ConversionRate"), ReportContext.Ratio(totalConverted, total), ReportFormat.Percent, null,
            [new(c.T("Report.Col.Leads"), total, ReportFormat.Integer), new(c.T("Report.Col.Converted"), totalConverted, ReportFormat.Integer)]));
    }
}
