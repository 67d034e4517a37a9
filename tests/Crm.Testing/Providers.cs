using Crm.Core.Data;

namespace Crm.Testing;

/// <summary>Theory data: every data test runs on both databases.</summary>
public static class Providers
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary><c>[MemberData(nameof(Providers.All), MemberType = typeof(Providers))]</c></summary>
    public static IEnumerable<object[]> All => [[Sqlite], [Postgres]];

    public static DatabaseProvider Parse(string name) => name switch
    {
        Sqlite => DatabaseProvider.Sqlite,
        Postgres => DatabaseProvider.Postgres,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Expected \"sqlite\" or \"postgres\"."),
    };
}
