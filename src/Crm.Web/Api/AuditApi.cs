using System.Globalization;
using Crm.Core.Accounts;
using Crm.Core.Audit;
using Crm.Core.Data;
using Crm.Core.Reports;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Web.Components.Pages.Tenant.Settings;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;

namespace Crm.Web.Api;

/// <summary>
/// The workspace's audit log for its Owners and Admins (current role, checked in the database): a page of entries
/// as JSON (<c>GET /audit?skip&amp;take&amp;actor&amp;action&amp;targetType&amp;target&amp;from&amp;to</c>) and the same filters as
/// a streamed CSV (<c>GET /audit.csv</c>). <c>from</c>/<c>to</c> are days (yyyy-MM-dd, in the workspace's time zone;
/// <c>to</c> inclusive) or ISO 8601 instants. There is no write route: entries are append-only.
/// </summary>
public static class AuditApi
{
    /// <summary>One audit entry; <c>details</c> is the action's own JSON object.</summary>
    public sealed record AuditEntryDto(Guid Id, DateTime At, Guid? ActorUserId, string Actor, Guid? ApiKeyId, string Action, string? TargetType, string? TargetId, string? Target,
        System.Text.Json.Nodes.JsonNode? Details, string? Ip, string? UserAgent);

    public sealed record AuditPageDto(int Total, int Skip, IReadOnlyList<AuditEntryDto> Items);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/audit", async Task<Ok<AuditPageDto>> (int? skip, int? take, string? actor, string? action, string? targetType, string? target, string? from, string? to,
            HttpContext http, IActorAccessor actors, AuditQuery audit, CancellationToken ct) =>
        {
            var who = actors.Required;
            var filter = Filter(http, who, actor, action, targetType, target, from, to);
            var page = await audit.PageAsync(who, filter, skip ?? 0, take ?? 50, ct);
            return TypedResults.Ok(new AuditPageDto(page.Total, Math.Max(0, skip ?? 0), page.Items.Select(e => new AuditEntryDto(
                e.Id, DateTime.SpecifyKind(e.At, DateTimeKind.Utc), e.ActorUserId, e.ActorName, e.ApiKeyId, e.Action, e.TargetType, e.TargetId, e.TargetLabel,
                e.Details is { } d ? System.Text.Json.Nodes.JsonNode.Parse(d) : null, e.IpAddress, e.UserAgent)).ToList()));
        });

        api.MapGet("/audit.csv", async Task<PushStreamHttpResult> (string? actor, string? action, string? targetType, string? target, string? from, string? to,
            HttpContext http, IActorAccessor actors, AuditQuery audit, ICrmDbContextFactory factory, IStringLocalizer<Crm.Web.Resources.Audit> t, CancellationToken ct) =>
        {
            var who = actors.Required;
            var filter = Filter(http, who, actor, action, targetType, target, from, to);
            // Refuse before the first byte: once streaming has started the status code is sent.
            await factory.RequireCurrentAsync(who, MemberRole.Admin, ct);
            return TypedResults.Stream(async body =>
            {
                var zone = WorkspaceTimeZone.Resolve(who.Tenant.TimeZone);
                await AuditCsv.WriteAsync(body, audit.ExportAsync(who, filter, ct), t, zone, ct);
            }, AuditCsv.ContentType, AuditCsv.FileName(who.Tenant.Identifier, DateTime.UtcNow));
        }).Produces<Stream>(StatusCodes.Status200OK, AuditCsv.ContentType);
    }

    /// <summary>The query's filters, each checked: a bad value is a 400 naming the parameter, in the caller's language.</summary>
    private static AuditFilter Filter(HttpContext http, Actor actor, string? who, string? action, string? targetType, string? target, string? from, string? to)
    {
        var t = ApiText.For(http);
        var errors = new ValidationErrors();
        var zone = WorkspaceTimeZone.Resolve(actor.Tenant.TimeZone);
        var start = Instant(from, "from", endOfDay: false, zone, errors, t);
        var end = Instant(to, "to", endOfDay: true, zone, errors, t);
        if (start is { } s && end is { } e && e <= s) errors.Add("to", t["Problem.DateOrder"]);
        foreach (var (name, value) in new[] { ("actor", who), ("action", action), ("targetType", targetType), ("target", target) })
            if (value is { Length: > AuditQuery.MaxFilterLength }) errors.Add(name, t["Problem.Parameter", name]);
        if (!errors.IsEmpty) throw new ApiValidationException(errors);
        return new AuditFilter(who, action, targetType, target, start, end);
    }

    /// <summary>A day (its start, or for <c>to</c> the start of the next day, in the workspace's zone) or an ISO 8601 instant, as UTC.</summary>
    private static DateTime? Instant(string? value, string name, bool endOfDay, TimeZoneInfo zone, ValidationErrors errors, IStringLocalizer t)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            if (!ReportFilters.InRange(day))
            {
                errors.Add(name, t["Problem.DateRange", ReportFilters.EarliestDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ReportFilters.LatestDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)]);
                return null;
            }
            return WorkspaceTimeZone.StartOfDayUtc(endOfDay ? day.AddDays(1) : day, zone);
        }
        if (value.Length <= 40 && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant)
            && instant.Year >= ReportFilters.EarliestDay.Year && instant.Year <= ReportFilters.LatestDay.Year)
            return instant.UtcDateTime;
        errors.Add(name, t["Problem.DateFormat"]);
        return null;
    }
}
