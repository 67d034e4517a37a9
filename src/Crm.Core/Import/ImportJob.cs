using Crm.Core.Tenancy;

namespace Crm.Core.Import;

public enum ImportJobStatus
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
}

/// <summary>
/// An import too large to run while the person waits (<see cref="ImportOptions.BackgroundRows"/>): the uploaded
/// table and the request as JSON (<see cref="Payload"/>, cleared once the job ran or at <see cref="ExpiresAt"/>), its
/// status and persisted progress for the page to poll, and the outcome — counts and batch (for undo), or the first
/// <see cref="ImportOptions.JobErrorLimit"/> errors.
/// </summary>
public sealed class ImportJob : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid EntityTypeId { get; set; }
    public string FileName { get; set; } = "";
    /// <summary>The table, mapping, duplicate rule and automation choice (<see cref="ImportJobPayload"/>) as JSON; null once used or expired.</summary>
    public string? Payload { get; set; }
    public ImportJobStatus Status { get; set; }
    public ImportPhase Phase { get; set; }
    public int Done { get; set; }
    public int Total { get; set; }
    public int Rows { get; set; }
    public int Created { get; set; }
    public int Updated { get; set; }
    public int Skipped { get; set; }
    /// <summary>How many errors there were in all; <see cref="Errors"/> holds the first of them.</summary>
    public int ErrorCount { get; set; }
    /// <summary>The first errors (a JSON array of {row, field, message}); null when there were none.</summary>
    public string? Errors { get; set; }
    public Guid? BatchId { get; set; }
    public Guid CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
}
