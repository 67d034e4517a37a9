namespace Crm.Web.Components.Designer;

/// <summary>The icons offered for record types: Material icon names that <c>CrmIcons.Resolve</c> renders.</summary>
public static class DesignerIcons
{
    public static readonly IReadOnlyList<string> Names =
    [
        "Business", "Person", "Groups", "Contacts", "MonetizationOn", "Handshake", "Campaign", "SupportAgent", "ConfirmationNumber",
        "Assignment", "Work", "Inventory2", "ShoppingCart", "Receipt", "Description", "Event", "Task", "Lightbulb", "School",
        "LocalShipping", "Storefront", "Apartment", "Flag", "Star",
    ];
}
