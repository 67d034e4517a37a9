namespace Crm.Core.Data;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// <c>Database:Provider</c> (Sqlite by default) and <c>Database:ConnectionString</c> (or <c>ConnectionStrings:Crm</c>).
/// With nothing configured the app uses an embedded SQLite file under <c>App_Data</c>.
/// </summary>
public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
    public string? ConnectionString { get; set; }

    /// <summary>Apply pending migrations on start (default true; production may run them as a separate step).</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>
    /// The connection string points at PgBouncer in transaction mode (<c>Database:TransactionPooling</c>): the
    /// row-level-security tenant is then set per transaction only, never for the session.
    /// </summary>
    public bool TransactionPooling { get; set; }

    /// <summary>
    /// A direct connection to PostgreSQL (not through PgBouncer) for <c>LISTEN</c>, which needs a session of its own
    /// (<c>Database:ListenConnectionString</c>); defaults to <see cref="ConnectionString"/>.
    /// </summary>
    public string? ListenConnectionString { get; set; }

    public string ResolveConnectionString(string contentRoot)
    {
        if (!string.IsNullOrWhiteSpace(ConnectionString)) return ConnectionString;
        if (Provider == DatabaseProvider.Postgres)
            throw new InvalidOperationException("Database:Provider is Postgres but no connection string is set (Database:ConnectionString or ConnectionStrings:Crm).");
        var folder = Path.Combine(contentRoot, "App_Data");
        Directory.CreateDirectory(folder);
        return $"Data Source={Path.Combine(folder, "crm.db")}";
    }
}
