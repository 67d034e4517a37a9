using System.Text.Json.Nodes;
using Crm.Core.Design;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Design;

/// <summary>Saving entity types from designer drafts: fields of every type, order, sections, archive, bindings, refusals.</summary>
public class EntityDesignTests
{
    private static async Task<Workspace> B2bAsync(string provider, bool samples = true)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: samples);
        return ws;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Adds_a_field_of_every_type_with_its_settings(string provider)
    {
        await using var ws = await B2bAsync(provider, samples: false);
        var draft = await ws.DraftAsync("opportunity");
        var settings = new Dictionary<string, FieldSettings>
        {
            ["text"] = new() { Required = true, MaxLength = 50, Pattern = "^[A-Z]", PatternMessage = L("大写开头", "Starts upper-case") },
            ["longtext"] = new() { MaxLength = 500 },
            ["number"] = new() { Min = 0, Max = 10, Decimals = 1 },
            ["money"] = new() { Currency = "USD", Min = 0 },
            ["percent"] = new() { Max = 100 },
            ["date"] = new() { Default = JsonValue.Create("$today") },
            ["datetime"] = new(),
            ["bool"] = new() { Default = JsonValue.Create(true) },
            ["select"] = new() { Options = [Option("a", "A", "#4dabf7"), Option("b", "B")], Default = JsonValue.Create("b") },
            ["multiselect"] = new() { Options = [Option("x", "X"), Option("y", "Y")] },
            ["email"] = new() { Unique = true },
            ["phone"] = new(),
            ["url"] = new(),
            ["member"] = new() { Default = JsonValue.Create("$me") },
            ["lookup"] = new() { Target = "company" },
            ["status"] = new() { StatusList = "lost_reasons" },
            ["stage"] = new(),
            ["autonumber"] = new() { Prefix = "X-", Digits = 4 },
            ["formula"] = new() { Expression = "amount * 2", Format = "money", Currency = "CNY" },
        };
        foreach (var (type, s) in settings)
        {
            var field = draft.AddField(type, L("新" + type, "New " + type));
            field.Settings = s;
        }
        var before = await ws.MetadataVersionAsync();

        var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.True(result.Succeeded, result.Errors.ToString());
        var meta = await ws.MetadataAsync();
        Assert.True(meta.Version > before);
        var entity = meta.Entity("opportunity")!;
        foreach (var (type, s) in settings)
        {
            var field = entity.Field("new_" + type);
            Assert.NotNull(field);
            Assert.Equal(type, field!.Type);
            Assert.Equal(L("新" + type, "New " + type), field.Label);
        }
        Assert.Equal(50, entity.Field("new_text")!.Settings.MaxLength);
        Assert.Equal("USD", entity.Field("new_money")!.Settings.Currency);
        Assert.Equal(["a", "b"], entity.Field("new_select")!.Settings.Options!.Select(o => o.Key));
        Assert.Equal("company", entity.Field("new_lookup")!.Settings.Target);
        Assert.Equal("amount * 2", entity.Field("new_formula")!.Settings.Expression);
        // The new fields follow the existing ones, in the order they were added.
        Assert.Equal(settings.Keys.Select(k => "new_" + k), entity.Fields.Select(f => f.Key).Where(k => k.StartsWith("new_")));

        // A record uses them at once: the formula is computed, the select default applies.
        var company = await ws.CreateAsync("company", ("name", "Acme"));
        var record = await ws.CreateAsync("opportunity", ("name", "Deal"), ("amount", 100m), ("company", company.Id.ToString()), ("expected_close", "2030-01-31"),
            ("new_text", "Abc"), ("new_select", "a"), ("new_multiselect", new JsonArray("x", "y")));
        Assert.Equal(200m, record.Values()["new_formula"]!.GetValue<decimal>());
        Assert.Equal("a", record.Text("new_select"));
        Assert.StartsWith("X-", record.Text("new_autonumber"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_customer_level_field_goes_to_the_top_and_records_use_it(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var draft = await ws.DraftAsync("company");
        var level = draft.AddField("select", L("客户等级"));
        level.Settings = level.Settings with { Options = [Option("a", "A"), Option("b", "B"), Option("c", "C")] };
        draft.MoveFieldToTop(level.Key);

        var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.True(result.Succeeded, result.Errors.ToString());
        var entity = (await ws.MetadataAsync()).Entity("company")!;
        var field = entity.Fields[0];
        Assert.Equal(L("客户等级"), field.Label);
        Assert.Equal("kehudengji", field.Key); // readable pinyin of 客户等级
        Assert.Equal(entity.Entity.Sections[0].Key, field.SectionKey);
        var record = await ws.CreateAsync("company", ("name", "新客户"), (field.Key, "a"));
        Assert.Equal("a", record.Text(field.Key));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Fields_are_reordered_and_grouped_into_sections(string provider)
    {
        await using var ws = await B2bAsync(provider, samples: false);
        var draft = await ws.DraftAsync("company");
        var section = draft.AddSection(L("联系方式", "Contact details"), columns: 1);
        draft.MoveField("phone", section.Key, 0);
        draft.MoveField("website", section.Key, 0);
        draft.MoveFieldToTop("city");
        draft.MoveFieldBy("name", -1); // from second place back to the top
        draft.MoveSection(section.Key, -1);

        var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.True(result.Succeeded, result.Errors.ToString());
        var entity = (await ws.MetadataAsync()).Entity("company")!;
        Assert.Equal(["basic", "contact_details", "other"], entity.Entity.Sections.Select(s => s.Key));
        Assert.Equal(1, entity.Entity.Sections[1].Columns);
        Assert.Equal(L("联系方式", "Contact details"), entity.Entity.Sections[1].Label);
        var inContact = entity.Fields.Where(f => f.SectionKey == "contact_details").Select(f => f.Key).ToList();
        Assert.Equal(["website", "phone"], inContact);
        var inBasic = entity.Fields.Where(f => f.SectionKey == "basic").Select(f => f.Key).ToList();
        Assert.Equal(["name", "city"], inBasic.Take(2));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Archiving_keeps_the_values_and_restoring_brings_them_back(string provider)
    {
        await using var ws = await B2bAsync(provider, samples: false);
        var record = await ws.CreateAsync("company", ("name", "云帆"), ("city", "杭州"));
        var draft = await ws.DraftAsync("company");
        draft.Field("city")!.IsArchived = true;

        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);

        var entity = (await ws.MetadataAsync()).Entity("company")!;
        Assert.DoesNotContain(entity.Fields, f => f.Key == "city");
        Assert.True(entity.Field("city")!.IsArchived);
        // A form save (all values replaced) keeps the archived field's value.
        var saved = await ws.Records.UpdateAsync(ws.Owner, record.Id, new RecordInput(new JsonObject { ["name"] = "云帆科技" }) { ReplaceAll = true });
        Assert.True(saved.Succeeded, saved.Errors.ToString());
        Assert.Equal("杭州", (await ws.RecordAsync(record.Id)).Text("city"));

        draft = await ws.DraftAsync("company");
        draft.Field("city")!.IsArchived = false;
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);

        entity = (await ws.MetadataAsync()).Entity("company")!;
        Assert.Contains(entity.Fields, f => f.Key == "city");
        Assert.Equal("杭州", (await ws.RecordAsync(record.Id)).Text("city"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_bound_field_cannot_be_archived_until_another_field_takes_the_binding(string provider)
    {
        English();
        await using var ws = await B2bAsync(provider, samples: false);
        var draft = await ws.DraftAsync("company");
        draft.Field("name")!.IsArchived = true;
        var version = await ws.MetadataVersionAsync();

        var refused = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.False(refused.Succeeded);
        Assert.Contains("title field", Assert.Single(refused.Errors.For("fields/name/isArchived")));
        Assert.Equal(version, await ws.MetadataVersionAsync());

        draft.TitleFieldKey = "city";
        var accepted = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(accepted.Succeeded, accepted.Errors.ToString());
        var entity = (await ws.MetadataAsync()).Entity("company")!;
        Assert.Equal("city", entity.Entity.TitleFieldKey);
        Assert.True(entity.Field("name")!.IsArchived);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Invalid_input_is_refused_with_field_named_messages_and_nothing_changes(string provider)
    {
        English();
        await using var ws = await B2bAsync(provider, samples: false);
        var draft = await ws.DraftAsync("opportunity");
        var noOptions = draft.AddField("select", L("Level"));
        var range = draft.AddField("number", L("Score"));
        range.Settings = new FieldSettings { Min = 10, Max = 1 };
        var formula = draft.AddField("formula", L("Odd formula"));
        formula.Settings = new FieldSettings { Expression = "name * 2" };
        var unnamed = draft.AddField("text", L(""));
        unnamed.Key = "unnamed";
        var duplicate = draft.AddField("text", L("Amount copy"));
        duplicate.Key = "amount";
        var badDefault = draft.AddField("number", L("Budget"));
        badDefault.Settings = new FieldSettings { Max = 5, Default = JsonValue.Create(50) };
        draft.Label = L(" ");
        draft.Sections[0].Columns = 3;
        draft.AmountFieldKey = "next_step";
        var version = await ws.MetadataVersionAsync();

        var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        // Key errors stop the check before the settings: fix them and look again.
        Assert.False(result.Succeeded);
        Assert.NotEmpty(result.Errors.For("label"));
        Assert.NotEmpty(result.Errors.For("sections/basic/columns"));
        Assert.NotEmpty(result.Errors.For("fields/unnamed/label"));
        Assert.Contains("amount", Assert.Single(result.Errors.For("fields/amount/key")));

        draft.Fields.Remove(duplicate);
        draft.Label = L("商机", "Opportunity");
        draft.Sections[0].Columns = 2;
        unnamed.Label = L("Unnamed");
        result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.False(result.Succeeded);
        Assert.StartsWith("Level:", Assert.Single(result.Errors.For($"fields/{noOptions.Key}/options")));
        Assert.StartsWith("Score:", Assert.Single(result.Errors.For($"fields/{range.Key}/max")));
        Assert.Contains("name", Assert.Single(result.Errors.For($"fields/{formula.Key}/expression")));
        Assert.StartsWith("Budget", Assert.Single(result.Errors.For($"fields/{badDefault.Key}/default")));
        Assert.Contains("amount field", Assert.Single(result.Errors.For("amountField")));
        Assert.Equal(version, await ws.MetadataVersionAsync());
        var entity = (await ws.MetadataAsync()).Entity("opportunity")!;
        Assert.Null(entity.Field(range.Key));
        Assert.Equal("amount", entity.Entity.AmountFieldKey);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_saved_field_changes_type_only_through_the_type_change(string provider)
    {
        await using var ws = await B2bAsync(provider, samples: false);
        var draft = await ws.DraftAsync("company");
        draft.Field("city")!.Type = "longtext";

        var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.NotEmpty(result.Errors.For("fields/city/type"));
        Assert.Equal("text", (await ws.MetadataAsync()).Entity("company")!.Field("city")!.Type);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Labels_change_and_keys_stay(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var draft = await ws.DraftAsync("company");
        draft.Field("city")!.Label = L("所在城市", "City of office");
        draft.Label = L("客户公司", "Client");

        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);

        var entity = (await ws.MetadataAsync()).Entity("company")!;
        Assert.Equal("所在城市", entity.Field("city")!.Label.ZhCn);
        Assert.Equal("Client", entity.Entity.Label.En);
        Assert.Contains((await ws.RecordsAsync("company")), r => r.Text("city") is not null);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Creates_a_new_entity_type_with_a_title_field(string provider)
    {
        await using var ws = await B2bAsync(provider, samples: false);
        var meta = await ws.MetadataAsync();
        var draft = EntityDraft.Create(new LocalizedText("项目", "Project"), meta.EntityTypes.Select(e => e.Key), "Work");
        var budget = draft.AddField("money", L("预算", "Budget"));
        draft.AmountFieldKey = budget.Key;

        var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.True(result.Succeeded, result.Errors.ToString());
        var entity = (await ws.MetadataAsync()).Entity("project")!;
        Assert.Equal("Work", entity.Entity.Icon);
        Assert.Equal("name", entity.Entity.TitleFieldKey);
        Assert.Equal("budget", entity.Entity.AmountFieldKey);
        Assert.Equal(["name", "budget"], entity.Fields.Select(f => f.Key));
        var record = await ws.CreateAsync("project", ("name", "官网改版"), ("budget", 5000m));
        Assert.Equal("官网改版", record.Title);
        Assert.Equal(5000m, record.Amount);

        // The same key again is refused.
        var again = EntityDraft.Create(new LocalizedText("项目", "Project"), [], "Work");
        Assert.NotEmpty((await ws.Designer().SaveEntityAsync(ws.Owner, again)).Errors.For("key"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Deleting_a_select_option_in_use_asks_where_its_records_go(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var highs = (await ws.RecordsAsync("company")).Where(r => r.Text("value_tier") == "high").ToList();
        Assert.NotEmpty(highs);
        Assert.Equal(highs.Count, await ws.Designer().CountOptionUsageAsync(ws.Owner, "company", "value_tier", "high"));
        var draft = await ws.DraftAsync("company");
        var tier = draft.Field("value_tier")!;
        tier.Settings = tier.Settings with { Options = tier.Settings.Options!.Where(o => o.Key != "high").ToList() };

        var refused = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.Contains(highs.Count.ToString(), Assert.Single(refused.Errors.For("fields/value_tier/options")));

        draft.OptionMoves.Add(new OptionMove("value_tier", "high", "medium"));
        var moved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.True(moved.Succeeded, moved.Errors.ToString());
        Assert.Equal(highs.Count, moved.RecordsChanged);
        foreach (var before in highs)
        {
            var after = await ws.RecordAsync(before.Id);
            Assert.Equal("medium", after.Text("value_tier"));
            Assert.Equal(before.Version + 1, after.Version);
            var change = (await ws.ChangesAsync(before.Id)).Last();
            Assert.Contains("\"value_tier\"", change.Changes);
            Assert.Equal(ws.Owner.UserId, change.ByUserId);
        }
        Assert.DoesNotContain((await ws.MetadataAsync()).Entity("company")!.Field("value_tier")!.Settings.Options!, o => o.Key == "high");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_save_based_on_an_older_design_is_a_conflict(string provider)
    {
        await using var ws = await B2bAsync(provider, samples: false);
        var mine = await ws.DraftAsync("company");
        var theirs = await ws.DraftAsync("company");
        theirs.Field("city")!.Label = L("城市（他人）");
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, theirs)).Succeeded);
        mine.Field("city")!.Label = L("城市（我）");

        var result = await ws.Designer().SaveEntityAsync(ws.Owner, mine);

        Assert.True(result.Conflict);
        Assert.Equal("城市（他人）", (await ws.MetadataAsync()).Entity("company")!.Field("city")!.Label.ZhCn);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Members_and_viewers_cannot_design(string provider)
    {
        await using var ws = await B2bAsync(provider, samples: false);
        var designer = ws.Designer();
        var changer = ws.Get<FieldTypeChanger>();
        var meta = await ws.MetadataAsync();
        var version = meta.Version;
        foreach (var role in new[] { MemberRole.Member, MemberRole.Viewer })
        {
            var actor = await ws.MemberAsync(role);
            var draft = await ws.DraftAsync("company");
            draft.AddField("text", L("偷偷加的"));
            await Assert.ThrowsAsync<ForbiddenException>(() => designer.SaveEntityAsync(actor, draft));
            await Assert.ThrowsAsync<ForbiddenException>(() => designer.SaveStatusListAsync(actor, StatusListDraft.From(meta.StatusList("lost_reasons")!)));
            await Assert.ThrowsAsync<ForbiddenException>(() => designer.SavePipelineAsync(actor, "opportunity", PipelineDraft.From(meta.Entity("opportunity")!.Pipeline("b2b")!)));
            await Assert.ThrowsAsync<ForbiddenException>(() => designer.CountOptionUsageAsync(actor, "company", "value_tier", "high"));
            await Assert.ThrowsAsync<ForbiddenException>(() => changer.ApplyAsync(actor, new TypeChangeRequest("company", "city", "longtext", new FieldSettings())));
            await Assert.ThrowsAsync<ForbiddenException>(() => changer.PreviewAsync(actor, new TypeChangeRequest("company", "city", "longtext", new FieldSettings())));
        }
        var admin = await ws.MemberAsync(MemberRole.Admin);
        var allowed = await ws.DraftAsync("company");
        allowed.AddField("text", L("管理员加的"));
        Assert.True((await designer.SaveEntityAsync(admin, allowed)).Succeeded);
        Assert.Equal(version + 1, await ws.MetadataVersionAsync());
    }
}
