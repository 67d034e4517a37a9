using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Automation;
using Crm.Core.Fields;
using Crm.Testing;
using static Crm.Core.Tests.Automation.RuleKit;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Automation;

/// <summary>
/// Text the server stores from field values — an automation's task subject and field value, a record's title — shows
/// a yes/no field and a select as words in the workspace's default language (是 / 官网, Yes / Website), never as
/// resource keys (Value.Yes), and not in the language of whoever happened to write (docs/decisions.md, l10nfix).
/// A title can be a select but not a yes/no (only text, number, autonumber and choice fields bind as the title).
/// </summary>
public class StoredTextCultureTests
{
    public static TheoryData<string, string> ProvidersAndCultures()
    {
        var data = new TheoryData<string, string>();
        foreach (var provider in Providers.All.Select(p => (string)p[0]))
            foreach (var culture in new[] { "zh-CN", "en" })
                data.Add(provider, culture);
        return data;
    }

    private static async Task<Workspace> LeadsInAsync(string provider, string culture)
    {
        var ws = await LeadsAsync(provider);
        // The workspace's default language, as the settings page sets it (the actor carries the tenant as loaded).
        ws.Tenant.DefaultCulture = culture;
        var draft = await ws.DraftAsync("lead");
        var vip = draft.AddField(FieldTypes.Bool, L("重点客户", "Key account"));
        vip.Key = "vip";
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());
        // Written by someone whose UI is in the other language: the stored text must not follow them.
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(culture == "en" ? "zh-CN" : "en");
        return ws;
    }

    [Theory]
    [MemberData(nameof(ProvidersAndCultures))]
    public async Task An_automations_task_subject_and_field_value_show_yes_no_and_option_labels_in_the_workspaces_language(string provider, string culture)
    {
        await using var ws = await LeadsInAsync(provider, culture);
        await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.Created }, null,
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["requirement"] = "{source} / {vip}" } },
            new RuleAction { Kind = ActionKinds.CreateTask, Text = "{name}: {source}, {vip}", DueDays = 1 });

        var yes = await LeadAsync(ws, ws.Owner, "孙七", "website", ("vip", (JsonNode)true));
        var no = await LeadAsync(ws, ws.Owner, "周八", "exhibition", ("vip", (JsonNode)false));

        var (website, exhibition, y, n) = culture == "en" ? ("Website", "Trade show", "Yes", "No") : ("官网", "展会", "是", "否");
        Assert.Equal($"{website} / {y}", Values(await ReloadAsync(ws, yes.Id))["requirement"]!.GetValue<string>());
        Assert.Equal($"{exhibition} / {n}", Values(await ReloadAsync(ws, no.Id))["requirement"]!.GetValue<string>());
        Assert.Equal($"孙七: {website}, {y}", Assert.Single(await TasksAsync(ws, yes.Id)).Subject);
        Assert.Equal($"周八: {exhibition}, {n}", Assert.Single(await TasksAsync(ws, no.Id)).Subject);
    }

    [Theory]
    [MemberData(nameof(ProvidersAndCultures))]
    public async Task A_title_from_a_select_is_stored_in_the_workspaces_language(string provider, string culture)
    {
        await using var ws = await LeadsInAsync(provider, culture);
        var draft = await ws.DraftAsync("lead");
        draft.TitleFieldKey = "source";
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());
        var bySource = await LeadAsync(ws, ws.Owner, "孙七", "website");
        Assert.Equal(culture == "en" ? "Website" : "官网", (await ReloadAsync(ws, bySource.Id)).Title);

        // Edited later by someone in the other language (still the writer's culture here): the title keeps the workspace's.
        var edited = await ws.Records.UpdateAsync(ws.Owner, bySource.Id, Crm.Core.Records.RecordInput.Of(("source", "exhibition")));
        Assert.True(edited.Succeeded, edited.Errors.ToString());
        Assert.Equal(culture == "en" ? "Trade show" : "展会", (await ReloadAsync(ws, bySource.Id)).Title);
    }
}
