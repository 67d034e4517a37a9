using Crm.Core.Data;

namespace Crm.Core.Files;

/// <summary>Where files go when <c>Files:Root</c> is not set.</summary>
public static class FileRoots
{
    /// <summary>SQLite: a "files" folder beside the database file; PostgreSQL (or an in-memory SQLite): "files" under
    /// the app's local data folder (set <c>Files:Root</c> on servers, e.g. a mounted volume).</summary>
    public static string Default(DatabaseProvider provider, string connectionString)
    {
        if (provider == DatabaseProvider.Sqlite)
        {
            var source = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource;
            if (!string.IsNullOrEmpty(source) && source != ":memory:" && !source.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
                return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".", "files");
        }
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        return Path.Combine(string.IsNullOrEmpty(data) ? Path.GetTempPath() : data, "crm-saas", "files");
    }
}
