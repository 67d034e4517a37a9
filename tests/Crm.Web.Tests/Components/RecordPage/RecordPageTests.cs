using Bunit;
using Crm.Core.Activities;
using Crm.Core.Records;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;

namespace Crm.Web.Tests.Components.RecordPage;

/// <summary>The record page: designed layout read-only, edit in place, field-named server errors, conflicts, viewers, activities.</summary>
public class RecordPageTests
{
    private static async Task<Record> ReloadAsync(RecordPageHost host, Guid id)
    {
        await using var db = host.Workspace.Database.Factory.CreateForTenant(host.Workspace.Tenant.Id);
        return await db.Records.AsNoTracking().SingleAsync(r => r.Id == id);
    }

    private static string? City(Record r) => RecordWriter.ParseValues(r.Values)["city"]?.GetValue<string>();

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_designed_sections_render_read_only_with_links_and_related_records(string provider)
    {
        await using var host = await RecordPageHost.CreateAsync(provider);
        var company = await host.CreateAsync("company", ("name", "Acme Ltd"), ("city", "Hangzhou"));
        var deal = await host.CreateAsync("opportunity", ("name", "ERP rollout"), ("company", company.Id.ToString()), ("amount", 50000), ("expected_close", "2026-12-31"));

        var cut = host.RenderRecordPage(host.Workspace.Owner, "opportunity", deal.Id);

        var entity = (await host.Workspace.MetadataAsync()).Entity("opportunity")!;
        var expected = entity.Entity.Sections.Select(s => s.Key).ToList();
        Assert.Equal(expected, cut.FindAll(".crm-record-fields [data-section]").Select(e => e.GetAttribute("data-section")));
        Assert.Equal("2", cut.Find("[data-section=basic]").GetAttribute("data-columns"));
        Assert.Equal("ERP rollout", cut.Find("[data-testid=record-title]").TextContent.Trim());
        Assert.DoesNotContain(cut.FindAll("input"), i => i.Id?.StartsWith("f-", StringComparison.Ordinal) == true); // read-only: no field inputs until Edit

        var link = cut.Find(".crm-record-fields [data-field=company] a");
        Assert.Equal("Acme Ltd", link.TextContent.Trim());
        Assert.EndsWith($"/r/company/{company.Id}", link.GetAttribute("href"));
        Assert.Contains("¥50,000.00", cut.Find(".crm-record-fields [data-field=amount]").TextContent);
        Assert.NotNull(cut.Find("#record-edit"));
        Assert.NotNull(cut.Find("[data-testid=composer]"));

        // The customer's page lists the deal among its related records, with "add" prefilled with the customer.
        var customer = host.RenderRecordPage(host.Workspace.Owner, "company", company.Id);
        var group = customer.Find("[data-related-group='opportunity.company']");
        Assert.Contains("ERP rollout", group.TextContent);
        Assert.Contains($"/r/opportunity/new?company={company.Id}", group.QuerySelector("[data-testid=related-add]")!.GetAttribute("href"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_viewer_sees_no_edit_controls(string provider)
    {
        await using var host = await RecordPageHost.CreateAsync(provider);
        var company = await host.CreateAsync("company", ("name", "Viewed Co"));
        await host.CreateAsync("contact", ("name", "Jane"), ("company", company.Id.ToString()));
        var task = await host.Workspace.Get<ActivityService>().LogAsync(host.Workspace.Owner, company.Id,
            new ActivityInput(ActivityKind.Task, "Call Jane") { DueAt = DateTime.UtcNow.AddDays(1) });
        Assert.True(task.Succeeded);
        var viewer = await host.Workspace.MemberAsync(MemberRole.Viewer);

        var cut = host.RenderRecordPage(viewer, "company", company.Id);
        cut.WaitForAssertion(() => Assert.Contains("Call Jane", cut.Find("[data-testid=timeline]").TextContent), TimeSpan.FromSeconds(5));

        Assert.Empty(cut.FindAll("#record-edit"));
        Assert.Empty(cut.FindAll("[data-testid=record-menu]"));
        Assert.Empty(cut.FindAll("[data-testid=composer]"));
        Assert.Empty(cut.FindAll("[data-testid=task-complete]"));
        Assert.Empty(cut.FindAll("[data-testid=activity-menu]"));
        Assert.Empty(cut.FindAll("[data-testid=related-add]"));
        Assert.Contains("Jane", cut.Find("[data-testid=related]").TextContent);

        // The same page for a Member has them.
        var member = await host.Workspace.MemberAsync(MemberRole.Member);
        var editable = host.RenderRecordPage(member, "company", company.Id);
        editable.WaitForAssertion(() => Assert.NotEmpty(editable.FindAll("[data-testid=task-complete]")), TimeSpan.FromSeconds(5));
        Assert.NotEmpty(editable.FindAll("#record-edit"));
        Assert.NotEmpty(editable.FindAll("[data-testid=related-add]"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_server_error_shows_beside_its_field_and_keeps_what_was_typed(string provider)
    {
        await using var host = await RecordPageHost.CreateAsync(provider);
        await host.CreateAsync("company", ("name", "Taken Name Ltd"));
        var company = await host.CreateAsync("company", ("name", "Original Ltd"));

        var cut = host.RenderRecordPage(host.Workspace.Owner, "company", company.Id);
        await cut.ClickAsync("#record-edit");
        cut.WaitForElement("#f-name", TimeSpan.FromSeconds(5));
        await cut.ChangeAsync("#f-name", "Taken Name Ltd");
        await cut.ChangeAsync("#f-city", "Ningbo");
        await cut.ClickAsync("#record-save");

        cut.WaitForAssertion(() => Assert.Contains("already exists", cut.Find("[data-field=name]").TextContent), TimeSpan.FromSeconds(5));
        Assert.Equal("true", cut.Find("#record-page").GetAttribute("data-editing"));
        Assert.Equal("Taken Name Ltd", cut.Find("#f-name").GetAttribute("value"));
        Assert.Equal("Ningbo", cut.Find("#f-city").GetAttribute("value"));
        Assert.DoesNotContain("already exists", cut.Find("[data-field=city]").TextContent);

        var stored = await ReloadAsync(host, company.Id);
        Assert.Equal(("Original Ltd", company.Version), (stored.Title, stored.Version));
        Assert.Null(City(stored));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_conflict_shows_the_message_and_the_newer_values_and_never_overwrites_silently(string provider)
    {
        await using var host = await RecordPageHost.CreateAsync(provider);
        var company = await host.CreateAsync("company", ("name", "Shared Co"), ("city", "Suzhou"));
        var colleague = await host.Workspace.MemberAsync(MemberRole.Member);

        var cut = host.RenderRecordPage(host.Workspace.Owner, "company", company.Id);
        await cut.ClickAsync("#record-edit");
        cut.WaitForElement("#f-city", TimeSpan.FromSeconds(5));
        await cut.ChangeAsync("#f-city", "Mine City");

        // Meanwhile a colleague saves the same record.
        var theirs = await host.Workspace.Records.UpdateAsync(colleague, company.Id, RecordInput.Of(("city", "Their City")) with { ExpectedVersion = company.Version });
        Assert.True(theirs.Succeeded);

        await cut.ClickAsync("#record-save");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=conflict]")), TimeSpan.FromSeconds(5));
        var panel = cut.Find("[data-testid=conflict]");
        Assert.Contains("Someone else changed this record", panel.TextContent);
        Assert.Contains(colleague.DisplayName, panel.TextContent);
        var row = cut.Find("[data-conflict-field=city]");
        Assert.Contains("Mine City", row.QuerySelector(".crm-conflict-mine")!.TextContent);
        Assert.Contains("Their City", row.QuerySelector(".crm-conflict-theirs")!.TextContent);
        Assert.Equal("Their City", cut.Find("#f-city").GetAttribute("value")); // the form holds the newer values
        Assert.Equal("Their City", City(await ReloadAsync(host, company.Id)));

        // Taking back the edit and saving again is the user's explicit choice.
        await cut.ClickAsync("[data-testid=use-all-mine]");
        cut.WaitForAssertion(() => Assert.Equal("Mine City", cut.Find("#f-city").GetAttribute("value")), TimeSpan.FromSeconds(5));
        await cut.ClickAsync("#record-save");
        cut.WaitForAssertion(() => Assert.Equal("false", cut.Find("#record-page").GetAttribute("data-editing")), TimeSpan.FromSeconds(5));
        var stored = await ReloadAsync(host, company.Id);
        Assert.Equal("Mine City", City(stored));
        Assert.Equal(theirs.Record!.Version + 1, stored.Version);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Logging_a_call_updates_the_summary_and_the_timeline_and_bad_input_keeps_the_text(string provider)
    {
        await using var host = await RecordPageHost.CreateAsync(provider);
        var company = await host.CreateAsync("company", ("name", "Caller Co"));
        var cut = host.RenderRecordPage(host.Workspace.Owner, "company", company.Id);
        Assert.Equal("0", cut.Find("[data-testid=interactions-30-count]").TextContent.Trim());

        // No subject: refused, with the message beside the subject, and the content typed stays.
        await cut.ChangeAsync("#activity-content", "Talked about pricing");
        await cut.ClickAsync("#activity-save");
        cut.WaitForAssertion(() => Assert.Contains("Subject is required.", cut.Find("[data-testid=composer]").TextContent), TimeSpan.FromSeconds(5));
        Assert.Equal("Talked about pricing", cut.Find("#activity-content").TextContent);
        Assert.Empty(await host.Workspace.Get<ActivityService>().ListForRecordAsync(host.Workspace.Owner, company.Id));

        await cut.ChangeAsync("#activity-subject", "Pricing call");
        await cut.ClickAsync("#activity-save");
        cut.WaitForAssertion(() => Assert.Equal("1", cut.Find("[data-testid=interactions-30-count]").TextContent.Trim()), TimeSpan.FromSeconds(5));
        cut.WaitForAssertion(() => Assert.Contains("Pricing call", cut.Find("[data-testid=timeline]").TextContent), TimeSpan.FromSeconds(5));
        Assert.Contains("Call", cut.Find("[data-testid=last-interaction]").TextContent);
        Assert.NotNull((await ReloadAsync(host, company.Id)).LastActivityAt);
    }
}
