namespace Crm.Core.Audit;

/// <summary>
/// The action keys of the audit log. Stable strings (stored, filtered on, exported); the page shows each as a
/// localized sentence (<c>Audit.Action.{key}</c> in the web app's resources). A new action adds a key here and
/// its sentence in en and zh-CN.
/// </summary>
public static class AuditActions
{
    public const string SignIn = "auth.signin";
    public const string SignInFailed = "auth.signin-failed";

    public const string MemberInvited = "member.invited";
    public const string InvitationRevoked = "member.invitation-revoked";
    public const string MemberJoined = "member.joined";
    public const string MemberRoleChanged = "member.role-changed";
    public const string MemberRemoved = "member.removed";

    public const string EntityTypeSaved = "design.entity-saved";
    public const string FieldTypeChanged = "design.field-type-changed";
    public const string StatusListSaved = "design.status-list-saved";
    public const string PipelineSaved = "design.pipeline-saved";

    public const string TemplateInstalled = "template.installed";
    public const string TemplateUpgraded = "template.upgraded";
    public const string TemplateExported = "template.exported";

    public const string ReportExported = "export.report";
    public const string AuditExported = "export.audit";
    public const string RecordsExported = "export.records";
    public const string RecordsImported = "import.records";
    public const string ImportUndone = "import.undone";

    public const string RecordsBulkEdited = "records.bulk-edited";
    public const string RecordsBulkDeleted = "records.bulk-deleted";

    public const string DepartmentCreated = "department.created";
    public const string DepartmentRenamed = "department.renamed";
    public const string DepartmentMoved = "department.moved";
    public const string DepartmentDeleted = "department.deleted";
    public const string DepartmentMemberAdded = "department.member-added";
    public const string DepartmentMemberRemoved = "department.member-removed";
    public const string DepartmentLeaderChanged = "department.leader-changed";

    public const string RoleCreated = "role.created";
    public const string RoleEdited = "role.edited";
    public const string RoleDeleted = "role.deleted";
    public const string RoleAssigned = "role.assigned";
    public const string RoleUnassigned = "role.unassigned";
    public const string PermissionChanged = "permission.changed";
    public const string PermissionCleared = "permission.cleared";

    public const string RecordShared = "record.shared";
    public const string RecordUnshared = "record.unshared";

    public const string ApiKeyCreated = "apikey.created";
    public const string ApiKeyRevoked = "apikey.revoked";
    public const string ApiKeyUsed = "apikey.used";

    public const string PoolCreated = "pool.created";
    public const string PoolEdited = "pool.edited";
    public const string PoolArchived = "pool.archived";
    public const string WebhookCreated = "webhook.created";
    public const string WebhookEdited = "webhook.edited";
    public const string WebhookEnabled = "webhook.enabled";
    public const string WebhookDisabled = "webhook.disabled";
    public const string WebhookSecretRotated = "webhook.secret-rotated";
    public const string WebhookDeleted = "webhook.deleted";
    public const string WebhookRedelivered = "webhook.redelivered";

    /// <summary>Every key, for the page's action filter and the resource completeness test.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        SignIn, SignInFailed,
        MemberInvited, InvitationRevoked, MemberJoined, MemberRoleChanged, MemberRemoved,
        EntityTypeSaved, FieldTypeChanged, StatusListSaved, PipelineSaved,
        TemplateInstalled, TemplateUpgraded, TemplateExported,
        ReportExported, AuditExported, RecordsExported, RecordsImported, ImportUndone,
        RecordsBulkEdited, RecordsBulkDeleted,
        DepartmentCreated, DepartmentRenamed, DepartmentMoved, DepartmentDeleted, DepartmentMemberAdded, DepartmentMemberRemoved, DepartmentLeaderChanged,
        RoleCreated, RoleEdited, RoleDeleted, RoleAssigned, RoleUnassigned, PermissionChanged, PermissionCleared,
        RecordShared, RecordUnshared,
        ApiKeyCreated, ApiKeyRevoked, ApiKeyUsed,
        PoolCreated, PoolEdited, PoolArchived,
        WebhookCreated, WebhookEdited, WebhookEnabled, WebhookDisabled, WebhookSecretRotated, WebhookDeleted, WebhookRedelivered,
    ];

    /// <summary>Target types (<see cref="AuditEntry.TargetType"/>).</summary>
    public static class Targets
    {
        public const string User = "user";
        public const string Invitation = "invitation";
        public const string EntityType = "entity-type";
        public const string StatusList = "status-list";
        public const string Pipeline = "pipeline";
        public const string Field = "field";
        public const string Template = "template";
        public const string Report = "report";
        public const string ApiKey = "api-key";
        public const string Workspace = "workspace";
        public const string Department = "department";
        public const string Role = "role";
        public const string Record = "record";
        public const string Pool = "pool";
        public const string Webhook = "webhook";
    }
}
