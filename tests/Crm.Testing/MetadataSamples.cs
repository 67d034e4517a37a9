using System.Runtime.CompilerServices;
using Crm.Core.Activities;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Reports;
using Crm.Core.Tenancy;
using Crm.Core.Views;

namespace Crm.Testing;

/// <summary>
/// Builders for tenant entities that need parent rows (a field needs its entity type, a stage its pipeline, an
/// activity its record …), registered in <see cref="TenantEntitySamples.Custom"/> when this assembly loads.
/// The parents are saved for the same tenant; the returned child is new and unsaved.
/// </summary>
public static class MetadataSamples
{
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The test library registers its sample field types once, before any test runs.")]
    internal static void Register()
    {
        var c = TenantEntitySamples.Custom;
        c[typeof(FieldDefinition)] = async (db, t) => new FieldDefinition { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, Key = Key("f"), Type = "text" };
        c[typeof(Pipeline)] = async (db, t) => new Pipeline { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, Key = Key("p") };
        c[typeof(PipelineStage)] = async (db, t) => new PipelineStage { TenantId = t, PipelineId = (await PipelineAsync(db, t)).Id, Key = Key("s") };
        c[typeof(StatusOption)] = async (db, t) => new StatusOption { TenantId = t, StatusListId = (await StatusListAsync(db, t)).Id, Key = Key("o") };
        c[typeof(Record)] = async (db, t) => new Record { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, Title = "sample" };
        c[typeof(RecordTransition)] = async (db, t) =>
        {
            var r = await RecordAsync(db, t);
            return new RecordTransition { TenantId = t, RecordId = r.Id, EntityTypeId = r.EntityTypeId, ToId = Guid.CreateVersion7() };
        };
        c[typeof(RecordChange)] = async (db, t) => new RecordChange { TenantId = t, RecordId = (await RecordAsync(db, t)).Id };
        c[typeof(RecordUniqueValue)] = async (db, t) =>
        {
            var r = await RecordAsync(db, t);
            return new RecordUniqueValue { TenantId = t, RecordId = r.Id, EntityTypeId = r.EntityTypeId, FieldKey = "name", ValueHash = Key("h") };
        };
        c[typeof(Activity)] = async (db, t) =>
        {
            var r = await RecordAsync(db, t);
            return new Activity { TenantId = t, RecordId = r.Id, EntityTypeId = r.EntityTypeId, Subject = "sample" };
        };
        c[typeof(SequenceCounter)] = async (db, t) => new SequenceCounter { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, FieldKey = Key("n") };
        c[typeof(SavedView)] = async (db, t) => new SavedView { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, Key = Key("v") };
        c[typeof(ListColumnPreference)] = async (db, t) => new ListColumnPreference { TenantId = t, UserId = Guid.NewGuid(), EntityTypeId = (await EntityTypeAsync(db, t)).Id, Columns = ["name"] };
        c[typeof(ReportDefinition)] = async (db, t) => new ReportDefinition { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, Key = Key("r") };
        c[typeof(Crm.Core.Pools.Pool)] = async (db, t) => new Crm.Core.Pools.Pool { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, Key = Key("pool") };
        c[typeof(Crm.Core.Pools.PoolEvent)] = async (db, t) =>
        {
            var r = await RecordAsync(db, t);
            var pool = await SaveAsync(db, t, new Crm.Core.Pools.Pool { TenantId = t, EntityTypeId = r.EntityTypeId, Key = Key("pool") });
            return new Crm.Core.Pools.PoolEvent { TenantId = t, PoolId = pool.Id, RecordId = r.Id };
        };
        c[typeof(Crm.Core.Automation.AutomationRule)] = async (db, t) => new Crm.Core.Automation.AutomationRule { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, Key = Key("rule") };
        c[typeof(Crm.Core.Automation.AutomationRun)] = async (db, t) => new Crm.Core.Automation.AutomationRun { TenantId = t, RuleId = (await RuleAsync(db, t)).Id, RecordId = Guid.CreateVersion7() };
        c[typeof(Crm.Core.Automation.AutomationFiring)] = async (db, t) => new Crm.Core.Automation.AutomationFiring { TenantId = t, RuleId = (await RuleAsync(db, t)).Id, SubjectId = Guid.CreateVersion7(), Occurrence = Key("o") };
        c[typeof(Crm.Core.Import.ImportBatch)] = async (db, t) => new Crm.Core.Import.ImportBatch { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id };
        c[typeof(Crm.Core.Import.ImportBatchItem)] = async (db, t) =>
        {
            var batch = await SaveAsync(db, t, new Crm.Core.Import.ImportBatch { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id });
            return new Crm.Core.Import.ImportBatchItem { TenantId = t, BatchId = batch.Id, RecordId = Guid.CreateVersion7() };
        };
        c[typeof(Crm.Core.Import.ImportMappingPreset)] = async (db, t) => new Crm.Core.Import.ImportMappingPreset { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, Name = Key("m") };
        c[typeof(Crm.Core.Import.ImportJob)] = async (db, t) => new Crm.Core.Import.ImportJob { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, FileName = "x.csv", CreatedAt = DateTime.UtcNow, ExpiresAt = DateTime.UtcNow.AddDays(1) };
        c[typeof(EntityType)] = (_, t) => Task.FromResult<ITenantOwned>(new EntityType { TenantId = t, Key = Key("e"), TitleFieldKey = "name" });
        c[typeof(StatusList)] = (_, t) => Task.FromResult<ITenantOwned>(new StatusList { TenantId = t, Key = Key("l") });
        c[typeof(Dashboard)] = (_, t) => Task.FromResult<ITenantOwned>(new Dashboard { TenantId = t, Key = Key("d") });
        c[typeof(RoleDefinition)] = (_, t) => Task.FromResult<ITenantOwned>(new RoleDefinition { TenantId = t, Key = Key("role") });
        c[typeof(Department)] = (_, t) => Task.FromResult<ITenantOwned>(new Department { TenantId = t, Name = "华东", Key = Key("dep") });
        c[typeof(DepartmentMember)] = async (db, t) => new DepartmentMember { TenantId = t, DepartmentId = (await SaveAsync(db, t, new Department { TenantId = t, Name = "华南" })).Id, UserId = Guid.NewGuid() };
        c[typeof(MemberRoleAssignment)] = async (db, t) => new MemberRoleAssignment { TenantId = t, UserId = Guid.NewGuid(), RoleId = (await RoleAsync(db, t)).Id };
        c[typeof(EntityPermission)] = async (db, t) => new EntityPermission { TenantId = t, RoleId = (await RoleAsync(db, t)).Id, EntityTypeId = (await EntityTypeAsync(db, t)).Id, Read = DataScope.Own };
        c[typeof(RecordShare)] = async (db, t) => new RecordShare { TenantId = t, RecordId = (await RecordAsync(db, t)).Id, UserId = Guid.NewGuid() };
        c[typeof(Crm.Core.Webhooks.WebhookDelivery)] = async (db, t) => new Crm.Core.Webhooks.WebhookDelivery { TenantId = t, WebhookId = (await WebhookAsync(db, t)).Id, EventType = "ping", Payload = "{}" };
        c[typeof(Crm.Core.Webhooks.WebhookAttempt)] = async (db, t) =>
        {
            var hook = await WebhookAsync(db, t);
            var delivery = await SaveAsync(db, t, new Crm.Core.Webhooks.WebhookDelivery { TenantId = t, WebhookId = hook.Id, EventType = "ping", Payload = "{}" });
            return new Crm.Core.Webhooks.WebhookAttempt { TenantId = t, WebhookId = hook.Id, DeliveryId = delivery.Id, AttemptNo = 1 };
        };
        c[typeof(Crm.Core.Templates.TemplateInstallation)] = (_, t) => Task.FromResult<ITenantOwned>(new Crm.Core.Templates.TemplateInstallation { TenantId = t, TemplateId = Key("tpl"), Version = "1.0.0" });
    }

