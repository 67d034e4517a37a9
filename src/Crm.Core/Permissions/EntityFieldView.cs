using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Security;

namespace Crm.Core.Permissions;

/// <summary>
/// One entity type's fields as one actor may see and change them: the single place forms, lists, the API, the
/// writer and every other surface ask "is this field shown / editable for this person". Built from the entity's
/// metadata and the actor's <see cref="EntityAccess"/> (current rights, from <see cref="IAccessResolver"/>).
/// </summary>
public sealed class EntityFieldView
{
    /// <summary>What a hidden title (or any hidden value that must take a place, e.g. a card heading) shows.</summary>
    public const string HiddenText = "—";

    private readonly HashSet<string> _hidden;

    public EntityFieldView(EntityMeta entity, EntityAccess access)
    {
        Entity = entity;
        Access = access;
        _hidden = access.HiddenFields.ToHashSet(StringComparer.Ordinal);
        Fields = entity.Fields.Where(f => !_hidden.Contains(f.Key)).ToList();
        AllFields = entity.AllFields.Where(f => !_hidden.Contains(f.Key)).ToList();
    }

    /// <summary>Everything visible and, where the base role allows writing, editable (owners, admins, tests).</summary>
    public static EntityFieldView Full(EntityMeta entity, bool canWrite = true) => new(entity, EntityAccess.Full(entity.Entity.Id, Guid.Empty, canWrite));

    public EntityMeta Entity { get; }
    public EntityAccess Access { get; }

    /// <summary>Active fields the actor sees, in form order.</summary>
    public IReadOnlyList<FieldDefinition> Fields { get; }
    /// <summary>All fields the actor sees, archived ones included.</summary>
    public IReadOnlyList<FieldDefinition> AllFields { get; }
    /// <summary>Keys of the fields hidden from the actor.</summary>
    public IReadOnlySet<string> Hidden => _hidden;
    /// <summary>Whether any field is hidden or read-only for the actor (surfaces take their fast path when not).</summary>
    public bool IsRestricted => Access.Fields.Count > 0;

    public FieldAccessLevel Level(string key) => Access.Field(key);
    /// <summary>Whether the field (null: no field, e.g. an entity type without an amount) may be shown.</summary>
    public bool CanSee(string? key) => key is null || !_hidden.Contains(key);
    /// <summary>Whether the actor may change the field's value (computed fields are never written by anyone).</summary>
    public bool CanWrite(string key) => Access.CanWriteField(key);
    public bool IsReadOnly(string key) => Access.Field(key) == FieldAccessLevel.ReadOnly;

    /// <summary>The visible field with <paramref name="key"/>, or null when there is none or it is hidden.</summary>
    public FieldDefinition? Field(string? key) => CanSee(key) ? Entity.Field(key) : null;

    public bool TitleHidden => !CanSee(Entity.Entity.TitleFieldKey);
    public bool AmountHidden => !CanSee(Entity.Entity.AmountFieldKey);
    public bool OwnerHidden => !CanSee(Entity.Entity.OwnerFieldKey);
    public bool StageHidden => !CanSee(Entity.Entity.StageFieldKey);
    public bool CloseDateHidden => !CanSee(Entity.Entity.CloseDateFieldKey);
    public bool StatusHidden => !CanSee(Entity.Entity.StatusFieldKey);

    /// <summary>The record's title as the actor may see it ("—" when the title field is hidden).</summary>
    public string Title(string title) => TitleHidden ? HiddenText : title;

    /// <summary>
    /// A copy of <paramref name="values"/> without the hidden fields. Keys starting with "_" (values kept aside by a
    /// field type change, which may be a hidden field's old value) are left out too for a restricted actor.
    /// </summary>
    public JsonObject Visible(JsonObject values)
    {
        if (!IsRestricted) return values;
        var copy = new JsonObject();
        foreach (var (key, value) in values)
            if (!_hidden.Contains(key) && !key.StartsWith('_')) copy[key] = value?.DeepClone();
        return copy;
    }

    /// <summary>
    /// Whether a list, filter, sort, board or report may use <paramref name="fieldOrAttribute"/>: a field key or a
    /// record attribute ($owner, $stage, $status, $title stand for their bound fields; $createdAt, $updatedAt are
    /// always there).
    /// </summary>
    public bool CanUse(string? fieldOrAttribute) => fieldOrAttribute switch
    {
        null => true,
        "$owner" => !OwnerHidden,
        "$stage" => !StageHidden,
        "$status" => !StatusHidden,
        "$title" => !TitleHidden,
        "$amount" => !AmountHidden,
        "$closeDate" => !CloseDateHidden,
        _ => CanSee(fieldOrAttribute),
    };

    /// <summary>
    /// A saved view as this actor may run it: columns, conditions, sort, grouping and card fields on hidden fields
    /// are left out (the view still opens; the person just does not see or filter by what they may not see).
    /// </summary>
    public Views.ViewDefinition Restrict(Views.ViewDefinition view) => !IsRestricted ? view : view with
    {
        Columns = view.Columns.Where(CanUse).ToList(),
        Sort = view.Sort.Where(s => CanUse(s.Field)).ToList(),
        Filters = view.Filters.Where(f => CanUse(f.Field)).ToList(),
        GroupBy = CanUse(view.GroupBy) ? view.GroupBy : null,
        CardFields = view.CardFields.Where(CanUse).ToList(),
    };

    /// <summary>Visible text fields the quick search matches on (the title field included).</summary>
    public IEnumerable<FieldDefinition> SearchableFields => Fields.Where(f => FieldTypeRegistry.Get(f.Type).IsSearchable);

    /// <summary>Whether the stored search text may contain text the actor must not match on.</summary>
    public bool SearchTextLeaks => TitleHidden || Entity.Fields.Any(f => _hidden.Contains(f.Key) && FieldTypeRegistry.Get(f.Type).IsSearchable);
}

public static class EntityFieldViews
{
    /// <summary>The fields of <paramref name="entity"/> as <paramref name="access"/> allows.</summary>
    public static EntityFieldView For(this EntityMeta entity, EntityAccess access) => new(entity, access);

    /// <summary>The fields of <paramref name="entity"/> as <paramref name="actor"/> may see and change them now.</summary>
    public static async Task<EntityFieldView> FieldViewAsync(this IAccessResolver resolver, Actor actor, EntityMeta entity, CancellationToken ct = default)
        => entity.For(await resolver.GetAsync(actor, entity.Entity.Id, ct));

    /// <summary>The same, read through <paramref name="db"/> (the caller's open context of the actor's workspace).</summary>
    public static async Task<EntityFieldView> FieldViewAsync(this IAccessResolver resolver, Data.CrmDbContext db, Actor actor, EntityMeta entity, CancellationToken ct = default)
        => entity.For(await resolver.GetAsync(db, actor, entity.Entity.Id, ct));

    /// <summary>The same with the version and role already read by <see cref="AccessResolver.StampAsync"/> on <paramref name="db"/>.</summary>
    public static async Task<EntityFieldView> FieldViewAsync(this IAccessResolver resolver, Data.CrmDbContext db, Actor actor, EntityMeta entity, AccessStamp stamp, CancellationToken ct = default)
        => entity.For(await resolver.GetAsync(db, actor, entity.Entity.Id, stamp, ct));
}
