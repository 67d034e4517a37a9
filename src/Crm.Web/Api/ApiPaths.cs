namespace Crm.Web.Api;

/// <summary>The API lives at <c>/api/…</c> (API key) and <c>/t/{slug}/api/…</c> (signed-in browser session).</summary>
public static class ApiPaths
{
    public static bool IsApi(PathString path)
    {
        var value = path.Value ?? "";
        if (value.StartsWith("/api/", StringComparison.OrdinalIgnoreCase) || value.Equals("/api", StringComparison.OrdinalIgnoreCase)) return true;
        var segments = value.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length >= 3 && segments[0] == "t" && segments[2].Equals("api", StringComparison.OrdinalIgnoreCase);
    }
}
