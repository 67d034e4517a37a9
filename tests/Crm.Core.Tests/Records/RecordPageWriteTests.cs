using System.Text.Json.Nodes;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Records;

/// <summary>The writes the record page makes through <see cref="RecordService"/>: conflicts, refusals, invalid input.</summary>
public class RecordPageWriteTests
{
    private static async Task<(Workspace Ws, Record Company)> ArrangeAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var created = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "Umbrella"), ("city", "Raccoon City")));
        Assert.True(created.Succeeded, created.Errors.ToString());
        return (ws, created.Record!);
    }

    private static async Task<Record> ReloadAsync(Workspace ws, Guid id)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.AsNoTracking().SingleAsync(r => r.Id == id);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_second_save_of_the_same_version_gets_a_conflict_with_the_newer_values(string provider)
    {
        var (ws, company) = await ArrangeAsync(provider);
        await using var _ = ws;
        var alice = await ws.MemberAsync(MemberRole.Member);
        var bob = await ws.MemberAsync(MemberRole.Member);
        var loaded = company.Version;

        var first = await ws.Records.UpdateAsync(alice, company.Id, RecordInput.Of(("city", "Shanghai")) with { ExpectedVersion = loaded });
        Assert.True(first.Succeeded);
        var second = await ws.Records.UpdateAsync(bob, company.Id, RecordInput.Of(("city", "Beijing")) with { ExpectedVersion = loaded });

        Assert.False(second.Succeeded);
        Assert.NotNull(second.Conflict);
        Assert.Equal(first.Record!.Version, second.Conflict!.Version);
        Assert.Equal("Shanghai", RecordWriter.ParseValues(second.Conflict.Values)["city"]!.GetValue<string>());
        Assert.NotEmpty(second.Errors.For(RecordWriter.RecordErrorKey));
        var stored = await ReloadAsync(ws, company.Id);
        Assert.Equal("Shanghai", RecordWriter.ParseValues(stored.Values)["city"]!.GetValue<string>());

        // Saving again on the newer version is a deliberate choice, and it goes through.
        var again = await ws.Records.UpdateAsync(bob, company.Id, RecordInput.Of(("city", "Beijing")) with { ExpectedVersion = second.Conflict.Version });
        Assert.True(again.Succeeded);
        Assert.Equal("Beijing", RecordWriter.ParseValues((await ReloadAsync(ws, company.Id)).Values)["city"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_viewer_is_refused_by_the_server_and_nothing_changes(string provider)
    {
        var (ws, company) = await ArrangeAsync(provider);
        await using var _ = ws;
        var viewer = await ws.MemberAsync(MemberRole.Viewer);

        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Records.UpdateAsync(viewer, company.Id, RecordInput.Of(("city", "Nowhere")) with { ExpectedVersion = company.Version }));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Records.CreateAsync(viewer, "company", RecordInput.Of(("name", "Viewer Inc"))));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Records.DeleteAsync(viewer, [company.Id]));

        var stored = await ReloadAsync(ws, company.Id);
        Assert.Equal(company.Version, stored.Version);
        Assert.Equal("Raccoon City", RecordWriter.ParseValues(stored.Values)["city"]!.GetValue<string>());
        Assert.NotNull(await ws.Records.GetAsync(viewer, company.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Invalid_values_come_back_keyed_by_field_and_the_record_stays_as_it_was(string provider)
    {
        var (ws, company) = await ArrangeAsync(provider);
        await using var _ = ws;
        var taken = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "Wayne Enterprises")));
        Assert.True(taken.Succeeded);

        var result = await ws.Records.UpdateAsync(ws.Owner, company.Id,
            RecordInput.Of(("name", "Wayne Enterprises"), ("website", "not a url"), ("city", new string('x', 80))) with { ExpectedVersion = company.Version });

        Assert.False(result.Succeeded);
        Assert.Null(result.Conflict);
        Assert.NotEmpty(result.Errors.For("name"));
        Assert.NotEmpty(result.Errors.For("website"));
        Assert.NotEmpty(result.Errors.For("city"));
        var stored = await ReloadAsync(ws, company.Id);
        Assert.Equal(company.Version, stored.Version);
        Assert.Equal("Umbrella", stored.Title);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_new_record_prefilled_with_a_lookup_is_related_to_it(string provider)
    {
        var (ws, company) = await ArrangeAsync(provider);
        await using var _ = ws;
        var meta = await ws.MetadataAsync();
        var contact = meta.Entity("contact")!;
        var values = RecordDefaults.For(contact, ws.Owner.UserId, DateTime.UtcNow, null);
        values["company"] = JsonValue.Create(company.Id.ToString());
        values["name"] = "Alice Wesker";

        var created = await ws.Records.CreateAsync(ws.Owner, "contact", new RecordInput(values));
        Assert.True(created.Succeeded, created.Errors.ToString());
        var related = await ws.Get<RelatedRecordsQuery>().GetAsync(ws.Owner, company.Id);
        Assert.Equal(created.Record!.Id, Assert.Single(Assert.Single(related.Incoming).Rows).Id);
    }
}
