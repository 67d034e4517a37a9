using Bunit;
using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Design;
using Crm.Core.Metadata;
using Crm.Testing;
using Crm.Web.Components.Designer;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Designer;

/// <summary>The designer's form rules panel: lists the rules in words, adds, reorders, changes and deletes them, and shows what is wrong.</summary>
public class FormRulesPanelTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Adds_reorders_changes_and_deletes_rules_in_the_draft(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        await using var context = new ComponentTestContext("en", services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        context.Bunit.Render<MudPopoverProvider>();
        var metadata = await ws.MetadataAsync();
        var draft = EntityDraft.From(metadata.Entity("opportunity")!);
        var changes = 0;
        var errors = new ValidationErrors();
        var cut = context.Bunit.Render<FormRulesPanel>(p => p
            .Add(x => x.Draft, draft).Add(x => x.Metadata, metadata).Add(x => x.Errors, errors)
            .Add(x => x.OnChanged, () => changes++));

        // The shipped rule, by its name.
        var card = Assert.Single(cut.FindAll("[data-testid=form-rule]"));
        Assert.Equal("lost_reason_required", card.GetAttribute("data-key"));
        Assert.Equal("Lost reason required when lost", card.QuerySelector("[data-testid=form-rule-summary]")!.TextContent.Trim());

        // Add: a new rule on the stage, "required" ticked; described in words once it has a value and a field.
        await cut.InvokeAsync(() => cut.Find("[data-testid=form-rule-add]").Click());
        Assert.Equal(2, draft.FormRules.Count);
        var added = draft.FormRules[1];
        Assert.Equal("stage", Assert.Single(added.When.Filters).Field);
        Assert.Equal([FormRuleEffects.Require], added.Effects);
        draft.FormRules[1] = added with { Fields = ["next_step"], When = added.When with { Filters = [added.When.Filters[0] with { Value = "won" }] } };
        cut.Render();
        Assert.Equal("When Stage is Won: Next step — required", cut.FindAll("[data-testid=form-rule-summary]")[1].TextContent.Trim());

        // Tick "shown": the effect joins the rule.
        var box = cut.Find("[data-testid=form-rule-1-effect-show]");
        var input = box.TagName == "INPUT" ? box : box.QuerySelector("input")!;
        await cut.InvokeAsync(() => input.Change(true));
        Assert.Equal([FormRuleEffects.Require, FormRuleEffects.Show], draft.FormRules[1].Effects);

        // Up: the new rule goes first.
        await cut.InvokeAsync(() => cut.FindAll("[data-testid=form-rule-up]")[1].Click());
        Assert.Equal([added.Key, "lost_reason_required"], draft.FormRules.Select(r => r.Key));

        // Errors of a rule show in its card.
        errors.Add("formRules/0/fields", $"Form rule “{added.Key}”: it applies to “Stage”, which its own condition reads.");
        cut.Render(p => p.Add(x => x.Errors, errors));
        Assert.Contains("which its own condition reads", cut.FindAll("[data-testid=form-rule]")[0].QuerySelector("[data-testid=form-rule-error]")!.TextContent);

        // Delete.
        await cut.InvokeAsync(() => cut.FindAll("[data-testid=form-rule-delete]")[0].Click());
        Assert.Equal(["lost_reason_required"], draft.FormRules.Select(r => r.Key));
        Assert.True(changes >= 4);
    }
}
