using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Audit;
using Crm.Core.Design;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Crm.Core.Tests.Audit;

/// <summary>
/// Each audited action writes exactly one entry naming the actor, the target and where from; entries outlive what
/// they name; only current admins read them; the database refuses to change them.
/// </summary>
public class AuditLogTests
{
    private static readonly RequestOrigin Origin = RequestOrigin.Of("203.0.113.7", "AuditTest/1.0");

    private static async Task<List<AuditEntry>> EntriesAsync(Workspace ws, string? action = null)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.AuditEntries.AsNoTracking().Where(e => action == null || e.Action == action).OrderBy(e => e.At).ThenBy(e => e.Id).ToListAsync();
    }

    private static async Task<AuditEntry> OnlyAsync(Workspace ws, string action) => Assert.Single(await EntriesAsync(ws, action));

    private static JsonObject Details(AuditEntry e) => (JsonObject)JsonNode.Parse(e.Details!)!;

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Invitations_role_changes_and_removals_each_write_one_entry_that_outlives_the_user(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var owner = ws.Owner with { Origin = Origin };
        var invitations = ws.Get<InvitationService>();
        var members = ws.Get<MembershipService>();

        var email = TestData.NewEmail("colleague");
        var (invitation, token) = await invitations.CreateAsync(owner, email, MemberRole.Member);
        var (other, _) = await invitations.CreateAsync(owner, TestData.NewEmail("other"), MemberRole.Viewer);
        await invitations.RevokeAsync(owner, other.Id);
        await invitations.RevokeAsync(owner, other.Id); // already revoked: nothing new to note
        var user = await ws.Database.CreateUserAsync("Zhang Wei");
        await using (var db = ws.Database.Factory.CreateGlobal())
        {
            var stored = await db.Users.SingleAsync(u => u.Id == user.Id);
            stored.Email = email;
            stored.NormalizedEmail = email.ToUpperInvariant();
            await db.SaveChangesAsync();
        }
        user.Email = email;
        await invitations.AcceptAsync(ws.Tenant.Identifier, token, user, RequestOrigin.Of("198.51.100.4", "Phone"));
        await members.ChangeRoleAsync(owner, user.Id, MemberRole.Admin);
        await members.ChangeRoleAsync(owner, user.Id, MemberRole.Admin); // no change, no entry
        await members.RemoveAsync(owner, user.Id);

        var invites = await EntriesAsync(ws, AuditActions.MemberInvited);
        Assert.Equal([invitation.Id.ToString(), other.Id.ToString()], invites.Select(e => e.TargetId));
        var invited = invites[0];
        Assert.Equal((owner.UserId, owner.DisplayName, invitation.Id.ToString(), email, "Member"),
            (invited.ActorUserId, invited.ActorName, invited.TargetId, invited.TargetLabel, (string?)Details(invited)["role"]));
        Assert.Equal(("203.0.113.7", "AuditTest/1.0"), (invited.IpAddress, invited.UserAgent));
        var revoked = await OnlyAsync(ws, AuditActions.InvitationRevoked);
        Assert.Equal(other.Id.ToString(), revoked.TargetId);
        var joined = await OnlyAsync(ws, AuditActions.MemberJoined);
        Assert.Equal((user.Id, user.Id.ToString(), "198.51.100.4"), (joined.ActorUserId, joined.TargetId, joined.IpAddress));
        var changed = await OnlyAsync(ws, AuditActions.MemberRoleChanged);
        Assert.Equal((owner.UserId, user.Id.ToString(), $"Zhang Wei <{email}>", "Member", "Admin"),
            (changed.ActorUserId, changed.TargetId, changed.TargetLabel, (string?)Details(changed)["from"], (string?)Details(changed)["to"]));
        var removed = await OnlyAsync(ws, AuditActions.MemberRemoved);
        Assert.Equal((user.Id.ToString(), "Admin"), (removed.TargetId, (string?)Details(removed)["role"]));
        Assert.Equal(6, (await EntriesAsync(ws)).Count); // two invitations, a revocation, joined, role, removed

        // The account is deleted: the entries still say who it was.
        await using (var db = ws.Database.Factory.CreateGlobal())
            Assert.Equal(1, await db.Users.Where(u => u.Id == user.Id).ExecuteDeleteAsync());
        Assert.Equal($"Zhang Wei <{email}>", (await OnlyAsync(ws, AuditActions.MemberRemoved)).TargetLabel);
        Assert.Equal($"Zhang Wei <{email}>", (await OnlyAsync(ws, AuditActions.MemberJoined)).ActorName);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Template_install_upgrade_export_and_design_changes_each_write_one_entry(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var installer = ws.Get<TemplateInstaller>();
        var current = Workspace.Catalog.Find("b2b_sales_funnel")!;
        var older = JsonNode.Parse(current.Json)!.AsObject();
        older["version"] = "0.9.0";

        var dryRun = await installer.InstallAsync(ws.Owner, older.ToJsonString(), new InstallOptions(WithSampleData: true, DryRun: true));
        Assert.Equal(InstallOutcome.DryRun, dryRun.Outcome);
        Assert.Empty(await EntriesAsync(ws)); // rolled back with the install's transaction
        Assert.Equal(InstallOutcome.Installed, (await installer.InstallAsync(ws.Owner, older.ToJsonString(), new InstallOptions(WithSampleData: true))).Outcome);
        Assert.Equal(InstallOutcome.Upgraded, (await installer.InstallAsync(ws.Owner, current.Document, new InstallOptions(WithSampleData: false))).Outcome);
        await ws.Get<TemplateExporter>().ExportAsync(ws.Owner);

        var installed = await OnlyAsync(ws, AuditActions.TemplateInstalled);
        Assert.Equal(("b2b_sales_funnel", "0.9.0", ws.Owner.UserId), (installed.TargetId, (string?)Details(installed)["version"], installed.ActorUserId));
        var upgraded = await OnlyAsync(ws, AuditActions.TemplateUpgraded);
        Assert.Equal(("0.9.0", current.Document.Version), ((string?)Details(upgraded)["from"], (string?)Details(upgraded)["version"]));
        Assert.Equal(ws.Tenant.Id.ToString(), (await OnlyAsync(ws, AuditActions.TemplateExported)).TargetId);

        // Designer: an entity type, a status list, a pipeline, a field's type.
        var designer = ws.Get<MetadataDesigner>();
        var draft = EntityDraft.From((await ws.MetadataAsync()).Entity("company")!);
        draft.Label = new LocalizedText("客户公司", "Client company");
        Assert.True((await designer.SaveEntityAsync(ws.Owner, draft)).Succeeded);
        var meta = await ws.MetadataAsync();
        var opportunity = meta.Entity("opportunity")!;
        var pipeline = PipelineDraft.From(opportunity.Pipeline("b2b")!);
        pipeline.Stages[1].Probability = 15;
        Assert.True((await designer.SavePipelineAsync(ws.Owner, "opportunity", pipeline)).Succeeded);
        var statusField = meta.EntityTypes.SelectMany(e => e.Fields).FirstOrDefault(f => f.Type == "status");
        if (statusField is not null)
        {
            var list = StatusListDraft.From(meta.StatusList(statusField.Settings.StatusList!)!);
            list.Options[0].Color = "#123456";
            Assert.True((await designer.SaveStatusListAsync(ws.Owner, list)).Succeeded);
            Assert.Equal(list.Key, (await OnlyAsync(ws, AuditActions.StatusListSaved)).TargetId);
        }
        var change = await ws.Get<FieldTypeChanger>().ApplyAsync(ws.Owner, new TypeChangeRequest("company", "city", "select", new FieldSettings
        {
            Options = [new ChoiceOption("hangzhou", LocalizedText.Same("杭州"))],
        }));
        Assert.True(change.Succeeded, change.Errors.ToString());

        var entitySaved = await OnlyAsync(ws, AuditActions.EntityTypeSaved);
        Assert.Equal(("company", false), (entitySaved.TargetId, (bool?)Details(entitySaved)["created"]));
        Assert.Equal("opportunity/b2b", (await OnlyAsync(ws, AuditActions.PipelineSaved)).TargetId);
        var typeChanged = await OnlyAsync(ws, AuditActions.FieldTypeChanged);
        Assert.Equal(("company/city", "select", change.RecordsChanged),
            (typeChanged.TargetId, (string?)Details(typeChanged)["to"], (int?)Details(typeChanged)["recordsChanged"]));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Bulk_edit_and_bulk_delete_write_one_entry_each_that_still_names_the_deleted_records(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var ids = new List<Guid>();
        foreach (var name in new[] { "甲公司", "乙公司", "丙公司" })
        {
            var created = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", name)));
            Assert.True(created.Succeeded, created.Errors.ToString());
            ids.Add(created.Record!.Id);
        }
        var member = await ws.MemberAsync(MemberRole.Member);
        var bulk = ws.Get<BulkRecordService>();

        var edited = await bulk.EditAsync(member, "company", ids, "city", JsonValue.Create("杭州"));
        Assert.True(edited.Succeeded, edited.Error);
        Assert.Equal(3, (await bulk.DeleteAsync(member, "company", ids)).Deleted);

        var edit = await OnlyAsync(ws, AuditActions.RecordsBulkEdited);
        Assert.Equal((member.UserId, "company", "city", "杭州", 3),
            (edit.ActorUserId, edit.TargetId, (string?)Details(edit)["field"], (string?)Details(edit)["value"], (int?)Details(edit)["count"]));
        var delete = await OnlyAsync(ws, AuditActions.RecordsBulkDeleted);
        Assert.Equal((member.UserId, 3), (delete.ActorUserId, (int?)Details(delete)["count"]));
        var titles = Details(delete)["records"]!.AsArray().Select(r => (string?)r!["title"]).ToHashSet();
        Assert.Equal(new HashSet<string?> { "甲公司", "乙公司", "丙公司" }, titles);
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(0, await db.Records.CountAsync(r => ids.Contains(r.Id)));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Api_keys_note_creation_revocation_and_their_first_use_in_each_hour_only(string provider)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 2, 9, 10, 0, TimeSpan.Zero));
        await using var ws = await Workspace.CreateAsync(provider, clock);
        var keys = ws.Get<ApiKeyService>();
        var owner = ws.Owner with { Origin = Origin };

        var created = await keys.CreateAsync(owner, new ApiKeyRequest("ERP", MemberRole.Member));
        Assert.True(created.Succeeded, created.Errors.ToString());
        for (var i = 0; i < 5; i++)
        {
            Assert.NotNull(await keys.FindAsync(created.Secret!, RequestOrigin.Of("192.0.2.1", "erp-client")));
            clock.Advance(TimeSpan.FromMinutes(7)); // 09:10 … 09:38: one hour, five requests
        }
        Assert.Single(await EntriesAsync(ws, AuditActions.ApiKeyUsed));
        clock.Advance(TimeSpan.FromMinutes(30)); // 10:15: a new hour
        Assert.NotNull(await keys.FindAsync(created.Secret!));
        Assert.NotNull(await keys.FindAsync(created.Secret!));
        Assert.True(await keys.RevokeAsync(owner, created.Key!.Id));

        var uses = await EntriesAsync(ws, AuditActions.ApiKeyUsed);
        Assert.Equal(2, uses.Count);
        Assert.All(uses, u => Assert.Equal((created.Key.Id, ws.Owner.UserId, created.Key.Id.ToString()), (u.ApiKeyId, u.ActorUserId, u.TargetId)));
        Assert.Equal(("192.0.2.1", "erp-client"), (uses[0].IpAddress, uses[0].UserAgent));
        var made = await OnlyAsync(ws, AuditActions.ApiKeyCreated);
        Assert.Equal((owner.UserId, created.Key.Id.ToString(), "203.0.113.7"), (made.ActorUserId, made.TargetId, made.IpAddress));
        Assert.Contains(created.Key.Prefix, made.TargetLabel);
        Assert.DoesNotContain(created.Secret!, made.TargetLabel + made.Details);
        Assert.Equal(created.Key.Id.ToString(), (await OnlyAsync(ws, AuditActions.ApiKeyRevoked)).TargetId);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Sign_ins_go_to_the_workspace_of_a_member_and_everything_else_to_the_global_table(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var (member, _) = await ws.Database.CreateMemberAsync(ws.Tenant, MemberRole.Member);
        var outsider = await ws.Database.CreateUserAsync();
        var audit = ws.Get<SignInAudit>();
        var back = $"/t/{ws.Tenant.Identifier}/r/company";

        await audit.RecordAsync(new SignInAttempt(true, member.Email!, member.Id, back, Origin));
        await audit.RecordAsync(new SignInAttempt(false, member.Email!, member.Id, back, Origin, SignInAudit.WrongPassword));
        await audit.RecordAsync(new SignInAttempt(false, outsider.Email!, outsider.Id, back, Origin, SignInAudit.WrongPassword));
        var unknown = TestData.NewEmail("nobody");
        await audit.RecordAsync(new SignInAttempt(false, unknown, null, back, Origin, SignInAudit.UnknownEmail));
        await audit.RecordAsync(new SignInAttempt(true, member.Email!, member.Id, "/workspaces", Origin));

        var signedIn = await OnlyAsync(ws, AuditActions.SignIn);
        Assert.Equal((member.Id, member.Id.ToString(), "203.0.113.7", "AuditTest/1.0"), (signedIn.ActorUserId, signedIn.TargetId, signedIn.IpAddress, signedIn.UserAgent));
        var failed = await OnlyAsync(ws, AuditActions.SignInFailed);
        Assert.Equal((member.Id, "wrong-password"), (failed.ActorUserId, (string?)Details(failed)["reason"]));
        Assert.Equal(2, (await EntriesAsync(ws)).Count);

        await using var db = ws.Database.Factory.CreateGlobal();
        var global = await db.SignInEvents.AsNoTracking()
            .Where(e => e.UserId == outsider.Id || e.Email == unknown || e.UserId == member.Id).OrderBy(e => e.At).ToListAsync();
        Assert.Equal(3, global.Count);
        Assert.Contains(global, e => e.UserId == outsider.Id && !e.Succeeded && e.Reason == "wrong-password" && e.IpAddress == "203.0.113.7");
        Assert.Contains(global, e => e.Email == unknown && e.UserId == null && e.Reason == "unknown-email");
        Assert.Contains(global, e => e.UserId == member.Id && e.Succeeded);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Only_current_owners_and_admins_read_the_log_and_the_filters_narrow_it_in_sql(string provider)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        await using var ws = await Workspace.CreateAsync(provider, clock);
        var admin = await ws.MemberAsync(MemberRole.Admin);
        var member = await ws.MemberAsync(MemberRole.Member);
        var trail = ws.Get<AuditTrail>();
        await trail.WriteAsync(ws.Owner, new AuditEvent("test.one", "thing", "t-1", "Alpha 甲"));
        clock.Advance(TimeSpan.FromDays(1));
        await trail.WriteAsync(admin, new AuditEvent("test.two", "thing", "t-2", "Beta 乙"));
        clock.Advance(TimeSpan.FromDays(1));
        await trail.WriteAsync(admin, new AuditEvent("test.two", "thing", "t-3", "Gamma 丙"));
        var query = ws.Get<AuditQuery>();

        await Assert.ThrowsAsync<ForbiddenException>(() => query.PageAsync(member, new AuditFilter(), 0, 50));
        var all = await query.PageAsync(admin, new AuditFilter(), 0, 2);
        Assert.Equal(3, all.Total);
        Assert.Equal(["t-3", "t-2"], all.Items.Select(e => e.TargetId)); // newest first, paged
        Assert.Equal(["t-1"], (await query.PageAsync(admin, new AuditFilter(), 2, 2)).Items.Select(e => e.TargetId));
        Assert.Equal(2, (await query.PageAsync(admin, new AuditFilter(Actor: admin.UserId.ToString()), 0, 50)).Total);
        Assert.Equal(2, (await query.PageAsync(admin, new AuditFilter(Action: "test.two"), 0, 50)).Total);
        Assert.Equal(3, (await query.PageAsync(admin, new AuditFilter(Action: "test."), 0, 50)).Total);
        Assert.Equal(["t-2"], (await query.PageAsync(admin, new AuditFilter(Target: "beta"), 0, 50)).Items.Select(e => e.TargetId));
        Assert.Equal(["t-3"], (await query.PageAsync(admin, new AuditFilter(Target: "t-3"), 0, 50)).Items.Select(e => e.TargetId));
        var start = new DateTime(2026, 12, 2, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal(["t-2"], (await query.PageAsync(admin, new AuditFilter(From: start, To: start.AddDays(1)), 0, 50)).Items.Select(e => e.TargetId));

        // Demoted while the page is open: the next read is refused (the role is read from the database each time).
        await ws.Get<MembershipService>().ChangeRoleAsync(ws.Owner, admin.UserId, MemberRole.Member);
        await Assert.ThrowsAsync<ForbiddenException>(() => query.PageAsync(admin, new AuditFilter(), 0, 50));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_ambient_log_writes_as_the_current_actor_from_the_current_origin(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await using var scope = ws.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<IActorAccessor>().Set(ws.Owner);
        scope.ServiceProvider.GetRequiredService<IRequestOriginAccessor>().Set(Origin);

        await scope.ServiceProvider.GetRequiredService<IAuditLog>().WriteAsync(new AuditEvent("permission.changed", "role", "sales", "销售",
            new JsonObject { ["entity"] = "opportunity", ["read"] = "department" }));

        var entry = await OnlyAsync(ws, "permission.changed");
        Assert.Equal((ws.Owner.UserId, ws.Owner.DisplayName, "role", "sales", "销售", "203.0.113.7"),
            (entry.ActorUserId, entry.ActorName, entry.TargetType, entry.TargetId, entry.TargetLabel, entry.IpAddress));
        Assert.Equal("department", (string?)Details(entry)["read"]);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_database_refuses_to_update_or_delete_entries(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.Get<AuditTrail>().WriteAsync(ws.Owner, new AuditEvent("test.kept", "thing", "k-1", "Kept"));
        var entry = await OnlyAsync(ws, "test.kept");

        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var update = await Assert.ThrowsAnyAsync<Exception>(() => db.Database.ExecuteSqlRawAsync("UPDATE audit_entries SET target_label = 'Forged' WHERE id = {0}", entry.Id));
            var delete = await Assert.ThrowsAnyAsync<Exception>(() => db.AuditEntries.Where(e => e.Id == entry.Id).ExecuteDeleteAsync());
            if (provider == Providers.Postgres)
            {
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, Assert.IsType<PostgresException>(update).SqlState);
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, Assert.IsType<PostgresException>(delete).SqlState);
                var truncate = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("TRUNCATE audit_entries"));
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, truncate.SqlState);
            }
            else
            {
                Assert.Contains("append-only", update.Message);
                Assert.Contains("append-only", delete.Message);
            }
        }
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var tracked = await db.AuditEntries.SingleAsync(e => e.Id == entry.Id);
            tracked.TargetLabel = "Forged";
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            db.AuditEntries.Remove(await db.AuditEntries.SingleAsync(e => e.Id == entry.Id));
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
        await using (var global = ws.Database.Factory.CreateGlobal())
        {
            global.SignInEvents.Add(new SignInEvent { At = DateTime.UtcNow, Email = "kept@example.test" });
            await global.SaveChangesAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => global.SignInEvents.Where(e => e.Email == "kept@example.test").ExecuteDeleteAsync());
        }
        Assert.Equal("Kept", (await OnlyAsync(ws, "test.kept")).TargetLabel);
    }
}
