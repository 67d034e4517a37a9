using System.Collections.Concurrent;
using Bunit;
using Crm.Core;
using Crm.Core.Boards;
using Crm.Core.Data;
using Crm.Core.Design;
using Crm.Core.Jobs;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Accounts;
using Crm.Web.Components.Boards;
using Crm.Web.Tenancy;
using Crm.Web.Tests.Components;
using Crm.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Http;

/// <summary>
/// Two instances of the real app (two hosts of Program, each with its own services, caches, event publishers,
/// LISTEN connection and job runner) on one PostgreSQL database, as behind a load balancer.
/// </summary>
public sealed class MultiInstanceTests : IAsyncLifetime
{
    private static readonly BoardRequest Opportunities = new("opportunity") { GroupBy = "stage", Pipeline = "b2b", CardFields = ["amount", "company"] };
    private readonly ConcurrentBag<DateTime> _jobRuns = [];
    private readonly string _jobName = "test.time-trigger." + Guid.NewGuid().ToString("N")[..8];
    private CrmAppFactory _one = null!;
    private CrmAppFactory _two = null!;

    /// <summary>A time-triggered sweep, registered on both instances the way other parts register theirs.</summary>
    public sealed class TimeTriggerSweep(ConcurrentBag<DateTime> runs)
    {
        public Task<int> RunOnceAsync(DateTime utcNow, CancellationToken ct)
        {
            runs.Add(utcNow);
            return Task.FromResult(1);
        }
    }

    public async Task InitializeAsync()
    {
        var database = await TestDatabase.GetAsync(DatabaseProvider.Postgres);
        void Configure(IWebHostBuilder b)
        {
            b.UseSetting("Jobs:PollInterval", "00:00:00.200");
            b.ConfigureServices(s =>
            {
                s.AddSingleton(_jobRuns);
                s.AddPeriodicJob<TimeTriggerSweep>(_jobName, TimeSpan.FromHours(1), (sweep, now, ct) => sweep.RunOnceAsync(now, ct));
            });
        }
        _one = new CrmAppFactory(database, Configure);
        _two = new CrmAppFactory(database, Configure);
        _ = _one.Services; // starts the hosts: hosted services (LISTEN, job runner) run from here on
        _ = _two.Services;
        await _one.Services.GetRequiredService<Crm.Core.Cluster.PostgresClusterNotifier>().Listening.WaitAsync(TimeSpan.FromSeconds(10));
        await _two.Services.GetRequiredService<Crm.Core.Cluster.PostgresClusterNotifier>().Listening.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync()
    {
        await _one.DisposeAsync();
        await _two.DisposeAsync();
    }

    private async Task<(SignedUp Owner, Actor Actor)> WorkspaceOnOneAsync()
    {
        var owner = await _one.SignUpAsync();
        var actor = new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner);
        var template = _one.Services.GetRequiredService<TemplateCatalog>().Find("b2b_sales_funnel")!;
        var installed = await _one.Services.GetRequiredService<TemplateInstaller>().InstallAsync(actor, template.Document, new InstallOptions(true));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        return (owner, actor);
    }

