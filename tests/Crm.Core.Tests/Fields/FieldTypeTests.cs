using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;

namespace Crm.Core.Tests.Fields;

/// <summary>Field types on their own: normalisation, conversions between types, the formula language, keys.</summary>
public class FieldTypeTests
{
    private static EntityMeta Entity(params FieldDefinition[] fields)
    {
        var entity = new EntityType { Key = "thing", TitleFieldKey = "name" };
        var meta = new TenantMetadata(Guid.NewGuid(), 1, [new EntityMeta(entity, fields, [])], []);
        return meta.Entity("thing")!;
    }

    private static FieldDefinition F(string key, string type, FieldSettings? settings = null) => new() { Key = key, Type = type, Label = LocalizedText.Same(key), Settings = settings ?? new() };

    private static FieldSettings Options(params string[] labels)
        => new() { Options = labels.Select((l, i) => new ChoiceOption("o" + i, new LocalizedText(l, l.ToUpperInvariant()))).ToList() };

    [Theory]
    [InlineData("12,000.50", 12000.50)]
    [InlineData("￥1,200", 1200)]
    [InlineData(" 7 ", 7)]
    [InlineData("35%", 35)]
    [InlineData("$ 1,200.50", 1200.50)]
    public void Numbers_typed_with_separators_or_symbols_are_read(string typed, double expected)
    {
        var field = F("n", "money");
        var entity = Entity(field);
        var normalized = FieldTypeRegistry.Get("money").Normalize(JsonValue.Create(typed), new FieldContext(field, entity));
        Assert.Equal((decimal)expected, JsonNumbers.AsDecimal(normalized));
    }

    [Theory]
    [InlineData("12万")]
    [InlineData("12abc")]
    [InlineData("about 5")]
    [InlineData("-")]
    public void Text_that_is_not_clearly_a_number_is_kept_for_validation_to_refuse(string typed)
    {
        var field = F("n", "money");
        var normalized = FieldTypeRegistry.Get("money").Normalize(JsonValue.Create(typed), new FieldContext(field, Entity(field)));
        Assert.Equal(typed, normalized!.GetValue<string>());
    }

    [Theory]
    [InlineData("2026/9/1", "2026-09-01")]
    [InlineData("2026年9月1日", "2026-09-01")]
    [InlineData("2026-09-01T15:00:00Z", "2026-09-01")]
    public void Dates_are_stored_as_iso_days(string typed, string stored)
    {
        var field = F("d", "date");
        Assert.Equal(stored, FieldTypeRegistry.Get("date").Normalize(JsonValue.Create(typed), new FieldContext(field, Entity(field)))!.GetValue<string>());
    }

    [Fact]
    public void Text_converts_to_a_single_select_when_it_names_an_option()
    {
        var text = F("level", "text");
        var select = F("level", "select", Options("A", "B", "C"));
        var from = new FieldContext(text, Entity(text));
        var to = new FieldContext(select, Entity(select));
        var type = FieldTypeRegistry.Get("select");
        Assert.True(type.TryConvertFrom(from, JsonValue.Create("b"), to, out var converted));
        Assert.Equal("o1", converted!.GetValue<string>());
        Assert.False(type.TryConvertFrom(from, JsonValue.Create("Z"), to, out _));
        Assert.True(type.TryConvertFrom(from, null, to, out var none));
        Assert.Null(none);
    }

    [Fact]
    public void Numbers_convert_to_money_and_text_to_numbers_only_when_it_parses()
    {
        var number = F("n", "number");
        var money = F("n", "money");
        var text = F("n", "text");
        var toMoney = new FieldContext(money, Entity(money));
        Assert.True(FieldTypeRegistry.Get("money").TryConvertFrom(new FieldContext(number, Entity(number)), JsonValue.Create(42.5m), toMoney, out var m));
        Assert.Equal(42.5m, JsonNumbers.AsDecimal(m));
        var fromText = new FieldContext(text, Entity(text));
        Assert.True(FieldTypeRegistry.Get("number").TryConvertFrom(fromText, JsonValue.Create("1,234"), new FieldContext(number, Entity(number)), out var n));
        Assert.Equal(1234m, JsonNumbers.AsDecimal(n));
        Assert.False(FieldTypeRegistry.Get("number").TryConvertFrom(fromText, JsonValue.Create("about ten"), new FieldContext(number, Entity(number)), out _));
    }

