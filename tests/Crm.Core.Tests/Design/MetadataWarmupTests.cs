using Crm.Core.Design;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Testing;

namespace Crm.Core.Tests.Design;

/// <summary>
/// After a designer save the next user action finds the work done: the metadata of the new version is cached
/// and every schema compiled by the save, and none of it is built again while the version stays the same.
/// </summary>
public class MetadataWarmupTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_designer_save_leaves_the_new_version_cached_with_its_schemas_compiled_once(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var store = ws.Get<MetadataStore>();
        var before = await store.GetAsync(ws.Tenant.Id);
        var draft = (await ws.Get<MetadataDesigner>().LoadEntityAsync(ws.Owner, "company"))!;
        draft.AddField("text", new LocalizedText("等级", "Level"));

        var saved = await ws.Get<MetadataDesigner>().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());

        var after = await store.GetAsync(ws.Tenant.Id);
        Assert.True(after.Version > before.Version);
        // Compiled by the save, before anyone asked.
        Assert.All(after.EntityTypes, e => Assert.True(e.IsSchemaCompiled, $"{e.Key}: schema not compiled by the save"));
        Assert.True(after.Entity("company")!.Schema.Properties.ContainsKey(draft.Fields.Last().Key));
        // The next reads and a record write reuse the same metadata and schema objects: nothing is rebuilt.
        var schema = after.Entity("company")!.Schema;
        var created = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "After the save")));
        Assert.True(created.Succeeded, created.Errors.ToString());
        var again = await store.GetAsync(ws.Tenant.Id);
        Assert.Same(after, again);
        Assert.Same(schema, again.Entity("company")!.Schema);
    }
}
