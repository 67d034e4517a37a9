using Crm.Core.Metadata;

namespace Crm.Core.Permissions;

/// <summary>
/// A field a report, dashboard widget or board needs that the viewer may not see: the surface is refused for them,
/// naming the field (its label in the current UI culture) instead of computing groups or sums from it.
/// </summary>
public sealed record HiddenFieldRef(string EntityKey, string FieldKey, string Label)
{
    /// <summary><paramref name="field"/> (a field key or a record attribute such as <c>$owner</c>) of <paramref name="entity"/>.</summary>
    public static HiddenFieldRef Of(EntityMeta entity, string field)
    {
        var key = BoundKey(entity, field) ?? field;
        return new HiddenFieldRef(entity.Key, key, entity.Field(key)?.Label.Get() ?? key);
    }

    /// <summary>The field a record attribute stands for ($owner → the owner field …), or null for a plain key.</summary>
    public static string? BoundKey(EntityMeta entity, string field) => field switch
    {
        "$owner" => entity.Entity.OwnerFieldKey,
        "$stage" => entity.Entity.StageFieldKey,
        "$status" => entity.Entity.StatusFieldKey,
        "$title" => entity.Entity.TitleFieldKey,
        "$amount" => entity.Entity.AmountFieldKey,
        "$closeDate" => entity.Entity.CloseDateFieldKey,
        _ => null,
    };
}
