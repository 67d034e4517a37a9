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
    /// <summary>
    /// The save builds the new snapshot from the rows it wrote instead of reloading the workspace: it must equal
    /// what a reload reads (every entity type, field, slot, pipeline, stage and status list), and a second save
    /// right after must start from it (the cached snapshot is the current version, so it is not read again).
    /// </summary>
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_snapshot_a_designer_save_builds_equals_a_reload_of_the_workspace(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var designer = ws.Get<MetadataDesigner>();
        var store = ws.Get<MetadataStore>();
        for (var i = 0; i < 2; i++)
        {
            var draft = (await designer.LoadEntityAsync(ws.Owner, "opportunity"))!;
            var added = draft.AddField(i == 0 ? "number" : "date", new LocalizedText($"字段 {i}", $"Field {i}"));
            draft.Label = new LocalizedText($"商机 {i}", $"Deal {i}");
            var saved = await designer.SaveEntityAsync(ws.Owner, draft);
            Assert.True(saved.Succeeded, saved.Errors.ToString());

            var built = await store.GetAsync(ws.Tenant.Id);
            Assert.True(built.Entity("opportunity")!.Field(added.Key)!.IndexSlot is not null, "the new field has no slot in the built snapshot");
            Assert.Contains($"Deal {i}", Json.Serialize(built.Entity("opportunity")!.Entity.Label));
            await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
            var reloaded = await MetadataStore.LoadAsync(db, await MetadataStore.CurrentVersionAsync(db, default), default);
            Assert.Equal(reloaded.Version, built.Version);
            Assert.Equal(Describe(reloaded), Describe(built));
        }
    }

    private static string Describe(TenantMetadata m) => string.Join("\n",
        m.EntityTypes.Select(e => $"{e.Key} {Json.Serialize(e.Entity.Label)} {e.Entity.TitleFieldKey} sections {Json.Serialize(e.Entity.Sections)}: "
            + string.Join(", ", e.AllFields.Select(f => $"{f.Key}/{f.Type}/{f.IndexSlot}/{f.SortOrder}/{f.IsArchived}/{Json.Serialize(f.Settings)}"))
            + " | " + string.Join(", ", e.AllPipelines.Select(p => p.Key + ":" + string.Join("+", p.AllStages.Select(s => s.Key)))))
        .Concat(m.StatusLists.Select(l => l.Key + ":" + string.Join("+", l.AllOptions.Select(o => o.Key)))));
}
