namespace Crm.Core.Files;

/// <summary>
/// Where file bytes live, by key. Keys are made by the app only (<see cref="FileKeys"/>: a workspace's folder and a
/// file id), never from a user's file name, so no input can name a path. The local disk (<see cref="LocalFileStore"/>)
/// is the default; an S3-compatible store implements the same five calls (put, get, delete, list under a prefix,
/// delete a prefix) and is registered instead.
/// </summary>
public interface IFileStore
{
    /// <summary>Writes <paramref name="content"/> under <paramref name="key"/> (replacing what was there).</summary>
    Task PutAsync(string key, Stream content, CancellationToken ct = default);

    /// <summary>The bytes under <paramref name="key"/>, or null when there are none.</summary>
    Task<Stream?> GetAsync(string key, CancellationToken ct = default);

    /// <summary>Removes <paramref name="key"/>; nothing when it is not there.</summary>
    Task DeleteAsync(string key, CancellationToken ct = default);

    /// <summary>The keys under a workspace's folder, with when each was written (for the orphan sweep).</summary>
    IAsyncEnumerable<(string Key, DateTime WrittenAt)> ListAsync(string prefix, CancellationToken ct = default);

    /// <summary>The workspace folders that hold anything (their names, <see cref="FileKeys.Folder"/>).</summary>
    IAsyncEnumerable<string> FoldersAsync(CancellationToken ct = default);

    /// <summary>Removes a workspace's folder and everything in it.</summary>
    Task DeleteFolderAsync(string folder, CancellationToken ct = default);
}

/// <summary>The keys of stored files: "{workspace id}/{file id}" and "{workspace id}/{file id}.thumb", hex without dashes.</summary>
public static class FileKeys
{
    public const string ThumbnailSuffix = ".thumb";

    public static string Folder(Guid tenantId) => tenantId.ToString("N");
    public static string Content(Guid tenantId, Guid fileId) => $"{Folder(tenantId)}/{fileId:N}";
    public static string Thumbnail(Guid tenantId, Guid fileId) => Content(tenantId, fileId) + ThumbnailSuffix;

    /// <summary>Whether <paramref name="key"/> is one the app makes (32 hex, "/", 32 hex, optional ".thumb").</summary>
    public static bool IsValid(string key)
    {
        var name = key.EndsWith(ThumbnailSuffix, StringComparison.Ordinal) ? key[..^ThumbnailSuffix.Length] : key;
        return name.Length == 65 && name[32] == '/' && IsFolder(name[..32]) && IsFolder(name[33..]);
    }

    public static bool IsFolder(string s) => s.Length == 32 && s.All(char.IsAsciiHexDigitLower);

    /// <summary>The file id a key names (content or thumbnail), or null.</summary>
    public static Guid? FileIdOf(string key)
    {
        if (!IsValid(key)) return null;
        return Guid.ParseExact(key.Substring(33, 32), "N");
    }
}

/// <summary>
/// Files on the local disk under <see cref="FileStorageOptions.Root"/>, one folder per workspace. Keys are checked against
/// <see cref="FileKeys.IsValid"/> before any path is made, and the full path must stay under the root. A file is
/// written to a temporary name and moved into place, so a reader never sees half a file.
/// </summary>
public sealed class LocalFileStore : IFileStore
{
    private readonly string root;

    public LocalFileStore(string root)
    {
        this.root = Path.GetFullPath(root);
        Directory.CreateDirectory(this.root);
    }

    public string Root => root;

    private string PathOf(string key)
    {
        if (!FileKeys.IsValid(key)) throw new ArgumentException("Not a file key.", nameof(key));
        var path = Path.GetFullPath(Path.Combine(root, key.Replace('/', Path.DirectorySeparatorChar)));
        if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) throw new ArgumentException("Not a file key.", nameof(key));
        return path;
    }

    private string FolderPath(string folder)
    {
        if (!FileKeys.IsFolder(folder)) throw new ArgumentException("Not a workspace folder.", nameof(folder));
        return Path.Combine(root, folder);
    }

    public async Task PutAsync(string key, Stream content, CancellationToken ct = default)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
                await content.CopyToAsync(file, ct);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public Task<Stream?> GetAsync(string key, CancellationToken ct = default)
    {
        var path = PathOf(key);
        Stream? stream = File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true) : null;
        return Task.FromResult(stream);
    }

    public Task DeleteAsync(string key, CancellationToken ct = default)
    {
        var path = PathOf(key);
        if (File.Exists(path)) File.Delete(path);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<(string Key, DateTime WrittenAt)> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var folder = FolderPath(prefix);
        if (!Directory.Exists(folder)) yield break;
        foreach (var path in Directory.EnumerateFiles(folder))
        {
            ct.ThrowIfCancellationRequested();
            var key = prefix + "/" + Path.GetFileName(path);
            // Temporary files of a write under way are not keys; an old one (a crash mid-write) is removed.
            if (!FileKeys.IsValid(key))
            {
                if (path.EndsWith(".tmp", StringComparison.Ordinal) && File.GetLastWriteTimeUtc(path) < DateTime.UtcNow.AddDays(-1)) File.Delete(path);
                continue;
            }
            yield return (key, File.GetLastWriteTimeUtc(path));
        }
        await Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> FoldersAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            ct.ThrowIfCancellationRequested();
            var name = Path.GetFileName(dir);
            if (FileKeys.IsFolder(name)) yield return name;
        }
        await Task.CompletedTask;
    }

    public Task DeleteFolderAsync(string folder, CancellationToken ct = default)
    {
        var path = FolderPath(folder);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        return Task.CompletedTask;
    }
}
