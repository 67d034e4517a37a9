using System.Globalization;
using Crm.Core.Records;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Records;

/// <summary>The record page's related records: lookups in both directions, counted in SQL, inside one workspace.</summary>
public class RelatedRecordsQueryTests
{
    private static readonly CultureInfo En = new("en");

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_customer_lists_its_contacts_and_opportunities_and_a_deal_links_to_its_customer(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var meta = await ws.MetadataAsync();
        List<Record> records;
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            records = await db.Records.AsNoTracking().ToListAsync();
        var companyType = meta.Entity("company")!.Entity.Id;
        var contactType = meta.Entity("contact")!.Entity.Id;
        var dealType = meta.Entity("opportunity")!.Entity.Id;
        string? CompanyOf(Record r) => RecordWriter.ParseValues(r.Values)["company"]?.GetValue<string>();

        // The customer with the most opportunities.
        var customer = records.Where(r => r.EntityTypeId == companyType)
            .OrderByDescending(c => records.Count(r => r.EntityTypeId == dealType && CompanyOf(r) == c.Id.ToString())).First();
        var deals = records.Where(r => r.EntityTypeId == dealType && CompanyOf(r) == customer.Id.ToString()).ToList();
        var contacts = records.Where(r => r.EntityTypeId == contactType && CompanyOf(r) == customer.Id.ToString()).ToList();
        Assert.True(deals.Count >= 2);

        var related = await ws.Get<RelatedRecordsQuery>().GetAsync(ws.Owner, customer.Id, take: 1, culture: En);
        Assert.Empty(related.Outgoing);
        var dealGroup = related.Incoming.Single(g => g.Entity.Key == "opportunity" && g.Field.Key == "company");
        Assert.Equal(deals.Count, dealGroup.Count);
        var latest = Assert.Single(dealGroup.Rows);
        var newest = deals.Max(d => d.UpdatedAt);
        Assert.Contains(latest.Title, deals.Where(d => d.UpdatedAt == newest).Select(d => d.Title));
        Assert.Contains(dealGroup.Columns, c => c.Key == "stage");
        Assert.Equal(dealGroup.Columns.Count, latest.Cells.Count);
        if (contacts.Count > 0)
            Assert.Equal(contacts.Count, related.Incoming.Single(g => g.Entity.Key == "contact").Count);
        else
            Assert.DoesNotContain(related.Incoming, g => g.Entity.Key == "contact");

        // The other direction: a deal points at its customer (and contact), with titles.
        var deal = deals[0];
        var back = await ws.Get<RelatedRecordsQuery>().GetAsync(ws.Owner, deal.Id, culture: En);
        var link = back.Outgoing.Single(o => o.Field.Key == "company");
        Assert.Equal((customer.Id, customer.Title, "company"), (link.Id, link.Title, link.Target.Key));
        Assert.Empty(back.Incoming); // nothing looks up opportunities in this template
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Records_of_another_workspace_never_count_as_related(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        await using var other = await Workspace.CreateAsync(provider);
        await other.InstallAsync("b2b_sales_funnel");
        var company = (await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "Initech")))).Record!;
        var contact = await ws.Records.CreateAsync(ws.Owner, "contact", RecordInput.Of(("name", "Peter"), ("company", company.Id.ToString())));
        Assert.True(contact.Succeeded, contact.Errors.ToString());

        // A forged row in the other workspace whose JSON names our company's id (the writer would refuse it).
        var otherContactType = (await other.MetadataAsync()).Entity("contact")!.Entity.Id;
        await using (var db = other.Database.Factory.CreateForTenant(other.Tenant.Id))
        {
            db.Records.Add(new Record { EntityTypeId = otherContactType, Title = "Forged", Values = $$"""{"name":"Forged","company":"{{company.Id}}"}""" });
            await db.SaveChangesAsync();
        }

        var related = await ws.Get<RelatedRecordsQuery>().GetAsync(ws.Owner, company.Id, culture: En);
        var group = Assert.Single(related.Incoming);
        Assert.Equal(1, group.Count);
        Assert.Equal("Peter", Assert.Single(group.Rows).Title);

        var fromOutside = await other.Get<RelatedRecordsQuery>().GetAsync(other.Owner, company.Id, culture: En);
        Assert.Empty(fromOutside.Incoming);
        Assert.Empty(fromOutside.Outgoing);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_stage_is_labelled_as_the_related_records_own_pipeline_names_it(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var company = (await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "Pipelines Inc")))).Record!;
        var deal = await ws.Records.CreateAsync(ws.Owner, "opportunity",
            RecordInput.Of(("name", "Quote deal"), ("company", company.Id.ToString()), ("amount", 1000), ("expected_close", "2026-12-31"), ("stage", "negotiation")) with { Pipeline = "demo_quote" });
        Assert.True(deal.Succeeded, deal.Errors.ToString());

        var related = await ws.Get<RelatedRecordsQuery>().GetAsync(ws.Owner, company.Id, culture: new CultureInfo("zh-CN"));
        var group = related.Incoming.Single(g => g.Entity.Key == "opportunity");
        var stageColumn = group.Columns.ToList().FindIndex(c => c.Key == "stage");
        Assert.Equal("谈判", Assert.Single(group.Rows).Cells[stageColumn]); // not the B2B pipeline's "谈判与异议处理"
    }
}
