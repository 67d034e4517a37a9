using System.Globalization;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Templates;

public sealed record InstallOptions(bool WithSampleData = true, bool DryRun = false);

public enum InstallOutcome
{
    Installed,
    Upgraded,
    AlreadyInstalled,
    DryRun,
    Refused,
}

public sealed record InstallProgress(int Percent, string Step);

public sealed record InstallResult(InstallOutcome Outcome, ValidationErrors Errors, IReadOnlyList<PlannedChange> Changes, int SampleRecords = 0)
{
    public bool Succeeded => Outcome is InstallOutcome.Installed or InstallOutcome.Upgraded or InstallOutcome.AlreadyInstalled or InstallOutcome.DryRun;
    public static InstallResult Refused(ValidationErrors errors) => new(InstallOutcome.Refused, errors, []);
}

/// <summary>
/// Installs a template into a workspace: schema and reference checks (errors with JSON paths), a three-way
/// merge into the tenant's metadata, field-setting validation, optional sample data written through the
/// record writer, all in one transaction. Same version again: nothing happens. Newer version: merged.
/// Dry run: the whole install is carried out and rolled back, and the plan is returned.
/// </summary>
public sealed class TemplateInstaller(ICrmDbContextFactory factory, IStringLocalizer<CoreStrings> t, TimeProvider clock, MetadataChanges changes,
    IMembershipChanges membershipChanges, Audit.AuditTrail audit)
{
    private string T(string key, object[] args) => t[key, args];

    public async Task<InstallResult> InstallAsync(Actor actor, string json, InstallOptions options, IProgress<InstallProgress>? progress = null, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Admin);
        var (doc, errors) = TemplateParser.Parse(json, T);
        if (doc is null) return InstallResult.Refused(errors);
        return await InstallAsync(actor, doc, options, progress, ct);
    }

    public async Task<InstallResult> InstallAsync(Actor actor, TemplateDocument doc, InstallOptions options, IProgress<InstallProgress>? progress = null, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        progress?.Report(new InstallProgress(5, "check"));
        await using var db = factory.CreateForTenant(actor.TenantId);
        // Check before the transaction (on SQLite it holds the database's write lock for every workspace): a bad
        // template is refused without taking it. The check is repeated inside against the locked state.
        var precheck = new TemplateChecker(doc, await MetadataStore.LoadAsync(db, await MetadataStore.CurrentVersionAsync(db, ct), ct),
            (await db.Reports.Select(r => r.Key).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal), T, await DepartmentKeysAsync(db, ct),
            await RoleKeysAsync(db, ct), await PoolKeysAsync(db, ct)).Check();
        if (!precheck.IsEmpty) return InstallResult.Refused(precheck);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;

        var installation = await db.TemplateInstallations.FirstOrDefaultAsync(i => i.TemplateId == doc.Id, ct);
        TemplateDocument? old = null;
        if (installation is not null)
        {
            var order = TemplateVersion.Compare(doc.Version, installation.Version);
            if (order == 0) return new InstallResult(InstallOutcome.AlreadyInstalled, new ValidationErrors(), []);
            if (order < 0)
            {
                var refused = new ValidationErrors();
                refused.Add("$.version", t["Template.Downgrade", doc.Version, installation.Version]);
                return InstallResult.Refused(refused);
            }
            old = Json.Deserialize<TemplateDocument>(installation.Snapshot);
            if (old is not null)
            {
                var renames = new ValidationErrors();
                TemplateChecker.CheckRenamesAgainst(doc, old, renames, (k, a) => t[k, a]);
                if (!renames.IsEmpty) return InstallResult.Refused(renames);
            }
        }

        var current = await MetadataStore.LoadAsync(db, await MetadataStore.CurrentVersionAsync(db, ct), ct);
        var reportKeys = (await db.Reports.Select(r => r.Key).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var errors = new TemplateChecker(doc, current, reportKeys, T, await DepartmentKeysAsync(db, ct), await RoleKeysAsync(db, ct), await PoolKeysAsync(db, ct)).Check();
        if (!errors.IsEmpty) return InstallResult.Refused(errors);

        progress?.Report(new InstallProgress(20, "metadata"));
        var merger = new TemplateMerger(db, doc, old, now) { Installer = actor.UserId, PreviousInstaller = installation?.InstalledBy };
        await merger.ApplyAsync(ct);
        await db.SaveChangesAsync(ct);
        // Renamed keys: values move in the records, in SQL, in this transaction (a dry run only plans them).
        if (!options.DryRun)
        {
            foreach (var r in merger.FieldRenames)
            {
                await Records.RecordWriter.MoveFieldKeyAsync(db, r.EntityTypeId, r.From, r.To, ct);
                // What else is keyed by the field: unique values and auto-number counters ("key", "key@20261204").
                await db.UniqueValues.Where(u => u.EntityTypeId == r.EntityTypeId && u.FieldKey == r.From).ExecuteUpdateAsync(u => u.SetProperty(x => x.FieldKey, r.To), ct);
                var period = r.From + "@";
                foreach (var counter in await db.Sequences.Where(c => c.EntityTypeId == r.EntityTypeId && (c.FieldKey == r.From || c.FieldKey.StartsWith(period))).ToListAsync(ct))
                    counter.FieldKey = r.To + counter.FieldKey[r.From.Length..];
            }
            await db.SaveChangesAsync(ct);
            foreach (var r in merger.OptionRenames)
            {
                // The field's typed copy (issue 14) is rewritten with its values; the slot as saved just above.
                var slot = await db.Fields.AsNoTracking().Where(f => f.EntityTypeId == r.EntityTypeId && f.Key == r.Field).Select(f => f.IndexSlot).FirstOrDefaultAsync(ct);
                await Records.RecordWriter.RenameOptionAsync(db, r.EntityTypeId, r.Field, r.Multiple, r.From, r.To, slot, ct);
            }
        }
        await MetadataStore.BumpVersionAsync(db, ct);
        var updated = await MetadataStore.LoadAsync(db, await MetadataStore.CurrentVersionAsync(db, ct), ct);

        ValidateFieldSettings(doc, updated, errors);
        ValidateAutomation(doc, updated, errors);
        if (!errors.IsEmpty) return InstallResult.Refused(errors);

        var samples = 0;
        if (options.WithSampleData && installation is null && doc.SampleData is { Count: > 0 })
        {
            progress?.Report(new InstallProgress(45, "samples"));
            var sampleInstaller = new SampleDataInstaller(db, updated, actor, t, clock);
            samples = await sampleInstaller.InstallAsync(doc, errors, p => progress?.Report(new InstallProgress(45 + p * 50 / 100, "samples")), ct);
            if (!errors.IsEmpty) return InstallResult.Refused(errors);
        }

        var snapshot = new TemplateDocument
        {
            Id = doc.Id, Version = doc.Version, Name = doc.Name, Description = doc.Description, Category = doc.Category, Icon = doc.Icon,
            StatusLists = doc.StatusLists, EntityTypes = doc.EntityTypes, Views = doc.Views, Reports = doc.Reports, Dashboards = doc.Dashboards, Roles = doc.Roles,
            Departments = doc.Departments, Rules = doc.Rules, Pools = doc.Pools,
        };
        if (installation is null)
        {
            installation = new TemplateInstallation { TemplateId = doc.Id, WithSampleData = samples > 0 };
            db.TemplateInstallations.Add(installation);
        }
        installation.Version = doc.Version;
        installation.InstalledAt = now;
        installation.InstalledBy = actor.UserId;
        installation.Snapshot = Json.Serialize(snapshot);
        // In the install's transaction: a dry run or a refused install rolls it back with everything else.
        audit.Stage(db, actor, new Audit.AuditEvent(old is null ? Audit.AuditActions.TemplateInstalled : Audit.AuditActions.TemplateUpgraded,
            Audit.AuditActions.Targets.Template, doc.Id, doc.Name.Get(), new System.Text.Json.Nodes.JsonObject
            {
                ["version"] = doc.Version, ["from"] = old?.Version, ["changes"] = merger.Changes.Count, ["sampleRecords"] = samples,
            }));
        await db.SaveChangesAsync(ct);

        progress?.Report(new InstallProgress(100, "done"));
        if (options.DryRun)
        {
            await tx.RollbackAsync(ct);
            return new InstallResult(InstallOutcome.DryRun, errors, merger.Changes, samples);
        }
        await tx.CommitAsync(ct);
        changes.Publish(actor.TenantId);
        await Permissions.AccessChanges.PublishAsync(factory, membershipChanges, actor.TenantId, merger.AffectedMembers, ct);
        return new InstallResult(old is null ? InstallOutcome.Installed : InstallOutcome.Upgraded, errors, merger.Changes, samples);
    }

    private static async Task<IReadOnlySet<string>> RoleKeysAsync(CrmDbContext db, CancellationToken ct)
        => (await db.RoleDefinitions.Select(r => r.Key).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);

    /// <summary>The workspace's pools as "entity/key".</summary>
    private static async Task<IReadOnlySet<string>> PoolKeysAsync(CrmDbContext db, CancellationToken ct)
        => (await db.Pools.Join(db.EntityTypes, p => p.EntityTypeId, e => e.Id, (p, e) => e.Key + "/" + p.Key).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);

    /// <summary>The rule checks of the designer, against the merged metadata (e.g. an afterDate field that is a date).</summary>
    private void ValidateAutomation(TemplateDocument doc, TenantMetadata metadata, ValidationErrors errors)
    {
        if (!errors.IsEmpty) return;
        for (var i = 0; i < (doc.Rules?.Count ?? 0); i++)
        {
            var r = doc.Rules![i];
            // Who takes part is checked by the template checker; here a placeholder stands for each person.
            var people = new PeopleKeys(new Dictionary<string, Guid>(), new Dictionary<string, Guid>(), Guid.Empty);
            var actions = TemplateAutomationMapping.Actions(r, people).Select((a, n) => a with
            {
                Roles = (r.Actions[n].Roles ?? []).Select(_ => Guid.Empty).ToList(),
                Departments = (r.Actions[n].Departments ?? []).Select(_ => Guid.Empty).ToList(),
            }).ToList();
            var rule = new Automation.AutomationRule { Key = r.Key, Name = r.Name, Trigger = r.Trigger, Conditions = TemplateAutomationMapping.Conditions(r), Actions = actions };
            Automation.RuleValidator.Validate(rule, metadata.Entity(r.Entity), metadata, errors, t, $"$.rules[{i}].");
        }
    }

    private static async Task<IReadOnlySet<string>> DepartmentKeysAsync(CrmDbContext db, CancellationToken ct)
        => (await db.Departments.Where(d => d.Key != null).Select(d => d.Key!).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Installed templates of the workspace: template id → installed version.</summary>
    public async Task<IReadOnlyDictionary<string, string>> InstalledAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await db.TemplateInstallations.AsNoTracking().ToDictionaryAsync(i => i.TemplateId, i => i.Version, ct);
    }

    /// <summary>Each field type checks its own settings against the merged metadata (e.g. a formula's references).</summary>
    private void ValidateFieldSettings(TemplateDocument doc, TenantMetadata metadata, ValidationErrors errors)
    {
        var validator = new RecordValidator(t);
        for (var e = 0; e < doc.EntityTypes.Count; e++)
        {
            var entity = metadata.Entity(doc.EntityTypes[e].Key);
            if (entity is null) continue;
            for (var f = 0; f < doc.EntityTypes[e].Fields.Count; f++)
            {
                var field = entity.Field(doc.EntityTypes[e].Fields[f].Key);
                if (field is null) continue;
                var path = $"$.entityTypes[{e}].fields[{f}]";
                var own = new ValidationErrors();
                FieldTypeRegistry.Get(field.Type).ValidateSettings(new FieldContext(field, entity), own, path, k => t[k]);
                foreach (var (key, messages) in own.ByField)
                    foreach (var message in messages) errors.Add(key, $"{field.Key}: {message}");
                // A default that is not a valid value (an unknown option …) would make every new record fail.
                if (own.IsEmpty && doc.EntityTypes[e].Fields[f].Default is { } value && !Design.DesignRules.IsDynamicDefault(field.Type, value)
                    && Design.DesignRules.CheckValue(entity, field, value, validator) is { } problem)
                    errors.Add(path + ".default", t["Template.Check.DefaultInvalid", field.Key, problem]);
            }
        }
    }
}

/// <summary>Semantic versions: "1.2.0" &lt; "1.10.0".</summary>
public static class TemplateVersion
{
    public static int Compare(string a, string b)
    {
        var pa = Parse(a);
        var pb = Parse(b);
        for (var i = 0; i < 3; i++)
        {
            var c = pa[i].CompareTo(pb[i]);
            if (c != 0) return c;
        }
        return 0;
    }

    private static int[] Parse(string v)
    {
        var parts = v.Split('-', '+')[0].Split('.');
        return [.. Enumerable.Range(0, 3).Select(i => i < parts.Length && int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0)];
    }
}
