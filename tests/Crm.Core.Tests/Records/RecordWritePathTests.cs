using System.Diagnostics;
using System.Text.RegularExpressions;
using Crm.Core.Data;
using Crm.Core.Records;
using Crm.Core.Tests.Design;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Records;

/// <summary>
/// One write path: nothing but <see cref="RecordWriter"/> changes a record's values, typed columns or history, and
/// validation happens before the write transaction (a slow check never holds the write lock).
/// </summary>
public partial class RecordWritePathTests
{
    private const string Writer = "Records/RecordWriter.cs";

    /// <summary>Ways to change a record's values, typed columns or history without the writer.</summary>
    [GeneratedRegex("""
        (?<![\w.])\w+(\.\w+)*\.Values\s*=(?![=>])                  # record.Values = …
        | new\s+Record\s*\{[^}]*\bValues\s*=                        # new Record { Values = … }
        | \b(RecordChanges|Transitions)\s*\.\s*Add(Range)?\s*\(     # history rows
        | new\s+(RecordChange|RecordTransition)\s*[\{\(]            # history rows built elsewhere
        | SetProperty\(\s*\w+\s*=>\s*\w+\.(Values|Title|OwnerId|StatusOptionId|PipelineId|StageId|Amount|CloseDate|SearchText|Version|StageEnteredAt|StatusChangedAt)\b
        | UPDATE\s+"?records"?\s+SET                                # raw SQL
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.IgnoreCase)]
    private static partial Regex RecordWrite();

    private static string SourceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Crm.Saas.sln"))) return Path.Combine(dir.FullName, "src");
        throw new InvalidOperationException("Crm.Saas.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void The_scan_recognises_each_way_of_writing_a_record()
    {
        string[] writes =
        [
            "record.Values = values.ToJsonString();",
            "r.Values=json;",
            "var x = new Record { EntityTypeId = id, Values = \"{}\" };",
            "db.RecordChanges.Add(change);",
            "db.Transitions.AddRange(list);",
            "var c = new RecordChange { RecordId = id };",
            "db.Records.ExecuteUpdateAsync(s => s.SetProperty(r => r.StageId, id));",
            "db.Database.ExecuteSqlRaw(\"UPDATE records SET title = ''\");",
        ];
        foreach (var line in writes) Assert.True(RecordWrite().IsMatch(line), line);
        string[] reads =
        [
            "Values = r.Values, Rank = r.Rank",  // a projection into a row type
            "if (card.Values == null) return;",
            "foreach (var v in dict.Values) { }",
            "e.Property(x => x.Values).HasColumnName(\"field_values\");",
        ];
        foreach (var line in reads) Assert.False(RecordWrite().IsMatch(line), line);
    }

    [Fact]
    public void Only_the_record_writer_changes_records()
    {
        var root = SourceRoot();
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Where(f => !f.Contains("Crm.Migrations."))
            .ToList();
        Assert.Contains(files, f => f.Replace('\\', '/').EndsWith(Writer)); // the scan sees the sources at all
        var offenders = new List<string>();
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(Path.Combine(root, "Crm.Core"), file).Replace('\\', '/');
            if (relative == Writer) continue;
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
                if (!lines[i].TrimStart().StartsWith("//") && RecordWrite().IsMatch(lines[i]))
                    offenders.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {lines[i].Trim()}");
        }
        Assert.True(offenders.Count == 0, "Records are changed outside RecordWriter (route them through it):\n" + string.Join("\n", offenders));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_refused_write_is_answered_while_another_transaction_holds_the_write_lock(string provider)
    {
        DesignTestKit.English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        await ws.CreateAsync("company", ("name", "Taken"));
        await ws.MetadataAsync(); // warm the metadata cache

        // Hold the write lock: SQLite's one writer (BEGIN IMMEDIATE), PostgreSQL's exclusive lock on records.
        await using var blocker = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        await using var tx = await blocker.Database.BeginTransactionAsync();
        if (ws.Database.Provider == DatabaseProvider.Postgres) await blocker.Database.ExecuteSqlRawAsync("LOCK TABLE records IN EXCLUSIVE MODE");
        else await blocker.Database.ExecuteSqlRawAsync("UPDATE tenant_settings SET metadata_version = metadata_version WHERE 0 = 1");

        var watch = Stopwatch.StartNew();
        var write = ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "Taken"), ("unknown", 1)));
        var finished = await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(5)));
        watch.Stop();
        await tx.RollbackAsync();

        Assert.True(finished == write, "validation waited for the write lock");
        var result = await write;
        Assert.False(result.Succeeded);
        Assert.NotEmpty(result.Errors.For("name"));
        Assert.NotEmpty(result.Errors.For("unknown"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_change_made_between_validation_and_write_is_validated_again_not_overwritten(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var company = await ws.CreateAsync("company", ("name", "Acme"), ("city", "上海"));
        var metadata = await ws.MetadataAsync();

        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var writer = new RecordWriter(db, metadata, ws.Owner, ws.Get<Microsoft.Extensions.Localization.IStringLocalizer<Crm.Core.Resources.CoreStrings>>(), TimeProvider.System);
        var draft = await writer.PrepareUpdateAsync(company.Id, RecordInput.Of(("phone", "010-1234")));
        Assert.True(draft.Succeeded);
        Assert.Null(db.Database.CurrentTransaction); // validation opened no transaction and staged nothing
        Assert.False(db.ChangeTracker.HasChanges());

        // Someone else saves in between; applying the stale draft must not write its old copy of the values.
        Assert.True((await ws.Records.UpdateAsync(ws.Owner, company.Id, RecordInput.Of(("city", "北京")))).Succeeded);
        await Assert.ThrowsAsync<RecordStaleException>(() => writer.ApplyAsync(draft));

        // Validated again, the same input applies on top of the other change.
        var again = await writer.PrepareUpdateAsync(company.Id, RecordInput.Of(("phone", "010-1234")));
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            Assert.True((await writer.ApplyAsync(again)).Succeeded);
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }
        var saved = await ws.RecordAsync(company.Id);
        Assert.Equal("北京", saved.Text("city"));
        Assert.Equal("010-1234", saved.Text("phone"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_lookup_cleared_by_a_delete_is_a_system_write_with_version_timeline_and_event(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var company = await ws.CreateAsync("company", ("name", "Gone"));
        var deal = await ws.CreateAsync("opportunity", ("name", "Deal"), ("company", company.Id.ToString()), ("amount", 1000), ("expected_close", "2026-12-31"));
        var seen = new List<RecordEvent>();
        using var _ = ws.Get<RecordEvents>().Subscribe(ws.Tenant.Id, e => { lock (seen) seen.Add(e); });

        Assert.Equal(1, await ws.Records.DeleteAsync(ws.Owner, [company.Id]));

        var after = await ws.RecordAsync(deal.Id);
        Assert.Null(after.Values()["company"]);
        Assert.Equal(deal.Version + 1, after.Version);
        var change = (await ws.ChangesAsync(deal.Id)).Last();
        Assert.Equal(ws.Owner.UserId, change.ByUserId);
        Assert.Contains("company", change.Changes);
        lock (seen)
        {
            Assert.Contains(seen, e => e.RecordId == deal.Id && e.Kind == RecordEventKind.Updated && e.Version == after.Version);
            Assert.Contains(seen, e => e.RecordId == company.Id && e.Kind == RecordEventKind.Deleted);
        }
    }
}
