using Bunit;
using Crm.Core.Activities;
using Crm.Core.Records;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Records;
using Crm.Web.Components.Pages.Tenant.Tasks;
using Crm.Web.Components.RecordPage;
using Microsoft.EntityFrameworkCore;

namespace Crm.Web.Tests.Components.RecordPage;

/// <summary>The new-record page (defaults, prefilled lookup, field errors) and My tasks (order, completing, the nav badge).</summary>
public class NewRecordAndTasksTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_new_record_starts_from_the_query_string_lookup_and_opens_its_page_after_saving(string provider)
    {
        await using var host = await RecordPageHost.CreateAsync(provider);
        var company = await host.CreateAsync("company", ("name", "Parent Co"));
        host.Nav.NavigateTo($"/t/{host.Workspace.Tenant.Identifier}/r/contact/new?company={company.Id}");

        var cut = host.Bunit.Render<NewRecord>(p => p
            .Add(x => x.Slug, host.Workspace.Tenant.Identifier)
            .Add(x => x.Entity, "contact")
            .AddCascadingValue(host.Session(host.Workspace.Owner)));
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("#new-record-page").GetAttribute("data-ready")), TimeSpan.FromSeconds(10));
        cut.WaitForAssertion(() => Assert.Equal("Parent Co", cut.Find("#f-company").GetAttribute("value")), TimeSpan.FromSeconds(5));

        // Without the required name the form refuses (client side: the server's own validator) and stays.
        await cut.Find("#new-record-form").SubmitAsync();
        cut.WaitForAssertion(() => Assert.Contains("is required", cut.Find("[data-field=name]").TextContent), TimeSpan.FromSeconds(5));

        await cut.ChangeAsync("#f-name", "Jane Doe");
        await cut.Find("#new-record-form").SubmitAsync();
        cut.WaitForAssertion(() => Assert.Matches("/r/contact/[0-9a-f-]{36}$", host.Nav.Uri), TimeSpan.FromSeconds(5));

        var id = Guid.Parse(host.Nav.Uri[^36..]);
        var created = (await host.Workspace.Records.GetAsync(host.Workspace.Owner, id))!;
        Assert.Equal("Jane Doe", created.Title);
        Assert.Equal(company.Id.ToString(), RecordWriter.ParseValues(created.Values)["company"]!.GetValue<string>());
        Assert.Equal(host.Workspace.Owner.UserId.ToString(), RecordWriter.ParseValues(created.Values)["owner"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task My_tasks_shows_overdue_first_and_completing_one_updates_the_badge(string provider)
    {
        await using var host = await RecordPageHost.CreateAsync(provider);
        var activities = host.Workspace.Get<ActivityService>();
        var me = await host.Workspace.MemberAsync(MemberRole.Member);
        var company = await host.CreateAsync("company", ("name", "Task Co"));
        foreach (var (subject, days) in new[] { ("Later", 3.0), ("Late", -2.0), ("Very late", -5.0) })
            Assert.True((await activities.LogAsync(host.Workspace.Owner, company.Id, new ActivityInput(ActivityKind.Task, subject) { DueAt = DateTime.UtcNow.AddDays(days), AssigneeId = me.UserId })).Succeeded);

        var badge = host.Bunit.Render<MyTasksNavLink>(p => p.AddCascadingValue(host.Session(me)));
        badge.WaitForAssertion(() => Assert.Equal("2", badge.Find("[data-testid=nav-overdue]").TextContent.Trim()), TimeSpan.FromSeconds(5));

        var cut = host.Bunit.Render<MyTasks>(p => p.Add(x => x.Slug, host.Workspace.Tenant.Identifier).AddCascadingValue(host.Session(me)));
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("#my-tasks").GetAttribute("data-ready")), TimeSpan.FromSeconds(10));
        Assert.Equal(["Overdue", "Upcoming"], cut.FindAll("[data-group]").Select(g => g.GetAttribute("data-group")));
        Assert.Equal(["Very late", "Late", "Later"], cut.FindAll("[data-task] .crm-timeline-subject").Select(e => e.TextContent.Trim()));
        Assert.EndsWith($"/r/company/{company.Id}", cut.Find("[data-testid=task-record]").GetAttribute("href"));

        await cut.ChangeAsync("[data-task] input[type=checkbox]", true);
        cut.WaitForAssertion(() => Assert.Equal(["Late", "Later"], cut.FindAll("[data-task] .crm-timeline-subject").Select(e => e.TextContent.Trim())), TimeSpan.FromSeconds(5));
        badge.WaitForAssertion(() => Assert.Equal("1", badge.Find("[data-testid=nav-overdue]").TextContent.Trim()), TimeSpan.FromSeconds(5));
        Assert.Equal(1, await activities.OverdueCountAsync(me));
    }
}