    private static string Key(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..12];

    private static async Task<T> SaveAsync<T>(TestDatabase database, Guid tenant, T row) where T : class
    {
        await using var db = database.Factory.CreateForTenant(tenant);
        db.Add(row);
        await db.SaveChangesAsync();
        return row;
    }

    private static Task<EntityType> EntityTypeAsync(TestDatabase db, Guid t)
        => SaveAsync(db, t, new EntityType { TenantId = t, Key = Key("e"), TitleFieldKey = "name" });

    private static async Task<Pipeline> PipelineAsync(TestDatabase db, Guid t)
        => await SaveAsync(db, t, new Pipeline { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, Key = Key("p") });

    private static Task<StatusList> StatusListAsync(TestDatabase db, Guid t)
        => SaveAsync(db, t, new StatusList { TenantId = t, Key = Key("l") });

    private static Task<RoleDefinition> RoleAsync(TestDatabase db, Guid t)
        => SaveAsync(db, t, new RoleDefinition { TenantId = t, Key = Key("role") });
    private static async Task<Crm.Core.Automation.AutomationRule> RuleAsync(TestDatabase db, Guid t)
        => await SaveAsync(db, t, new Crm.Core.Automation.AutomationRule { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, Key = Key("rule") });

    private static Task<Crm.Core.Webhooks.Webhook> WebhookAsync(TestDatabase db, Guid t)
        => SaveAsync(db, t, new Crm.Core.Webhooks.Webhook { TenantId = t, Url = "https://example.com/hook", Events = ["record.created"], ProtectedSecret = "x" });

    private static async Task<Record> RecordAsync(TestDatabase db, Guid t)
        => await SaveAsync(db, t, new Record { TenantId = t, EntityTypeId = (await EntityTypeAsync(db, t)).Id, Title = "sample" });
}
