using System.Text.Json;
using Crm.Core.Templates;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Templates;

/// <summary>A workspace's configuration exported as a template installs into an empty workspace as the same metadata.</summary>
public class TemplateRoundTripTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Export_then_install_into_an_empty_workspace_gives_the_same_metadata(string provider)
    {
        await using var source = await Workspace.CreateAsync(provider);
        foreach (var entry in Workspace.Catalog.Entries) await source.InstallAsync(entry.Document.Id);

        var exported = await source.Get<TemplateExporter>().ExportAsync(source.Owner);
        var json = JsonSerializer.Serialize(exported, Json.Indented);
        // The export is a valid template by the same schema and checks as any upload.
        var (parsed, errors) = TemplateParser.Parse(json, (k, a) => k);
        Assert.True(errors.IsEmpty, errors.ToString());

        await using var target = await Workspace.CreateAsync(provider);
        var result = await target.Get<TemplateInstaller>().InstallAsync(target.Owner, parsed!, new InstallOptions(WithSampleData: false));
        Assert.True(result.Outcome == InstallOutcome.Installed, result.Errors.ToString());

        var expected = await SnapshotAsync(source);
        var actual = await SnapshotAsync(target);
        Assert.Equal(expected, actual);
        Assert.Contains("\"opportunity\"", expected);
        Assert.Contains("\"ticket\"", expected);
        Assert.Contains("\"lost_reason_required\"", expected); // form rules travel with the export
        Assert.Contains("$form.company", expected); // so do linked fields: the deal's contact is filtered by its customer
    }

    /// <summary>The tenant's metadata without ids, timestamps and origins, in a stable order, as JSON.</summary>
    private static async Task<string> SnapshotAsync(Workspace ws)
    {
        var meta = await ws.MetadataAsync();
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var views = await db.Views.AsNoTracking().Where(v => v.OwnerUserId == null).ToListAsync();
        var reports = await db.Reports.AsNoTracking().ToListAsync();
        var dashboards = await db.Dashboards.AsNoTracking().ToListAsync();
        var roles = await db.RoleDefinitions.AsNoTracking().ToListAsync();
        var snapshot = new
        {
            entities = meta.EntityTypes.Select(e => new
            {
                e.Key, e.Entity.Label, e.Entity.PluralLabel, e.Entity.Icon, e.Entity.TitleFieldKey, e.Entity.AmountFieldKey, e.Entity.CloseDateFieldKey,
                e.Entity.OwnerFieldKey, e.Entity.StatusFieldKey, e.Entity.StageFieldKey, e.Entity.LostReasonFieldKey, e.Entity.Sections,
                fields = e.Fields.Select(f => new { f.Key, f.Type, f.Label, f.HelpText, f.SectionKey, f.Settings }),
                formRules = e.Entity.FormRules.Select(r => new { r.Key, r.Name, r.When, r.Fields, r.Effects }),
                pipelines = e.Pipelines.Select(p => new
                {
                    p.Key, p.Pipeline.Label, p.Pipeline.IsDefault,
                    stages = p.Stages.Select(s => new { s.Key, s.Label, s.Color, s.Probability, s.Kind, s.StaleAfterDays }),
                }),
            }).OrderBy(e => e.Key),
            lists = meta.StatusLists.Select(l => new
            {
                l.Key, l.List.Label, l.List.Groups,
                options = l.Options.Select(o => new { o.Key, o.Label, o.GroupKey, o.Color, o.Description }),
            }).OrderBy(l => l.Key),
            views = views.Select(v => new { entity = meta.Entity(v.EntityTypeId)!.Key, v.Key, v.Name, v.Kind, v.IsDefault, v.Definition }).OrderBy(v => v.entity).ThenBy(v => v.Key),
            reports = reports.Select(r => new { entity = meta.Entity(r.EntityTypeId)!.Key, r.Key, r.Name, r.Description, r.Spec }).OrderBy(r => r.Key),
            dashboards = dashboards.Select(d => new { d.Key, d.Name, d.IsDefault, d.Widgets }).OrderBy(d => d.Key),
            roles = roles.Select(r => new { r.Key, r.Label, r.BaseRole, r.Description }).OrderBy(r => r.Key),
        };
        return JsonSerializer.Serialize(snapshot, Json.Indented);
    }
}
