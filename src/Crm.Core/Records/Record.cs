using Crm.Core.Tenancy;

namespace Crm.Core.Records;

/// <summary>
/// One record of any entity type. <see cref="Values"/> (JSON, jsonb on PostgreSQL) holds every field's value by
/// field key and is the record as users and integrators see it; the typed columns are projections of the
/// entity type's bound fields, kept in step by the record writer, so boards, lists and reports filter, sort and
/// aggregate on indexed columns. Adding a field never runs DDL.
/// </summary>
public sealed class Record : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid EntityTypeId { get; set; }
    public string Title { get; set; } = "";
    public Guid? OwnerId { get; set; }
    /// <summary>The pool (公海) the record belongs to: in it while it has no owner, and the one it returns to.</summary>
    public Guid? PoolId { get; set; }
    public Guid? StatusOptionId { get; set; }
    public Guid? PipelineId { get; set; }
    public Guid? StageId { get; set; }
    public decimal? Amount { get; set; }
    public DateOnly? CloseDate { get; set; }
    /// <summary>Field values as a JSON object, keyed by field key.</summary>
    public string Values { get; set; } = "{}";
    /// <summary>Lower-cased title and text values for the global search box.</summary>
    public string SearchText { get; set; } = "";
    /// <summary>Order inside a board column (smaller first).</summary>
    public double Rank { get; set; }
    public DateTime? StageEnteredAt { get; set; }
    public DateTime? StatusChangedAt { get; set; }
    public DateTime? LastActivityAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public Guid? CreatedBy { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
    public Guid? UpdatedBy { get; set; }
    /// <summary>Optimistic concurrency: incremented by every write; a write based on an older version is refused.</summary>
    public long Version { get; set; } = 1;

    /// <summary>
    /// Typed, indexed copies of custom scalar fields (<see cref="IndexSlots"/>): each entity type maps up to eight
    /// number fields to <c>Num1..Num8</c> and twelve text-like fields (choices, references, dates, text prefixes) to
    /// <c>Text1..Text12</c> (<see cref="Metadata.FieldDefinition.IndexSlot"/>). Kept by <see cref="IndexCopiesStep"/>.
    /// Number slots are <c>double precision</c>: PostgreSQL's numeric comparisons are not leakproof, so under
    /// row-level security <c>numN &gt;= x</c> on a numeric column can only be a filter over every index entry of the
    /// entity type, never an index condition; float8's are leakproof (decisions: cf-plan).
    /// </summary>
    public double? Num1 { get; set; }
    public double? Num2 { get; set; }
    public double? Num3 { get; set; }
    public double? Num4 { get; set; }
    public double? Num5 { get; set; }
    public double? Num6 { get; set; }
    public double? Num7 { get; set; }
    public double? Num8 { get; set; }
    public string? Text1 { get; set; }
    public string? Text2 { get; set; }
    public string? Text3 { get; set; }
    public string? Text4 { get; set; }
    public string? Text5 { get; set; }
    public string? Text6 { get; set; }
    public string? Text7 { get; set; }
    public string? Text8 { get; set; }
    public string? Text9 { get; set; }
    public string? Text10 { get; set; }
    public string? Text11 { get; set; }
    public string? Text12 { get; set; }
}
