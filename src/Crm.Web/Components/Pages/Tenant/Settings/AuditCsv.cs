using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Core.Audit;
using Crm.Core.Tenancy;
using Microsoft.Extensions.Localization;

namespace Crm.Web.Components.Pages.Tenant.Settings;

/// <summary>
/// The audit log as CSV, written as it is read (a batch of rows at a time to the response, never the whole file in
/// memory). Every cell is user data somewhere (names, labels, user agents), so a cell that a spreadsheet would take
/// for a formula (starting with = + - @, a tab or a carriage return) is prefixed with an apostrophe. UTF-8 with a
/// byte order mark, so Excel shows Chinese names.
/// </summary>
public static class AuditCsv
{
    public const string ContentType = "text/csv; charset=utf-8";
    private const int RowsPerWrite = 200;

    public static string FileName(string slug, DateTime utcNow) => $"audit-{slug}-{utcNow:yyyyMMdd-HHmm}.csv";

    public static async Task WriteAsync(Stream body, IAsyncEnumerable<AuditEntry> entries, IStringLocalizer t, TimeZoneInfo zone, CancellationToken ct)
    {
        var buffer = new StringBuilder("\uFEFF");
        Row(buffer, [t["Audit.Column.Time"], t["Audit.Column.Actor"], t["Audit.Column.ActionKey"], t["Audit.Column.Action"], t["Audit.Column.TargetType"],
            t["Audit.Column.TargetId"], t["Audit.Column.Target"], t["Audit.Column.Details"], t["Audit.Column.Ip"], t["Audit.Column.UserAgent"]]);
        var rows = 0;
        await foreach (var e in entries.WithCancellation(ct))
        {
            var local = WorkspaceTimeZone.ToLocal(DateTime.SpecifyKind(e.At, DateTimeKind.Utc), zone);
            var offset = zone.GetUtcOffset(DateTime.SpecifyKind(e.At, DateTimeKind.Utc));
            Row(buffer, [
                new DateTimeOffset(local, offset).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture),
                e.ActorName, e.Action, AuditText.Sentence(t, e), e.TargetType, e.TargetId, e.TargetLabel, e.Details, e.IpAddress, e.UserAgent,
            ]);
            if (++rows % RowsPerWrite == 0) await FlushAsync(body, buffer, ct);
        }
        await FlushAsync(body, buffer, ct);
    }

    /// <summary>One CSV cell: formula-looking text neutralised, then quoted when it holds a separator, quote or line break.</summary>
    public static string Cell(string? value)
    {
        var text = value ?? "";
        if (text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r') text = "'" + text;
        return text.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;
    }

    private static void Row(StringBuilder buffer, IEnumerable<string?> cells)
    {
        buffer.AppendJoin(',', cells.Select(Cell));
        buffer.Append("\r\n");
    }

    private static async Task FlushAsync(Stream body, StringBuilder buffer, CancellationToken ct)
    {
        if (buffer.Length == 0) return;
        await body.WriteAsync(Encoding.UTF8.GetBytes(buffer.ToString()), ct);
        await body.FlushAsync(ct);
        buffer.Clear();
    }
}

/// <summary>How an entry reads: its action key as a localized sentence, and its details as short "name: value" pairs.</summary>
public static class AuditText
{
    /// <summary><c>Audit.Action.{key}</c> with the target's label as {0}; an action without a sentence shows its key.</summary>
    public static string Sentence(IStringLocalizer t, AuditEntry e)
    {
        var sentence = t[$"Audit.Action.{e.Action}", e.TargetLabel ?? e.TargetId ?? ""];
        return sentence.ResourceNotFound ? $"{e.Action} {e.TargetLabel}".Trim() : sentence.Value;
    }

    /// <summary>The details' top-level values (arrays joined, nested objects as JSON), nulls left out.</summary>
    public static IReadOnlyList<(string Name, string Value)> Details(string? json)
    {
        if (string.IsNullOrEmpty(json)) return [];
        try
        {
            if (JsonNode.Parse(json) is not JsonObject o) return [];
            return o.Where(p => p.Value is not null).Select(p => (p.Key, p.Value switch
            {
                JsonArray a => string.Join(", ", a.Select(x => x is JsonObject item && item["title"] is { } title ? title.ToString() : x?.ToString())),
                JsonValue v => v.ToString(),
                var other => other!.ToJsonString(),
            })).ToList();
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }
}
