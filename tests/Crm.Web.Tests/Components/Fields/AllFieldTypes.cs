using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Metadata;

namespace Crm.Web.Tests.Components.Fields;

/// <summary>
/// An entity type with one field of every field type and the rules each can carry (required, range, pattern,
/// options, currency …), built in memory. Lookups point at the b2b template's companies, so with a workspace that
/// has that template installed the lookup editor finds real records.
/// </summary>
public static class AllFieldTypes
{
    public static readonly IReadOnlyDictionary<string, string> KeyOfType = new Dictionary<string, string>
    {
        ["text"] = "name", ["longtext"] = "notes", ["number"] = "qty", ["money"] = "price", ["percent"] = "discount",
        ["date"] = "due", ["datetime"] = "meeting", ["bool"] = "active", ["select"] = "tier", ["multiselect"] = "tags",
        ["email"] = "email", ["phone"] = "phone", ["url"] = "site", ["member"] = "assignee", ["department"] = "dept", ["lookup"] = "company",
        ["status"] = "state", ["stage"] = "stage", ["autonumber"] = "ref", ["formula"] = "total", ["subform"] = "lines",
        ["file"] = "attachments", ["image"] = "photos",
        ["address"] = "addr",
    };

    public static EntityMeta Build(Guid tenantId)
    {
        var entity = new EntityType
        {
            TenantId = tenantId, Key = "sink", Label = new LocalizedText("样例", "Sample"), PluralLabel = new LocalizedText("样例", "Samples"),
            TitleFieldKey = "name", StageFieldKey = "stage", StatusFieldKey = "state", OwnerFieldKey = "assignee", AmountFieldKey = "price",
            Sections = [new FormSection("main", new LocalizedText("基本信息", "Details")), new FormSection("more", new LocalizedText("更多", "More"), 1)],
        };
        var order = 0;
        FieldDefinition F(string key, string type, string zh, string en, FieldSettings? settings = null, string section = "main") => new()
        {
            TenantId = tenantId, EntityTypeId = entity.Id, Key = key, Type = type, Label = new LocalizedText(zh, en),
            SortOrder = order++, SectionKey = section, Settings = settings ?? new FieldSettings(),
        };
        List<ChoiceOption> Options(params string[] keys) => keys.Select(k => new ChoiceOption(k, new LocalizedText("选项" + k.ToUpperInvariant(), "Option " + k.ToUpperInvariant()), "#4dabf7", k == "d")).ToList();

        var fields = new List<FieldDefinition>
        {
            F("name", "text", "名称", "Name", new FieldSettings { Required = true, MaxLength = 20 }),
            F("code", "text", "编码", "Code", new FieldSettings { Pattern = "^[A-Z]{3}-[0-9]+$", PatternMessage = new LocalizedText("格式如 ABC-1", "use the form ABC-1") }),
            F("notes", "longtext", "备注", "Notes", new FieldSettings { MaxLength = 500 }, "more"),
            F("qty", "number", "数量", "Quantity", new FieldSettings { Required = true, Min = 1, Max = 100, Decimals = 0 }),
            F("price", "money", "单价", "Price", new FieldSettings { Min = 0, Currency = "USD" }),
            F("discount", "percent", "折扣", "Discount", new FieldSettings { Min = 0, Max = 100 }),
            F("due", "date", "截止日期", "Due date"),
            F("meeting", "datetime", "会议时间", "Meeting"),
            F("active", "bool", "启用", "Active"),
            F("tier", "select", "等级", "Tier", new FieldSettings { Options = Options("a", "b", "c", "d") }),
            F("tags", "multiselect", "标签", "Tags", new FieldSettings { Options = Options("a", "b", "c") }),
            F("email", "email", "邮箱", "Email"),
            F("phone", "phone", "电话", "Phone"),
            F("site", "url", "网站", "Website"),
            F("assignee", "member", "负责人", "Assignee"),
            F("dept", "department", "部门", "Department"),
            F("company", "lookup", "客户", "Company", new FieldSettings { Target = "company" }),
            F("state", "status", "状态", "Status", new FieldSettings { StatusList = "lifecycle" }),
            F("stage", "stage", "阶段", "Stage"),
            F("ref", "autonumber", "编号", "Number", new FieldSettings { Prefix = "S-", Digits = 4 }),
            F("total", "formula", "合计", "Total", new FieldSettings { Expression = "qty * price", Format = "money", Currency = "USD" }),
            F("lines", "subform", "产品明细", "Line items", new FieldSettings { Columns = LineColumns() }, "more"),
            F("attachments", "file", "附件", "Attachments", new FieldSettings { MaxFiles = 3 }, "more"),
            F("photos", "image", "照片", "Photos", new FieldSettings { MaxFiles = 2 }, "more"),
            F("addr", "address", "地址", "Address", null, "more"),
        };

        var pipeline = new Pipeline { TenantId = tenantId, EntityTypeId = entity.Id, Key = "main", Label = new LocalizedText("主流程", "Main"), IsDefault = true };
        var stages = new[] { ("new", "新建", "New", StageKind.Open), ("talk", "洽谈", "Talking", StageKind.Open), ("won", "成交", "Won", StageKind.Won) }
            .Select((s, i) => new PipelineStage { TenantId = tenantId, PipelineId = pipeline.Id, Key = s.Item1, Label = new LocalizedText(s.Item2, s.Item3), Kind = s.Item4, SortOrder = i, Probability = i * 40 })
            .ToList();
        var list = new StatusList { TenantId = tenantId, Key = "lifecycle", Label = new LocalizedText("生命周期", "Lifecycle") };
        var statuses = new[] { ("prospect", "潜在", "Prospect"), ("customer", "成交", "Customer"), ("lost", "流失", "Lost") }
            .Select((s, i) => new StatusOption { TenantId = tenantId, StatusListId = list.Id, Key = s.Item1, Label = new LocalizedText(s.Item2, s.Item3), SortOrder = i })
            .ToList();

        var meta = new TenantMetadata(tenantId, 1, [new EntityMeta(entity, fields, [new PipelineMeta(pipeline, stages)])], [new StatusListMeta(list, statuses)]);
        var sink = meta.Entity("sink")!;
        // Every registered field type is covered, so a new type cannot slip by without a test.
        var missing = FieldTypeRegistry.Names.Except(sink.Fields.Select(f => f.Type)).ToList();
        if (missing.Count > 0) throw new InvalidOperationException("AllFieldTypes lacks: " + string.Join(", ", missing));
        return sink;
    }

    /// <summary>The subform's columns: 产品 (required text), 数量 (required number, at least 1), 单价 (money), 小计 = 数量 × 单价.</summary>
    public static List<SubformColumn> LineColumns() =>
    [
        new() { Key = "product", Type = "text", Label = new LocalizedText("产品", "Product"), Settings = new FieldSettings { Required = true } },
        new() { Key = "qty", Type = "number", Label = new LocalizedText("数量", "Qty"), Settings = new FieldSettings { Required = true, Min = 1 } },
        new() { Key = "price", Type = "money", Label = new LocalizedText("单价", "Unit price"), Settings = new FieldSettings { Currency = "CNY" } },
        new() { Key = "subtotal", Type = "formula", Label = new LocalizedText("小计", "Subtotal"), Settings = new FieldSettings { Expression = "qty * price", Format = "money" } },
    ];

    public static JsonObject ValidValues() => new()
    {
        ["name"] = "Acme", ["qty"] = 3, ["stage"] = "new",
    };
}
