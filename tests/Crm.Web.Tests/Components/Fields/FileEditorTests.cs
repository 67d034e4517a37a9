using System.Text;
using System.Text.Json.Nodes;
using Bunit;
using Crm.Core;
using Crm.Core.Files;
using Crm.Core.Metadata;
using Crm.Core.Templates;
using Crm.Testing;
using Crm.Web.Components.Fields;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Fields;

/// <summary>
/// The attachment editor: files chosen (or dropped) are uploaded through the server and join the value with their
/// names; a file the field does not take is refused with a message naming the field and the file, and the value is
/// left as it was; a file is removed with its button; an image field shows thumbnails.
/// </summary>
public class FileEditorTests
{
    public FileEditorTests() => FormContext.UseCulture("en");

    private static async Task<(Workspace Ws, ComponentTestContext Ctx, EntityMeta Company)> CreateAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "crm-files-bunit-" + Guid.NewGuid().ToString("N"));
        var ws = await Workspace.CreateAsync(Providers.Sqlite);
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc.Remove("sampleData");
        var company = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "company")!.AsObject();
        company["fields"]!.AsArray().Add(JsonNode.Parse("""{ "key": "contract", "type": "file", "label": { "zh-CN": "合同", "en": "Contract" }, "maxFiles": 2, "fileKinds": ["pdf", "text"] }"""));
        company["fields"]!.AsArray().Add(JsonNode.Parse("""{ "key": "logo", "type": "image", "label": { "zh-CN": "标志", "en": "Logo" } }"""));
        var installed = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        var database = ws.Database;
        var ctx = new ComponentTestContext("en", services =>
        {
            services.AddLogging();
            services.AddCrmCore(database.Provider, database.ConnectionString);
            services.Configure<FileStorageOptions>(o => o.Root = root);
        });
        ctx.Bunit.Render<MudPopoverProvider>();
        return (ws, ctx, (await ws.MetadataAsync()).Entity("company")!);
    }

    private static IRenderedComponent<FileFieldEditor> Render(Workspace ws, ComponentTestContext ctx, EntityMeta company, string field, JsonNode? value, List<JsonNode?> changes)
        => ctx.Bunit.Render<FileFieldEditor>(p =>
        {
            p.Add(x => x.Field, company.Field(field)!);
            p.Add(x => x.Entity, company);
            p.Add(x => x.Value, value);
            p.Add(x => x.ValueChanged, v => changes.Add(v?.DeepClone()));
            p.AddCascadingValue(new TenantSession(ws.Tenant, ws.Owner));
        });

    [Fact]
    public async Task Chosen_files_are_uploaded_and_join_the_value_refused_ones_say_why_and_removed_ones_leave()
    {
        var (ws, ctx, company) = await CreateAsync();
        await using var _ = ws;
        await using var __ = ctx;
        var changes = new List<JsonNode?>();
        var cut = Render(ws, ctx, company, "contract", null, changes);
        Assert.Contains("Contract", cut.Markup);
        Assert.NotNull(cut.Find("#upload-contract"));

        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n%%EOF\n");
        await Task.Run(() => cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(pdf, "报价.pdf")));
        cut.WaitForAssertion(() => Assert.Single(changes));
        var value = Assert.IsType<JsonArray>(changes[0]);
        Assert.Equal("报价.pdf", (string)value[0]!["name"]!);
        Assert.Equal(pdf.Length, (long)value[0]!["size"]!);

        // A PNG is not a kind the contract field takes: a message names the field and the file, nothing changes.
        using var bitmap = new SkiaSharp.SKBitmap(4, 4);
        var png = SkiaSharp.SKImage.FromBitmap(bitmap).Encode(SkiaSharp.SKEncodedImageFormat.Png, 100).ToArray();
        cut.Render(p => p.Add(x => x.Value, value));
        await Task.Run(() => cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(png, "scan.pdf")));
        cut.WaitForAssertion(() => Assert.Contains("Contract: \"scan.pdf\"", cut.Find(".crm-file-problem").TextContent));
        Assert.Single(changes);

        // The file shows with its size and a remove button, which empties the value.
        var id = (string)value[0]!["id"]!;
        Assert.Contains("报价.pdf", cut.Find($"[data-file='{id}']").TextContent);
        Assert.Contains(" B", cut.Find($"[data-file='{id}'] .crm-file-size").TextContent);
        Assert.EndsWith($"/api/files/{id}", cut.Find($"[data-file='{id}'] a").GetAttribute("href"));
        await cut.InvokeAsync(() => cut.Find($"[data-remove='{id}']").Click());
        cut.WaitForAssertion(() => Assert.Equal(2, changes.Count));
        Assert.Null(changes[1]);
    }

    [Fact]
    public async Task An_image_field_shows_thumbnails_and_a_read_only_one_offers_no_upload()
    {
        var (ws, ctx, company) = await CreateAsync();
        await using var _ = ws;
        await using var __ = ctx;
        var id = Guid.NewGuid();
        var value = new JsonArray(new JsonObject { ["id"] = id.ToString(), ["name"] = "logo.png", ["size"] = 2048, ["type"] = "image/png" });
        var cut = ctx.Bunit.Render<FileFieldEditor>(p =>
        {
            p.Add(x => x.Field, company.Field("logo")!);
            p.Add(x => x.Entity, company);
            p.Add(x => x.Value, value);
            p.Add(x => x.ReadOnly, true);
            p.AddCascadingValue(new TenantSession(ws.Tenant, ws.Owner));
        });
        Assert.EndsWith($"/api/files/{id}/thumbnail", cut.Find("img.crm-file-thumb").GetAttribute("src"));
        Assert.Equal("2 KB", cut.Find(".crm-file-size").TextContent);
        Assert.Empty(cut.FindComponents<InputFile>());
        Assert.Empty(cut.FindAll("[data-remove]"));
    }
}
