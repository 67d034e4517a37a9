using System.Text.RegularExpressions;
using Crm.Core.Data;

namespace Crm.Core.Tests.Data;

/// <summary>
/// The rule <see cref="PostgresTenantSessionInterceptor"/> rests on, enforced on the sources: the tenant setting a
/// connection's session holds is tracked by the interceptor, which sees every transaction EF starts (and then sets
/// the value for that transaction) but not one started on the ADO connection. A raw
/// <c>DbConnection.BeginTransaction()</c> that rolls back after the session-level prefix ran would revert the
/// setting while the interceptor believes it held. So: transactions are started through EF only
/// (<c>db.Database.BeginTransaction[Async]</c>), an ADO transaction is only ever shared from EF
/// (<c>UseTransaction(….GetDbTransaction())</c>), and nothing but the two interceptors sets the tenant setting.
/// </summary>
public partial class TenantSessionRulesTests
{
    [GeneratedRegex(@"(?<!Database)\.BeginTransaction(Async)?\s*\(")]
    private static partial Regex RawTransaction();

    [GeneratedRegex(@"\.UseTransaction(Async)?\s*\((?![^)]*GetDbTransaction\(\))")]
    private static partial Regex ForeignTransaction();

    [GeneratedRegex(@"set_config\s*\(|\bSET\s+(LOCAL\s+|SESSION\s+)?app\.tenant_id|\bRESET\s+(app\.tenant_id|ALL)\b", RegexOptions.IgnoreCase)]
    private static partial Regex TenantSetting();

    /// <summary>The files allowed to set the tenant setting: the interceptor itself, and the access-version bump that sets it locally in its own statement.</summary>
    private static readonly string[] SettingOwners = ["Data/PostgresTenantSessionInterceptor.cs", "Data/AccessVersionInterceptor.cs"];

    [Fact]
    public void The_scan_recognises_each_broken_rule_and_lets_the_allowed_forms_pass()
    {
        string[] broken =
        [
            "await using var tx = await connection.BeginTransactionAsync(ct);",
            "using var tx = conn.BeginTransaction();",
            "await ((NpgsqlConnection)db.Database.GetDbConnection()).BeginTransactionAsync();",
            "await db.Database.UseTransactionAsync(myTx, ct);",
            "db.Database.UseTransaction(transaction);",
        ];
        foreach (var line in broken) Assert.True(RawTransaction().IsMatch(line) || ForeignTransaction().IsMatch(line), line);
        string[] allowed =
        [
            "await using var tx = await db.Database.BeginTransactionAsync(ct);",
            "using var tx = Database.CurrentTransaction is null ? Database.BeginTransaction() : null;",
            "await rulesDb.Database.UseTransactionAsync(tx.GetDbTransaction(), ct);",
        ];
        foreach (var line in allowed) Assert.False(RawTransaction().IsMatch(line) || ForeignTransaction().IsMatch(line), line);
        Assert.Matches(TenantSetting(), "cmd.CommandText = \"SELECT set_config('app.tenant_id', @t, false)\";");
        Assert.Matches(TenantSetting(), "\"SET app.tenant_id = '\" + id + \"'\"");
        Assert.Matches(TenantSetting(), "\"RESET ALL\"");
        Assert.DoesNotMatch(TenantSetting(), "settings.Reset(); // set up config");
    }

    [Fact]
    public void Transactions_are_started_through_EF_and_only_the_interceptors_set_the_tenant()
    {
        var root = SourceRoot();
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Where(f => !f.Contains("Crm.Migrations."))
            .ToList();
        Assert.Contains(files, f => f.Replace('\\', '/').EndsWith("Data/PostgresTenantSessionInterceptor.cs")); // the scan sees the sources
        var offenders = new List<string>();
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(Path.Combine(root, "Crm.Core"), file).Replace('\\', '/');
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                var trimmed = line.TrimStart();
                if (trimmed.StartsWith("//", StringComparison.Ordinal) || trimmed.StartsWith("///", StringComparison.Ordinal) || trimmed.StartsWith('*')) continue;
                if (RawTransaction().IsMatch(line) || ForeignTransaction().IsMatch(line)
                    || (TenantSetting().IsMatch(line) && !SettingOwners.Contains(relative)))
                    offenders.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {line.Trim()}");
            }
        }
        Assert.True(offenders.Count == 0,
            "Start transactions through EF (db.Database.BeginTransaction[Async]) and set the tenant only in PostgresTenantSessionInterceptor; see its summary:\n"
            + string.Join('\n', offenders));
    }

    private static string SourceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Crm.Saas.sln"))) return Path.Combine(dir.FullName, "src");
        throw new InvalidOperationException("Crm.Saas.sln not found above " + AppContext.BaseDirectory);
    }
}
