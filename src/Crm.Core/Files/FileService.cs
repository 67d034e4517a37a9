using System.Globalization;
using System.Security.Cryptography;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Resources;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Core.Files;

/// <summary>An upload refused for what it holds (too big, a kind the field does not take, a name that lies): the
/// message names the field and the file.</summary>
public sealed class FileRejectedException(string message) : Exception(message);

/// <summary>A file to send: its row and its bytes (or its thumbnail's).</summary>
public sealed record FileDownload(StoredFile File, Stream Content, string ContentType, bool Inline) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

/// <summary>
/// Uploads and downloads of file and image fields. An upload goes through the server: streamed to a temporary file
/// with the limits counted as it comes (the field's size, the global cap), its kind told from the bytes, images
/// measured (pixel limit) and given a thumbnail, then stored under a key made from ids and recorded as a
/// <see cref="StoredFile"/> that no record holds yet. A record write takes it (<see cref="FileAttachStep"/>); a
/// download checks the actor's rights as they are now: the record readable, the field visible.
/// </summary>
public sealed class FileService(ICrmDbContextFactory factory, MetadataStore metadataStore, IAccessResolver access, IFileStore store,
    IOptions<FileStorageOptions> options, IStringLocalizer<CoreStrings> t, TimeProvider clock, ILogger<FileService> log)
{
    private FileStorageOptions Options => options.Value;

    /// <summary>The most bytes a file of <paramref name="field"/> may have: its own limit within the global cap.</summary>
    public long LimitOf(FieldDefinition field)
        => field.Settings.MaxFileSizeMb is { } mb and > 0 ? Math.Min(Options.MaxUploadBytes, mb * 1024L * 1024L) : Options.MaxUploadBytes;

    /// <summary>
    /// Stores an upload for field <paramref name="fieldKey"/> of <paramref name="entityKey"/>: the actor must be able to
    /// create or edit such records and write the field. Throws <see cref="FileRejectedException"/> (a message naming
    /// the field and file) for content the field does not take, <see cref="ForbiddenException"/> for rights,
    /// <see cref="KeyNotFoundException"/> for an unknown entity type or field.
    /// </summary>
    public async Task<StoredFile> UploadAsync(Actor actor, string entityKey, string fieldKey, string? fileName, Stream content, CancellationToken ct = default)
    {
        actor.Require(Tenancy.MemberRole.Member);
        var metadata = await metadataStore.GetAsync(actor.TenantId, ct);
        var entity = metadata.Entity(entityKey) ?? throw new KeyNotFoundException(entityKey);
        var field = entity.Field(fieldKey) is { IsArchived: false } f && FieldTypeRegistry.Find(f.Type) is FileFieldBase ? f : throw new KeyNotFoundException(fieldKey);
        var rights = await access.GetAsync(actor, entity.Entity.Id, ct);
        var view = entity.For(rights);
        if (!view.CanSee(field.Key)) throw new KeyNotFoundException(fieldKey);
        if (!view.CanWrite(field.Key) || !(rights.CanCreate || !rights.Edit.IsNone))
            throw new ForbiddenException(t["Record.FieldReadOnly", field.Label.Get()]);

        var name = FileKinds.CleanName(fileName);
        var label = field.Label.Get();
        var limit = LimitOf(field);
        var temp = Path.Combine(Path.GetTempPath(), "crm-upload-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var buffer = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            var (size, sha) = await CopyWithLimitAsync(content, buffer, limit, ct);
            if (size < 0) throw new FileRejectedException(F("File.TooBig", label, name, Megabytes(limit)));
            if (size == 0) throw new FileRejectedException(F("File.Empty", label, name));
            var detected = FileKinds.Detect(buffer, name) ?? throw new FileRejectedException(F("File.UnknownKind", label, name));
            var allowed = FileFieldBase.AllowedKinds(field);
            if (!allowed.Contains(detected.Kind))
                throw new FileRejectedException(F("File.KindNotAllowed", label, name, detected.Label, string.Join(", ", allowed.Select(k => t["File.Kind." + k].Value))));
            if (FileKinds.PromisedBy(name) is { } promised && promised != detected.Kind)
                throw new FileRejectedException(F("File.Mismatch", label, name, Path.GetExtension(name), detected.Label));

            var file = new StoredFile
            {
                TenantId = actor.TenantId, EntityTypeId = entity.Entity.Id, FieldKey = field.Key, Name = name, ContentType = detected.ContentType,
                Kind = detected.Kind, Size = size, Sha256 = sha, CreatedBy = actor.UserId, CreatedAt = clock.GetUtcNow().UtcDateTime,
            };
            file.StorageKey = FileKeys.Content(actor.TenantId, file.Id);
            byte[]? thumbnail = null;
            if (detected.Kind == FileKinds.Image)
            {
                ImageInfo? image;
                try { image = Thumbnails.Read(buffer, Options.MaxImagePixels, Options.ThumbnailSize); }
                catch (ImageTooLargeException e) { throw new FileRejectedException(F("File.ImageTooLarge", label, name, e.Width, e.Height)); }
                if (image is null) throw new FileRejectedException(F("File.BrokenImage", label, name));
                (file.Width, file.Height, thumbnail) = (image.Width, image.Height, image.Thumbnail);
                if (thumbnail is not null) file.ThumbnailKey = FileKeys.Thumbnail(actor.TenantId, file.Id);
            }

            buffer.Position = 0;
            await store.PutAsync(file.StorageKey, buffer, ct);
            try
            {
                if (thumbnail is not null) await store.PutAsync(file.ThumbnailKey!, new MemoryStream(thumbnail), ct);
                await using var db = factory.CreateForTenant(actor.TenantId);
                db.Files.Add(file);
                await db.SaveChangesAsync(ct);
            }
            catch
            {
                // Nothing half-written: bytes without a row go now (the orphan sweep is the net for a crash here).
                await store.DeleteAsync(file.StorageKey, CancellationToken.None);
                if (file.ThumbnailKey is not null) await store.DeleteAsync(file.ThumbnailKey, CancellationToken.None);
                throw;
            }
            return file;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private string F(string key, params object[] args) => string.Format(CultureInfo.CurrentCulture, t[key].Value, args);

    private static string Megabytes(long bytes) => (bytes / 1024d / 1024d).ToString("0.#", CultureInfo.CurrentCulture);

    /// <summary>Copies at most <paramref name="limit"/> bytes and hashes them; the size, or -1 when there were more.</summary>
    private static async Task<(long Size, string Sha256)> CopyWithLimitAsync(Stream from, Stream to, long limit, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[81920];
        long total = 0;
        int n;
        while ((n = await from.ReadAsync(chunk, ct)) > 0)
        {
            total += n;
            if (total > limit) return (-1, "");
            hash.AppendData(chunk, 0, n);
            await to.WriteAsync(chunk.AsMemory(0, n), ct);
        }
        await to.FlushAsync(ct);
        to.Position = 0;
        return (total, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>
    /// A file (or its thumbnail) for <paramref name="actor"/>, or null — "not found" alike for another workspace's
    /// file, a record the actor may not read and a field hidden from them. A file no record holds yet is only its
    /// uploader's (the form that is being filled in shows it).
    /// </summary>
    public async Task<FileDownload?> OpenAsync(Actor actor, Guid fileId, bool thumbnail, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var file = await db.Files.AsNoTracking().FirstOrDefaultAsync(f => f.Id == fileId, ct);
        if (file is null) return null;
        if (file.RecordId is not { } recordId)
        {
            if (file.CreatedBy != actor.UserId) return null;
        }
        else
        {
            var metadata = await metadataStore.GetAsync(actor.TenantId, ct);
            if (metadata.Entity(file.EntityTypeId) is not { } entity) return null;
            var rights = await access.GetAsync(actor, entity.Entity.Id, ct);
            if (!entity.For(rights).CanSee(file.FieldKey)) return null;
            if (!rights.Read.IsAll && !await RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.Id == recordId), db, rights).AnyAsync(ct)) return null;
        }
        var key = thumbnail ? file.ThumbnailKey : file.StorageKey;
        if (key is null) return null;
        var stream = await store.GetAsync(key, ct);
        if (stream is null) { log.LogWarning("File {File} of workspace {Tenant} has no bytes under {Key}", file.Id, file.TenantId, key); return null; }
        var type = thumbnail ? "image/webp" : file.ContentType;
        return new FileDownload(file, stream, type, Inline: thumbnail || file.Kind is FileKinds.Image or FileKinds.Pdf);
    }

    /// <summary>The files of <paramref name="ids"/> in the actor's workspace (for forms showing what was uploaded).</summary>
    public async Task<IReadOnlyList<StoredFile>> FindAsync(Guid tenantId, IReadOnlyCollection<Guid> ids, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(tenantId);
        return await db.Files.AsNoTracking().Where(f => ids.Contains(f.Id)).ToListAsync(ct);
    }
}
