using System.Collections.Frozen;
using Crm.Core.Fields;

namespace Crm.Core.Metadata;

/// <summary>
/// An immutable snapshot of a tenant's metadata at one <see cref="Version"/>: entity types with their fields and
/// pipelines, status lists with their options. Cached per tenant; every metadata change bumps the version.
/// Treat the entity objects inside as read-only.
/// </summary>
public sealed class TenantMetadata
{
    public TenantMetadata(Guid tenantId, long version, IEnumerable<EntityMeta> entityTypes, IEnumerable<StatusListMeta> statusLists)
    {
        TenantId = tenantId;
        Version = version;
        EntityTypes = entityTypes.OrderBy(e => e.Entity.SortOrder).ThenBy(e => e.Entity.Key, StringComparer.Ordinal).ToList();
        _byKey = EntityTypes.ToFrozenDictionary(e => e.Entity.Key, StringComparer.Ordinal);
        _byId = EntityTypes.ToFrozenDictionary(e => e.Entity.Id);
        StatusLists = statusLists.OrderBy(s => s.List.Key, StringComparer.Ordinal).ToList();
        _listsByKey = StatusLists.ToFrozenDictionary(s => s.List.Key, StringComparer.Ordinal);
        _statusById = StatusLists.SelectMany(s => s.Options.Select(o => (o, s))).ToFrozenDictionary(x => x.o.Id, x => (x.s, x.o));
        _stageById = EntityTypes.SelectMany(e => e.Pipelines).SelectMany(p => p.AllStages.Select(s => (s, p))).ToFrozenDictionary(x => x.s.Id, x => (x.p, x.s));
        foreach (var e in EntityTypes) e.Owner = this;
    }

    private readonly FrozenDictionary<string, EntityMeta> _byKey;
    private readonly FrozenDictionary<Guid, EntityMeta> _byId;
    private readonly FrozenDictionary<string, StatusListMeta> _listsByKey;
    private readonly FrozenDictionary<Guid, (StatusListMeta, StatusOption)> _statusById;
    private readonly FrozenDictionary<Guid, (PipelineMeta, PipelineStage)> _stageById;

    public Guid TenantId { get; }
    public long Version { get; }
    public IReadOnlyList<EntityMeta> EntityTypes { get; }
    public IReadOnlyList<StatusListMeta> StatusLists { get; }

    public EntityMeta? Entity(string key) => _byKey.GetValueOrDefault(key);
    public EntityMeta? Entity(Guid id) => _byId.GetValueOrDefault(id);
    public StatusListMeta? StatusList(string? key) => key is null ? null : _listsByKey.GetValueOrDefault(key);
    public (StatusListMeta List, StatusOption Option)? StatusOption(Guid id) => _statusById.TryGetValue(id, out var v) ? v : null;
    public (PipelineMeta Pipeline, PipelineStage Stage)? Stage(Guid id) => _stageById.TryGetValue(id, out var v) ? v : null;

    public static TenantMetadata Empty(Guid tenantId) => new(tenantId, 0, [], []);
}

public sealed class EntityMeta
{
    private readonly FrozenDictionary<string, FieldDefinition> _fields;
    private readonly FrozenDictionary<string, PipelineMeta> _pipelines;
    private object? _schema;
    private object? _validationSchema;

    public EntityMeta(EntityType entity, IEnumerable<FieldDefinition> fields, IEnumerable<PipelineMeta> pipelines)
    {
        Entity = entity;
        AllFields = fields.OrderBy(f => f.SortOrder).ThenBy(f => f.Key, StringComparer.Ordinal).ToList();
        Fields = AllFields.Where(f => !f.IsArchived).ToList();
        _fields = AllFields.ToFrozenDictionary(f => f.Key, StringComparer.Ordinal);
        AllPipelines = pipelines.OrderBy(p => p.Pipeline.SortOrder).ThenBy(p => p.Pipeline.Key, StringComparer.Ordinal).ToList();
        Pipelines = AllPipelines.Where(p => !p.Pipeline.IsArchived).ToList();
        _pipelines = AllPipelines.ToFrozenDictionary(p => p.Pipeline.Key, StringComparer.Ordinal);
    }

    public TenantMetadata Owner { get; internal set; } = default!;
    public EntityType Entity { get; }
    public string Key => Entity.Key;
    /// <summary>Active (not archived) fields in form order.</summary>
    public IReadOnlyList<FieldDefinition> Fields { get; }
    /// <summary>All fields, archived ones included (their values are still in the records).</summary>
    public IReadOnlyList<FieldDefinition> AllFields { get; }
    public IReadOnlyList<PipelineMeta> Pipelines { get; }
    public IReadOnlyList<PipelineMeta> AllPipelines { get; }

