using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Reports;
using Crm.Core.Tenancy;
using Crm.Core.Views;

namespace Crm.Core.Templates;

/// <summary>Template elements ↔ metadata entities, both ways (install and export use the same rules).</summary>
public static class TemplateMapping
{
    public static readonly LocalizedText DefaultSectionLabel = new("基本信息", "Details");
    public const string DefaultSectionKey = "main";

    public static FieldSettings Settings(TemplateField f) => new()
    {
        Required = f.Required ?? false,
        Unique = f.Unique ?? false,
        Default = f.Default?.DeepClone(),
        Min = f.Min,
        Max = f.Max,
        MaxLength = f.MaxLength,
        Pattern = f.Pattern,
        PatternMessage = f.PatternMessage,
        Options = f.Options?.Select(o => new ChoiceOption(o.Key, o.Label, o.Color)).ToList(),
        Currency = f.Currency,
        Decimals = f.Decimals,
        Target = f.Target,
        StatusList = f.StatusList,
        Prefix = f.Prefix,
        Digits = f.Digits,
        SerialPattern = f.SerialPattern,
        SerialReset = f.SerialReset is Fields.SerialReset.Never ? null : f.SerialReset,
        Expression = f.Expression,
        Format = f.Format,
        ResultType = f.ResultType is null or "number" ? null : f.ResultType,
        Total = f.Total is null or Fields.Types.SubformField.TotalSum ? null : f.Total,
        Multiple = f.Multiple == true ? true : null,
        Columns = f.Columns?.Select(c => new SubformColumn { Key = c.Key, Type = c.Type, Label = c.Label, Settings = Settings(c) with { Columns = null } }).ToList(),
        MinRows = f.MinRows,
        MaxRows = f.MaxRows,
        MaxFiles = f.MaxFiles,
        MaxFileSizeMb = f.MaxFileSizeMb,
        FileKinds = f.FileKinds is { Count: > 0 } ? [.. f.FileKinds] : null,
        Fill = f.Fill is { Count: > 0 } ? [.. f.Fill] : null,
        PickFilter = f.PickFilter is { Count: > 0 } ? [.. f.PickFilter] : null,
        ShowFields = f.ShowFields is { Count: > 0 } ? [.. f.ShowFields] : null,
    };

    public static TemplateField Field(FieldDefinition f) => new()
    {
        Key = f.Key,
        Type = f.Type,
        Label = f.Label,
        Help = f.HelpText,
        Section = f.SectionKey,
        Required = f.Settings.Required ? true : null,
        Unique = f.Settings.Unique ? true : null,
        Default = f.Settings.Default?.DeepClone(),
        Min = f.Settings.Min,
        Max = f.Settings.Max,
        // The format takes maxLength on text/longtext and a pattern on text/phone only; workspaces set up before it
        // said so may still hold them on other types (where they never had an effect): leave them out, so that an
        // export always installs again.
        MaxLength = f.Type is FieldTypes.Text or FieldTypes.LongText ? f.Settings.MaxLength : null,
        Pattern = HasPattern(f.Type) ? f.Settings.Pattern : null,
        PatternMessage = HasPattern(f.Type) ? f.Settings.PatternMessage : null,
        Options = f.Settings.Options?.Where(o => !o.IsArchived).Select(o => new TemplateChoice { Key = o.Key, Label = o.Label, Color = o.Color }).ToList(),
        Currency = f.Settings.Currency,
        Decimals = f.Settings.Decimals,
        Target = f.Settings.Target,
        StatusList = f.Settings.StatusList,
        Prefix = f.Settings.Prefix,
        Digits = f.Settings.Digits,
        SerialPattern = f.Settings.SerialPattern,
        SerialReset = f.Settings.SerialReset,
        Expression = f.Settings.Expression,
        Format = f.Settings.Format,
        ResultType = f.Settings.ResultType is null or "number" ? null : f.Settings.ResultType,
        Total = f.Settings.Total is null or Fields.Types.SubformField.TotalSum ? null : f.Settings.Total,
        Multiple = f.Settings.Multiple == true ? true : null,
        Columns = f.Settings.Columns?.Select(c => Column(Field(c.AsField()))).ToList(),
        MinRows = f.Settings.MinRows,
        MaxRows = f.Settings.MaxRows,
        MaxFiles = f.Settings.MaxFiles,
        MaxFileSizeMb = f.Settings.MaxFileSizeMb,
        FileKinds = f.Settings.FileKinds is { Count: > 0 } ? [.. f.Settings.FileKinds] : null,
        Fill = f.Settings.Fill is { Count: > 0 } ? [.. f.Settings.Fill] : null,
        PickFilter = f.Settings.PickFilter is { Count: > 0 } ? [.. f.Settings.PickFilter] : null,
        ShowFields = f.Settings.ShowFields is { Count: > 0 } ? [.. f.Settings.ShowFields] : null,
    };

