using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Crm.Core.Metadata;

namespace Crm.Core.Templates;

// The template format (templates/schema/crm-template.schema.json describes the same thing for JSON tools).
// Every element has a stable key: [a-z][a-z0-9_]*. Keys are what installs, upgrades and exports match on;
// labels may change freely. See docs/template-format.md.

public sealed class TemplateDocument
{
    [JsonPropertyName("$schema")] public string? Schema { get; set; }
    public string Id { get; set; } = "";
    /// <summary>Semantic version, e.g. 1.2.0. A higher version merges into an installed lower one.</summary>
    public string Version { get; set; } = "1.0.0";
    public LocalizedText Name { get; set; } = LocalizedText.Same("");
    public LocalizedText? Description { get; set; }
    public LocalizedText? Category { get; set; }
    /// <summary>A Material icon name (e.g. "FilterAlt"), shown on the template card.</summary>
    public string? Icon { get; set; }
    public List<TemplateStatusList> StatusLists { get; set; } = [];
    public List<TemplateEntityType> EntityTypes { get; set; } = [];
    public List<TemplateView> Views { get; set; } = [];
    public List<TemplateReport> Reports { get; set; } = [];
    public List<TemplateDashboard> Dashboards { get; set; } = [];
    public List<TemplateRole> Roles { get; set; } = [];
    /// <summary>Optional departments (部门), a tree through <see cref="TemplateDepartment.Parent"/>.</summary>
    public List<TemplateDepartment>? Departments { get; set; }
    /// <summary>Optional automation rules (智能助手), keyed; see <see cref="TemplateRule"/>.</summary>
    public List<TemplateRule>? Rules { get; set; }
    /// <summary>Optional lead and customer pools (公海), keyed per entity type; see <see cref="TemplatePool"/>.</summary>
    public List<TemplatePool>? Pools { get; set; }
    /// <summary>Optional sample records per entity type key; installed only when the admin asks for them.</summary>
    public Dictionary<string, List<TemplateSampleRecord>>? SampleData { get; set; }
}

public sealed class TemplateStatusList
{
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public List<TemplateStatusGroup> Groups { get; set; } = [];
    public List<TemplateStatusOption> Options { get; set; } = [];
}

public sealed class TemplateStatusGroup
{
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public string? Color { get; set; }
    /// <summary>What the group means and how to work with it (e.g. the follow-up strategy of DOMAIN.md).</summary>
    public LocalizedText? Description { get; set; }
}

public sealed class TemplateStatusOption
{
    public string Key { get; set; } = "";
    /// <summary>The key this status had in an earlier version (records point at statuses by id: only the key changes).</summary>
    public string? RenamedFrom { get; set; }
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    /// <summary>Key of a group of the same list.</summary>
    public string? Group { get; set; }
    public string? Color { get; set; }
    public LocalizedText? Description { get; set; }
}

public sealed class TemplateEntityType
{
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public LocalizedText? PluralLabel { get; set; }
    public LocalizedText? Description { get; set; }
    public string? Icon { get; set; }
    /// <summary>The field whose value is the record's title (text, auto-number, e-mail, phone…).</summary>
    public string TitleField { get; set; } = "";
    // Fields that feed the record's typed columns (boards, reports, "mine" filters). Each optional.
    public string? AmountField { get; set; }
    public string? CloseDateField { get; set; }
    public string? OwnerField { get; set; }
    public string? StatusField { get; set; }
    public string? StageField { get; set; }
    /// <summary>A status or single-select field asked for when a record enters a lost stage.</summary>
    public string? LostReasonField { get; set; }
    public List<TemplateSection> Sections { get; set; } = [];
    public List<TemplateField> Fields { get; set; } = [];
    public List<TemplatePipeline> Pipelines { get; set; } = [];
    /// <summary>Optional form rules (显隐规则), keyed, in order; see <see cref="TemplateFormRule"/>.</summary>
    public List<TemplateFormRule>? FormRules { get; set; }
    /// <summary>Keys of fields an earlier version had and this one drops: an upgrade archives them (their values
    /// stay in the records; the tenant may restore them in the designer).</summary>
    public List<string>? RemovedFields { get; set; }
}

