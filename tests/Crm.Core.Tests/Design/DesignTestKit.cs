using System.Text.Json.Nodes;
using Crm.Core.Design;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Design;

/// <summary>Helpers shared by the designer tests: drafts from the workspace's metadata, records and their values.</summary>
internal static class DesignTestKit
{
    /// <summary>Messages in English for this test only (the culture flows with the test's async context).</summary>
    public static void English() => System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("en");

    public static MetadataDesigner Designer(this Workspace ws) => ws.Get<MetadataDesigner>();

    public static async Task<EntityDraft> DraftAsync(this Workspace ws, string entityKey)
        => EntityDraft.From((await ws.MetadataAsync()).Entity(entityKey)!);

    public static async Task<long> MetadataVersionAsync(this Workspace ws) => (await ws.MetadataAsync()).Version;

    public static async Task<List<Record>> RecordsAsync(this Workspace ws, string entityKey)
    {
        var entity = (await ws.MetadataAsync()).Entity(entityKey)!;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id).OrderBy(r => r.CreatedAt).ToListAsync();
    }

    public static async Task<Record> RecordAsync(this Workspace ws, Guid id)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.AsNoTracking().FirstAsync(r => r.Id == id);
    }

    public static async Task<List<RecordChange>> ChangesAsync(this Workspace ws, Guid recordId)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.RecordChanges.AsNoTracking().Where(c => c.RecordId == recordId).OrderBy(c => c.At).ToListAsync();
    }

    public static async Task<List<RecordTransition>> TransitionsAsync(this Workspace ws, Guid recordId)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Transitions.AsNoTracking().Where(c => c.RecordId == recordId).OrderBy(c => c.At).ToListAsync();
    }

    public static JsonObject Values(this Record record) => RecordWriter.ParseValues(record.Values);

    public static string? Text(this Record record, string key)
        => record.Values()[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static LocalizedText L(string zh, string? en = null) => new(zh, en ?? zh);

    public static ChoiceOption Option(string key, string label, string? color = null) => new(key, LocalizedText.Same(label), color);

    public static async Task<Record> CreateAsync(this Workspace ws, string entityKey, params (string Key, JsonNode? Value)[] values)
    {
        var result = await ws.Records.CreateAsync(ws.Owner, entityKey, RecordInput.Of(values));
        Assert.True(result.Succeeded, result.Errors.ToString());
        return result.Record!;
    }
}
