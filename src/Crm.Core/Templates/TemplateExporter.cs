using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Templates;

/// <summary>
/// The workspace's current configuration as a template: active entity types, fields, status lists, pipelines,
/// shared views, reports, dashboards, roles, departments, rules and pools (no records). Installing it into an empty workspace reproduces the
/// same metadata; a round-trip test holds this.
/// </summary>
public sealed class TemplateExporter(ICrmDbContextFactory factory, MetadataStore metadataStore, TimeProvider clock, Audit.AuditTrail audit)
{
    public async Task<TemplateDocument> ExportAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Admin);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var views = await db.Views.AsNoTracking().Where(v => v.OwnerUserId == null).OrderBy(v => v.SortOrder).ToListAsync(ct);
        var reports = await db.Reports.AsNoTracking().Where(r => r.OwnerUserId == null).OrderBy(r => r.CreatedAt).ThenBy(r => r.Key).ToListAsync(ct);
        var dashboards = await db.Dashboards.AsNoTracking().OrderBy(d => d.Key).ToListAsync(ct);
        var roles = await db.RoleDefinitions.AsNoTracking().OrderBy(r => r.Key).ToListAsync(ct);
        var permissions = (await db.EntityPermissions.AsNoTracking().ToListAsync(ct)).ToLookup(p => p.RoleId);
        var org = await Permissions.DepartmentService.LoadAsync(db, actor.TenantId, ct);
        var rules = await db.AutomationRules.AsNoTracking().Where(r => !r.IsArchived).OrderBy(r => r.SortOrder).ThenBy(r => r.Key).ToListAsync(ct);
        var pools = await db.Pools.AsNoTracking().Where(p => !p.IsArchived).OrderBy(p => p.SortOrder).ThenBy(p => p.Key).ToListAsync(ct);
        var people = new PeopleKeys(roles.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal),
            org.Departments.ToDictionary(DepartmentKey, d => d.Id, StringComparer.Ordinal), actor.UserId);

        var document = new TemplateDocument
        {
            Schema = "./schema/crm-template.schema.json",
            Id = ("workspace_" + actor.Tenant.Identifier.Replace('-', '_'))[..Math.Min(63, 10 + actor.Tenant.Identifier.Length)],
            Version = "1.0." + clock.GetUtcNow().ToUnixTimeSeconds() / 60,
            Name = LocalizedText.Same(actor.Tenant.Name),
            Description = new LocalizedText($"{actor.Tenant.Name} 的配置导出", $"Configuration exported from {actor.Tenant.Name}"),
            StatusLists = metadata.StatusLists.Select(ExportList).ToList(),
            EntityTypes = metadata.EntityTypes.Where(e => !e.Entity.IsArchived).Select(ExportEntity).ToList(),
            Views = views.Select(v => ExportView(v, metadata)).Where(v => v is not null).Select(v => v!).ToList(),
            Reports = reports.Select(r => ExportReport(r, metadata)).Where(r => r is not null).Select(r => r!).ToList(),
            Dashboards = dashboards.Select(d => new TemplateDashboard
            {
                Key = d.Key,
                Label = d.Name,
                Default = d.IsDefault,
                Widgets = d.Widgets.Select(w => new TemplateWidget { Key = w.Key, Report = w.ReportKey, Kind = w.Kind, Title = w.Title, X = w.X, Y = w.Y, W = w.W, H = w.H }).ToList(),
            }).ToList(),
            Roles = roles.Select(r => new TemplateRole
            {
                Key = r.Key, Label = r.Label, Description = r.Description,
                BaseRole = r.BaseRole.ToString().ToLowerInvariant() is "owner" ? "admin" : r.BaseRole.ToString().ToLowerInvariant(),
                Permissions = ExportPermissions(permissions[r.Id], metadata),
            }).ToList(),
            Departments = ExportDepartments(org),
            Pools = pools.Where(p => Active(metadata, p.EntityTypeId)).Select(p => TemplateAutomationMapping.Pool(p, metadata.Entity(p.EntityTypeId)!.Key, people)).ToList() is { Count: > 0 } ps ? ps : null,
            Rules = rules.Where(r => Active(metadata, r.EntityTypeId)).Select(r => TemplateAutomationMapping.Rule(r, metadata.Entity(r.EntityTypeId)!.Key, people))
                .Where(r => r.Actions.Count > 0).ToList() is { Count: > 0 } rs ? rs : null, // a rule that only called webhooks has nothing left
        };
        // Staged on the export's context (nothing else is written), so the entry is there when the file is.
        audit.Stage(db, actor, new Audit.AuditEvent(Audit.AuditActions.TemplateExported, Audit.AuditActions.Targets.Workspace, actor.TenantId.ToString(),
            actor.Tenant.Name, new System.Text.Json.Nodes.JsonObject
            {
                ["template"] = document.Id, ["version"] = document.Version, ["entityTypes"] = document.EntityTypes.Count, ["reports"] = document.Reports?.Count,
                ["webhookCallsLeftOut"] = rules.Where(r => Active(metadata, r.EntityTypeId)).Sum(r => r.Actions.Count(a => a.Kind == Automation.ActionKinds.CallWebhook)),
            }));
        await db.SaveChangesAsync(ct);
        return document;
    }

    /// <summary>Rights per active entity type, keyed by its key; fields no longer active are left out.</summary>
    private static Dictionary<string, TemplatePermission>? ExportPermissions(IEnumerable<Permissions.EntityPermission> rows, TenantMetadata metadata)
    {
        var result = new Dictionary<string, TemplatePermission>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var entity = metadata.Entity(row.EntityTypeId);
            if (entity is null || entity.Entity.IsArchived) continue;
            var p = TemplateMapping.Permission(row);
            if (p.Fields is not null) p.Fields = p.Fields.Where(f => entity.Field(f.Key) is not null).ToDictionary();
            if (p.Fields is { Count: 0 }) p.Fields = null;
            p.OwnerFields = p.OwnerFields?.Where(k => entity.Field(k) is not null).ToList() is { Count: > 0 } owners ? owners : null;
            result[entity.Key] = p;
        }
        return result.Count == 0 ? null : result.OrderBy(x => x.Key, StringComparer.Ordinal).ToDictionary();
    }

    private static bool Active(TenantMetadata metadata, Guid entityTypeId) => metadata.Entity(entityTypeId) is { Entity.IsArchived: false };

    private static string DepartmentKey(Permissions.DepartmentView d) => d.Key ?? "department_" + d.Id.ToString("N")[..12];

    /// <summary>Departments in tree order (parents first); departments without a key get one from their id.</summary>
    private static List<TemplateDepartment>? ExportDepartments(Permissions.OrganisationView org)
    {
        if (org.Departments.Count == 0) return null;
        string KeyOf(Permissions.DepartmentView d) => DepartmentKey(d);
        return org.Departments.Select(d => new TemplateDepartment
        {
            Key = KeyOf(d),
            Name = d.Name,
            Parent = d.ParentId is { } p && org.Find(p) is { } parent ? KeyOf(parent) : null,
        }).ToList();
    }

    private static TemplateStatusList ExportList(StatusListMeta list) => new()
    {
        Key = list.Key,
        Label = list.List.Label,
        Groups = list.List.Groups.Select(g => new TemplateStatusGroup { Key = g.Key, Label = g.Label, Color = g.Color, Description = g.Description }).ToList(),
        Options = list.Options.Select(o => new TemplateStatusOption { Key = o.Key, Label = o.Label, Group = o.GroupKey, Color = o.Color, Description = o.Description }).ToList(),
    };

    private static TemplateEntityType ExportEntity(EntityMeta e) => new()
    {
        Key = e.Key,
        Label = e.Entity.Label,
        PluralLabel = e.Entity.PluralLabel,
        Description = e.Entity.Description,
        Icon = e.Entity.Icon,
        TitleField = e.Entity.TitleFieldKey,
        AmountField = Active(e, e.Entity.AmountFieldKey),
        CloseDateField = Active(e, e.Entity.CloseDateFieldKey),
        OwnerField = Active(e, e.Entity.OwnerFieldKey),
        StatusField = Active(e, e.Entity.StatusFieldKey),
        StageField = Active(e, e.Entity.StageFieldKey),
        LostReasonField = Active(e, e.Entity.LostReasonFieldKey),
        Sections = e.Entity.Sections.Select(s => new TemplateSection { Key = s.Key, Label = s.Label, Columns = s.Columns }).ToList(),
        Fields = e.Fields.Select(f => RenamedFrom(e, f, TemplateMapping.Field(f))).ToList(),
        FormRules = e.Entity.FormRules.Count > 0 ? e.Entity.FormRules.Select(TemplateFormRule.From).ToList() : null,
        Pipelines = e.Pipelines.Select(p => new TemplatePipeline
        {
            Key = p.Key,
            Label = p.Pipeline.Label,
            Default = p.Pipeline.IsDefault,
            Stages = p.Stages.Select(s => new TemplateStage
            {
                Key = s.Key, Label = s.Label, Color = s.Color, Probability = s.Probability, Kind = TemplateMapping.Kind(s.Kind), StaleAfterDays = s.StaleAfterDays,
            }).ToList(),
        }).ToList(),
    };

    /// <summary>A field an upgrade renamed says so (its latest former key), so that a workspace holding an earlier
    /// export of this workspace, still under the old key, renames instead of getting a twin; left out when a field of
    /// the workspace holds that key now (a template may not name a key it still has).</summary>
    private static TemplateField RenamedFrom(EntityMeta e, FieldDefinition f, TemplateField exported)
    {
        if (f.Settings.FormerKeys is [.., var last] && e.AllFields.All(x => x.Key != last)) exported.RenamedFrom = last;
        return exported;
    }

    private static string? Active(EntityMeta e, string? key) => e.Fields.Any(f => f.Key == key) ? key : null;

    private static TemplateView? ExportView(SavedView v, TenantMetadata metadata)
    {
        var entity = metadata.Entity(v.EntityTypeId);
        if (entity is null || entity.Entity.IsArchived) return null;
        return new TemplateView
        {
            Key = v.Key,
            Label = v.Name,
            Entity = entity.Key,
            Kind = v.Kind == ViewKind.Kanban ? "kanban" : "list",
            Default = v.IsDefault,
            Columns = v.Definition.Columns.Count > 0 ? v.Definition.Columns : null,
            Sort = v.Definition.Sort.Count > 0 ? v.Definition.Sort : null,
            Filters = v.Definition.Filters.Count > 0 ? v.Definition.Filters : null,
            GroupBy = v.Definition.GroupBy,
            Pipeline = v.Definition.Pipeline,
            CardFields = v.Definition.CardFields.Count > 0 ? v.Definition.CardFields : null,
        };
    }

    private static TemplateReport? ExportReport(Reports.ReportDefinition r, TenantMetadata metadata)
    {
        var entity = metadata.Entity(r.EntityTypeId);
        if (entity is null || entity.Entity.IsArchived) return null;
        return new TemplateReport
        {
            Key = r.Key,
            Label = r.Name,
            Description = r.Description,
            Entity = entity.Key,
            Type = r.Spec.Type,
            Pipeline = r.Spec.Pipeline,
            GroupBy = r.Spec.GroupBy,
            Measure = r.Spec.Measure,
            Filters = r.Spec.Filters.Count > 0 ? r.Spec.Filters : null,
            Chart = r.Spec.Chart,
            Options = r.Spec.Options,
        };
    }
}
