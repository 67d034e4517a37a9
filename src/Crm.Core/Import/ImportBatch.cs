using Crm.Core.Tenancy;

namespace Crm.Core.Import;

public enum ImportBatchState
{
    Completed = 0,
    Undone = 1,
}

/// <summary>
/// One import, as a unit that can be undone for <see cref="ImportOptions.UndoWindow"/>: who imported what into which
/// entity type, the counts, and (in <see cref="ImportBatchItem"/>) each record it created or the values it replaced.
/// </summary>
public sealed class ImportBatch : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid EntityTypeId { get; set; }
    public string FileName { get; set; } = "";
    public Guid CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public int Created { get; set; }
    public int Updated { get; set; }
    public int Skipped { get; set; }
    public ImportBatchState State { get; set; }
    public DateTime? UndoneAt { get; set; }
    public Guid? UndoneBy { get; set; }
}

/// <summary>A record an import created (<see cref="Before"/> null) or changed (its values before, as JSON).</summary>
[Crm.Core.Data.TenantThroughParent("(TenantId, BatchId) → import_batches, which cascades; one key check per imported row fewer.")]
public sealed class ImportBatchItem : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid BatchId { get; set; }
    public Guid RecordId { get; set; }
    public string? Before { get; set; }
}

/// <summary>A mapping saved for reuse: an entity type's header texts → field keys, named by its maker.</summary>
public sealed class ImportMappingPreset : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid EntityTypeId { get; set; }
    public string Name { get; set; } = "";
    /// <summary>Normalised header text → field key.</summary>
    public Dictionary<string, string> Columns { get; set; } = [];
    public Guid CreatedBy { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}
