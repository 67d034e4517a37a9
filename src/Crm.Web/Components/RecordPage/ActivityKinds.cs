using Crm.Core.Activities;
using MudBlazor;

namespace Crm.Web.Components.RecordPage;

/// <summary>How each kind of activity looks: icon and colour (labels are "Kind.{Kind}" in the RecordPage resources).</summary>
public static class ActivityKinds
{
    public static readonly ActivityKind[] Loggable = [ActivityKind.Call, ActivityKind.Email, ActivityKind.Meeting, ActivityKind.Message, ActivityKind.Note];

    public static string Icon(ActivityKind kind) => kind switch
    {
        ActivityKind.Call => Icons.Material.Outlined.Phone,
        ActivityKind.Email => Icons.Material.Outlined.Email,
        ActivityKind.Meeting => Icons.Material.Outlined.Groups,
        ActivityKind.Message => Icons.Material.Outlined.Chat,
        ActivityKind.Note => Icons.Material.Outlined.StickyNote2,
        _ => Icons.Material.Outlined.TaskAlt,
    };

    public static Color Color(ActivityKind kind) => kind switch
    {
        ActivityKind.Call => MudBlazor.Color.Success,
        ActivityKind.Email => MudBlazor.Color.Info,
        ActivityKind.Meeting => MudBlazor.Color.Secondary,
        ActivityKind.Message => MudBlazor.Color.Primary,
        ActivityKind.Note => MudBlazor.Color.Default,
        _ => MudBlazor.Color.Warning,
    };
}
