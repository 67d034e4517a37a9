using System.Text;
using System.Text.Json.Nodes;
using Crm.Core.Import;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Core.Tests.Import;

/// <summary>Importing into an entity type: mapping, duplicates, all-or-nothing writes through the record writer, rights.</summary>
public class ImportServiceTests
{
    private static async Task<Workspace> WorkspaceAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: false);
        return ws;
    }

    private static ImportTable Table(string[] header, params string[][] rows) => new(header, rows, "utf-8");

    private static async Task<int> CountAsync(Workspace ws, string entity)
    {
        var typeId = (await ws.MetadataAsync()).Entity(entity)!.Entity.Id;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.CountAsync(r => r.EntityTypeId == typeId);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_mapping_is_suggested_from_chinese_and_english_labels_and_keys(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var import = ws.Get<ImportService>();

        var mapping = await import.SuggestAsync(ws.Owner, "company", ["客户名称 *", "Industry", "CITY", "电话", "负责人", "无关的列", "Web site"]);

        Assert.Equal("name", mapping.Columns[0]);
        Assert.Equal("industry", mapping.Columns[1]);
        Assert.Equal("city", mapping.Columns[2]);
        Assert.Equal("phone", mapping.Columns[3]);
        Assert.Equal("owner", mapping.Columns[4]);
        Assert.False(mapping.Columns.ContainsKey(5));

        // A read-only field is never suggested.
        var member = await ws.MemberAsync(MemberRole.Member);
        await ws.RestrictAsync(member, "company", new Dictionary<string, FieldAccessLevel> { ["city"] = FieldAccessLevel.ReadOnly, ["phone"] = FieldAccessLevel.Hidden });
        var restricted = await import.SuggestAsync(member, "company", ["客户名称", "城市", "电话"]);
        Assert.Equal(["name"], restricted.Columns.Values);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Duplicates_within_the_file_and_against_records_are_skipped_updated_or_created(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var existing = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "上海 云帆（集团）", ["phone"] = "021-6000 1234", ["city"] = "上海" }));
        Assert.True(existing.Succeeded, existing.Errors.ToString());
        var import = ws.Get<ImportService>();
        var table = Table(["客户名称", "电话", "城市"],
            ["上海云帆(集团)", "02160001234", "杭州"],   // existing, by normalised name
            ["北京星河", "010-8888 0000", "北京"],
            ["北京星河", "(010) 88880000", "北京"],      // the same as the row before, within the file
            ["深圳海纳", "0755-1234 5678", "深圳"]);
        var mapping = new ImportMapping(new Dictionary<int, string> { [0] = "name", [1] = "phone", [2] = "city" });

        var skip = await import.AnalyseAsync(ws.Owner, new ImportRequest("company", table, mapping, new DuplicateRule(["name"], DuplicateAction.Skip)));
        Assert.True(skip.IsValid, string.Join("; ", skip.Errors));
        Assert.Equal((2, 0, 2), (skip.Creates, skip.Updates, skip.Skips));
        Assert.Equal(existing.Record!.Id, skip.Rows[0].ExistingId);

        var byPhone = await import.AnalyseAsync(ws.Owner, new ImportRequest("company", table, mapping, new DuplicateRule(["phone"], DuplicateAction.Skip)));
        Assert.Equal([RowOutcome.Skip, RowOutcome.Create, RowOutcome.Skip, RowOutcome.Create], byPhone.Rows.Select(r => r.Outcome));

        var update = await import.AnalyseAsync(ws.Owner, new ImportRequest("company", table, mapping, new DuplicateRule(["name", "phone"], DuplicateAction.Update)));
        Assert.Equal((2, 1, 1), (update.Creates, update.Updates, update.Skips));
        var result = await import.RunAsync(ws.Owner, update);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal((2, 1, 1), (result.Created, result.Updated, result.Skipped));
        Assert.Equal(3, await CountAsync(ws, "company"));
        var updated = await ws.Records.GetAsync(ws.Owner, existing.Record.Id);
        Assert.Equal("杭州", RecordWriter.ParseValues(updated!.Values)["city"]!.GetValue<string>());
        Assert.Equal(2, updated.Version);

        var create = await import.AnalyseAsync(ws.Owner, new ImportRequest("company", Table(["客户名称"], ["深圳海纳二部"], ["深圳海纳二部"]), new ImportMapping(new Dictionary<int, string> { [0] = "name" }),
            new DuplicateRule(["name"], DuplicateAction.Create)));
        // "Create anyway" still goes through the form's validation: the name is unique in this template.
        Assert.Equal(2, create.Rows.Count);
        Assert.False(create.IsValid && (await import.RunAsync(ws.Owner, create)).Succeeded);
        Assert.Equal(3, await CountAsync(ws, "company"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_file_with_a_thousand_bad_rows_writes_nothing_and_names_each_row_and_field(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var import = ws.Get<ImportService>();
        var company = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "云帆" }));
        Assert.True(company.Succeeded);
        var rows = new List<string[]>();
        for (var i = 1; i <= 1000; i++) rows.Add([$"商机{i}", i % 2 == 0 ? "很多钱" : "1万", i % 2 == 1 ? "明年某天" : "2026-03-05", "云帆"]);
        rows.Add(["好的商机", "5000", "2026/3/5", "云帆"]);
        var table = Table(["商机名称", "Amount", "预计成交日期", "company"], [.. rows]);
        var mapping = await import.SuggestAsync(ws.Owner, "opportunity", table.Header);
        Assert.Equal(4, mapping.Columns.Count);

        var analysis = await import.AnalyseAsync(ws.Owner, new ImportRequest("opportunity", table, mapping));
        Assert.False(analysis.IsValid);
        Assert.Equal(1000, analysis.ErrorRows);
        Assert.True(analysis.Rows[^1].Outcome == RowOutcome.Create, string.Join("; ", analysis.Rows[^1].Errors));
        Assert.Equal(1, analysis.Creates);
        Assert.Contains(analysis.Errors, e => e.Row == 2 && e.Field == "amount" && e.Message.Contains("很多钱"));
        Assert.Contains(analysis.Errors, e => e.Row == 1 && e.Field == "expected_close");

        var result = await import.RunAsync(ws.Owner, analysis);
        Assert.False(result.Succeeded);
        Assert.Equal(0, await CountAsync(ws, "opportunity"));
        Assert.Equal(1, await CountAsync(ws, "company"));

        using var rejected = new MemoryStream();
        await ImportRejects.WriteCsvAsync(rejected, analysis, "错误");
        var lines = Encoding.UTF8.GetString(rejected.ToArray()).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1001, lines.Length);
        Assert.Equal("商机名称,Amount,预计成交日期,company,错误", lines[0]);
        Assert.StartsWith("商机2,很多钱,2026-03-05,云帆,", lines[2]);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Rights_are_checked_with_the_current_role_and_read_only_fields_cannot_be_mapped(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var import = ws.Get<ImportService>();
        var table = Table(["客户名称", "城市"], ["一号客户", "上海"]);
        var mapping = new ImportMapping(new Dictionary<int, string> { [0] = "name", [1] = "city" });

        var viewer = await ws.MemberAsync(MemberRole.Viewer);
        await Assert.ThrowsAsync<ForbiddenException>(() => import.AnalyseAsync(viewer, new ImportRequest("company", table, mapping)));

        var member = await ws.MemberAsync(MemberRole.Member);
        await ws.RestrictAsync(member, "company", new Dictionary<string, FieldAccessLevel> { ["city"] = FieldAccessLevel.ReadOnly });
        var refused = await Assert.ThrowsAsync<ImportMappingException>(() => import.AnalyseAsync(member, new ImportRequest("company", table, mapping)));
        Assert.True(refused.Errors.ByField.ContainsKey("mapping/1"));

        var ok = await import.AnalyseAsync(member, new ImportRequest("company", table, new ImportMapping(new Dictionary<int, string> { [0] = "name" })));
        Assert.True((await import.RunAsync(member, ok)).Succeeded);
        Assert.Equal(1, await CountAsync(ws, "company"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_import_is_undone_as_a_batch_created_records_deleted_and_updated_ones_restored(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var before = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "老客户", ["city"] = "上海" }));
        Assert.True(before.Succeeded);
        var import = ws.Get<ImportService>();
        var table = Table(["客户名称", "城市"], ["老客户", "杭州"], ["新客户甲", "北京"], ["新客户乙", "深圳"]);
        var mapping = await import.SuggestAsync(ws.Owner, "company", table.Header);
        var analysis = await import.AnalyseAsync(ws.Owner, new ImportRequest("company", table, mapping, new DuplicateRule(["name"], DuplicateAction.Update)) { FileName = "客户.xlsx" });
        var result = await import.RunAsync(ws.Owner, analysis);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal((2, 1), (result.Created, result.Updated));
        Assert.Equal(3, await CountAsync(ws, "company"));

        // Someone else may not undo it; the importer may, once.
        var other = await ws.MemberAsync(MemberRole.Member);
        Assert.False((await import.UndoAsync(other, result.BatchId!.Value)).Succeeded);
        var batches = await import.BatchesAsync(ws.Owner, "company");
        Assert.Equal("客户.xlsx", Assert.Single(batches).FileName);
        Assert.True(import.CanUndo(ws.Owner, batches[0]));

        var undo = await import.UndoAsync(ws.Owner, result.BatchId.Value);
        Assert.True(undo.Succeeded, undo.Problem);
        Assert.Equal((2, 1), (undo.Deleted, undo.Restored));
        Assert.Equal(1, await CountAsync(ws, "company"));
        var restored = await ws.Records.GetAsync(ws.Owner, before.Record!.Id);
        Assert.Equal("上海", RecordWriter.ParseValues(restored!.Values)["city"]!.GetValue<string>());
        Assert.Equal(3, restored.Version); // imported (2), restored (3): both in the record's history

        var again = await import.UndoAsync(ws.Owner, result.BatchId.Value);
        Assert.False(again.Succeeded);
        Assert.NotNull(again.Problem);
        Assert.False(import.CanUndo(ws.Owner, (await import.BatchesAsync(ws.Owner, "company"))[0]));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_saved_mapping_is_reused_for_a_file_with_the_same_headers(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var import = ws.Get<ImportService>();
        string[] header = ["公司", "所在地", "备注列"];
        var mapping = new ImportMapping(new Dictionary<int, string> { [0] = "name", [1] = "city", [2] = "notes" });
        await import.SaveMappingAsync(ws.Owner, "company", "ERP 导出", header, mapping);
        await import.SaveMappingAsync(ws.Owner, "company", "ERP 导出", header, mapping); // saved again: replaced, not doubled

        var saved = Assert.Single(await import.MappingsAsync(ws.Owner, "company"));
        var applied = await import.ApplyMappingAsync(ws.Owner, "company", saved, ["所在地", "公司 ", "其他"]);
        Assert.Equal("city", applied.Columns[0]);
        Assert.Equal("name", applied.Columns[1]);
        Assert.False(applied.Columns.ContainsKey(2));
    }

    /// <summary>Makes the company's phone a unique field (through the designer, as an admin would).</summary>
    private static async Task UniquePhoneAsync(Workspace ws)
    {
        var draft = await Crm.Core.Tests.Design.DesignTestKit.DraftAsync(ws, "company");
        draft.Field("phone")!.Settings = draft.Field("phone")!.Settings with { Unique = true };
        var saved = await Crm.Core.Tests.Design.DesignTestKit.Designer(ws).SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_batched_write_stores_the_same_records_history_unique_values_and_undo_data_as_the_form(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        await UniquePhoneAsync(ws);
        ws.Get<IOptions<ImportOptions>>().Value.WriteBatch = 2; // three batches for five rows
        var existing = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "老客户", ["city"] = "上海", ["phone"] = "021-1000" }));
        Assert.True(existing.Succeeded, existing.Errors.ToString());
        var import = ws.Get<ImportService>();
        var table = Table(["客户名称", "城市", "电话", "负责人"],
            ["老客户", "杭州", "021-1000", ws.Owner.DisplayName],
            ["导入甲", "北京", "010-8000 0001", ws.Owner.DisplayName], ["导入乙", "深圳", "010-8000 0002", ws.Owner.DisplayName],
            ["导入丙", "广州", "010-8000 0003", ws.Owner.DisplayName], ["导入丁", "成都", "010-8000 0004", ws.Owner.DisplayName]);
        var mapping = await import.SuggestAsync(ws.Owner, "company", table.Header);
        var analysis = await import.AnalyseAsync(ws.Owner, new ImportRequest("company", table, mapping, new DuplicateRule(["name"], DuplicateAction.Update)));
        Assert.True(analysis.IsValid, string.Join("; ", analysis.Errors));
        var reported = new List<ImportProgress>();
        var result = await import.RunAsync(ws.Owner, analysis, progress: new SyncProgress(reported));
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal((4, 1), (result.Created, result.Updated));
        Assert.Equal([2, 4, 5], reported.Where(p => p.Phase == ImportPhase.Writing).Select(p => p.Done));

        // The same rows through the form, one by one, for comparison.
        var form = new List<Guid>();
        foreach (var row in table.Rows.Skip(1))
        {
            var values = new JsonObject { ["name"] = row[0] + "（表单）", ["city"] = row[1], ["phone"] = row[2] + "9" };
            values["owner"] = ws.Owner.UserId.ToString();
            var created = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(values));
            Assert.True(created.Succeeded, created.Errors.ToString());
            form.Add(created.Record!.Id);
        }

        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var imported = await db.Records.AsNoTracking().Where(r => result.CreatedIds.Contains(r.Id)).OrderBy(r => r.Title).ToListAsync();
        var byForm = await db.Records.AsNoTracking().Where(r => form.Contains(r.Id)).OrderBy(r => r.Title).ToListAsync();
        Assert.Equal(4, imported.Count);
        for (var i = 0; i < 4; i++)
        {
            var (a, b) = (imported[i], byForm[i]);
            Assert.Equal(a.Title + "（表单）", b.Title);
            Assert.Equal((b.OwnerId, b.Version, b.CreatedBy, b.EntityTypeId), (a.OwnerId, a.Version, a.CreatedBy, a.EntityTypeId));
            var (va, vb) = (RecordWriter.ParseValues(a.Values), RecordWriter.ParseValues(b.Values));
            Assert.Equal(vb.Select(p => p.Key).Order(), va.Select(p => p.Key).Order());
            Assert.Equal(vb["city"]!.GetValue<string>(), va["city"]!.GetValue<string>());
            Assert.NotNull(va["phone"]);
            Assert.Contains(va["city"]!.GetValue<string>(), a.SearchText);
            // History: one "created" timeline entry with the same fields changed; one unique value row each.
            var (ca, cb) = (await db.RecordChanges.AsNoTracking().Where(c => c.RecordId == a.Id).ToListAsync(), await db.RecordChanges.AsNoTracking().Where(c => c.RecordId == b.Id).ToListAsync());
            Assert.Equal(RecordChangeKind.Created, Assert.Single(ca).Kind);
            Assert.Equal(ChangedFields(Assert.Single(cb).Changes), ChangedFields(ca[0].Changes));
            Assert.Contains("city", ChangedFields(ca[0].Changes));
            Assert.Equal(1, await db.UniqueValues.CountAsync(u => u.RecordId == a.Id && u.FieldKey == "phone"));
            Assert.Equal(1, await db.UniqueValues.CountAsync(u => u.RecordId == b.Id && u.FieldKey == "phone"));
        }
        // The update: a new version, an "updated" entry, the unique value unchanged; undo data: ids and the before-image.
        var updated = await db.Records.AsNoTracking().FirstAsync(r => r.Id == existing.Record!.Id);
        Assert.Equal(2, updated.Version);
        Assert.Equal("杭州", RecordWriter.ParseValues(updated.Values)["city"]!.GetValue<string>());
        Assert.Equal(2, await db.RecordChanges.CountAsync(c => c.RecordId == updated.Id));
        var items = await db.ImportBatchItems.AsNoTracking().Where(i => i.BatchId == result.BatchId).ToListAsync();
        Assert.Equal(result.CreatedIds.Order(), items.Where(i => i.Before == null).Select(i => i.RecordId).Order());
        Assert.Equal("上海", RecordWriter.ParseValues(Assert.Single(items, i => i.Before != null).Before!)["city"]!.GetValue<string>());
        var batch = await db.ImportBatches.AsNoTracking().SingleAsync(b => b.Id == result.BatchId);
        Assert.Equal((4, 1), (batch.Created, batch.Updated));
        Assert.Equal(ws.Tenant.Id, batch.TenantId);

        // And it undoes like any import.
        var undo = await import.UndoAsync(ws.Owner, result.BatchId!.Value);
        Assert.True(undo.Succeeded, undo.Problem);
        Assert.Equal((4, 1), (undo.Deleted, undo.Restored));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_failure_in_a_late_batch_leaves_nothing_written(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        await UniquePhoneAsync(ws);
        ws.Get<IOptions<ImportOptions>>().Value.WriteBatch = 2;
        var import = ws.Get<ImportService>();
        var table = Table(["客户名称", "电话"], ["甲", "13800000001"], ["乙", "13800000002"], ["丙", "13800000003"], ["丁", "13800000004"], ["戊", "13800000005"], ["己", "13800000006"]);
        var mapping = await import.SuggestAsync(ws.Owner, "company", table.Header);
        var analysis = await import.AnalyseAsync(ws.Owner, new ImportRequest("company", table, mapping));
        Assert.True(analysis.IsValid, string.Join("; ", analysis.Errors));
        // Meanwhile someone saves the last row's phone: the third batch meets the unique index.
        var meanwhile = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "别人"), ("phone", "13800000006")));
        Assert.True(meanwhile.Succeeded, meanwhile.Errors.ToString());

        var result = await import.RunAsync(ws.Owner, analysis);

        Assert.False(result.Succeeded);
        Assert.NotEmpty(result.Errors);
        Assert.Equal(1, await CountAsync(ws, "company"));
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(0, await db.ImportBatches.CountAsync());
        Assert.Equal(0, await db.ImportBatchItems.CountAsync());
        Assert.Equal(1, await db.RecordChanges.CountAsync());
        Assert.All(await db.UniqueValues.ToListAsync(), u => Assert.Equal(meanwhile.Record!.Id, u.RecordId));

        // The failed run let go of the drafts it had written: running the same analysis again validates the file
        // again — the phone is still taken, named on its row — and, once it is free, writes every row.
        var again = await import.RunAsync(ws.Owner, analysis);
        Assert.False(again.Succeeded);
        Assert.Contains(again.Errors, e => e.Row == 6 && e.Field == "phone");
        Assert.Equal(1, await CountAsync(ws, "company"));
        Assert.Equal(1, await ws.Records.DeleteAsync(ws.Owner, [meanwhile.Record!.Id]));
        var third = await import.RunAsync(ws.Owner, analysis);
        Assert.True(third.Succeeded, string.Join("; ", third.Errors));
        Assert.Equal(6, third.Created);
        Assert.Equal(6, await CountAsync(ws, "company"));
        Assert.Equal(6, await db.ImportBatchItems.CountAsync());
    }

    private static List<string> ChangedFields(string changes)
        => JsonNode.Parse(changes)!.AsArray().Select(c => c!.AsObject().First(p => string.Equals(p.Key, "field", StringComparison.OrdinalIgnoreCase)).Value!.GetValue<string>()).Order().ToList();

    private sealed class SyncProgress(List<ImportProgress> into) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => into.Add(value);
    }

    [Fact]
    public async Task Bad_files_get_a_clear_message_each()
    {
        var options = new ImportOptions { MaxFileBytes = 1024 * 1024, MaxColumns = 200 };
        async Task<string> Problem(byte[] bytes, string name)
            => (await Assert.ThrowsAsync<ImportFileException>(() => ImportFileReader.ReadAsync(new MemoryStream(bytes), name, options))).Key;

        Assert.Equal("Import.Empty", await Problem([], "a.csv"));
        Assert.Equal("Import.Empty", await Problem(Encoding.UTF8.GetBytes("\r\n,,\r\n"), "a.csv"));
        Assert.Equal("Import.NoRows", await Problem(Encoding.UTF8.GetBytes("名称,城市\r\n"), "a.csv"));
        Assert.Equal("Import.TooLarge", await Problem(new byte[options.MaxFileBytes + 1], "a.csv"));
        Assert.Equal("Import.TooManyColumns", await Problem(Encoding.UTF8.GetBytes(string.Join(',', Enumerable.Range(1, 1000).Select(i => "c" + i)) + "\r\n1\r\n"), "a.csv"));
        Assert.Equal("Import.BrokenXlsx", await Problem(Encoding.UTF8.GetBytes("PK\u0003\u0004 this is not a zip"), "a.xlsx"));
        Assert.Equal("Import.OldExcel", await Problem([1, 2, 3], "a.xls"));
    }

    [Fact]
    public async Task Csv_encodings_are_detected_and_can_be_chosen()
    {
        System.Text.Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        const string text = "客户名称,城市\r\n上海云帆,\"上海, 浦东\"\r\n\"=1+1\",\"多\r\n行\"\r\n";
        var options = new ImportOptions();
        async Task<ImportTable> Read(byte[] bytes, string? encoding = null) => await ImportFileReader.ReadAsync(new MemoryStream(bytes), "a.csv", options, encoding);

        foreach (var (bytes, name) in new[]
                 {
                     (Encoding.UTF8.GetBytes(text), "utf-8"),
                     (Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(text)).ToArray(), "utf-8"),
                     (Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(text)).ToArray(), "utf-16"),
                     (Encoding.GetEncoding("gbk").GetBytes(text), "gb18030"),
                 })
        {
            var table = await Read(bytes);
            Assert.Equal(name, table.Encoding);
            Assert.Equal(["客户名称", "城市"], table.Header);
            Assert.Equal(["上海云帆", "上海, 浦东"], table.Rows[0]);
            Assert.Equal(["=1+1", "多\r\n行"], table.Rows[1]);
        }
        // A GBK file read as UTF-8 because the person said so: their choice is taken.
        var forced = await Read(Encoding.GetEncoding("gbk").GetBytes(text), "utf-8");
        Assert.NotEqual("客户名称", forced.Header[0]);
        Assert.Equal("Import.UnknownEncoding", (await Assert.ThrowsAsync<ImportFileException>(() => Read([65], "klingon"))).Key);
    }

    [Fact]
    public async Task Xlsx_files_are_read_with_their_header_and_text_cells()
    {
        using var file = new MemoryStream();
        await MiniExcelLibs.MiniExcel.SaveAsAsync(file, new[]
        {
            new Dictionary<string, object> { ["客户名称"] = "上海云帆", ["成立日期"] = new DateTime(2026, 3, 5), ["人数"] = 120 },
            new Dictionary<string, object> { ["客户名称"] = "=SUM(A1)", ["成立日期"] = new DateTime(2020, 1, 1), ["人数"] = 5 },
        });
        var table = await ImportFileReader.ReadAsync(new MemoryStream(file.ToArray()), "x.xlsx", new ImportOptions());
        Assert.Equal(["客户名称", "成立日期", "人数"], table.Header);
        Assert.Equal(["上海云帆", "2026-03-05", "120"], table.Rows[0]);
        Assert.Equal("=SUM(A1)", table.Rows[1][0]);
    }
}
