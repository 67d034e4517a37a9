using Crm.Core.Accounts;

namespace Crm.Core.Permissions;

/// <summary>The outcome of an organisation or role edit: errors keyed by the field they are about, or the element's id.</summary>
public sealed record SettingsResult(ValidationErrors Errors, Guid? Id = null)
{
    public bool Succeeded => Errors.IsEmpty;

    public static SettingsResult Ok(Guid? id = null) => new(new ValidationErrors(), id);

    public static SettingsResult Error(string field, string message)
    {
        var errors = new ValidationErrors();
        errors.Add(field, message);
        return new SettingsResult(errors);
    }
}
