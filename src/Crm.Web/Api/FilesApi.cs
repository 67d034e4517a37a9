using Crm.Core.Files;
using Crm.Core.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Crm.Web.Api;

/// <summary>
/// Files and images. Upload first (multipart, one file per call, field <c>file</c>), then name the returned id in a
/// record write: <c>"values": {"contract": [{"id": "…"}]}</c>; the server fills in name, size and type. Downloads check
/// the caller's rights as they are now (record readable, field visible): another workspace's file, a record they may
/// not read and a hidden field all answer 404.
/// </summary>
public static class FilesApi
{
    /// <summary>An uploaded file: its id (to put in a record's value), its cleaned name, size, detected content type,
    /// kind and whether a thumbnail exists (<c>GET /files/{id}/thumbnail</c>).</summary>
    public sealed record FileDto(Guid Id, string Name, long Size, string Type, string Kind, int? Width, int? Height, bool Thumbnail);

    public static FileDto Dto(StoredFile f) => new(f.Id, f.Name, f.Size, f.ContentType, f.Kind, f.Width, f.Height, f.ThumbnailKey is not null);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/entities/{entity}/fields/{field}/files", async Task<Results<Created<FileDto>, ValidationProblem, NotFoundProblem>> (string entity, string field, HttpRequest request,
            IActorAccessor actors, FileService files, CancellationToken ct) =>
        {
            var actor = actors.Required;
            if (!request.HasFormContentType) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = ["Send multipart/form-data with the file in a part named \"file\"."] });
            var form = await request.ReadFormAsync(ct);
            var upload = form.Files.GetFile("file") ?? form.Files.FirstOrDefault();
            if (upload is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = ["No file part named \"file\"."] });
            try
            {
                await using var stream = upload.OpenReadStream();
                var stored = await files.UploadAsync(actor, entity, field, upload.FileName, stream, ct);
                return TypedResults.Created($"files/{stored.Id}", Dto(stored));
            }
            catch (FileRejectedException e) { return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [e.Message] }, title: e.Message); }
            catch (KeyNotFoundException) { return NotFoundProblem.Of($"{entity}/{field}"); }
        })
        .DisableAntiforgery()
        .Accepts<IFormFile>("multipart/form-data")
        .WithSummary("Upload a file for a file or image field")
        .WithDescription("One file per call in a multipart part named \"file\". Its kind is told from the bytes (images, PDF, Office documents, text, zip), not the name; the field's size, kind and count limits and the server's cap apply. The file belongs to no record until a record write names its id (within 24 hours).");

        api.MapGet("/files/{id:guid}", async Task<Results<FileStreamHttpResult, NotFoundProblem>> (Guid id, HttpContext http, IActorAccessor actors, FileService files, CancellationToken ct)
            => await SendAsync(id, thumbnail: false, http, actors.Required, files, ct))
            .Produces<Stream>(StatusCodes.Status200OK, "application/octet-stream", "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain")
            .WithSummary("Download a file")
            .WithDescription("Images and PDFs are sent inline, other files as attachments; X-Content-Type-Options: nosniff. 404 when the record or field is not readable.");

        api.MapGet("/files/{id:guid}/thumbnail", async Task<Results<FileStreamHttpResult, NotFoundProblem>> (Guid id, HttpContext http, IActorAccessor actors, FileService files, CancellationToken ct)
            => await SendAsync(id, thumbnail: true, http, actors.Required, files, ct))
            .Produces<Stream>(StatusCodes.Status200OK, "image/webp")
            .WithSummary("An image's thumbnail (WebP, at most 256 pixels a side)");
    }

    private static async Task<Results<FileStreamHttpResult, NotFoundProblem>> SendAsync(Guid id, bool thumbnail, HttpContext http, Actor actor, FileService files, CancellationToken ct)
    {
        var file = await files.OpenAsync(actor, id, thumbnail, ct);
        if (file is null) return NotFoundProblem.Of(id);
        http.Response.Headers[HeaderNames.XContentTypeOptions] = "nosniff";
        http.Response.Headers[HeaderNames.CacheControl] = "private, max-age=300";
        // The name is the stored, cleaned one; ContentDispositionHeaderValue quotes it and adds filename* for non-ASCII.
        var disposition = new ContentDispositionHeaderValue(file.Inline ? "inline" : "attachment");
        disposition.SetHttpFileName(thumbnail ? "thumbnail.webp" : file.File.Name);
        http.Response.Headers[HeaderNames.ContentDisposition] = disposition.ToString();
        // PDFs and images are shown by the browser but may not run anything.
        http.Response.Headers[HeaderNames.ContentSecurityPolicy] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";
        return TypedResults.Stream(file.Content, file.ContentType);
    }
}