    public FieldDefinition? Field(string? key) => key is null ? null : _fields.GetValueOrDefault(key);
    public PipelineMeta? Pipeline(string? key) => key is null ? null : _pipelines.GetValueOrDefault(key);
    public PipelineMeta? Pipeline(Guid id) => AllPipelines.FirstOrDefault(p => p.Pipeline.Id == id);
    public PipelineMeta? DefaultPipeline => Pipelines.FirstOrDefault(p => p.Pipeline.IsDefault) ?? Pipelines.FirstOrDefault();

    public FieldDefinition? TitleField => Field(Entity.TitleFieldKey);
    public FieldDefinition? AmountField => Field(Entity.AmountFieldKey);
    public FieldDefinition? CloseDateField => Field(Entity.CloseDateFieldKey);
    public FieldDefinition? OwnerField => Field(Entity.OwnerFieldKey);
    public FieldDefinition? StatusField => Field(Entity.StatusFieldKey);
    public FieldDefinition? StageField => Field(Entity.StageFieldKey);
    public FieldDefinition? LostReasonField => Field(Entity.LostReasonFieldKey);

    /// <summary>
    /// The compiled JSON Schema of this entity type's values, built once per metadata version: this object is
    /// cached with its version, so the schema is too (two threads racing may both compile; one result is kept).
    /// </summary>
    public NJsonSchema.JsonSchema Schema
    {
        get
        {
            if (_schema is null) Interlocked.CompareExchange(ref _schema, Records.RecordSchemaCompiler.Compile(this), null);
            return (NJsonSchema.JsonSchema)_schema;
        }
    }

    /// <summary>True once <see cref="Schema"/> and <see cref="ValidationSchema"/> have been built for this version.</summary>
    public bool IsSchemaCompiled => Volatile.Read(ref _schema) is not null && Volatile.Read(ref _validationSchema) is not null;

    /// <summary>The schema the server validates with: <see cref="Schema"/> without patterns, which NJsonSchema would
    /// run on a backtracking engine; <see cref="Records.RecordValidator"/> matches them with <see cref="Fields.FieldPattern"/>.</summary>
    public NJsonSchema.JsonSchema ValidationSchema
    {
        get
        {
            if (_validationSchema is null) Interlocked.CompareExchange(ref _validationSchema, Records.RecordSchemaCompiler.Compile(this, withPatterns: false), null);
            return (NJsonSchema.JsonSchema)_validationSchema;
        }
    }
}

public sealed class PipelineMeta
{
    private readonly FrozenDictionary<string, PipelineStage> _stages;

    public PipelineMeta(Pipeline pipeline, IEnumerable<PipelineStage> stages)
    {
        Pipeline = pipeline;
        AllStages = stages.OrderBy(s => s.SortOrder).ThenBy(s => s.Key, StringComparer.Ordinal).ToList();
        Stages = AllStages.Where(s => !s.IsArchived).ToList();
        _stages = AllStages.ToFrozenDictionary(s => s.Key, StringComparer.Ordinal);
    }

    public Pipeline Pipeline { get; }
    public string Key => Pipeline.Key;
    public IReadOnlyList<PipelineStage> Stages { get; }
    public IReadOnlyList<PipelineStage> AllStages { get; }
    public PipelineStage? Stage(string? key) => key is null ? null : _stages.GetValueOrDefault(key);
    public PipelineStage? Stage(Guid id) => AllStages.FirstOrDefault(s => s.Id == id);
    public PipelineStage? FirstOpenStage => Stages.FirstOrDefault(s => s.Kind == StageKind.Open) ?? Stages.FirstOrDefault();
}

public sealed class StatusListMeta
{
    private readonly FrozenDictionary<string, StatusOption> _options;

    public StatusListMeta(StatusList list, IEnumerable<StatusOption> options)
    {
        List = list;
        AllOptions = options.OrderBy(o => o.SortOrder).ThenBy(o => o.Key, StringComparer.Ordinal).ToList();
        Options = AllOptions.Where(o => !o.IsArchived).ToList();
        _options = AllOptions.ToFrozenDictionary(o => o.Key, StringComparer.Ordinal);
    }

    public StatusList List { get; }
    public string Key => List.Key;
    public IReadOnlyList<StatusOption> Options { get; }
    public IReadOnlyList<StatusOption> AllOptions { get; }
    public StatusOption? Option(string? key) => key is null ? null : _options.GetValueOrDefault(key);
    public StatusGroup? Group(string? key) => List.Groups.FirstOrDefault(g => g.Key == key);
}
