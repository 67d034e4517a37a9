using Crm.Core.Tenancy;

namespace Crm.Core.Files;

/// <summary>
/// An uploaded file: who uploaded it for which field of which entity type, what its content is (detected from the
/// bytes, <see cref="FileKinds"/>), its size and SHA-256, and the record that holds it. <see cref="RecordId"/> is null
/// from the upload until a record write takes it (then the record's delete removes the row, by cascade); an upload
/// no record takes is swept after <see cref="FileStorageOptions.PendingLifetime"/>.
/// </summary>
public sealed class StoredFile : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid EntityTypeId { get; set; }
    public string FieldKey { get; set; } = "";
    public Guid? RecordId { get; set; }
    /// <summary>The name to show and to download as (cleaned of paths and control characters; never a storage key).</summary>
    public string Name { get; set; } = "";
    /// <summary>The content type detected from the bytes.</summary>
    public string ContentType { get; set; } = "";
    /// <summary>image, pdf, office, text or archive (<see cref="FileKinds"/>).</summary>
    public string Kind { get; set; } = "";
    public long Size { get; set; }
    /// <summary>SHA-256 of the bytes, hex.</summary>
    public string Sha256 { get; set; } = "";
    public int? Width { get; set; }
    public int? Height { get; set; }
    /// <summary>The key of the bytes in the <see cref="IFileStore"/>.</summary>
    public string StorageKey { get; set; } = "";
    /// <summary>The key of the thumbnail (images), or null.</summary>
    public string? ThumbnailKey { get; set; }
    public Guid CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
}
