using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Lists;

/// <summary>The outcome of saving a view: the saved view, or errors keyed by "name" (or "_view").</summary>
public sealed record SavedViewResult(SavedView? View, ValidationErrors Errors)
{
    public bool Succeeded => View is not null && Errors.IsEmpty;
}

/// <summary>
/// Saved list views of an entity type. A view is shared with the workspace (<see cref="SavedView.OwnerUserId"/>
/// null) or private to one person. Everyone sees the shared views and their own; anyone may save a private view,
/// members and above may save a shared one; people manage their own views and admins manage the shared ones.
/// </summary>
public sealed class SavedViewService(ICrmDbContextFactory factory, MetadataStore metadataStore, IStringLocalizer<CoreStrings> t, TimeProvider clock)
{
    public const string ViewErrorKey = "_view";
    public const string NameKey = "name";
    public const int MaxNameLength = 100;
    public static readonly int[] PageSizes = [10, 25, 50, 100];

    /// <summary>Record attributes a list can show besides fields.</summary>
    public static readonly IReadOnlyList<string> AttributeColumns = ["$createdAt", "$updatedAt"];

    /// <summary>The views <paramref name="actor"/> can use: shared ones first, then their own, each in their order.</summary>
    public async Task<IReadOnlyList<SavedView>> ListAsync(Actor actor, string entityKey, ViewKind kind = ViewKind.List, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null) return [];
        var views = await Visible(db, actor, entity.Entity.Id, kind).ToListAsync(ct);
        return views.OrderBy(v => v.OwnerUserId is null ? 0 : 1).ThenBy(v => v.SortOrder).ThenBy(v => v.CreatedAt).ToList();
    }

    /// <summary>The view to open: <paramref name="key"/> when the actor can see it, else the workspace's default view.</summary>
    public async Task<SavedView?> ResolveAsync(Actor actor, string entityKey, string? key, ViewKind kind = ViewKind.List, CancellationToken ct = default)
    {
        var views = await ListAsync(actor, entityKey, kind, ct);
        return (key is null ? null : views.FirstOrDefault(v => v.Key == key))
            ?? views.FirstOrDefault(v => v.OwnerUserId is null && v.IsDefault)
            ?? views.FirstOrDefault();
    }

    /// <summary>What a list shows when the entity type has no saved view: the title and the first few fields, newest first.</summary>
    public static ViewDefinition Fallback(EntityMeta entity)
    {
        var columns = new List<string>();
        if (entity.TitleField is { } title) columns.Add(title.Key);
        columns.AddRange(entity.Fields.Where(f => f.Key != entity.Entity.TitleFieldKey && FieldTypeRegistry.Find(f.Type)?.InDefaultList != false && f.Settings.ShowInList != false).Take(6).Select(f => f.Key));
        // Fields the admin asked for in the list come too, even past the first few.
        columns.AddRange(entity.Fields.Where(f => f.Settings.ShowInList == true && !columns.Contains(f.Key)).Select(f => f.Key));
        return new ViewDefinition { Columns = columns, Sort = [new SortSpec("$updatedAt", Descending: true)] };
    }

    /// <summary>The columns <paramref name="actor"/> chose for lists of the entity type without saving a view, or null.</summary>
    public async Task<IReadOnlyList<string>?> GetColumnPreferenceAsync(Actor actor, string entityKey, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null) return null;
        var preference = await db.ListColumnPreferences.AsNoTracking()
            .FirstOrDefaultAsync(p => p.UserId == actor.UserId && p.EntityTypeId == entity.Entity.Id, ct);
        return preference is null ? null : Sanitize(entity, new ViewDefinition { Columns = preference.Columns }).Columns;
    }

    /// <summary>Remembers the columns <paramref name="actor"/> chose (unknown or archived fields are dropped);
    /// null forgets them, so the list shows its view's columns again.</summary>
    public async Task SaveColumnPreferenceAsync(Actor actor, string entityKey, IReadOnlyList<string>? columns, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey)
            ?? throw new ArgumentException(t["Record.UnknownEntity", entityKey], nameof(entityKey));
        var preference = await db.ListColumnPreferences.AsTracking()
            .FirstOrDefaultAsync(p => p.UserId == actor.UserId && p.EntityTypeId == entity.Entity.Id, ct);
        if (columns is null)
        {
            if (preference is not null) db.ListColumnPreferences.Remove(preference);
        }
        else
        {
            var kept = Sanitize(entity, new ViewDefinition { Columns = columns.ToList() }).Columns;
            if (preference is null)
                db.ListColumnPreferences.Add(preference = new ListColumnPreference { UserId = actor.UserId, EntityTypeId = entity.Entity.Id });
            preference.Columns = kept;
            preference.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>True when <paramref name="actor"/> may change or delete <paramref name="view"/>.</summary>
    public static bool CanManage(Actor actor, SavedView view)
        => view.OwnerUserId is { } owner ? owner == actor.UserId : actor.CanAdminister;

    /// <summary>True when <paramref name="actor"/> may save views shared with the workspace.</summary>
    public static bool CanShare(Actor actor) => actor.Role.IsAtLeast(MemberRole.Member);

    public async Task<SavedViewResult> CreateAsync(Actor actor, string entityKey, string name, ViewDefinition definition, bool shared, ViewKind kind = ViewKind.List, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, shared ? MemberRole.Member : MemberRole.Viewer, ct);
        var errors = new ValidationErrors();
        name = CheckName(name, errors);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null) errors.Add(ViewErrorKey, t["Record.UnknownEntity", entityKey]);
        if (!errors.IsEmpty) return new SavedViewResult(null, errors);

        var existing = await db.Views.AsNoTracking().Where(v => v.EntityTypeId == entity!.Entity.Id)
            .Select(v => new { v.Key, v.SortOrder }).ToListAsync(ct);
        var view = new SavedView
        {
            EntityTypeId = entity!.Entity.Id,
            Key = MetadataKeys.Derive(name, existing.Select(v => v.Key), "view"),
            Name = LocalizedText.Same(name),
            Kind = kind,
            OwnerUserId = shared ? null : actor.UserId,
            SortOrder = existing.Count == 0 ? 0 : existing.Max(v => v.SortOrder) + 1,
            Definition = Sanitize(entity, definition),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            UpdatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Views.Add(view);
        await db.SaveChangesAsync(ct);
        return new SavedViewResult(view, errors);
    }

    /// <summary>Saves <paramref name="definition"/> (columns, sort, filters, search, page size) into an existing view.</summary>
    public Task<SavedViewResult> UpdateAsync(Actor actor, Guid viewId, ViewDefinition definition, CancellationToken ct = default)
        => ChangeAsync(actor, viewId, (view, entity, _) => view.Definition = Sanitize(entity, definition with { GroupBy = view.Definition.GroupBy, Pipeline = view.Definition.Pipeline, CardFields = view.Definition.CardFields }), ct);

    public Task<SavedViewResult> RenameAsync(Actor actor, Guid viewId, string name, CancellationToken ct = default)
        => ChangeAsync(actor, viewId, (view, _, errors) =>
        {
            var checkedName = CheckName(name, errors);
            if (errors.IsEmpty) view.Name = LocalizedText.Same(checkedName);
        }, ct);

    /// <summary>Deletes a view the actor manages; false when there is no such view (or it is someone else's private view).</summary>
    public async Task<bool> DeleteAsync(Actor actor, Guid viewId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var current = actor with { Role = await db.RequireCurrentAsync(actor, MemberRole.Viewer, ct) };
        var view = await Visible(db, current, null, null).FirstOrDefaultAsync(v => v.Id == viewId, ct);
        if (view is null) return false;
        if (!CanManage(current, view)) throw new ForbiddenException(MemberRole.Admin);
        db.Views.Remove(view);
        await db.SaveChangesAsync(ct);
        return true;
    }

    private async Task<SavedViewResult> ChangeAsync(Actor actor, Guid viewId, Action<SavedView, EntityMeta, ValidationErrors> change, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        await using var db = factory.CreateForTenant(actor.TenantId);
        var current = actor with { Role = await db.RequireCurrentAsync(actor, MemberRole.Viewer, ct) };
        var view = await Visible(db, current, null, null).AsTracking().FirstOrDefaultAsync(v => v.Id == viewId, ct);
        var entity = view is null ? null : (await metadataStore.GetAsync(db, ct)).Entity(view.EntityTypeId);
        if (view is null || entity is null)
        {
            errors.Add(ViewErrorKey, t["View.NotFound"]);
            return new SavedViewResult(null, errors);
        }
        if (!CanManage(current, view)) throw new ForbiddenException(MemberRole.Admin);
        change(view, entity, errors);
        if (!errors.IsEmpty) return new SavedViewResult(null, errors);
        view.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return new SavedViewResult(view, errors);
    }

    private static IQueryable<SavedView> Visible(CrmDbContext db, Actor actor, Guid? entityTypeId, ViewKind? kind)
    {
        var query = db.Views.AsNoTracking().Where(v => v.OwnerUserId == null || v.OwnerUserId == actor.UserId);
        if (entityTypeId is { } id) query = query.Where(v => v.EntityTypeId == id);
        if (kind is { } k) query = query.Where(v => v.Kind == k);
        return query;
    }

    private string CheckName(string? name, ValidationErrors errors)
    {
        var trimmed = (name ?? "").Trim();
        if (trimmed.Length == 0) errors.Add(NameKey, t["View.NameRequired"]);
        else if (trimmed.Length > MaxNameLength) errors.Add(NameKey, t["View.NameTooLong", MaxNameLength]);
        return trimmed;
    }

    /// <summary>Keeps known columns once each, a page size the list offers, and trims the search text.</summary>
    public static ViewDefinition Sanitize(EntityMeta entity, ViewDefinition definition)
    {
        var columns = definition.Columns
            .Where(c => AttributeColumns.Contains(c) || entity.Field(c) is { IsArchived: false })
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var pageSize = PageSizes.Contains(definition.PageSize) ? definition.PageSize : 25;
        var search = string.IsNullOrWhiteSpace(definition.Search) ? null : definition.Search.Trim();
        return definition with { Columns = columns, PageSize = pageSize, Search = search };
    }
}
