using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Import;
using Crm.Core.Metadata;
using Crm.Testing;

namespace Crm.Core.Tests.Import;

/// <summary>Each field type's reading of what people type into spreadsheets.</summary>
public class ImportValueParsersTests
{
    private static async Task<(Workspace Ws, EntityMeta Opportunity)> OpportunityAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: false);
        return (ws, (await ws.MetadataAsync()).Entity("opportunity")!);
    }

    private static ParsedCell Parse(EntityMeta entity, string key, string text, ImportLookups? lookups = null)
        => ImportValueParsers.Parse(new FieldContext(entity.Field(key)!, entity), text, lookups ?? new ImportLookups());

    private static ParsedCell ParseAs(EntityMeta entity, string type, string text, FieldSettings? settings = null)
        => ImportValueParsers.Parse(new FieldContext(new FieldDefinition { Key = "x_" + type, Type = type, Label = LocalizedText.Same("X"), Settings = settings ?? new FieldSettings() }, entity), text, new ImportLookups());

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Dates_money_options_and_yes_no_are_read_in_chinese_and_iso_forms(string provider)
    {
        var (ws, opp) = await OpportunityAsync(provider);
        await using var _ = ws;

        foreach (var date in new[] { "2026年3月5日", "2026/3/5", "2026-03-05", "2026.3.5", "46086" })
            Assert.Equal("2026-03-05", Parse(opp, "expected_close", date).Value!.GetValue<string>());
        Assert.Equal("Import.NotADate", Parse(opp, "expected_close", "下周三").ErrorKey);

        Assert.Equal(1200.5m, Parse(opp, "amount", "¥1,200.50").Value!.GetValue<decimal>());
        Assert.Equal(120000m, Parse(opp, "amount", "12万").Value!.GetValue<decimal>());
        Assert.Equal(15000m, Parse(opp, "amount", "1.5万元").Value!.GetValue<decimal>());
        Assert.Equal(300m, Parse(opp, "amount", "￥ 300").Value!.GetValue<decimal>());
        Assert.Equal("Import.NotAnAmount", Parse(opp, "amount", "很多").ErrorKey);
        Assert.Equal("Import.NotAnAmount", Parse(opp, "amount", "=1+1").ErrorKey);

        var source = opp.Field("source")!.Settings.Options!.First();
        Assert.Equal(source.Key, Parse(opp, "source", source.Label.ZhCn).Value!.GetValue<string>());
        Assert.Equal(source.Key, Parse(opp, "source", source.Label.En.ToUpperInvariant()).Value!.GetValue<string>());
        Assert.Equal(source.Key, Parse(opp, "source", source.Key).Value!.GetValue<string>());
        Assert.Equal("Import.NoSuchOption", Parse(opp, "source", "不存在的来源").ErrorKey);

        var products = opp.Field("products")!.Settings.Options!.Take(2).ToList();
        var both = Parse(opp, "products", $"{products[0].Label.ZhCn}、{products[1].Label.En}").Value!.AsArray();
        Assert.Equal([products[0].Key, products[1].Key], both.Select(n => n!.GetValue<string>()));

        var stage = opp.Pipelines.First().Stages.First();
        Assert.Equal(stage.Key, Parse(opp, "stage", stage.Label.ZhCn).Value!.GetValue<string>());

        foreach (var yes in new[] { "是", "true", "1", "Yes", "√" }) Assert.True(ParseAs(opp, "bool", yes).Value!.GetValue<bool>());
        foreach (var no in new[] { "否", "false", "0", "no" }) Assert.False(ParseAs(opp, "bool", no).Value!.GetValue<bool>());
        Assert.Equal("Import.NotYesNo", ParseAs(opp, "bool", "也许").ErrorKey);

        Assert.Equal(12.5m, ParseAs(opp, "number", "12.5").Value!.GetValue<decimal>());
        Assert.Equal("Import.NotANumber", ParseAs(opp, "number", "12万").ErrorKey);
        Assert.Equal("2026-03-05T01:30:00Z", ParseAs(opp, "datetime", "2026-03-05 01:30").Value!.GetValue<string>());
        Assert.Equal("=1+1", Parse(opp, "next_step", "=1+1").Value!.GetValue<string>()); // a formula is text, never evaluated
        Assert.Null(Parse(opp, "next_step", "   ").Value);
        Assert.Equal("Import.NotImportable", Parse(opp, "weighted_amount", "1").ErrorKey);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Members_are_found_by_name_or_email_and_lookups_by_title(string provider)
    {
        var (ws, opp) = await OpportunityAsync(provider);
        await using var _ = ws;
        var lookups = new ImportLookups();
        var zhang = Guid.NewGuid();
        var li = Guid.NewGuid();
        lookups.AddMember(zhang, "张三", "zhang@example.test");
        lookups.AddMember(li, "李四", "li@example.test");
        lookups.AddMember(Guid.NewGuid(), "李四", "li2@example.test");
        var company = Guid.NewGuid();
        lookups.AddRecord("company", "上海云帆科技有限公司", company);

        Assert.Equal(zhang.ToString(), Parse(opp, "owner", "张三", lookups).Value!.GetValue<string>());
        Assert.Equal(zhang.ToString(), Parse(opp, "owner", "ZHANG@example.test", lookups).Value!.GetValue<string>());
        Assert.Equal("Import.Ambiguous", Parse(opp, "owner", "李四", lookups).ErrorKey);
        Assert.Equal(li.ToString(), Parse(opp, "owner", "li@example.test", lookups).Value!.GetValue<string>());
        Assert.Equal("Import.NoSuchMember", Parse(opp, "owner", "王五", lookups).ErrorKey);
        Assert.Equal(company.ToString(), Parse(opp, "company", "上海云帆科技有限公司", lookups).Value!.GetValue<string>());
        Assert.Equal("Import.NoSuchRecord", Parse(opp, "company", "北京", lookups).ErrorKey);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Departments_are_found_by_name_or_path_and_several_by_separators(string provider)
    {
        var (ws, opp) = await OpportunityAsync(provider);
        await using var _ = ws;
        var sales = Guid.NewGuid();
        var eastUnderSales = Guid.NewGuid();
        var service = Guid.NewGuid();
        var eastUnderService = Guid.NewGuid();
        var north = Guid.NewGuid();
        var lookups = new ImportLookups();
        lookups.AddDepartments([(sales, "销售部", null), (eastUnderSales, "华东区", sales), (service, "客服部", null), (eastUnderService, "华东区", service), (north, "华北区", sales)]);
        var one = new FieldSettings();
        var many = new FieldSettings { Multiple = true };
        ParsedCell Dept(string text, FieldSettings settings)
            => ImportValueParsers.Parse(new FieldContext(new FieldDefinition { Key = "dept", Type = "department", Label = LocalizedText.Same("部门"), Settings = settings }, opp), text, lookups);

        Assert.Equal(sales.ToString(), Dept("销售部", one).Value!.GetValue<string>());
        Assert.Equal(eastUnderSales.ToString(), Dept("销售部/华东区", one).Value!.GetValue<string>());
        Assert.Equal(eastUnderService.ToString(), Dept(" 客服部 ／ 华东区 ", one).Value!.GetValue<string>());
        Assert.Equal(north.ToString(), Dept("华北区", one).Value!.GetValue<string>());
        Assert.Equal("Import.Ambiguous", Dept("华东区", one).ErrorKey);
        Assert.Equal("Import.NoSuchDepartment", Dept("市场部", one).ErrorKey);
        Assert.Equal("Import.OneDepartment", Dept("销售部、客服部", one).ErrorKey);

        var several = Dept("销售部/华东区、客服部; 华北区, 销售部/华东区", many).Value!.AsArray();
        Assert.Equal([eastUnderSales.ToString(), service.ToString(), north.ToString()], several.Select(n => n!.GetValue<string>()));
        Assert.Equal("Import.NoSuchDepartment", Dept("销售部，市场部", many).ErrorKey);
        Assert.True(ImportValueParsers.CanImport("department"));
    }

    /// <summary>
    /// The per-column parser an import makes once (<see cref="ImportValueParsers.Column"/>: a choice field's options
    /// looked up in a map instead of listed per cell) answers exactly as <see cref="ImportValueParsers.Parse"/> for
    /// every field of every type of the template: options by key and by either label in any case, with spaces around,
    /// unknown and empty texts; and for a list where an archived option and a later option share names, the first
    /// active option in the list's order wins in both.
    /// </summary>
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_column_parser_answers_as_the_cell_parser(string provider)
    {
        var (ws, opp) = await OpportunityAsync(provider);
        await using var _ = ws;
        var metadata = await ws.MetadataAsync();
        var lookups = new ImportLookups();
        var compared = 0;
        void Same(FieldContext ctx, string? text)
        {
            var cell = ImportValueParsers.Parse(ctx, text, lookups);
            var column = ImportValueParsers.Column(ctx, lookups)(text);
            Assert.Equal(cell.ErrorKey, column.ErrorKey);
            Assert.Equal(cell.Args ?? [], column.Args ?? []);
            Assert.Equal(cell.Value?.ToJsonString(), column.Value?.ToJsonString());
            compared++;
        }
        var choices = 0;
        foreach (var entity in metadata.EntityTypes)
            foreach (var field in entity.AllFields.Where(f => ImportValueParsers.CanImport(f.Type)))
            {
                var ctx = new FieldContext(field, entity);
                var texts = new List<string?> { null, "", "   ", "不存在的选项", "12万", "2026年3月5日", "=1+1" };
                if (ctx.Type is Crm.Core.Fields.Types.ChoiceFieldBase choice)
                {
                    choices++;
                    foreach (var o in choice.Options(ctx))
                        texts.AddRange([o.Key, o.Label.ZhCn, o.Label.En, o.Label.En.ToUpperInvariant(), $"  {o.Label.ZhCn} ", o.Key.ToUpperInvariant()]);
                }
                foreach (var text in texts) Same(ctx, text);
            }
        Assert.True(choices >= 3, $"only {choices} choice fields in the template");

        var shared = new FieldDefinition
        {
            Key = "x_select", Type = "select", Label = LocalizedText.Same("X"), Settings = new FieldSettings
            {
                Options = [new ChoiceOption("x", new LocalizedText("甲", "Alpha"), IsArchived: true), new ChoiceOption("alpha", new LocalizedText("乙", "Beta")), new ChoiceOption("y", new LocalizedText("Beta", "gamma"))],
            },
        };
        var sharedCtx = new FieldContext(shared, opp);
        foreach (var text in new[] { "alpha", "ALPHA", "beta", "Beta", "甲", "x", "乙", "gamma", "y" }) Same(sharedCtx, text);
        Assert.Equal("alpha", ImportValueParsers.Column(sharedCtx, lookups)("beta").Value!.GetValue<string>());
        Assert.Equal("Import.NoSuchOption", ImportValueParsers.Column(sharedCtx, lookups)("甲").ErrorKey);
        Assert.True(compared > 100);
    }
}
