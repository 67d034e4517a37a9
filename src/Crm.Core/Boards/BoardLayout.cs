using Crm.Core.Metadata;

namespace Crm.Core.Boards;

/// <summary>How a board's group-by field is read in SQL.</summary>
public enum BoardGroupKind
{
    /// <summary>The entity type's stage field: the typed <c>stage_id</c> column, within one pipeline.</summary>
    Stage,
    /// <summary>The entity type's bound status field: the typed <c>status_option_id</c> column.</summary>
    Status,
    /// <summary>A single select (or an unbound status field): the option key read from the JSON values.</summary>
    Choice,
}

/// <summary>
/// One column of a board: a stage, status or select option. <see cref="Key"/> is the option key, or
/// <see cref="BoardLayout.NoValueKey"/> for records without a value.
/// </summary>
public sealed record BoardColumnDef(
    string Key,
    LocalizedText Label,
    string? Color,
    Guid? Id = null,
    int? Probability = null,
    StageKind? StageKind = null,
    int? StaleAfterDays = null,
    bool IsArchived = false)
{
    public bool IsNoValue => Key == BoardLayout.NoValueKey;
    public bool IsWon => StageKind == Metadata.StageKind.Won;
    public bool IsLost => StageKind == Metadata.StageKind.Lost;
}

/// <summary>
/// A board's columns resolved from metadata: which field groups the cards, read how, and which pipeline
/// (stage boards show one pipeline at a time). Archived options and "no value" are columns too; the board shows
/// them only while they hold records.
/// </summary>
public sealed class BoardLayout
{
    public const string NoValueKey = "__none";

    private BoardLayout(EntityMeta entity, FieldDefinition field, BoardGroupKind kind, PipelineMeta? pipeline, IReadOnlyList<BoardColumnDef> columns)
        => (Entity, GroupField, Kind, Pipeline, Columns) = (entity, field, kind, pipeline, columns);

    public EntityMeta Entity { get; }
    public FieldDefinition GroupField { get; }
    public BoardGroupKind Kind { get; }
    /// <summary>The pipeline shown (stage boards only).</summary>
    public PipelineMeta? Pipeline { get; }
    /// <summary>Every column in order: active options, then archived ones, then "no value".</summary>
    public IReadOnlyList<BoardColumnDef> Columns { get; }

    public BoardColumnDef? Column(string? key) => Columns.FirstOrDefault(c => c.Key == key);

    /// <summary>Fields a board can be grouped by: the stage field (when there are pipelines), status and single-select fields.</summary>
    /// <param name="canSee">The person's field rights: a field hidden from them is never a board's grouping.</param>
    public static IReadOnlyList<FieldDefinition> GroupableFields(EntityMeta entity, Func<string, bool>? canSee = null)
        => entity.Fields.Where(f => canSee?.Invoke(f.Key) != false).Where(f => f.Type switch
        {
            "stage" => f.Key == entity.Entity.StageFieldKey && entity.Pipelines.Count > 0,
            "status" => entity.Owner.StatusList(f.Settings.StatusList) is not null,
            "select" => (f.Settings.Options?.Count ?? 0) > 0,
            _ => false,
        }).ToList();

    /// <summary>The default group-by field: the stage field, else the status field, else the first select.</summary>
    public static FieldDefinition? DefaultGroupField(EntityMeta entity, Func<string, bool>? canSee = null)
    {
        var fields = GroupableFields(entity, canSee);
        return fields.FirstOrDefault(f => f.Key == entity.Entity.StageFieldKey)
            ?? fields.FirstOrDefault(f => f.Key == entity.Entity.StatusFieldKey)
            ?? fields.FirstOrDefault(f => f.Type == "status")
            ?? fields.FirstOrDefault();
    }

    /// <summary>
    /// Resolves the columns for <paramref name="groupBy"/> (falls back to the default field when it is unknown or
    /// not groupable) and <paramref name="pipeline"/> (falls back to the default pipeline). Null when the entity
    /// type has nothing to group by.
    /// </summary>
    public static BoardLayout? Resolve(EntityMeta entity, string? groupBy, string? pipeline, Func<string, bool>? canSee = null)
    {
        var groupable = GroupableFields(entity, canSee);
        var field = groupable.FirstOrDefault(f => f.Key == groupBy) ?? DefaultGroupField(entity, canSee);
        if (field is null) return null;
        var noValue = new BoardColumnDef(NoValueKey, new LocalizedText("未设置", "No value"), "#adb5bd");
        switch (field.Type)
        {
            case "stage":
            {
                var p = entity.Pipeline(pipeline) is { Pipeline.IsArchived: false } chosen ? chosen : entity.DefaultPipeline!;
                var columns = p.Stages.Concat(p.AllStages.Where(s => s.IsArchived))
                    .Select(s => new BoardColumnDef(s.Key, s.Label, s.Color, s.Id, s.Probability, s.Kind, s.StaleAfterDays, s.IsArchived))
                    .ToList();
                // A stage board shows one pipeline; every record in it has a stage, so there is no "no value" column.
                return new BoardLayout(entity, field, BoardGroupKind.Stage, p, columns);
            }
            case "status":
            {
                var list = entity.Owner.StatusList(field.Settings.StatusList)!;
                var columns = list.Options.Concat(list.AllOptions.Where(o => o.IsArchived))
                    .Select(o => new BoardColumnDef(o.Key, o.Label, o.Color, o.Id, IsArchived: o.IsArchived))
                    .Append(noValue)
                    .ToList();
                var kind = field.Key == entity.Entity.StatusFieldKey ? BoardGroupKind.Status : BoardGroupKind.Choice;
                return new BoardLayout(entity, field, kind, null, columns);
            }
            default:
            {
                var options = field.Settings.Options ?? [];
                var columns = options.Where(o => !o.IsArchived).Concat(options.Where(o => o.IsArchived))
                    .Select(o => new BoardColumnDef(o.Key, o.Label, o.Color, IsArchived: o.IsArchived))
                    .Append(noValue)
                    .ToList();
                return new BoardLayout(entity, field, BoardGroupKind.Choice, null, columns);
            }
        }
    }

    /// <summary>Stage probabilities of every pipeline of the entity type (the weighted sum reads the record's own stage).</summary>
    public IReadOnlyList<(Guid StageId, int Probability)> StageProbabilities
        => Entity.AllPipelines.SelectMany(p => p.AllStages).Where(s => s.Probability > 0).Select(s => (s.Id, s.Probability)).ToList();
}