/// <summary>
/// A form rule: when <see cref="When"/> holds (list filters joined by "all"/"any"), <see cref="Effects"/> ("show",
/// "require", "readOnly") apply to <see cref="Fields"/> (keys of the same entity type).
/// </summary>
public sealed class TemplateFormRule
{
    public string Key { get; set; } = "";
    public LocalizedText? Name { get; set; }
    public FormRuleCondition When { get; set; } = new();
    public List<string> Fields { get; set; } = [];
    public List<string> Effects { get; set; } = [];

    public FormRule ToRule(string? origin) => new()
    {
        Key = Key, Name = Name, When = new FormRuleCondition { Match = When?.Match ?? "all", Filters = [.. When?.Filters ?? []] },
        Fields = [.. Fields], Effects = [.. Effects], Origin = origin,
    };

    public static TemplateFormRule From(FormRule r) => new()
    {
        Key = r.Key, Name = r.Name, When = new FormRuleCondition { Match = r.When.Match, Filters = [.. r.When.Filters] },
        Fields = [.. r.Fields], Effects = [.. r.Effects],
    };
}

public sealed class TemplateSection
{
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    /// <summary>1 or 2.</summary>
    public int Columns { get; set; } = 2;
}

public sealed class TemplateField
{
    public string Key { get; set; } = "";
    /// <summary>The key this field had in an earlier version: an upgrade renames the installed field and moves its
    /// values in every record (and the views, reports, bindings, formulas and form rules that name it).</summary>
    public string? RenamedFrom { get; set; }
    /// <summary>select and multiselect: keys of options an earlier version had and this one drops (archived on upgrade).</summary>
    public List<string>? RemovedOptions { get; set; }
    /// <summary>text, longtext, number, money, percent, date, datetime, bool, select, multiselect, email, phone,
    /// url, member, lookup, status, stage, autonumber, formula.</summary>
    public string Type { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public LocalizedText? Help { get; set; }
    /// <summary>Key of a section of the entity type; the first section when omitted.</summary>
    public string? Section { get; set; }
    public bool? Required { get; set; }
    public bool? Unique { get; set; }
    public JsonNode? Default { get; set; }
    public decimal? Min { get; set; }
    public decimal? Max { get; set; }
    public int? MaxLength { get; set; }
    public string? Pattern { get; set; }
    public LocalizedText? PatternMessage { get; set; }
    /// <summary>select and multiselect.</summary>
    public List<TemplateChoice>? Options { get; set; }
    /// <summary>money: ISO currency, e.g. CNY.</summary>
    public string? Currency { get; set; }
    public int? Decimals { get; set; }
    /// <summary>lookup: key of the target entity type.</summary>
    public string? Target { get; set; }
    /// <summary>status: key of a status list.</summary>
    public string? StatusList { get; set; }
    /// <summary>autonumber: prefix and zero-padded digits, e.g. "OPP-" and 5 → OPP-00001.</summary>
    public string? Prefix { get; set; }
    public int? Digits { get; set; }
    /// <summary>autonumber: a serial pattern, "HT-{yyyyMMdd}-{0000}".</summary>
    public string? SerialPattern { get; set; }
    /// <summary>autonumber with a serial pattern: never (default), daily, monthly or yearly.</summary>
    public string? SerialReset { get; set; }
    /// <summary>formula: arithmetic over number/money/percent field keys and <c>stage.probability</c>,
    /// e.g. <c>amount * stage.probability / 100</c>.</summary>
    public string? Expression { get; set; }
    /// <summary>formula: how the result is shown (number, money, percent).</summary>
    public string? Format { get; set; }
    /// <summary>formula: what the formula gives: number (default), text, date or boolean.</summary>
    public string? ResultType { get; set; }
    /// <summary>subform column of a number, money, percent or formula type: what the footer shows under it: sum
    /// (default), avg or none (a unit price's sum means nothing).</summary>
    public string? Total { get; set; }
    /// <summary>department: several departments instead of one.</summary>
    public bool? Multiple { get; set; }
    /// <summary>subform: its columns, each a field of a scalar type (key, type, label and that type's settings; no
    /// section, help or default).</summary>
    public List<TemplateField>? Columns { get; set; }
    /// <summary>subform: the fewest and the most rows.</summary>
    public int? MinRows { get; set; }
    public int? MaxRows { get; set; }
    /// <summary>file, image: the most files, the largest file in MB; file: the kinds taken (image, pdf, office, text, archive).</summary>
    public int? MaxFiles { get; set; }
    public int? MaxFileSizeMb { get; set; }
    public List<string>? FileKinds { get; set; }
    /// <summary>lookup (数据联动): fields of the picked record copied into fields of this entity type, e.g. {"from": "industry", "to": "industry"}.</summary>
    public List<LookupFill>? Fill { get; set; }
    /// <summary>lookup: list filters on the target entity type limiting the records offered; a value "$form.key" is this form's field.</summary>
    public List<Crm.Core.Views.FilterSpec>? PickFilter { get; set; }
    /// <summary>lookup (关联数据): fields of the picked record shown read-only under the lookup.</summary>
    public List<string>? ShowFields { get; set; }
}

public sealed class TemplateChoice
{
    public string Key { get; set; } = "";
    /// <summary>The key this option had in an earlier version: an upgrade renames it and rewrites stored values.</summary>
    public string? RenamedFrom { get; set; }
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public string? Color { get; set; }
}

public sealed class TemplatePipeline
{
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public bool Default { get; set; }
    public List<TemplateStage> Stages { get; set; } = [];
}

public sealed class TemplateStage
{
    public string Key { get; set; } = "";
    /// <summary>The key this stage had in an earlier version (records point at stages by id: only the key changes).</summary>
    public string? RenamedFrom { get; set; }
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public string? Color { get; set; }
    /// <summary>Win probability, 0–100.</summary>
    public int Probability { get; set; }
    /// <summary>open, won or lost.</summary>
    public string Kind { get; set; } = "open";
    /// <summary>A deal staying longer than this in the stage is marked stale on boards.</summary>
    public int? StaleAfterDays { get; set; }
}

public sealed class TemplateView
{
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public string Entity { get; set; } = "";
    /// <summary>list or kanban.</summary>
    public string Kind { get; set; } = "list";
    public bool Default { get; set; }
    /// <summary>list: columns in order (field keys).</summary>
    public List<string>? Columns { get; set; }
    public List<Crm.Core.Views.SortSpec>? Sort { get; set; }
    public List<Crm.Core.Views.FilterSpec>? Filters { get; set; }
    /// <summary>kanban: the stage, status or single-select field that makes the columns.</summary>
    public string? GroupBy { get; set; }
    /// <summary>kanban grouped by stage: which pipeline (the default one when omitted).</summary>
    public string? Pipeline { get; set; }
    /// <summary>kanban: fields shown on cards, besides the title.</summary>
    public List<string>? CardFields { get; set; }
}



public sealed class TemplateReport
{
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public LocalizedText? Description { get; set; }
    public string Entity { get; set; } = "";
    /// <summary>custom (group by + measure), or a built-in report: funnel, pipelineValue, winRate, salesCycle,
    /// timeInStage, forecast, statusDistribution, statusTrend, churnWarning, activitiesByOwner,
    /// activitiesByChannel, interactionFrequency, campaignRoi, leadSourceConversion, ticketsByStatus, ticketResolution.</summary>
    public string Type { get; set; } = "custom";
    public string? Pipeline { get; set; }
    public Crm.Core.Reports.GroupBySpec? GroupBy { get; set; }
    public Crm.Core.Reports.MeasureSpec? Measure { get; set; }
    public List<Crm.Core.Views.FilterSpec>? Filters { get; set; }
    /// <summary>bar, line, pie, donut, funnel, table, kpi.</summary>
    public string Chart { get; set; } = "bar";
    /// <summary>Settings of a built-in report (e.g. churnWarning: {"inactiveDays": 30, "atRiskGroups": ["at_risk"]}).</summary>
    public JsonObject? Options { get; set; }
}



public sealed class TemplateDashboard
{
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    /// <summary>The workspace home page shows the default dashboard.</summary>
    public bool Default { get; set; }
    public List<TemplateWidget> Widgets { get; set; } = [];
}

public sealed class TemplateWidget
{
    public string Key { get; set; } = "";
    /// <summary>Key of a report of the same template (or already installed).</summary>
    public string Report { get; set; } = "";
    /// <summary>kpi, chart, table, funnel.</summary>
    public string Kind { get; set; } = "chart";
    public LocalizedText? Title { get; set; }
    /// <summary>Grid position in a 12-column grid.</summary>
    public int X { get; set; }
    public int Y { get; set; }
    public int W { get; set; } = 6;
    public int H { get; set; } = 4;
}

public sealed class TemplateRole
{
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    /// <summary>The permission level the role grants: admin, member or viewer.</summary>
    public string BaseRole { get; set; } = "member";
    public LocalizedText? Description { get; set; }
    /// <summary>What members holding the role may do, per entity type key. Entity types not listed are not
    /// restricted by the role (the member's base role decides).</summary>
    public Dictionary<string, TemplatePermission>? Permissions { get; set; }
}

/// <summary>
/// A role's rights on one entity type. Scopes: none, own, department, departmentTree, all (default all). Field
/// levels: hidden, readOnly, editable (fields not listed are editable).
/// </summary>
public sealed class TemplatePermission
{
    public bool? Create { get; set; }
    public string? Read { get; set; }
    public string? Edit { get; set; }
    public string? Delete { get; set; }
    /// <summary>Member fields that also make a record "own" (besides the owner), e.g. collaborators.</summary>
    public List<string>? OwnerFields { get; set; }
    public Dictionary<string, string>? Fields { get; set; }
}

public sealed class TemplateDepartment
{
    public string Key { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>Key of the parent department (in the template or already in the workspace); none for the top.</summary>
    public string? Parent { get; set; }
}

public sealed class TemplateSampleRecord
{
    /// <summary>Optional key so other sample records can point at this one from a lookup field.</summary>
    public string? Key { get; set; }
    /// <summary>Field values by field key. Lookups name a sample record key; dates may be "$today", "$today+30",
    /// "$today-7"; member fields may be "$me" (the installing admin).</summary>
    public JsonObject Values { get; set; } = [];
    public string? Pipeline { get; set; }
    public int? CreatedDaysAgo { get; set; }
    /// <summary>Stages the record went through before its current one, oldest first, for funnel history.</summary>
    public List<TemplateStageStep>? History { get; set; }
    public List<TemplateSampleActivity>? Activities { get; set; }
}

public sealed class TemplateStageStep
{
    public string Stage { get; set; } = "";
    public int DaysAgo { get; set; }
}

public sealed class TemplateSampleActivity
{
    /// <summary>call, email, meeting, message, note, task.</summary>
    public string Kind { get; set; } = "note";
    public string Subject { get; set; } = "";
    public string? Content { get; set; }
    public int DaysAgo { get; set; }
    /// <summary>task: due in this many days (negative = overdue); completed tasks set Done.</summary>
    public int? DueInDays { get; set; }
    public bool? Done { get; set; }
}
