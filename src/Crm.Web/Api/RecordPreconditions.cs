using Crm.Core.Resources;
using Microsoft.Extensions.Localization;

namespace Crm.Web.Api;

/// <summary>
/// Which version a PUT or PATCH of a record expects, from the body's <c>version</c> or an <c>If-Match: "7"</c>
/// header (the record's <c>ETag</c>). PUT replaces every value, so it must say which version it replaces
/// (428 without one; <c>If-Match: *</c> opts in to overwriting). PATCH changes only the fields it sends: without
/// a version the last write wins for those fields, as README's API section says.
/// </summary>
public sealed record RecordPrecondition(long? ExpectedVersion, bool FromHeader, PreconditionProblem? Refusal)
{
    public static RecordPrecondition Read(HttpRequest request, long? bodyVersion, IStringLocalizer<CoreStrings> t)
    {
        var header = request.Headers.IfMatch.ToString().Trim();
        long? headerVersion = null;
        var any = false;
        if (header.Length > 0)
        {
            if (header == "*") any = true;
            else if (ParseTag(header) is { } v) headerVersion = v;
            else return Refuse(StatusCodes.Status400BadRequest, t["RecordsApi.IfMatchInvalid"], "If-Match");
        }
        if (headerVersion is { } h && bodyVersion is { } b && h != b)
            return Refuse(StatusCodes.Status400BadRequest, t["RecordsApi.VersionsDisagree"], "version");
        if (HttpMethods.IsPut(request.Method) && headerVersion is null && bodyVersion is null && !any)
            return Refuse(StatusCodes.Status428PreconditionRequired, t["RecordsApi.VersionRequired"], "version");
        return new(headerVersion ?? bodyVersion, headerVersion is not null, null);
    }

    /// <summary>The ETag of a record version: <c>"7"</c>.</summary>
    public static string ETag(long version) => $"\"{version}\"";

    /// <summary><c>"7"</c>, <c>W/"7"</c> or <c>7</c>; a single tag only.</summary>
    private static long? ParseTag(string value)
    {
        if (value.StartsWith("W/", StringComparison.Ordinal)) value = value[2..];
        value = value.Trim('"');
        return long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private static RecordPrecondition Refuse(int status, string message, string field)
        => new(null, false, new PreconditionProblem(status, message,
            new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } }));
}
