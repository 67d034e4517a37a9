using Crm.Core.Metadata;

namespace Crm.Core.Design;

/// <summary>
/// The designer's working copy of a status list: its label, groups and options in order. An option of the stored
/// list that is missing from the draft is deleted on save; records that use it move to the option named in
/// <see cref="Moves"/>.
/// </summary>
public sealed class StatusListDraft
{
    public bool IsNew { get; set; }
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public List<StatusGroupDraft> Groups { get; set; } = [];
    public List<StatusOptionDraft> Options { get; set; } = [];
    /// <summary>Deleted option key → option key its records move to.</summary>
    public Dictionary<string, string> Moves { get; set; } = [];
    public DateTime? BaseUpdatedAt { get; set; }

    public static StatusListDraft From(StatusListMeta meta) => new()
    {
        Key = meta.Key,
        Label = meta.List.Label,
        Groups = meta.List.Groups.Select(g => new StatusGroupDraft { Key = g.Key, Label = g.Label, Color = g.Color, Description = g.Description }).ToList(),
        Options = meta.AllOptions.Select(o => new StatusOptionDraft
        {
            Key = o.Key, Label = o.Label, GroupKey = o.GroupKey, Color = o.Color, Description = o.Description, IsArchived = o.IsArchived,
        }).ToList(),
        BaseUpdatedAt = meta.List.UpdatedAt,
    };

    public static StatusListDraft Create(LocalizedText label, IEnumerable<string> takenKeys) => new()
    {
        IsNew = true,
        Key = MetadataKeys.Derive(label.En.Length > 0 ? label.En : label.ZhCn, takenKeys, "status_list"),
        Label = label,
    };

    public StatusOptionDraft AddOption(LocalizedText label, string? groupKey = null)
    {
        var option = new StatusOptionDraft
        {
            IsNew = true,
            Key = MetadataKeys.Derive(label.En.Length > 0 ? label.En : label.ZhCn, Options.Select(o => o.Key), "status"),
            Label = label,
            GroupKey = groupKey,
            Color = ChoicePalette.At(Options.Count),
        };
        Options.Add(option);
        return option;
    }

    public StatusGroupDraft AddGroup(LocalizedText label)
    {
        var group = new StatusGroupDraft
        {
            IsNew = true,
            Key = MetadataKeys.Derive(label.En.Length > 0 ? label.En : label.ZhCn, Groups.Select(g => g.Key), "group"),
            Label = label,
        };
        Groups.Add(group);
        return group;
    }

    public StatusListDraft Clone()
    {
        var copy = (StatusListDraft)MemberwiseClone();
        copy.Groups = Groups.Select(g => (StatusGroupDraft)g.Clone()).ToList();
        copy.Options = Options.Select(o => o.Clone()).ToList();
        copy.Moves = new Dictionary<string, string>(Moves);
        return copy;
    }

    /// <summary>The list as the rest of the product sees it (for previews of fields that use it).</summary>
    public StatusListMeta ToMeta(Guid id) => new(
        new StatusList { Id = id, Key = Key, Label = Label, Groups = Groups.Select(g => new StatusGroup(g.Key, g.Label, g.Color, g.Description)).ToList() },
        Options.Select((o, i) => new StatusOption { Key = o.Key, Label = o.Label, GroupKey = o.GroupKey, Color = o.Color, SortOrder = i, IsArchived = o.IsArchived }));
}

public sealed class StatusGroupDraft
{
    public bool IsNew { get; set; }
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public string? Color { get; set; }
    public LocalizedText? Description { get; set; }
    public StatusGroupDraft Clone() => (StatusGroupDraft)MemberwiseClone();
}

public sealed class StatusOptionDraft
{
    public bool IsNew { get; set; }
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public string? GroupKey { get; set; }
    public string Color { get; set; } = "#868e96";
    public LocalizedText? Description { get; set; }
    public bool IsArchived { get; set; }
    public StatusOptionDraft Clone() => (StatusOptionDraft)MemberwiseClone();
}

