using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Core.Activities;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>Activities over HTTP: log, list with the summary, change, complete, delete, "my tasks"; who may do what; field-keyed errors.</summary>
public class ActivitiesApiTests(AppFixture apps) : HttpTestBase(apps)
{
    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<(SignedUp Owner, Guid Company)> WorkspaceAsync(CrmAppFactory app)
    {
        var owner = await app.SignUpAsync();
        var actor = new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner);
        var installed = await app.Services.GetRequiredService<TemplateInstaller>()
            .InstallAsync(actor, Workspace.Catalog.Find("b2b_sales_funnel")!.Document, new InstallOptions(WithSampleData: false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        var company = await app.Services.GetRequiredService<RecordService>().CreateAsync(actor, "company", RecordInput.Of(("name", "Api Calls Ltd")));
        Assert.True(company.Succeeded, company.Errors.ToString());
        return (owner, company.Record!.Id);
    }

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_call_and_a_task_are_logged_listed_changed_completed_and_deleted(string provider)
    {
        var app = await AppAsync(provider);
        var (owner, company) = await WorkspaceAsync(app);
        using var client = await app.SignedInClientAsync(owner.User);
        var records = $"/t/{owner.Slug}/api/records/{company}/activities";

        var at = DateTime.UtcNow.AddHours(-2);
        var call = await JsonAsync(await client.PostAsync(records, JsonBody($$"""{"kind":"call","subject":"Pricing call","content":"Asked for a quote","occurredAt":"{{at:O}}"}""")), HttpStatusCode.Created);
        Assert.Equal("call", call["kind"]!.GetValue<string>());
        var due = DateTime.UtcNow.AddDays(-1);
        var task = await JsonAsync(await client.PostAsync(records, JsonBody($$"""{"kind":"task","subject":"Send the quote","dueAt":"{{due:O}}"}""")), HttpStatusCode.Created);
        var taskId = task["id"]!.GetValue<string>();
        Assert.Equal(owner.User.Id.ToString(), task["assignee"]!.GetValue<string>()); // the author when no one is named

        var list = await JsonAsync(await client.GetAsync(records), HttpStatusCode.OK);
        Assert.Equal(["Pricing call", "Send the quote"], list["items"]!.AsArray().Select(i => i!["subject"]!.GetValue<string>()).Order());
        var summary = list["summary"]!;
        Assert.Equal("call", summary["lastInteractionKind"]!.GetValue<string>());
        Assert.Equal(1, summary["interactionsLast30Days"]!.GetValue<int>());
        Assert.Equal(1, summary["overdueTasks"]!.GetValue<int>());
        var mine = await JsonAsync(await client.GetAsync($"/t/{owner.Slug}/api/tasks/mine"), HttpStatusCode.OK);
        var item = Assert.Single(mine.AsArray())!;
        Assert.True(item["overdue"]!.GetValue<bool>());
        Assert.Equal("Api Calls Ltd", item["record"]!["title"]!.GetValue<string>());

        // PATCH changes what it names and keeps the rest; completing a task is a PATCH too.
        var changed = await JsonAsync(await client.PatchAsync($"/t/{owner.Slug}/api/activities/{taskId}", JsonBody("""{"subject":"Send the revised quote","completed":true}""")), HttpStatusCode.OK);
        Assert.Equal("Send the revised quote", changed["subject"]!.GetValue<string>());
        Assert.NotNull(changed["completedAt"]);
        Assert.Equal(due, changed["dueAt"]!.GetValue<DateTime>(), TimeSpan.FromSeconds(1));
        Assert.Empty((await JsonAsync(await client.GetAsync($"/t/{owner.Slug}/api/tasks/mine"), HttpStatusCode.OK)).AsArray());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/t/{owner.Slug}/api/activities/{call["id"]}")).StatusCode);
        var after = await JsonAsync(await client.GetAsync(records), HttpStatusCode.OK);
        Assert.Single(after["items"]!.AsArray());
        Assert.Equal(0, after["summary"]!["interactionsLast30Days"]!.GetValue<int>());
        Assert.Null(after["summary"]!["lastInteractionAt"]);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Bad_input_is_refused_by_field_and_nothing_is_written(string provider)
    {
        var app = await AppAsync(provider);
        var (owner, company) = await WorkspaceAsync(app);
        using var client = await app.SignedInClientAsync(owner.User);
        var records = $"/t/{owner.Slug}/api/records/{company}/activities";
        var activities = app.Services.GetRequiredService<ActivityService>();
        var actor = new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner);

        var noKind = await JsonAsync(await client.PostAsync(records, JsonBody("""{"subject":"x"}""")), HttpStatusCode.BadRequest);
        Assert.Contains("call", noKind["errors"]!["kind"]![0]!.GetValue<string>());
        var badKind = await JsonAsync(await client.PostAsync(records, JsonBody("""{"kind":"fax","subject":"x"}""")), HttpStatusCode.BadRequest);
        Assert.Contains("'fax'", badKind["errors"]!["kind"]![0]!.GetValue<string>());
        var numeric = await JsonAsync(await client.PostAsync(records, JsonBody("""{"kind":"4","subject":"x"}""")), HttpStatusCode.BadRequest);
        Assert.NotNull(numeric["errors"]!["kind"]);
        var noSubject = await JsonAsync(await client.PostAsync(records, JsonBody("""{"kind":"call"}""")), HttpStatusCode.BadRequest);
        Assert.NotNull(noSubject["errors"]!["subject"]);
        var taskWithoutDue = await JsonAsync(await client.PostAsync(records, JsonBody("""{"kind":"task","subject":"Later"}""")), HttpStatusCode.BadRequest);
        Assert.NotNull(taskWithoutDue["errors"]!["dueAt"]);
        Assert.Empty(await activities.ListForRecordAsync(actor, company));
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/t/{owner.Slug}/api/records/{Guid.NewGuid()}/activities", JsonBody("""{"kind":"call","subject":"x"}"""))).StatusCode);

        // Completing a note is refused before anything changes: the subject in the same PATCH stays as it was.
        var note = await JsonAsync(await client.PostAsync(records, JsonBody("""{"kind":"note","subject":"Prefers WeChat"}""")), HttpStatusCode.Created);
        var refused = await JsonAsync(await client.PatchAsync($"/t/{owner.Slug}/api/activities/{note["id"]}", JsonBody("""{"subject":"Changed","completed":true}""")), HttpStatusCode.BadRequest);
        Assert.NotNull(refused["errors"]!["completed"]);
        Assert.Equal("Prefers WeChat", (await activities.GetAsync(actor, Guid.Parse(note["id"]!.GetValue<string>())))!.Subject);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Viewers_read_only_members_change_only_their_own_and_another_workspace_sees_nothing(string provider)
    {
        var app = await AppAsync(provider);
        var (owner, company) = await WorkspaceAsync(app);
        using var ownerClient = await app.SignedInClientAsync(owner.User);
        var records = $"/t/{owner.Slug}/api/records/{company}/activities";
        var note = await JsonAsync(await ownerClient.PostAsync(records, JsonBody("""{"kind":"note","subject":"Owner's note"}""")), HttpStatusCode.Created);
        var noteUrl = $"/t/{owner.Slug}/api/activities/{note["id"]}";

        var viewer = await app.AddMemberAsync(owner.Tenant, MemberRole.Viewer);
        using var viewerClient = await app.SignedInClientAsync(viewer);
        Assert.Single((await JsonAsync(await viewerClient.GetAsync(records), HttpStatusCode.OK))["items"]!.AsArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await viewerClient.PostAsync(records, JsonBody("""{"kind":"call","subject":"x"}"""))).StatusCode);

        var member = await app.AddMemberAsync(owner.Tenant, MemberRole.Member);
        using var memberClient = await app.SignedInClientAsync(member);
        Assert.Equal(HttpStatusCode.Forbidden, (await memberClient.PatchAsync(noteUrl, JsonBody("""{"subject":"Mine now"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await memberClient.DeleteAsync(noteUrl)).StatusCode);

        var other = await app.SignUpAsync();
        using var otherClient = await app.SignedInClientAsync(other.User);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.GetAsync($"/t/{other.Slug}/api/records/{company}/activities")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.GetAsync($"/t/{other.Slug}/api/activities/{note["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.DeleteAsync($"/t/{other.Slug}/api/activities/{note["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await otherClient.GetAsync(records)).StatusCode); // not a member of that workspace
        Assert.Equal("Owner's note", (await JsonAsync(await ownerClient.GetAsync(noteUrl), HttpStatusCode.OK))["subject"]!.GetValue<string>());
    }
}