    /// <summary>A subform column as the template writes it: what a field says, without section, help or default.</summary>
    private static TemplateField Column(TemplateField c)
    {
        c.Section = null;
        c.Help = null;
        c.Default = null;
        c.Unique = null;
        return c;
    }

    private static bool HasPattern(string type) => type is FieldTypes.Text or FieldTypes.Phone;

    public static StageKind Kind(string kind) => kind switch
    {
        "won" => StageKind.Won,
        "lost" => StageKind.Lost,
        _ => StageKind.Open,
    };

    public static string Kind(StageKind kind) => kind switch
    {
        StageKind.Won => "won",
        StageKind.Lost => "lost",
        _ => "open",
    };

    public static MemberRole BaseRole(string role) => role switch
    {
        "admin" => MemberRole.Admin,
        "viewer" => MemberRole.Viewer,
        _ => MemberRole.Member,
    };

    public static ViewDefinition ViewDefinition(TemplateView v) => new()
    {
        Columns = v.Columns?.ToList() ?? [],
        Sort = v.Sort?.ToList() ?? [],
        Filters = v.Filters?.ToList() ?? [],
        GroupBy = v.GroupBy,
        Pipeline = v.Pipeline,
        CardFields = v.CardFields?.ToList() ?? [],
    };

    public static ReportSpec ReportSpec(TemplateReport r) => new()
    {
        Type = r.Type,
        Pipeline = r.Pipeline,
        GroupBy = r.GroupBy,
        Measure = r.Measure,
        Filters = r.Filters?.ToList() ?? [],
        Chart = r.Chart,
        Options = r.Options?.DeepClone().AsObject(),
    };

    public static List<DashboardWidget> Widgets(TemplateDashboard d)
        => d.Widgets.Select(w => new DashboardWidget(w.Key, w.Report, w.Kind, w.Title, w.X, w.Y, w.W, w.H)).ToList();

    /// <summary>Template scope names ↔ <see cref="Permissions.DataScope"/>.</summary>
    public static readonly IReadOnlyDictionary<string, Permissions.DataScope> Scopes = new Dictionary<string, Permissions.DataScope>(StringComparer.Ordinal)
    {
        ["none"] = Permissions.DataScope.None,
        ["own"] = Permissions.DataScope.Own,
        ["department"] = Permissions.DataScope.OwnAndDepartment,
        ["departmentTree"] = Permissions.DataScope.OwnAndDepartmentTree,
        ["all"] = Permissions.DataScope.All,
    };

    public static readonly IReadOnlyDictionary<string, Permissions.FieldAccessLevel> FieldLevels = new Dictionary<string, Permissions.FieldAccessLevel>(StringComparer.Ordinal)
    {
        ["editable"] = Permissions.FieldAccessLevel.Editable,
        ["readOnly"] = Permissions.FieldAccessLevel.ReadOnly,
        ["hidden"] = Permissions.FieldAccessLevel.Hidden,
    };

    public static Permissions.DataScope Scope(string? name) => name is not null && Scopes.TryGetValue(name, out var s) ? s : Permissions.DataScope.All;
    public static string ScopeName(Permissions.DataScope scope) => Scopes.First(x => x.Value == scope).Key;
    public static string LevelName(Permissions.FieldAccessLevel level) => FieldLevels.First(x => x.Value == level).Key;

    /// <summary>A template permission as the rights it stands for (defaults filled in, editable fields left out).</summary>
    public static Permissions.PermissionInput Permission(TemplatePermission p) => new(
        p.Create ?? true, Scope(p.Read), Scope(p.Edit), Scope(p.Delete),
        (p.OwnerFields ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
        (p.Fields ?? []).Where(f => FieldLevels.TryGetValue(f.Value, out var l) && l != Permissions.FieldAccessLevel.Editable)
            .OrderBy(f => f.Key, StringComparer.Ordinal).ToDictionary(f => f.Key, f => FieldLevels[f.Value]));

    /// <summary>The rights of a stored permission as the template writes them (defaults left out).</summary>
    public static TemplatePermission Permission(Permissions.EntityPermission p) => new()
    {
        Create = p.CanCreate ? null : false,
        Read = p.Read == Permissions.DataScope.All ? null : ScopeName(p.Read),
        Edit = p.Edit == Permissions.DataScope.All ? null : ScopeName(p.Edit),
        Delete = p.Delete == Permissions.DataScope.All ? null : ScopeName(p.Delete),
        OwnerFields = p.OwnerFieldKeys.Count == 0 ? null : p.OwnerFieldKeys.Order(StringComparer.Ordinal).ToList(),
        Fields = p.Fields.Count == 0 ? null : p.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).ToDictionary(f => f.Key, f => LevelName(f.Value)),
    };
}
