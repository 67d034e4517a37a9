using Crm.Core.Accounts;

namespace Crm.Core.Design;

/// <summary>
/// The outcome of a design change: nothing changed when <see cref="Errors"/> is not empty. Errors are keyed by the
/// element they belong to ("label", "sections/main/label", "fields/level/options/0/label", "titleField"), so the
/// designer shows each beside its input; messages name the element.
/// </summary>
public sealed record DesignResult(ValidationErrors Errors)
{
    public const string GeneralKey = "_design";

    public bool Succeeded => Errors.IsEmpty;
    /// <summary>Someone else changed the element since the draft was read.</summary>
    public bool Conflict { get; init; }
    /// <summary>Records changed on the way (moved to another option, values converted).</summary>
    public int RecordsChanged { get; init; }

    public static DesignResult Ok(int recordsChanged = 0) => new(new ValidationErrors()) { RecordsChanged = recordsChanged };

    public static DesignResult Fail(string key, string message)
    {
        var errors = new ValidationErrors();
        errors.Add(key, message);
        return new DesignResult(errors);
    }
}
