using Crm.Core.Resources;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Accounts;

/// <summary>Identity's messages (password rules, duplicate e-mail) in the user's language.</summary>
public sealed class LocalizedIdentityErrorDescriber(IStringLocalizer<CoreStrings> t) : IdentityErrorDescriber
{
    private IdentityError E(string code, string message) => new() { Code = code, Description = message };

    public override IdentityError PasswordTooShort(int length) => E(nameof(PasswordTooShort), t["Password.TooShort", length]);
    public override IdentityError PasswordRequiresDigit() => E(nameof(PasswordRequiresDigit), t["Password.RequiresDigit"]);
    public override IdentityError PasswordRequiresLower() => E(nameof(PasswordRequiresLower), t["Password.RequiresLower"]);
    public override IdentityError PasswordRequiresUpper() => E(nameof(PasswordRequiresUpper), t["Password.RequiresUpper"]);
    public override IdentityError PasswordRequiresNonAlphanumeric() => E(nameof(PasswordRequiresNonAlphanumeric), t["Password.RequiresNonAlphanumeric"]);
    public override IdentityError PasswordRequiresUniqueChars(int uniqueChars) => E(nameof(PasswordRequiresUniqueChars), t["Password.RequiresUniqueChars", uniqueChars]);
    public override IdentityError DuplicateEmail(string email) => E(nameof(DuplicateEmail), t["Email.Taken"]);
    public override IdentityError DuplicateUserName(string userName) => E(nameof(DuplicateUserName), t["Email.Taken"]);
    public override IdentityError InvalidEmail(string? email) => E(nameof(InvalidEmail), t["Email.Invalid"]);
    public override IdentityError InvalidUserName(string? userName) => E(nameof(InvalidUserName), t["Email.Invalid"]);
}