    [Fact]
    public void A_select_converts_to_text_as_its_label()
    {
        var select = F("s", "select", Options("高", "低"));
        var text = F("s", "text");
        var previous = System.Globalization.CultureInfo.CurrentUICulture;
        System.Globalization.CultureInfo.CurrentUICulture = new("zh-CN");
        try
        {
            Assert.True(FieldTypeRegistry.Get("text").TryConvertFrom(new FieldContext(select, Entity(select)), JsonValue.Create("o0"), new FieldContext(text, Entity(text)), out var t));
            Assert.Equal("高", t!.GetValue<string>());
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentUICulture = previous;
        }
    }

    [Theory]
    [InlineData("amount * stage.probability / 100", 250.0)]
    [InlineData("(revenue - cost) / cost * 100", 300.0)]
    [InlineData("-cost + 2 * (3 + 4)", -86.0)]
    [InlineData("cost / zero", null)]
    [InlineData("missing + 1", null)]
    public void Formulas_compute_and_blank_or_division_by_zero_gives_no_value(string expression, double? expected)
    {
        var values = new Dictionary<string, decimal?> { ["amount"] = 1000, ["revenue"] = 400, ["cost"] = 100, ["zero"] = 0, [FormulaExpression.StageProbability] = 25 };
        var result = FormulaExpression.Parse(expression).Evaluate(k => values.GetValueOrDefault(k));
        Assert.Equal(expected is null ? null : (decimal?)expected, result);
    }

    [Theory]
    [InlineData("amount *")]
    [InlineData("(amount + 1")]
    [InlineData("amount # 2")]
    public void Broken_formulas_are_refused_with_the_position(string expression)
        => Assert.ThrowsAny<FormatException>(() => FormulaExpression.Parse(expression));

    [Fact]
    public void Keys_derive_from_labels_and_never_collide()
    {
        Assert.Equal("customer_level", MetadataKeys.Derive("Customer level", []));
        Assert.Equal("kehudengji", MetadataKeys.Derive("客户等级", []));
        Assert.Equal("customer_level_2", MetadataKeys.Derive("Customer level", ["customer_level"]));
        Assert.Equal("kehudengji_2", MetadataKeys.Derive("客户等级", ["kehudengji"]));
        Assert.Equal("field_2", MetadataKeys.Derive("★★", []));
        Assert.False(MetadataKeys.IsValid("Bad Key"));
    }

    [Fact]
    public void Every_field_type_is_registered_with_a_schema_and_its_settings()
    {
        string[] expected = ["text", "longtext", "number", "money", "percent", "date", "datetime", "bool", "select", "multiselect",
            "email", "phone", "url", "member", "department", "lookup", "status", "stage", "autonumber", "formula", "subform", "file", "image", "address"];
        Assert.Equal(expected.Order(), FieldTypeRegistry.Names.Order());
        foreach (var name in expected)
        {
            var field = F("x", name, name is "select" or "multiselect" ? Options("A") : new FieldSettings { Expression = "1 + 1" });
            var schema = FieldTypeRegistry.Get(name).BuildSchema(new FieldContext(field, Entity(field)));
            Assert.NotEqual(NJsonSchema.JsonObjectType.None, schema.Type);
        }
    }

    [Fact]
    public void A_stage_shows_the_label_of_the_records_own_pipeline()
    {
        var entity = new EntityType { Key = "deal", TitleFieldKey = "name" };
        var stage = F("stage", "stage");
        Pipeline P(string key, string label) => new() { Key = key, EntityTypeId = entity.Id };
        var first = P("a", "A");
        var second = P("b", "B");
        var pipelines = new[]
        {
            new PipelineMeta(first, [new PipelineStage { Key = "talk", PipelineId = first.Id, Label = new LocalizedText("谈判与异议处理", "Negotiation") }]),
            new PipelineMeta(second, [new PipelineStage { Key = "talk", PipelineId = second.Id, Label = new LocalizedText("谈判", "Talks") }]),
        };
        var meta = new TenantMetadata(Guid.NewGuid(), 1, [new EntityMeta(entity, [stage], pipelines)], []).Entity("deal")!;
        var ctx = new FieldContext(stage, meta);
        var type = FieldTypeRegistry.Get("stage");
        var en = new DisplayContext(new System.Globalization.CultureInfo("en"), k => k);
        Assert.Equal("Talks", type.Display(JsonValue.Create("talk"), ctx, en with { PipelineId = second.Id }));
        Assert.Equal("Negotiation", type.Display(JsonValue.Create("talk"), ctx, en with { PipelineId = first.Id }));
    }
}
