using System.Globalization;
using System.Resources;
using System.Text.Json.Nodes;
using Bunit;
using Crm.Core.Fields;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Testing;
using Crm.Web.Components.Fields;
using Crm.Web.Components.Fields.Types;
using Crm.Web.Components.Lists;
using Crm.Web.Components.RecordPage;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Fields;

/// <summary>Each field type's UI is registered once and matches the Core registry and the resources; the
/// department field's editor, record value and list cell.</summary>
public class FieldTypeUiTests
{
    public FieldTypeUiTests() => FormContext.UseCulture("en");

    [Fact]
    public void Every_core_type_has_one_web_ui_with_an_editor()
    {
        var services = new ServiceCollection();
        FieldTypeUiServiceCollectionExtensions.AddFieldTypeUis(services);
        var registry = services.BuildServiceProvider().GetRequiredService<FieldTypeUiRegistry>();
        Assert.Same(FieldTypeUiRegistry.Default, registry);
        Assert.Equal(FieldTypeRegistry.Names.Order(), registry.Names.Order());
        foreach (var name in FieldTypeRegistry.Names)
        {
            var ui = registry.Get(name);
            Assert.Equal(name, ui.Name);
            Assert.True(ui.Editor.IsSubclassOf(typeof(FieldEditorBase)), name);
            Assert.Same(FieldTypeRegistry.Get(name), ui.Type);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("zh-CN")]
    public void Type_names_and_descriptions_match_the_registry_in_both_languages(string culture)
    {
        var manager = new ResourceManager("Crm.Web.Resources.Shell", typeof(Crm.Web.Resources.Shell).Assembly);
        var set = manager.GetResourceSet(culture.Length == 0 ? CultureInfo.InvariantCulture : new CultureInfo(culture), true, false)!;
        var keys = set.Cast<System.Collections.DictionaryEntry>().Select(e => (string)e.Key).ToList();
        foreach (var prefix in new[] { "FieldType.", "FieldTypeHint." })
        {
            var named = keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..]).ToList();
            Assert.Equal(FieldTypeRegistry.Names.Order(), named.Order());
        }
        Assert.All(keys.Where(k => k.StartsWith("FieldType", StringComparison.Ordinal)), k => Assert.False(string.IsNullOrWhiteSpace(set.GetString(k)), k));
    }

    private static async Task<(Guid East, Guid EastOne, Guid South)> DepartmentsAsync(Workspace ws)
    {
        var departments = ws.Get<DepartmentService>();
        var east = (await departments.CreateAsync(ws.Owner, "华东", null)).Id!.Value;
        var eastOne = (await departments.CreateAsync(ws.Owner, "一组", east)).Id!.Value;
        var south = (await departments.CreateAsync(ws.Owner, "华南", null)).Id!.Value;
        return (east, eastOne, south);
    }

    [Fact]
    public async Task The_department_editor_picks_from_the_tree()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var (_, eastOne, _) = await DepartmentsAsync(f.Workspace);
        var cut = f.Render(AllFieldTypes.ValidValues());

        await cut.InvokeAsync(() => cut.Find("div.crm-field[data-field='dept'] .mud-input-control").MouseDownAsync(new()));
        var list = cut.Find("#f-dept").GetAttribute("aria-controls");
        f.Popovers.WaitForAssertion(() => Assert.Equal(3, f.Popovers.FindAll($"#{list} [data-department]").Count));
        // Sub-departments are indented under their parent, in tree order.
        Assert.Equal(["华东", "一组", "华南"], f.Popovers.FindAll($"#{list} [data-department]").Select(e => e.TextContent.Trim()));
        Assert.Contains("padding-left", f.Popovers.Find($"#{list} [data-department='{eastOne}']").GetAttribute("style"));
        await f.Popovers.ClickAsync(p => p.FindAll($"#{list} .mud-list-item").First(i => i.TextContent.Trim() == "一组"));

        cut.WaitForAssertion(() => Assert.Equal(eastOne.ToString(), f.Changes.Last()["dept"]!.GetValue<string>()));
        cut.WaitForAssertion(() => Assert.Equal("华东 / 一组", cut.Find("#f-dept").GetAttribute("value")));
    }

    [Fact]
    public async Task A_multiple_department_field_shows_every_chosen_department()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var (_, eastOne, south) = await DepartmentsAsync(f.Workspace);
        var field = f.Entity.Field("dept")!;
        var many = new FieldDefinition { Key = "depts", Type = FieldTypes.Department, EntityTypeId = field.EntityTypeId, Label = new LocalizedText("协办部门", "Helping"), Settings = new FieldSettings { Multiple = true } };
        var value = new JsonArray(eastOne.ToString(), south.ToString());

        var cut = f.Context.Bunit.Render<DepartmentFieldEditor>(p =>
        {
            p.Add(x => x.Field, many);
            p.Add(x => x.Entity, f.Entity);
            p.Add(x => x.Value, value);
            p.AddCascadingValue(f.Session);
        });

        cut.WaitForAssertion(() => Assert.Equal("华东 / 一组, 华南", cut.Find("#f-depts").GetAttribute("value")));
    }

    [Fact]
    public async Task Departments_read_by_name_on_the_record_page_and_in_lists()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var east = Guid.NewGuid();
        var south = Guid.NewGuid();
        var names = new Dictionary<Guid, string> { [east] = "华东", [south] = "华南" };
        var field = f.Entity.Field("dept")!;

        var view = f.Context.Bunit.Render<FieldValueView>(p =>
        {
            p.Add(x => x.Field, field);
            p.Add(x => x.Entity, f.Entity);
            p.Add(x => x.Value, JsonValue.Create(east.ToString()));
            p.Add(x => x.Names, names);
            p.AddCascadingValue(f.Session);
        });
        Assert.Equal("华东", view.Find("[data-departments]").TextContent.Trim());

        var many = new FieldDefinition { Key = "dept", Type = FieldTypes.Department, EntityTypeId = field.EntityTypeId, Label = field.Label, Settings = new FieldSettings { Multiple = true } };
        var column = new ListColumn("dept", many, FilterKind.Department, false);
        var item = new RecordListItem(Guid.NewGuid(), "Acme", new JsonObject { ["dept"] = new JsonArray(east.ToString(), south.ToString()) }, 1, null, null, DateTime.UtcNow, DateTime.UtcNow);
        var dc = new DisplayContext(CultureInfo.CurrentUICulture, k => k, names);
        var cell = f.Context.Bunit.Render(RecordCell.Render(f.Entity, column, item, dc, h => "/" + h));
        Assert.Equal("华东, 华南", cell.Markup.Trim());
        Assert.Equal(FilterKind.Department, ListColumns.Find(f.Entity, "dept")!.Kind);
    }
}
