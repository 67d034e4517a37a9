using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Core.Text;

namespace Crm.Web.Api;

/// <summary>
/// Refuses text that no database can store (NUL, an unpaired surrogate) before a handler sees it: query string,
/// route values and the JSON body's strings. The answer is a 400 validation problem keyed by the parameter name or
/// the body's JSON path, in the caller's language, instead of a driver error deep in a write.
/// </summary>
public sealed class ApiInputFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var bad = new List<string>();
        foreach (var (name, values) in http.Request.Query)
            if (StorableText.IsUnstorable(name) || values.Any(StorableText.IsUnstorable)) bad.Add(name);
        foreach (var (name, value) in http.Request.RouteValues)
            if (value is string s && StorableText.IsUnstorable(s)) bad.Add(name);

        var parameters = http.GetEndpoint()?.Metadata.GetMetadata<MethodInfo>()?.GetParameters() ?? [];
        for (var i = 0; i < context.Arguments.Count; i++)
        {
            var name = i < parameters.Length ? parameters[i].Name ?? "body" : "body";
            if (Find(context.Arguments[i], "$") is { } path) bad.Add(path == "$" ? name : path);
        }
        if (bad.Count == 0) return await next(context);

        var t = ApiText.For(http);
        return Results.ValidationProblem(bad.Distinct().ToDictionary(b => b, b => new[] { t["Problem.Unstorable", b].Value }), title: t["Problem.400"]);
    }

    /// <summary>The JSON path of the first unstorable string in a bound argument (strings, JSON nodes, and the
    /// string/JSON properties of the API's body records), else null.</summary>
    private static string? Find(object? argument, string path) => argument switch
    {
        null => null,
        string s => StorableText.IsUnstorable(s) ? path : null,
        JsonNode node => StorableText.FindUnstorable(node, path),
        JsonElement element => StorableText.FindUnstorable(JsonSerializer.SerializeToNode(element), path),
        _ when argument.GetType().Namespace?.StartsWith("Crm.", StringComparison.Ordinal) == true && argument.GetType().IsClass => Properties(argument, path),
        _ => null,
    };

    private static string? Properties(object body, string path)
    {
        foreach (var property in body.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0) continue;
            if (property.PropertyType != typeof(string) && !typeof(JsonNode).IsAssignableFrom(property.PropertyType)) continue;
            var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            if (Find(property.GetValue(body), path + "." + name) is { } found) return found;
        }
        return null;
    }
}
