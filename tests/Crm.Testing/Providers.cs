using Crm.Core.Data;

namespace Crm.Testing;

/// <summary>Theory data: every data test runs on both databases.</summary>
public static class Providers
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>The PostgreSQL test database through a local PgBouncer in transaction mode (isolation tests only).</summary>
    public const string PgBouncer = "pgbouncer";

    /// <summary><c>[MemberData(nameof(Providers.All), MemberType = typeof(Providers))]</c></summary>
    public static IEnumerable<object[]> All => [[Sqlite], [Postgres]];

    public static DatabaseProvider Parse(string name) => name switch
    {
        Sqlite => DatabaseProvider.Sqlite,
        Postgres or PgBouncer => DatabaseProvider.Postgres,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Expected \"sqlite\", \"postgres\" or \"pgbouncer\"."),
    };
}
