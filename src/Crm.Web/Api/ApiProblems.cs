using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Crm.Web.Api;

/// <summary>
/// Typed problem answers whose body says more than the framework's bare <see cref="NotFound"/> or <see cref="ForbidHttpResult"/>
/// ("Not found: {id}", the reason a write was refused, the current version on a conflict), and which declare their status
/// with a <see cref="ProblemDetails"/> schema in the OpenAPI document, as <see cref="ValidationProblem"/> does for 400.
/// </summary>
public abstract class ApiProblem(ProblemHttpResult inner) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ProblemDetails>, IContentTypeHttpResult
{
    public const string ContentType = "application/problem+json";

    public ProblemDetails Value => inner.ProblemDetails;
    object? IValueHttpResult.Value => inner.ProblemDetails;
    public int? StatusCode => inner.StatusCode;
    string? IContentTypeHttpResult.ContentType => inner.ContentType;

    public Task ExecuteAsync(HttpContext httpContext) => inner.ExecuteAsync(httpContext);

    protected static ProblemHttpResult Problem(int status, string? title, IDictionary<string, object?>? extensions = null)
        => TypedResults.Problem(statusCode: status, title: title, extensions: extensions);

    protected static void Declare(EndpointBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), [ContentType]));
    }
}

/// <summary>404 naming what was not found.</summary>
public sealed class NotFoundProblem : ApiProblem, IEndpointMetadataProvider
{
    private NotFoundProblem(string title) : base(Problem(StatusCodes.Status404NotFound, title)) { }

    /// <summary>"Not found: {what}".</summary>
    public static NotFoundProblem Of(string what) => new($"Not found: {what}");

    public static NotFoundProblem Of(Guid id) => Of(id.ToString());

    /// <summary>404 with a title of the caller's choosing (already localized).</summary>
    public static NotFoundProblem Titled(string title) => new(title);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Declare(builder, StatusCodes.Status404NotFound);
}

/// <summary>403 with the reason (a key may not manage keys; not the author; a report on a hidden field …).</summary>
public sealed class ForbiddenProblem(string? title, IDictionary<string, object?>? extensions = null)
    : ApiProblem(Problem(StatusCodes.Status403Forbidden, title, extensions)), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Declare(builder, StatusCodes.Status403Forbidden);
}

/// <summary>
/// A write that met another: 409 (the body's version is stale) or 412 (<c>If-Match</c> is stale), with the current
/// version in <c>current</c>.
/// </summary>
public sealed class ConflictProblem(int status, string? title, IDictionary<string, object?>? extensions)
    : ApiProblem(Problem(status, title, extensions)), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
        => Declare(builder, StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed);
}

/// <summary>A PUT or PATCH whose precondition is missing (428) or malformed (400), keyed by field in <c>errors</c>.</summary>
public sealed class PreconditionProblem(int status, string title, IDictionary<string, object?>? extensions)
    : ApiProblem(Problem(status, title, extensions)), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
        => Declare(builder, StatusCodes.Status400BadRequest, StatusCodes.Status428PreconditionRequired);
}
