using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Files;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Files;

/// <summary>
/// Attachment and image fields on both databases: uploads checked by content (kind, name, size, pixels), values
/// that name uploads and are filled in from them, downloads that follow the record's and the field's rights and stay
/// within the workspace, and nothing left behind (dropped files, deleted records, uploads no record took).
/// </summary>
public class FileFieldTests
{
    public FileFieldTests() => English();

    /// <summary>The B2B template with 合同 (contract: PDF, Office or text, at most 3, 1 MB each) and 标志 (logo: images) on 客户.</summary>
    public static JsonObject Template()
    {
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc.Remove("sampleData");
        var company = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "company")!.AsObject();
        company["fields"]!.AsArray().Add(JsonNode.Parse("""
            { "key": "contract", "type": "file", "label": { "zh-CN": "合同", "en": "Contract" }, "maxFiles": 3, "maxFileSizeMb": 1, "fileKinds": ["pdf", "office", "text"] }
            """));
        company["fields"]!.AsArray().Add(JsonNode.Parse("""
            { "key": "logo", "type": "image", "label": { "zh-CN": "标志", "en": "Logo" }, "maxFiles": 2 }
            """));
        return doc;
    }

    private static async Task<(Workspace Ws, string Root)> InstalledAsync(string provider)
    {
        English();
        var root = Path.Combine(Path.GetTempPath(), "crm-files-test-" + Guid.NewGuid().ToString("N"));
        var ws = await Workspace.CreateAsync(provider, configure: s => s.Configure<FileStorageOptions>(o => { o.Root = root; o.OrphanAge = TimeSpan.Zero; }));
        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, Template().ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.True(result.Succeeded, result.Errors.ToString());
        return (ws, root);
    }

    public static byte[] Png(int width = 600, int height = 400)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap)) canvas.Clear(SKColors.CornflowerBlue);
        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(SKEncodedImageFormat.Png, 100).ToArray();
    }

    /// <summary>A valid PNG whose header claims <paramref name="width"/> × <paramref name="height"/> pixels (a decompression bomb's shape).</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        var png = Png(1, 1);
        // IHDR: length (4) + "IHDR" (4) at offset 8; width and height big-endian at 16 and 20; CRC over type + data at 29.
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        return png;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    public static readonly byte[] Pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");

    private static Task<StoredFile> UploadAsync(Workspace ws, string field, string name, byte[] bytes, Crm.Core.Security.Actor? actor = null)
        => ws.Get<FileService>().UploadAsync(actor ?? ws.Owner, "company", field, name, new MemoryStream(bytes));

    private static async Task<string> RejectedAsync(Workspace ws, string field, string name, byte[] bytes)
        => (await Assert.ThrowsAsync<FileRejectedException>(() => UploadAsync(ws, field, name, bytes))).Message;

    private static JsonArray Ids(params StoredFile[] files) => new(files.Select(f => (JsonNode?)new JsonObject { ["id"] = f.Id.ToString() }).ToArray());

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Uploads_are_stored_by_id_measured_and_thumbnailed_and_a_record_takes_them_with_their_names(string provider)
    {
        var (ws, root) = await InstalledAsync(provider);
        await using var _ = ws;
        var logo = await UploadAsync(ws, "logo", "../../etc/passwd/标志.png", Png());
        Assert.Equal("标志.png", logo.Name); // the path is gone; the key is made of ids only
        Assert.Equal(FileKeys.Content(ws.Tenant.Id, logo.Id), logo.StorageKey);
        Assert.True(File.Exists(Path.Combine(root, ws.Tenant.Id.ToString("N"), logo.Id.ToString("N"))));
        Assert.Equal(("image", "image/png", 600, 400), (logo.Kind, logo.ContentType, logo.Width!.Value, logo.Height!.Value));
        Assert.Equal(64, logo.Sha256.Length);
        Assert.NotNull(logo.ThumbnailKey);
        await using (var thumb = (await ws.Get<FileService>().OpenAsync(ws.Owner, logo.Id, thumbnail: true))!.Content)
        using (var codec = SKCodec.Create(thumb))
        {
            Assert.Equal(SKEncodedImageFormat.Webp, codec.EncodedFormat);
            Assert.Equal((256, 171), (codec.Info.Width, codec.Info.Height));
        }

        var contract = await UploadAsync(ws, "contract", "合同.pdf", Pdf);
        var company = await ws.CreateAsync("company", ("name", "云帆"), ("logo", Ids(logo)), ("contract", new JsonArray(JsonValue.Create(contract.Id.ToString()))));
        var stored = company.Values();
        Assert.Equal("合同.pdf", (string)stored["contract"]![0]!["name"]!);
        Assert.Equal(Pdf.Length, (long)stored["contract"]![0]!["size"]!);
        Assert.Equal("application/pdf", (string)stored["contract"]![0]!["type"]!);
        Assert.Equal("标志.png", (string)stored["logo"]![0]!["name"]!);
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            Assert.All(await db.Files.AsNoTracking().ToListAsync(), f => Assert.Equal(company.Id, f.RecordId));

        // Exports and the timeline show file names.
        var meta = await ws.MetadataAsync();
        var entity = meta.Entity("company")!;
        var dc = new DisplayContext(CultureInfo.GetCultureInfo("en"), k => k);
        Assert.Equal("合同.pdf", FieldTypeRegistry.Get("file").Display(stored["contract"], new FieldContext(entity.Field("contract")!, entity), dc));

        // A file held by one record cannot be named by another record.
        var thief = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "Other"), ("contract", Ids(contract))));
        Assert.False(thief.Succeeded);
        Assert.Contains("Contract", thief.Errors.ByField["contract"].Single());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Kinds_are_told_from_the_bytes_and_limits_name_the_field(string provider)
    {
        var (ws, _) = await InstalledAsync(provider);
        await using var __ = ws;
        // A PDF named .png: a mismatch, on the image field it is also a kind the field does not take.
        Assert.Contains("Logo", await RejectedAsync(ws, "logo", "photo.png", Pdf));
        Assert.Contains("is named .png but its content is PDF", await RejectedAsync(ws, "contract", "photo.png", Pdf));
        // An image on a contract field that takes PDF, Office and text only.
        Assert.Contains("this field takes PDF, Office documents, text", await RejectedAsync(ws, "contract", "scan.png", Png()));
        // Unknown binary content.
        Assert.Contains("is not a file kind", await RejectedAsync(ws, "contract", "a.bin", [0x00, 0x01, 0x02, 0xFF, 0x00]));
        // Larger than the field's 1 MB.
        Assert.Contains("larger than 1 MB", await RejectedAsync(ws, "contract", "big.txt", Encoding.UTF8.GetBytes(new string('a', 1024 * 1024 + 1))));
        // A header claiming 100,000 × 100,000 pixels is refused before decoding.
        Assert.Contains("100000 × 100000", await RejectedAsync(ws, "logo", "bomb.png", PngClaiming(100_000, 100_000)));
        // Text and CSV pass as text; a docx is told by its parts.
        Assert.Equal("text/csv", (await UploadAsync(ws, "contract", "list.csv", Encoding.UTF8.GetBytes("名称,金额\n云帆,100\n"))).ContentType);
        Assert.Equal("office", (await UploadAsync(ws, "contract", "offer.docx", Docx())).Kind);
        // Nothing was stored for the refused ones.
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(2, await db.Files.CountAsync());
    }

    public static byte[] Docx()
    {
        using var ms = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(ms, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var name in new[] { "[Content_Types].xml", "word/document.xml" })
                using (var w = new StreamWriter(zip.CreateEntry(name).Open())) w.Write("<x/>");
        }
        return ms.ToArray();
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Downloads_follow_the_record_and_stay_in_the_workspace(string provider)
    {
        var (ws, root) = await InstalledAsync(provider);
        await using var _ = ws;
        var files = ws.Get<FileService>();
        var contract = await UploadAsync(ws, "contract", "a.pdf", Pdf);
        var member = await ws.MemberAsync(MemberRole.Member);
        // Before a record takes it, only the uploader sees it (the form being filled in).
        Assert.NotNull(await files.OpenAsync(ws.Owner, contract.Id, thumbnail: false));
        Assert.Null(await files.OpenAsync(member, contract.Id, thumbnail: false));
        // Another person's pending upload cannot be put on a record.
        var taken = await ws.Records.CreateAsync(member, "company", RecordInput.Of(("name", "X"), ("contract", Ids(contract))));
        Assert.False(taken.Succeeded);

        var company = await ws.CreateAsync("company", ("name", "云帆"), ("contract", Ids(contract)));
        await using (var open = await files.OpenAsync(member, contract.Id, thumbnail: false))
        {
            Assert.NotNull(open);
            Assert.Equal("application/pdf", open!.ContentType);
            Assert.True(open.Inline);
            using var read = new MemoryStream();
            await open.Content.CopyToAsync(read);
            Assert.Equal(Pdf, read.ToArray());
        }

        // Rights as they are now: a member from whom the field is hidden gets nothing, as for a record they may not read.
        var hidden = await ws.MemberAsync(MemberRole.Member);
        await ws.RestrictAsync(hidden, "company", new Dictionary<string, FieldAccessLevel> { ["contract"] = FieldAccessLevel.Hidden });
        Assert.Null(await files.OpenAsync(hidden, contract.Id, thumbnail: false));
        var outsider = await ws.MemberAsync(MemberRole.Member);
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var role = new RoleDefinition { Key = "own_only", Label = LocalizedText.Same("own") };
            db.Add(role);
            db.Add(new MemberRoleAssignment { RoleId = role.Id, UserId = outsider.UserId });
            db.Add(new EntityPermission { RoleId = role.Id, EntityTypeId = company.EntityTypeId, Read = DataScope.Own, Edit = DataScope.Own, Delete = DataScope.None, Fields = new Dictionary<string, FieldAccessLevel>() });
            await db.SaveChangesAsync();
        }
        Assert.Null(await files.OpenAsync(outsider, contract.Id, thumbnail: false));

        // Another workspace: its owner cannot download the file, nor name its id in a record.
        await using var other = await Workspace.CreateAsync(provider, configure: s => s.Configure<FileStorageOptions>(o => o.Root = root));
        Assert.Null(await other.Get<FileService>().OpenAsync(other.Owner, contract.Id, thumbnail: false));
        var otherInstall = await other.Get<TemplateInstaller>().InstallAsync(other.Owner, Template().ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.True(otherInstall.Succeeded);
        var stolen = await other.Records.CreateAsync(other.Owner, "company", RecordInput.Of(("name", "Y"), ("contract", Ids(contract))));
        Assert.False(stolen.Succeeded);
        Assert.Contains("contract", stolen.Errors.ByField.Keys);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Dropped_files_deleted_records_and_stale_uploads_leave_nothing_behind(string provider)
    {
        var (ws, root) = await InstalledAsync(provider);
        await using var _ = ws;
        var folder = Path.Combine(root, ws.Tenant.Id.ToString("N"));
        var a = await UploadAsync(ws, "contract", "a.pdf", Pdf);
        var b = await UploadAsync(ws, "contract", "b.txt", Encoding.UTF8.GetBytes("hello"));
        var logo = await UploadAsync(ws, "logo", "l.png", Png(10, 10));
        var stale = await UploadAsync(ws, "contract", "never.txt", Encoding.UTF8.GetBytes("never saved"));
        var company = await ws.CreateAsync("company", ("name", "云帆"), ("contract", Ids(a, b)), ("logo", Ids(logo)));

        // Dropping b from the value removes its row; the sweep removes its bytes.
        var updated = await ws.Records.UpdateAsync(ws.Owner, company.Id, RecordInput.Of(("contract", Ids(a))));
        Assert.True(updated.Succeeded, updated.Errors.ToString());
        var sweep = ws.Get<FileSweep>();
        var now = DateTime.UtcNow;
        await sweep.RunOnceAsync(now);
        Assert.False(File.Exists(Path.Combine(folder, b.Id.ToString("N"))));
        Assert.True(File.Exists(Path.Combine(folder, a.Id.ToString("N"))));
        Assert.True(File.Exists(Path.Combine(folder, stale.Id.ToString("N")))); // pending, still young

        // An upload no record took is removed after the pending lifetime.
        await sweep.RunOnceAsync(now.AddHours(25));
        Assert.False(File.Exists(Path.Combine(folder, stale.Id.ToString("N"))));

        // Deleting the record removes its rows (cascade) and the sweep its bytes and thumbnails.
        Assert.Equal(1, await ws.Records.DeleteAsync(ws.Owner, [company.Id]));
        await sweep.RunOnceAsync(now.AddHours(25));
        Assert.Empty(Directory.EnumerateFiles(folder));
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(0, await db.Files.CountAsync());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_settings_travel_through_the_template_export(string provider)
    {
        var (ws, _) = await InstalledAsync(provider);
        await using var __ = ws;
        var doc = await ws.Get<TemplateExporter>().ExportAsync(ws.Owner);
        var company = doc.EntityTypes.Single(e => e.Key == "company");
        var contract = company.Fields.Single(f => f.Key == "contract");
        Assert.Equal(("file", 3, 1), (contract.Type, contract.MaxFiles!.Value, contract.MaxFileSizeMb!.Value));
        Assert.Equal(["pdf", "office", "text"], contract.FileKinds!);
        Assert.Equal("image", company.Fields.Single(f => f.Key == "logo").Type);
    }

    [Fact]
    public async Task Keys_are_ids_only_and_the_local_store_refuses_anything_else()
    {
        var root = Path.Combine(Path.GetTempPath(), "crm-files-keys-" + Guid.NewGuid().ToString("N"));
        var store = new LocalFileStore(root);
        Assert.True(FileKeys.IsValid(FileKeys.Content(Guid.NewGuid(), Guid.NewGuid())));
        Assert.True(FileKeys.IsValid(FileKeys.Thumbnail(Guid.NewGuid(), Guid.NewGuid())));
        foreach (var bad in new[] { "../x", "a/b", Guid.NewGuid().ToString("N") + "/../../etc/passwd", "/etc/passwd", Guid.NewGuid().ToString("N").ToUpperInvariant() + "/" + Guid.NewGuid().ToString("N") })
        {
            Assert.False(FileKeys.IsValid(bad));
            await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(bad, new MemoryStream([1])));
        }
        Assert.Equal("file", FileKinds.CleanName("../.."));
        Assert.Equal("report.pdf", FileKinds.CleanName("C:\\Users\\x\\report.pdf"));
        Directory.Delete(root, recursive: true);
    }
}
