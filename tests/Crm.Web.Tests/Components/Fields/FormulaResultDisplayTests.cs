using System.Globalization;
using System.Text.Json.Nodes;
using Bunit;
using Crm.Core.Fields;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Reports;
using Crm.Testing;
using Crm.Web.Components.Fields;
using Crm.Web.Components.Lists;
using Crm.Web.Components.RecordPage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;

namespace Crm.Web.Tests.Components.Fields;

/// <summary>
/// Formulas with a text, date or boolean result (formula13b): not numeric anywhere totals, measures or the number
/// format are offered; a boolean result reads as the localized yes/no in the form, on the record page and in list cells.
/// </summary>
public class FormulaResultDisplayTests
{
    private static FieldDefinition Formula(EntityMeta entity, string key, string? resultType) => new()
    {
        Key = key, Type = FieldTypes.Formula, EntityTypeId = entity.Entity.Id, Label = LocalizedText.Same(key),
        Settings = new FieldSettings { Expression = "amount > 0", ResultType = resultType },
    };

    [Fact]
    public void Only_a_number_result_is_numeric()
    {
        var settings = (string? resultType) => new FieldSettings { ResultType = resultType };
        var formula = FieldTypeRegistry.Get(FieldTypes.Formula);
        Assert.True(formula.IsNumericFor(settings(null)));
        Assert.True(formula.IsNumericFor(settings("number")));
        Assert.False(formula.IsNumericFor(settings("text")));
        Assert.False(formula.IsNumericFor(settings("date")));
        Assert.False(formula.IsNumericFor(settings("boolean")));
        Assert.True(FieldTypeRegistry.Get(FieldTypes.Money).IsNumericFor(new FieldSettings()));
        Assert.False(FieldType.IsNumericField(null));
    }

    [Theory]
    [InlineData("en", "Yes", "No")]
    [InlineData("zh-CN", "是", "否")]
    public async Task A_boolean_formula_reads_yes_or_no_in_the_form_the_record_page_and_the_list(string culture, string yes, string no)
    {
        FormContext.UseCulture(culture);
        await using var f = await FormContext.CreateAsync(Providers.Sqlite, culture);
        var big = Formula(f.Entity, "big", "boolean");
        var label = Formula(f.Entity, "label", "text");

        // Not numeric: list columns are not right-aligned as numbers, reports do not offer them as measures.
        Assert.False(new ListColumn("big", big, FilterKind.Bool, false).IsNumeric);
        Assert.False(new ListColumn("label", label, FilterKind.Text, false).IsNumeric);
        Assert.True(new ListColumn("n", Formula(f.Entity, "n", null), FilterKind.Number, false).IsNumeric);
        var withFormulas = f.Entity.Fields.Concat([big, label]).ToList();
        Assert.DoesNotContain(withFormulas.Where(FieldType.IsNumericField), x => x.Key is "big" or "label");
        Assert.Contains(ReportService.NumericFields(f.Entity), x => x.Key == "total"); // a number formula stays a measure

        // The form (read-only formula box).
        var editor = f.Context.Bunit.Render<NumberFieldEditor>(p =>
        {
            p.Add(x => x.Field, big);
            p.Add(x => x.Entity, f.Entity);
            p.Add(x => x.Value, JsonValue.Create(true));
            p.AddCascadingValue(f.Session);
        });
        Assert.Equal(yes, editor.Find("input").GetAttribute("value"));

        // The record page.
        var view = f.Context.Bunit.Render<FieldValueView>(p =>
        {
            p.Add(x => x.Field, big);
            p.Add(x => x.Entity, f.Entity);
            p.Add(x => x.Value, JsonValue.Create(false));
            p.AddCascadingValue(f.Session);
        });
        Assert.Contains(no, view.Markup);

        // A list cell, displayed as the list does (the Core strings).
        var core = f.Context.Bunit.Services.GetRequiredService<IStringLocalizer<Crm.Core.Resources.CoreStrings>>();
        var dc = new DisplayContext(CultureInfo.CurrentCulture, k => core[k]);
        var item = new RecordListItem(Guid.NewGuid(), "Deal", new JsonObject { ["big"] = true }, 1, null, null, DateTime.UtcNow, DateTime.UtcNow);
        var cell = f.Context.Bunit.Render(RecordCell.Render(f.Entity, new ListColumn("big", big, FilterKind.Bool, false), item, dc, h => "/" + h));
        Assert.Contains(yes, cell.Markup);
        Assert.DoesNotContain("Value.", cell.Markup + view.Markup + editor.Markup);
    }
}