    [Fact]
    public async Task A_card_moved_on_instance_one_appears_on_a_board_open_on_instance_two_within_two_seconds()
    {
        var (_, actor) = await WorkspaceOnOneAsync();
        // The board of a circuit on instance two: the component with instance two's live events.
        await using var context = new ComponentTestContext("en", services =>
        {
            services.AddLogging();
            services.AddCrmCore(DatabaseProvider.Postgres, _two.Database.ConnectionString);
            services.AddSingleton(_two.Services.GetRequiredService<RecordEvents>());
        });
        context.Bunit.Render<MudPopoverProvider>();
        var cut = context.Bunit.Render<KanbanBoard>(p => p
            .Add(x => x.Request, Opportunities)
            .AddCascadingValue(new TenantSession(actor.Tenant, actor)));
        cut.WaitForState(() => cut.Find("#kanban-board").GetAttribute("data-ready") == "true", TimeSpan.FromSeconds(20));
        var card = cut.Find(".crm-board-column[data-column='first_contact'] .crm-card");
        var id = Guid.Parse(card.GetAttribute("data-card")!);
        var version = long.Parse(card.GetAttribute("data-version")!);
        var onTwo = new TaskCompletionSource<RecordEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = _two.Services.GetRequiredService<RecordEvents>().Subscribe(actor.TenantId, e => { if (e.RecordId == id) onTwo.TrySetResult(e); });

        var moved = await _one.Services.GetRequiredService<BoardService>().MoveAsync(actor, new BoardMove(Opportunities, id, version, "qualify"));
        Assert.True(moved.Succeeded, moved.Errors.ToString());

        var arrived = await onTwo.Task.WaitAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(RecordEventKind.Updated, arrived.Kind);
        cut.WaitForAssertion(() =>
        {
            Assert.NotNull(cut.Find(".crm-board-column[data-column='qualify']").QuerySelector($".crm-card[data-card='{id}']"));
            Assert.Null(cut.Find(".crm-board-column[data-column='first_contact']").QuerySelector($".crm-card[data-card='{id}']"));
        }, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task A_field_added_on_instance_one_is_on_instance_twos_form_at_the_next_render()
    {
        var (owner, actor) = await WorkspaceOnOneAsync();
        using var client = await _two.SignedInClientAsync(owner.User);
        var before = await client.GetStringAsync($"/t/{owner.Slug}/api/entities/company/schema");
        Assert.DoesNotContain("\"loyalty_tier\"", before); // instance two has the metadata cached now

        var designer = _one.Services.GetRequiredService<MetadataDesigner>();
        var draft = (await designer.LoadEntityAsync(actor, "company"))!;
        var field = draft.AddField("text", new LocalizedText("会员等级", "Loyalty tier"));
        field.Key = "loyalty_tier";
        field.KeyEdited = true;
        var saved = await designer.SaveEntityAsync(actor, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());

        var after = await client.GetStringAsync($"/t/{owner.Slug}/api/entities/company/schema");
        Assert.Contains("\"loyalty_tier\"", after);
        var metadata = await _two.Services.GetRequiredService<MetadataStore>().GetAsync(actor.TenantId);
        Assert.NotNull(metadata.Entity("company")!.Field("loyalty_tier"));
    }

    [Fact]
    public async Task A_ticket_redeemed_on_instance_one_is_refused_on_instance_two()
    {
        var owner = await _one.SignUpAsync();
        const string complete = "/account/complete-signin?returnUrl=%2Fworkspaces&ticket=";
        var used = Uri.EscapeDataString(_one.Services.GetRequiredService<SignInTickets>().Issue(owner.User.Id, remember: false));
        var fresh = Uri.EscapeDataString(_one.Services.GetRequiredService<SignInTickets>().Issue(owner.User.Id, remember: false));
        using var onOne = _one.CreateBrowserLikeClient();
        using var onTwo = _two.CreateBrowserLikeClient();
        using var freshOnTwo = _two.CreateBrowserLikeClient();

        Assert.Equal("/workspaces", (await onOne.GetAsync(complete + used)).Headers.Location!.OriginalString);
        Assert.Equal("/account/login?expired=1", (await onTwo.GetAsync(complete + used)).Headers.Location!.OriginalString);
        // Not refused for being from another instance: an unused ticket of instance one works on instance two (shared keys).
        Assert.Equal("/workspaces", (await freshOnTwo.GetAsync(complete + fresh)).Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_time_triggered_job_with_both_instances_running_fires_once()
    {
        // Both job runners poll every 200 ms; the job is due at once and then in an hour.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_jobRuns.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(100);
        await Task.Delay(TimeSpan.FromSeconds(2)); // some 20 more polls between the two instances
        Assert.Single(_jobRuns);
        var runners = new[] { _one, _two }.Select(a => a.Services.GetRequiredService<JobRunner>().InstanceId).ToList();
        await using var db = _one.Services.GetRequiredService<ICrmDbContextFactory>().CreateGlobal();
        var schedule = db.JobSchedules.Single(s => s.Name == _jobName);
        Assert.Null(schedule.LeaseOwner);
        Assert.True(schedule.NextRunAt > DateTime.UtcNow.AddMinutes(50));
        Assert.Equal(2, runners.Distinct().Count());
    }
}
