using System.Text.Json.Nodes;
using Crm.Core.Design;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Templates;

namespace Crm.Core.Tests.Fields;

/// <summary>A field type is one unit: the lists that must name every type (the template JSON Schema, the
/// designer's bindings, the type changer) come from the registry or agree with it.</summary>
public class FieldTypeUnitTests
{
    [Fact]
    public void The_template_schema_lists_exactly_the_registered_field_types()
    {
        var schema = JsonNode.Parse(TemplateParser.SchemaJson)!;
        var listed = schema["definitions"]!["fieldType"]!["enum"]!.AsArray().Select(n => (string)n!).ToList();
        Assert.Equal(FieldTypeRegistry.Names.Order(), listed.Order());
        Assert.Equal(listed.Count, listed.Distinct().Count());
    }

    [Fact]
    public void Bindings_and_conversions_come_from_the_types()
    {
        Assert.Equal(["text", "longtext", "number", "select", "email", "phone", "url", "autonumber"], EntityDraft.BindingTypes(FieldBindings.Title));
        Assert.Equal(["number", "money", "formula"], EntityDraft.BindingTypes(FieldBindings.Amount));
        Assert.Equal(["member"], EntityDraft.BindingTypes(FieldBindings.Owner));
        Assert.Equal(["select", "status"], EntityDraft.BindingTypes(FieldBindings.LostReason));
        // Conversions never target the type itself or a computed type; reference types offer none.
        foreach (var type in FieldTypeRegistry.All)
        {
            var targets = FieldTypeChanger.TargetsFor(type.Name);
            Assert.DoesNotContain(type.Name, targets);
            Assert.All(targets, t => Assert.False(FieldTypeRegistry.Get(t).IsComputed));
        }
        Assert.Empty(FieldTypeChanger.TargetsFor(FieldTypes.Department));
        Assert.Empty(FieldTypeChanger.TargetsFor(FieldTypes.Member));
        Assert.Contains(FieldTypes.Status, FieldTypeChanger.TargetsFor(FieldTypes.Text));
    }

    [Fact]
    public void Dynamic_defaults_are_the_types_own()
    {
        Assert.True(DesignRules.IsDynamicDefault("member", JsonValue.Create("$me")));
        Assert.True(DesignRules.IsDynamicDefault("datetime", JsonValue.Create("$today")));
        Assert.False(DesignRules.IsDynamicDefault("text", JsonValue.Create("$me")));
        var now = new DateTime(2026, 12, 3, 8, 30, 0, DateTimeKind.Utc);
        Assert.Equal("2026-12-03", FieldTypeRegistry.Get("date").ResolveDefault("$today", Guid.Empty, now)!.GetValue<string>());
        Assert.Null(FieldTypeRegistry.Get("date").ResolveDefault("$me", Guid.Empty, now));
    }

    [Fact]
    public void A_department_field_holds_one_id_or_several()
    {
        var entity = new EntityType { Key = "deal", TitleFieldKey = "name" };
        var one = new FieldDefinition { Key = "dept", Type = FieldTypes.Department, EntityTypeId = entity.Id, Label = LocalizedText.Same("部门") };
        var many = new FieldDefinition { Key = "depts", Type = FieldTypes.Department, EntityTypeId = entity.Id, Label = LocalizedText.Same("协办部门"), Settings = new FieldSettings { Multiple = true } };
        var meta = new TenantMetadata(Guid.NewGuid(), 1, [new EntityMeta(entity, [one, many], [])], []).Entity("deal")!;
        var type = FieldTypeRegistry.Get(FieldTypes.Department);
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();

        Assert.Equal(FieldValueKind.Reference, type.KindOf(one.Settings));
        Assert.Equal(FieldValueKind.Choices, type.KindOf(many.Settings));
        Assert.Equal(a.ToString(), type.Normalize(JsonValue.Create(a.ToString("B").ToUpperInvariant()), new FieldContext(one, meta))!.GetValue<string>());
        Assert.Equal(a.ToString(), type.Normalize(new JsonArray(a.ToString()), new FieldContext(one, meta))!.GetValue<string>());
        var list = type.Normalize(JsonValue.Create(a.ToString()), new FieldContext(many, meta))!.AsArray();
        Assert.Equal([a.ToString()], list.Select(n => (string)n!));
        list = type.Normalize(new JsonArray(a.ToString(), b.ToString(), a.ToString()), new FieldContext(many, meta))!.AsArray();
        Assert.Equal([a.ToString(), b.ToString()], list.Select(n => (string)n!));
        Assert.Null(type.Normalize(new JsonArray(), new FieldContext(many, meta)));

        Assert.Equal([a, b], type.ReferencedIds(new JsonArray(a.ToString(), b.ToString())));
        var dc = new DisplayContext(System.Globalization.CultureInfo.InvariantCulture, k => k, new Dictionary<Guid, string> { [a] = "华东", [b] = "华南" });
        Assert.Equal("华东, 华南", type.Display(new JsonArray(a.ToString(), b.ToString()), new FieldContext(many, meta), dc));
        Assert.Equal("华东", type.Display(JsonValue.Create(a.ToString()), new FieldContext(one, meta), dc));
        Assert.Equal(NJsonSchema.JsonObjectType.Array, type.BuildSchema(new FieldContext(many, meta)).Type);
        Assert.Equal(NJsonSchema.JsonObjectType.String, type.BuildSchema(new FieldContext(one, meta)).Type);
    }
}

/// <summary>The Core resource keys named after field types match the registry in both languages.</summary>
public class FieldTypeResourceTests
{
    [Theory]
    [InlineData("")]
    [InlineData("zh-CN")]
    public void Every_type_has_a_type_name_and_no_name_is_left_over(string culture)
    {
        var manager = new System.Resources.ResourceManager("Crm.Core.Resources.CoreStrings", typeof(Crm.Core.Resources.CoreStrings).Assembly);
        var set = manager.GetResourceSet(culture.Length == 0 ? System.Globalization.CultureInfo.InvariantCulture : new System.Globalization.CultureInfo(culture), true, false)!;
        var names = set.Cast<System.Collections.DictionaryEntry>().Select(e => (string)e.Key).Where(k => k.StartsWith("Design.TypeName.", StringComparison.Ordinal))
            .Select(k => k["Design.TypeName.".Length..]).ToList();
        Assert.Equal(FieldTypeRegistry.Names.Order(), names.Order());
    }
}
