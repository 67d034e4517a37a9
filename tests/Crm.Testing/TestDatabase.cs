using System.Collections.Concurrent;
using System.Globalization;
using Crm.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Crm.Testing;

/// <summary>
/// One migrated database per provider and test run (process), shared by every test in it. Tests isolate
/// themselves by creating their own tenants with new GUIDs, so nothing is cleaned between tests.
/// SQLite: a temp file. PostgreSQL: a fresh <c>crm_test_…</c> database created through the maintenance
/// connection (<see cref="PostgresConnection"/>), migrated with the checked-in migrations, dropped at exit.
/// </summary>
public sealed class TestDatabase
{
    /// <summary>Environment variable with the maintenance connection string of the test PostgreSQL server.</summary>
    public const string PostgresVariable = "CRM_TEST_PG";
    public const string DefaultPostgres = "Host=localhost;Port=5432;Username=crm;Password=crm;Database=postgres";
    private const string Prefix = "crm_test_";

    private static readonly ConcurrentDictionary<DatabaseProvider, Lazy<Task<TestDatabase>>> Databases = new();

    private static readonly Lazy<Task<TestDatabase>> ThroughPgBouncer = new(CreatePgBouncerAsync);

    private TestDatabase(DatabaseProvider provider, string connectionString, bool transactionPooling = false, string? directConnectionString = null)
    {
        Provider = provider;
        ConnectionString = connectionString;
        TransactionPooling = transactionPooling;
        DirectConnectionString = directConnectionString ?? connectionString;
        Options = CrmDatabase.BuildOptions(provider, connectionString, transactionPooling);
        Factory = new CrmDbContextFactory(Options, provider);
    }

    public DatabaseProvider Provider { get; }
    public string ConnectionString { get; }

    /// <summary>The connection goes through PgBouncer in transaction mode (<see cref="Providers.PgBouncer"/>).</summary>
    public bool TransactionPooling { get; }

    /// <summary>The same database without PgBouncer in between (for LISTEN, which needs a session of its own).</summary>
    public string DirectConnectionString { get; }
    public DbContextOptions<CrmDbContext> Options { get; }
    public ICrmDbContextFactory Factory { get; }

    /// <summary>The maintenance connection: <c>CRM_TEST_PG</c>, or the local default.</summary>
    public static string PostgresConnection =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value ? value : DefaultPostgres;

    /// <summary>"sqlite" or "postgres", as used in theory data.</summary>
    public static Task<TestDatabase> GetAsync(string provider)
        => provider == Providers.PgBouncer ? ThroughPgBouncer.Value : GetAsync(Providers.Parse(provider));

    public static Task<TestDatabase> GetAsync(DatabaseProvider provider)
        => Databases.GetOrAdd(provider, p => new Lazy<Task<TestDatabase>>(() => CreateAsync(p))).Value;

    /// <summary>Options for this database with extra interceptors (e.g. to get past the SaveChanges guard on purpose).</summary>
    public DbContextOptions<CrmDbContext> OptionsWith(params Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor[] interceptors)
    {
        var builder = new DbContextOptionsBuilder<CrmDbContext>();
        CrmDatabase.Configure(builder, Provider, ConnectionString, TransactionPooling);
        builder.AddInterceptors(interceptors);
        return builder.Options;
    }

    private static async Task<TestDatabase> CreateAsync(DatabaseProvider provider)
    {
        var database = provider switch
        {
            DatabaseProvider.Sqlite => CreateSqlite(),
            DatabaseProvider.Postgres => await CreatePostgresAsync(),
            _ => throw new ArgumentOutOfRangeException(nameof(provider)),
        };
        await using var db = database.Factory.CreateGlobal();
        await db.Database.MigrateAsync();
        return database;
    }

    /// <summary>The PostgreSQL test database, reached through a local PgBouncer in transaction mode.</summary>
    private static async Task<TestDatabase> CreatePgBouncerAsync()
    {
        var direct = await GetAsync(DatabaseProvider.Postgres);
        var bouncer = await PgBouncer.GetAsync();
        return new TestDatabase(DatabaseProvider.Postgres, bouncer.ConnectionStringFor(direct.ConnectionString), transactionPooling: true, direct.ConnectionString);
    }

    private static TestDatabase CreateSqlite()
    {
        var path = Path.Combine(Path.GetTempPath(), $"{Prefix}{Guid.NewGuid():N}.db");
        var database = new TestDatabase(DatabaseProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = path }.ToString());
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
                try { File.Delete(file); } catch (IOException) { }
        };
        return database;
    }

    private static async Task<TestDatabase> CreatePostgresAsync()
    {
        var maintenance = new NpgsqlConnectionStringBuilder(PostgresConnection);
        var name = $"{Prefix}{DateTime.UtcNow:yyyyMMddHHmmss}_{Guid.NewGuid():N}"[..48];
        try
        {
            await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
            await connection.OpenAsync();
            await DropStaleDatabasesAsync(connection);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException(
                $"PostgreSQL tests need a server: could not connect or create a database with {Describe(maintenance)} " +
                $"(set {PostgresVariable}, e.g. \"Host=localhost;Username=crm;Password=crm;Database=postgres\"; the role needs CREATEDB). " +
                $"Cause: {e.GetBaseException().Message}", e);
        }

        var builder = new NpgsqlConnectionStringBuilder(maintenance.ConnectionString) { Database = name };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DropDatabase(maintenance.ConnectionString, name);
        return new TestDatabase(DatabaseProvider.Postgres, builder.ConnectionString);
    }

    /// <summary>Databases of runs that were killed before they could drop their own (older than six hours).</summary>
    private static async Task DropStaleDatabasesAsync(NpgsqlConnection connection)
    {
        var stale = new List<string>();
        await using (var list = new NpgsqlCommand($"SELECT datname FROM pg_database WHERE datname LIKE '{Prefix}%'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var dbName = reader.GetString(0);
                if (DateTime.TryParseExact(dbName.Substring(Prefix.Length, 14), "yyyyMMddHHmmss", CultureInfo.InvariantCulture,
                        DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var created)
                    && created < DateTime.UtcNow.AddHours(-6))
                    stale.Add(dbName);
            }
        }
        foreach (var dbName in stale)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{dbName}\" WITH (FORCE)", connection);
            try { await drop.ExecuteNonQueryAsync(); } catch (PostgresException) { /* owned by someone else */ }
        }
    }

    private static void DropDatabase(string maintenance, string name)
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            using var connection = new NpgsqlConnection(maintenance);
            connection.Open();
            using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Could not drop test database {name}: {e.Message}");
        }
    }

    private static string Describe(NpgsqlConnectionStringBuilder b) => $"Host={b.Host};Port={b.Port};Username={b.Username};Database={b.Database}";
}
