using System.Net.Mail;
using Crm.Core.Data;
using Crm.Core.Resources;
using Crm.Core.Tenancy;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;

namespace Crm.Core.Accounts;

/// <param name="SlugDerived">
/// True when the slug was suggested from the workspace name and not typed: if it was taken in the meantime, the next free
/// alternative is used instead of refusing the sign-up.
/// </param>
public sealed record SignupRequest(string Email, string Password, string DisplayName, string WorkspaceName, string Slug, string Culture = "zh-CN", bool SlugDerived = false);

/// <summary>What a workspace's admins change on its settings page.</summary>
public sealed record WorkspaceSettings(string Name, string DefaultCulture, string TimeZone);

public sealed record WorkspaceResult(ValidationErrors Errors, ApplicationUser? User = null, TenantInfo? Tenant = null)
{
    public bool Succeeded => Errors.IsEmpty && Tenant is not null;
}

/// <summary>
/// Self-service sign-up and new workspaces. A sign-up creates the login, the workspace and the Owner
/// membership in one transaction: a refused slug leaves no orphan user behind.
/// </summary>
public sealed class WorkspaceService(
    CrmDbContext db,
    UserManager<ApplicationUser> users,
    ITenantStore tenantStore,
    IStringLocalizer<CoreStrings> t,
    ILogger<WorkspaceService> logger)
{
    public const int MaxWorkspaceNameLength = 100;

    public async Task<bool> IsSlugAvailableAsync(string slug, CancellationToken ct = default)
        => SlugRules.Validate(slug) is null && !await db.Tenants.AnyAsync(x => x.Identifier == slug, ct);

    /// <summary>The message for a slug problem, or null when the slug can be used.</summary>
    public async Task<string?> CheckSlugAsync(string? slug, CancellationToken ct = default)
    {
        var problem = SlugRules.Validate(slug);
        if (problem is null && await db.Tenants.AnyAsync(x => x.Identifier == slug, ct)) problem = SlugProblem.Taken;
        return problem is { } p ? SlugMessage(p) : null;
    }

    /// <summary>
    /// A free slug for a workspace name: the derived one (<see cref="SlugRules.Derive"/>) or, when that is taken, the
    /// first free of <c>slug-2</c>, <c>slug-3</c> …
    /// </summary>
    public async Task<string> SuggestSlugAsync(string? workspaceName, CancellationToken ct = default)
    {
        var stem = SlugRules.Derive(workspaceName);
        var prefix = stem + "-";
        var taken = (await db.Tenants.Where(x => x.Identifier == stem || x.Identifier.StartsWith(prefix)).Select(x => x.Identifier).ToListAsync(ct))
            .ToHashSet(StringComparer.Ordinal);
        if (!taken.Contains(stem)) return stem;
        for (var n = 2; ; n++)
            if (SlugRules.WithSuffix(stem, n) is var alternative && !taken.Contains(alternative)) return alternative;
    }

    /// <summary>Whether an account with this e-mail exists (the sign-up page then offers to sign in instead).</summary>
    public async Task<bool> IsEmailRegisteredAsync(string? email)
        => !string.IsNullOrWhiteSpace(email) && await users.FindByEmailAsync(email.Trim()) is not null;

    public string SlugMessage(SlugProblem problem) => problem switch
    {
        SlugProblem.Required => t["Slug.Required"],
        SlugProblem.Length => t["Slug.Length", SlugRules.MinLength, SlugRules.MaxLength],
        SlugProblem.InvalidCharacters => t["Slug.InvalidCharacters"],
        SlugProblem.Reserved => t["Slug.Reserved"],
        SlugProblem.Taken => t["Slug.Taken"],
        _ => problem.ToString(),
    };

    public async Task<WorkspaceResult> SignUpAsync(SignupRequest request, CancellationToken ct = default)
    {
        var errors = new ValidationErrors();
        var user = await ValidateAccountAsync(request.Email, request.Password, request.DisplayName, request.Culture, errors);
        var slug = request.SlugDerived ? await FreeDerivedSlugAsync(request.Slug, request.WorkspaceName, ct) : request.Slug;
        await ValidateWorkspaceAsync(request.WorkspaceName, slug, !request.SlugDerived, errors, ct);
        if (!errors.IsEmpty) return new WorkspaceResult(errors);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await CreateUserAsync(user, request.Password, errors)) return new WorkspaceResult(errors);
        var tenant = await AddWorkspaceAsync(user.Id, request.WorkspaceName.Trim(), slug, request.Culture, request.SlugDerived, errors, ct);
        if (tenant is null) return new WorkspaceResult(errors);
        await tx.CommitAsync(ct);
        logger.LogInformation("Signed up {UserId} with workspace {Slug}", user.Id, tenant.Identifier);
        return new WorkspaceResult(errors, user, tenant);
    }

    /// <summary>An account without a workspace of its own: for people who join by invitation.</summary>
    public async Task<(ApplicationUser? User, ValidationErrors Errors)> RegisterAsync(string email, string password, string displayName, string culture, CancellationToken ct = default)
    {
        var errors = new ValidationErrors();
        var user = await ValidateAccountAsync(email, password, displayName, culture, errors);
        if (!errors.IsEmpty || !await CreateUserAsync(user, password, errors)) return (null, errors);
        return (user, errors);
    }

    private async Task<ApplicationUser> ValidateAccountAsync(string? rawEmail, string? password, string? displayName, string culture, ValidationErrors errors)
    {
        var email = (rawEmail ?? "").Trim();
        if (email.Length == 0) errors.Add("Email", t["Email.Required"]);
        else if (!MailAddress.TryCreate(email, out var parsed) || parsed.Address != email) errors.Add("Email", t["Email.Invalid"]);
        else if (await users.FindByEmailAsync(email) is not null) errors.Add("Email", t["Email.Taken"]);

        var user = new ApplicationUser
        {
            UserName = email,
            Email = email,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? email.Split('@')[0] : displayName.Trim(),
            PreferredCulture = culture,
        };
        foreach (var validator in users.PasswordValidators)
        {
            var result = await validator.ValidateAsync(users, user, password ?? "");
            foreach (var e in result.Errors) errors.Add("Password", e.Description);
        }
        return user;
    }

    private async Task<bool> CreateUserAsync(ApplicationUser user, string password, ValidationErrors errors)
    {
        var created = await users.CreateAsync(user, password);
        foreach (var e in created.Errors) errors.Add(e.Code.Contains("Password") ? "Password" : "Email", e.Description);
        return created.Succeeded;
    }

    /// <summary>A signed-in person opens another workspace, of which they become the Owner.</summary>
    /// <param name="slugDerived">As <see cref="SignupRequest.SlugDerived"/>: a suggested slug taken meanwhile is replaced by the next free one.</param>
    public async Task<WorkspaceResult> CreateWorkspaceAsync(Guid userId, string name, string slug, string culture, CancellationToken ct = default, bool slugDerived = false)
    {
        var errors = new ValidationErrors();
        if (slugDerived) slug = await FreeDerivedSlugAsync(slug, name, ct);
        await ValidateWorkspaceAsync(name, slug, !slugDerived, errors, ct);
        if (!errors.IsEmpty) return new WorkspaceResult(errors);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var tenant = await AddWorkspaceAsync(userId, name.Trim(), slug, culture, slugDerived, errors, ct);
        if (tenant is null) return new WorkspaceResult(errors);
        await tx.CommitAsync(ct);
        return new WorkspaceResult(errors, null, tenant);
    }

    /// <summary>
    /// Renames the workspace and sets its default language and time zone (Owner or Admin). Errors are keyed
    /// <c>Name</c>, <c>DefaultCulture</c>, <c>TimeZone</c>; nothing is saved unless all are valid. The tenant cache is
    /// refreshed, so reports use the new zone at once.
    /// </summary>
    public async Task<WorkspaceResult> UpdateSettingsAsync(Security.Actor actor, WorkspaceSettings settings, CancellationToken ct = default)
    {
        await Security.CurrentRights.RequireCurrentAsync(db, actor, MemberRole.Admin, ct);
        var errors = new ValidationErrors();
        var name = settings.Name?.Trim() ?? "";
        if (name.Length == 0) errors.Add("Name", t["WorkspaceName.Required"]);
        else if (name.Length > MaxWorkspaceNameLength) errors.Add("Name", t["WorkspaceName.TooLong", MaxWorkspaceNameLength]);
        if (settings.DefaultCulture is not ("zh-CN" or "en")) errors.Add("DefaultCulture", t["Workspace.CultureUnknown"]);
        if (!WorkspaceTimeZone.IsKnown(settings.TimeZone)) errors.Add("TimeZone", t["Workspace.TimeZoneUnknown", settings.TimeZone ?? ""]);
        if (!errors.IsEmpty) return new WorkspaceResult(errors);

        var tenant = await db.Tenants.FirstAsync(x => x.Id == actor.TenantId, ct);
        tenant.Name = name;
        tenant.DefaultCulture = settings.DefaultCulture;
        tenant.TimeZone = WorkspaceTimeZone.Resolve(settings.TimeZone).Id;
        await db.SaveChangesAsync(ct);
        tenantStore.Invalidate(tenant);
        logger.LogInformation("Workspace {Slug} settings changed by {UserId}: culture {Culture}, time zone {TimeZone}", tenant.Identifier, actor.UserId, tenant.DefaultCulture, tenant.TimeZone);
        return new WorkspaceResult(errors, null, tenant);
    }

    /// <param name="refuseTaken">False for a derived slug: if it is taken by now, the insert moves on to the next free one.</param>
    private async Task ValidateWorkspaceAsync(string? name, string? slug, bool refuseTaken, ValidationErrors errors, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name)) errors.Add("WorkspaceName", t["WorkspaceName.Required"]);
        else if (name.Trim().Length > MaxWorkspaceNameLength) errors.Add("WorkspaceName", t["WorkspaceName.TooLong", MaxWorkspaceNameLength]);
        if (!refuseTaken && SlugRules.Validate(slug) is { } problem) errors.Add("Slug", SlugMessage(problem));
        else if (refuseTaken && await CheckSlugAsync(slug, ct) is { } slugError) errors.Add("Slug", slugError);
    }

    /// <summary>The suggested slug if it is still free, else a fresh suggestion for the name.</summary>
    private async Task<string> FreeDerivedSlugAsync(string? suggested, string? workspaceName, CancellationToken ct)
        => !string.IsNullOrEmpty(suggested) && await IsSlugAvailableAsync(suggested, ct) ? suggested : await SuggestSlugAsync(workspaceName, ct);

    private async Task<TenantInfo?> AddWorkspaceAsync(Guid userId, string name, string slug, string culture, bool slugDerived, ValidationErrors errors, CancellationToken ct)
    {
        // A derived slug that another sign-up takes between the check and the insert is replaced by the next free one
        // (EF rolls back to a savepoint inside the transaction, so the user created before it stays).
        for (var attempt = 1; ; attempt++)
        {
            var tenant = new TenantInfo { Identifier = slug, Name = name, DefaultCulture = culture is "en" ? "en" : "zh-CN", TimeZone = WorkspaceTimeZone.DefaultFor(culture) };
            db.Tenants.Add(tenant);
            db.Memberships.Add(new TenantMembership { TenantId = tenant.Id, UserId = userId, Role = MemberRole.Owner });
            try
            {
                await db.SaveChangesAsync(ct);
                tenantStore.Invalidate(tenant);
                return tenant;
            }
            catch (DbUpdateException)
            {
                // Two sign-ups raced for the same slug: the unique index decides.
                db.ChangeTracker.Clear();
                if (!slugDerived || attempt >= 5)
                {
                    errors.Add("Slug", SlugMessage(SlugProblem.Taken));
                    return null;
                }
                slug = await SuggestSlugAsync(name, ct);
            }
        }
    }
}
