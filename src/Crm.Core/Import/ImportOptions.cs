namespace Crm.Core.Import;

/// <summary>Limits of an import (configuration section <c>Import</c>).</summary>
public sealed class ImportOptions
{
    /// <summary>The largest file accepted, in bytes (50 MB).</summary>
    public long MaxFileBytes { get; set; } = 50L * 1024 * 1024;
    /// <summary>More columns than this is not a record list (a sheet of 1,000 columns is refused with a message).</summary>
    public int MaxColumns { get; set; } = 200;
    public int MaxRows { get; set; } = 200_000;
    /// <summary>
    /// Rows written per batch (one COPY and INSERT … SELECT per table on PostgreSQL) inside the import's one
    /// transaction: 5,000 keeps a batch's rows a few MB while the per-batch statements (temporary tables, round
    /// trips) stay a small share (docs/decisions.md, "Import write path").
    /// </summary>
    public int WriteBatch { get; set; } = 5000;
    /// <summary>How long an import can be undone.</summary>
    public TimeSpan UndoWindow { get; set; } = TimeSpan.FromDays(7);
    /// <summary>Files with more data rows than this are imported as a background job (<see cref="ImportJobs"/>).</summary>
    public int BackgroundRows { get; set; } = 2000;
    /// <summary>How long a job's uploaded table is kept if the job has not run by then.</summary>
    public TimeSpan JobExpiry { get; set; } = TimeSpan.FromDays(1);
    /// <summary>How many of a failed job's errors are kept with it.</summary>
    public int JobErrorLimit { get; set; } = 100;
    /// <summary>How often the import page reads a running job's progress.</summary>
    public TimeSpan JobPollInterval { get; set; } = TimeSpan.FromSeconds(1);
}
