using System.Globalization;
using Crm.Testing;

namespace Crm.Web.Tests.Components.RecordPage;

/// <summary>The record page shows times in the workspace's zone, not the server's (issue 10, item 11).</summary>
public class WorkspaceTimeZoneDisplayTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_created_and_updated_stamps_are_in_the_workspace_zone(string provider)
    {
        await using var host = await RecordPageHost.CreateAsync(provider);
        var record = await host.CreateAsync("company", ("name", "Zone Ltd"));
        foreach (var zone in new[] { "Asia/Shanghai", "America/New_York" })
        {
            host.Workspace.Tenant.TimeZone = zone;
            var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(record.CreatedAt, DateTimeKind.Utc), TimeZoneInfo.FindSystemTimeZoneById(zone));
            var expected = local.ToString("d MMM yyyy, HH:mm", CultureInfo.GetCultureInfo("en"));

            var cut = host.RenderRecordPage(host.Workspace.Owner, "company", record.Id);

            Assert.Contains("Created by", cut.Markup);
            Assert.Contains(expected, System.Net.WebUtility.HtmlDecode(cut.Markup));
        }
    }
}
