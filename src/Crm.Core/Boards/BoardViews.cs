using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Boards;

/// <summary>
/// Kanban views (<see cref="SavedView"/> rows with <see cref="ViewKind.Kanban"/>): the ones templates define and the
/// ones people save from a board. A view is shared (<c>OwnerUserId</c> null, saved by an administrator) or private
/// to the person who saved it.
/// </summary>
public sealed class BoardViews(ICrmDbContextFactory factory, MetadataStore metadataStore, IStringLocalizer<CoreStrings> t, TimeProvider clock)
{
    /// <summary>The kanban views of an entity type the actor may use: shared ones, then their own, in order.</summary>
    public async Task<IReadOnlyList<SavedView>> ListAsync(Actor actor, string entityKey, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null) return [];
        var userId = actor.UserId;
        var views = await db.Views.AsNoTracking()
            .Where(v => v.EntityTypeId == entity.Entity.Id && v.Kind == ViewKind.Kanban && (v.OwnerUserId == null || v.OwnerUserId == userId))
            .ToListAsync(ct);
        return views.OrderBy(v => v.OwnerUserId is null ? 0 : 1).ThenBy(v => v.SortOrder).ThenBy(v => v.CreatedAt).ToList();
    }

    /// <summary>The view to open: <paramref name="key"/> when it is one of the actor's kanban views, else the default one, else the first.</summary>
    public static SavedView? Pick(IReadOnlyList<SavedView> views, string? key)
        => views.FirstOrDefault(v => v.Key == key) ?? views.FirstOrDefault(v => v.IsDefault && v.OwnerUserId is null) ?? views.FirstOrDefault();

    /// <summary>Saves the board's configuration as a new view. Shared views need an administrator.</summary>
    public async Task<(SavedView? View, ValidationErrors Errors)> SaveAsync(Actor actor, string entityKey, string name, ViewDefinition definition, bool shared, CancellationToken ct = default)
    {
        var errors = new ValidationErrors();
        var role = await factory.RequireCurrentAsync(actor, MemberRole.Viewer, ct);
        if (string.IsNullOrWhiteSpace(name)) errors.Add("name", t["Board.ViewName"]);
        if (shared && !role.CanAdminister()) errors.Add("shared", t["Board.SharedNeedsAdmin"]);
        if (!errors.IsEmpty) return (null, errors);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null) { errors.Add("entity", t["Record.UnknownEntity", entityKey]); return (null, errors); }
        var now = clock.GetUtcNow().UtcDateTime;
        var order = await db.Views.Where(v => v.EntityTypeId == entity.Entity.Id).Select(v => (int?)v.SortOrder).MaxAsync(ct) ?? 0;
        var trimmed = name.Trim();
        var view = new SavedView
        {
            EntityTypeId = entity.Entity.Id,
            Key = "board_" + Guid.CreateVersion7().ToString("N")[^12..],
            Name = LocalizedText.Same(trimmed.Length > 100 ? trimmed[..100] : trimmed),
            Kind = ViewKind.Kanban,
            OwnerUserId = shared ? null : actor.UserId,
            SortOrder = order + 1,
            Definition = definition,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Views.Add(view);
        await db.SaveChangesAsync(ct);
        return (view, errors);
    }
}
