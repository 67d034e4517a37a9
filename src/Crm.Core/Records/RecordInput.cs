using System.Text.Json.Nodes;
using Crm.Core.Accounts;

namespace Crm.Core.Records;

/// <summary>What a form, the API, an import or a template sends to create or change a record.</summary>
public sealed record RecordInput(JsonObject Values)
{
    /// <summary>The pipeline (key) the stage belongs to; the entity type's default pipeline when omitted.</summary>
    public string? Pipeline { get; init; }
    /// <summary>Update: the version the client read. A different current version is a conflict, never an overwrite.</summary>
    public long? ExpectedVersion { get; init; }
    /// <summary>Update: replace all values (fields not sent are cleared) instead of changing only the fields sent.</summary>
    public bool ReplaceAll { get; init; }
    /// <summary>Position inside a board column.</summary>
    public double? Rank { get; init; }
    /// <summary>Imports and template sample data only: when this happened (backdated history).</summary>
    public DateTime? AsOf { get; init; }

    public static RecordInput Of(params (string Key, JsonNode? Value)[] values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values) o[k] = v;
        return new RecordInput(o);
    }
}

/// <summary>The outcome of a write: the saved record, field-keyed errors, or a conflict with the current record.</summary>
public sealed record RecordResult(Record? Record, ValidationErrors Errors, Record? Conflict = null, bool NotFound = false)
{
    public bool Succeeded => Record is not null && Errors.IsEmpty && Conflict is null && !NotFound;
    public static RecordResult Invalid(ValidationErrors errors) => new(null, errors);
}

/// <summary>A record that another write changed since it was read (or that no longer exists).</summary>
public sealed class RecordConflictException(Record? current) : Exception("The record was changed by someone else.")
{
    public Record? Current { get; } = current;
}

/// <summary>The record changed between validation and the write; validate again against its new values.</summary>
public sealed class RecordStaleException(Record current) : Exception("The record changed while the write was being validated.")
{
    public Record Current { get; } = current;
}

/// <summary>
/// A validated write waiting to be applied (<see cref="RecordWriter.ApplyAsync"/>): the values as they will be saved
/// (before computed fields), the pipeline, the record as read, and the errors (when not empty, nothing is written).
/// </summary>
public sealed record RecordDraft(
    Metadata.EntityMeta Entity,
    Record Record,
    JsonObject Before,
    JsonObject Values,
    Metadata.PipelineMeta? Pipeline,
    RecordInput Input,
    bool IsNew,
    DateTime At,
    ValidationErrors Errors)
{
    public bool Succeeded => Errors.IsEmpty;
    internal static RecordDraft Failed(ValidationErrors errors) => new(null!, null!, [], [], null, new RecordInput([]), false, default, errors);
}