/// <summary>
/// The designer's working copy of one pipeline of an entity type: label, default flag and stages in order. A
/// stored stage missing from the draft is deleted on save; its records move to the stage named in <see cref="Moves"/>.
/// </summary>
public sealed class PipelineDraft
{
    public bool IsNew { get; set; }
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public bool IsDefault { get; set; }
    public bool IsArchived { get; set; }
    public List<StageDraft> Stages { get; set; } = [];
    /// <summary>Deleted stage key → stage key its records move to.</summary>
    public Dictionary<string, string> Moves { get; set; } = [];
    public DateTime? BaseUpdatedAt { get; set; }

    public static PipelineDraft From(PipelineMeta meta) => new()
    {
        Key = meta.Key,
        Label = meta.Pipeline.Label,
        IsDefault = meta.Pipeline.IsDefault,
        IsArchived = meta.Pipeline.IsArchived,
        Stages = meta.AllStages.Select(s => new StageDraft
        {
            Key = s.Key, Label = s.Label, Color = s.Color, Probability = s.Probability, Kind = s.Kind, StaleAfterDays = s.StaleAfterDays, IsArchived = s.IsArchived,
        }).ToList(),
        BaseUpdatedAt = meta.Pipeline.UpdatedAt,
    };

    /// <summary>A new pipeline with the usual ends: one open stage, won and lost.</summary>
    public static PipelineDraft Create(LocalizedText label, IEnumerable<string> takenKeys)
    {
        var draft = new PipelineDraft
        {
            IsNew = true,
            Key = MetadataKeys.Derive(label.En.Length > 0 ? label.En : label.ZhCn, takenKeys, "pipeline"),
            Label = label,
        };
        draft.AddStage(new LocalizedText("初步接触", "First contact")).Probability = 10;
        draft.Stages.Add(new StageDraft { IsNew = true, Key = "won", Label = new LocalizedText("成交", "Won"), Kind = StageKind.Won, Probability = 100, Color = "#2f9e44" });
        draft.Stages.Add(new StageDraft { IsNew = true, Key = "lost", Label = new LocalizedText("输单", "Lost"), Kind = StageKind.Lost, Color = "#868e96" });
        return draft;
    }

    public StageDraft AddStage(LocalizedText label)
    {
        var stage = new StageDraft
        {
            IsNew = true,
            Key = MetadataKeys.Derive(label.En.Length > 0 ? label.En : label.ZhCn, Stages.Select(s => s.Key), "stage"),
            Label = label,
            Color = ChoicePalette.At(Stages.Count),
        };
        // New open stages go before the first won or lost stage, where a funnel expects them.
        var end = Stages.FindIndex(s => s.Kind != StageKind.Open);
        Stages.Insert(end < 0 ? Stages.Count : end, stage);
        return stage;
    }

    public PipelineDraft Clone()
    {
        var copy = (PipelineDraft)MemberwiseClone();
        copy.Stages = Stages.Select(s => s.Clone()).ToList();
        copy.Moves = new Dictionary<string, string>(Moves);
        return copy;
    }
}

public sealed class StageDraft
{
    public bool IsNew { get; set; }
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public string Color { get; set; } = "#4dabf7";
    public int Probability { get; set; }
    public StageKind Kind { get; set; }
    public int? StaleAfterDays { get; set; }
    public bool IsArchived { get; set; }
    public StageDraft Clone() => (StageDraft)MemberwiseClone();
}

/// <summary>Colours offered for options, statuses and stages (readable on white and on the dark theme).</summary>
public static class ChoicePalette
{
    public static readonly IReadOnlyList<string> Colors =
        ["#4dabf7", "#748ffc", "#9775fa", "#f783ac", "#ff8787", "#ffa94d", "#ffd43b", "#a9e34b", "#69db7c", "#38d9a9", "#3bc9db", "#868e96"];

    public static string At(int index) => Colors[((index % Colors.Count) + Colors.Count) % Colors.Count];

    public static bool IsValid(string? color) => color is not null && System.Text.RegularExpressions.Regex.IsMatch(color, "^#[0-9a-fA-F]{6}$");
}
