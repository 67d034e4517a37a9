namespace Crm.Core.Files;

/// <summary>Files and images (<c>Files:*</c> in configuration).</summary>
public sealed class FileStorageOptions
{
    /// <summary>Where <see cref="LocalFileStore"/> keeps files, one folder per workspace (<c>Files:Root</c>). Empty:
    /// a "files" folder beside the SQLite database, or under the app's data folder on PostgreSQL.</summary>
    public string? Root { get; set; }

    /// <summary>The largest file anyone may upload, whatever a field allows (<c>Files:MaxUploadBytes</c>, 25 MB).</summary>
    public long MaxUploadBytes { get; set; } = 25L * 1024 * 1024;

    /// <summary>An uploaded file that no record holds after this long is removed by the sweep (<c>Files:PendingLifetime</c>).</summary>
    public TimeSpan PendingLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Bytes in the store without a file row (a crash between writing and saving, a deleted record or
    /// workspace) are removed when older than this (<c>Files:OrphanAge</c>): younger ones may be an upload under way.</summary>
    public TimeSpan OrphanAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Images with more pixels than this are refused (decompression bombs; <c>Files:MaxImagePixels</c>, 40 MP).</summary>
    public long MaxImagePixels { get; set; } = 40_000_000;

    /// <summary>The longer side of a thumbnail, in pixels.</summary>
    public int ThumbnailSize { get; set; } = 256;
}
