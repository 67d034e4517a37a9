using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Records;

/// <summary>
/// Formula functions (issue 13, capability 4): each function of the one table evaluated and type-checked; text,
/// date and boolean results stored as their type and filtered/sorted in SQL on both databases; a looked-up
/// record's field read with the actor's field view; roll-ups over related records following their writes; type
/// errors and cycles (also through lookups and roll-ups) refused when saved, naming the field and the position.
/// </summary>
public class FormulaFunctionTests
{
    private sealed class Scope(Dictionary<string, object?> values) : IFormulaScope
    {
        public object? Value(string reference) => values.GetValueOrDefault(reference);
        public IReadOnlyList<object?>? List(string reference) => reference == "items.subtotal" ? [1m, null, 2.5m] : null;
        public DateOnly Today => new(2026, 12, 4);
        public IReadOnlyList<IFormulaScope> Related(string entity, string lookup) =>
        [
            new Scope(new() { ["amount"] = 100m, ["stage"] = "won" }),
            new Scope(new() { ["amount"] = 40m, ["stage"] = "lost" }),
            new Scope(new() { ["amount"] = 60m, ["stage"] = "won" }),
        ];
    }

    private static readonly Dictionary<string, object?> Values = new()
    {
        ["amount"] = 1234.567m, ["cost"] = 1000m, ["name"] = "Acme", ["stage"] = "won", ["blank"] = null,
        ["close"] = new DateOnly(2026, 1, 31), ["start"] = new DateOnly(2025, 3, 15), ["vip"] = true,
    };

    private static readonly FormulaSchema Schema = new(
        r => r switch
        {
            "amount" or "cost" or "blank" => FormulaType.Number,
            "name" or "stage" => FormulaType.Text,
            "close" or "start" => FormulaType.Date,
            "vip" => FormulaType.Boolean,
            _ => null,
        },
        r => r == "items.subtotal" ? FormulaType.Number : null,
        (e, l) => e == "deal" && l == "customer"
            ? new FormulaSchema(r => r switch { "amount" => FormulaType.Number, "stage" => FormulaType.Text, _ => null }, _ => null, (_, _) => null)
            : null);

    private static string Eval(string text)
    {
        var expr = FormulaExpression.Parse(text);
        expr.Check(Schema); // every case here type-checks
        return FormulaExpression.Text(expr.Evaluate(new Scope(Values)), null) is { Length: > 0 } s ? s : "(blank)";
    }

    [Theory]
    [InlineData("IF(amount > cost, \"profit\", \"loss\")", "profit")]
    [InlineData("IF(blank > 0, 1, 2)", "2")] // a blank condition counts as false
    [InlineData("IF(cost = 0, 0, amount / cost)", "1.234567")]
    [InlineData("AND(vip, amount >= 1000, stage = \"won\")", "TRUE")]
    [InlineData("OR(stage = \"lost\", amount < 0)", "FALSE")]
    [InlineData("NOT(vip)", "FALSE")]
    [InlineData("name <> \"Acme\"", "FALSE")]
    [InlineData("close <= start", "FALSE")]
    [InlineData("ROUND(amount, 2)", "1234.57")]
    [InlineData("ROUND(2.5)", "3")]
    [InlineData("MIN(amount, cost, 7)", "7")]
    [InlineData("MAX(items.subtotal)", "2.5")]
    [InlineData("SUM(items.subtotal)", "3.5")]
    [InlineData("MIN(blank)", "(blank)")]
    [InlineData("ABS(cost - amount)", "234.567")]
    [InlineData("CONCAT(name, \"-\", stage, blank)", "Acme-won")]
    [InlineData("TEXT(amount, \"0.0\")", "1234.6")]
    [InlineData("TEXT(close, \"yyyy/MM/dd\")", "2026/01/31")]
    [InlineData("TEXT(close)", "2026-01-31")]
    [InlineData("TODAY()", "2026-12-04")]
    [InlineData("DAYS(close, start)", "322")]
    [InlineData("DATEDIF(start, close, \"d\")", "322")]
    [InlineData("DATEDIF(start, close, \"m\")", "10")]
    [InlineData("DATEDIF(start, TODAY(), \"y\")", "1")]
    [InlineData("DATEDIF(close, start, \"m\")", "-10")]
    [InlineData("DATEADD(close, 1, \"m\")", "2026-02-28")]
    [InlineData("DATEADD(close, -31, \"d\")", "2025-12-31")]
    [InlineData("DATEADD(start, 2, \"y\")", "2027-03-15")]
    [InlineData("ROLLUP_SUM(deal.customer, amount, stage = \"won\")", "160")]
    [InlineData("ROLLUP_SUM(deal.customer, amount)", "200")]
    [InlineData("ROLLUP_COUNT(deal.customer, stage = \"won\")", "2")]
    [InlineData("ROLLUP_COUNT(deal.customer)", "3")]
    [InlineData("amount / 0", "(blank)")]
    [InlineData("IF(vip, 1, 1 / 0)", "1")]
    public void Every_function_evaluates(string expression, string expected) => Assert.Equal(expected, Eval(expression));

    [Theory]
    [InlineData("amount + name", 8, "'+' needs numbers")]
    [InlineData("IF(vip, 1, \"x\")", 1, "the results must have the same type")]
    [InlineData("IF(amount, 1, 2)", 4, "IF argument 1 must be boolean, not number")]
    [InlineData("ROUND(name, 2)", 7, "ROUND argument 1 must be number, not text")]
    [InlineData("DATEDIF(start, close, \"w\")", 23, "must be one of \"d\", \"m\", \"y\"")]
    [InlineData("DATEADD(close, 1, stage)", 19, "must be one of")]
    [InlineData("close > 3", 7, "'>' compares date with number")]
    [InlineData("ROLLUP_SUM(deal.owner, amount)", 12, "entity.lookup")]
    [InlineData("ROLLUP_SUM(deal.customer, name)", 27, "'name' is not a field")]
    public void Type_errors_name_the_position(string expression, int position, string message)
    {
        var e = Assert.Throws<FormulaException>(() => FormulaExpression.Parse(expression).Check(Schema));
        Assert.Equal(position, e.Position);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("FOO(1)", "unknown function 'FOO' at 1")]
    [InlineData("IF(1, 2)", "IF takes 3 arguments at 1")]
    [InlineData("CONCAT(\"abc, name)", "missing closing '\"' for the text at 8")]
    [InlineData("TODAY(1)", "TODAY takes 0 arguments")]
    public void Syntax_errors_name_the_position(string expression, string message)
        => Assert.Contains(message, Assert.ThrowsAny<FormatException>(() => FormulaExpression.Parse(expression)).Message);

    [Fact]
    public void The_function_table_has_help_for_every_function_in_both_languages()
    {
        foreach (var file in new[] { "Designer.resx", "Designer.zh-CN.resx" })
        {
            var path = Path.Combine(RepoRoot(), "src", "Crm.Web", "Resources", file);
            var keys = System.Xml.Linq.XDocument.Load(path).Root!.Elements("data").Select(d => (string)d.Attribute("name")!).ToHashSet();
            foreach (var name in FormulaExpression.Functions.Keys)
            {
                Assert.Contains($"Formula.Fn.{name}", keys);
                Assert.Contains($"Formula.Fn.{name}.Syntax", keys);
            }
        }
    }

    private static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Crm.Saas.sln"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }

    private static async Task<Workspace> FunnelAsync(string provider)
    {
        English();
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        return ws;
    }

    private static async Task AddFormulasAsync(Workspace ws, string entity, params (string Key, string Expression, string? ResultType)[] formulas)
    {
        var draft = await ws.DraftAsync(entity);
        foreach (var (key, expression, resultType) in formulas)
        {
            var f = draft.Fields.FirstOrDefault(x => x.Key == key) ?? draft.AddField("formula", L(key, key));
            f.Key = key;
            f.Settings = f.Settings with { Expression = expression, ResultType = resultType };
        }
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());
    }

    private static RecordInput Deal(string name, Guid company, decimal amount, string close, string? stage = null)
        => RecordInput.Of([("name", name), ("company", company.ToString()), ("amount", amount), ("expected_close", close), .. stage is null ? Array.Empty<(string, JsonNode?)>() : [("stage", stage)]]);

    private static async Task<List<Record>> QueryAsync(Workspace ws, string entityKey, FilterSpec[] filters, SortSpec[] sorts)
    {
        var entity = (await ws.MetadataAsync()).Entity(entityKey)!;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var q = RecordFilters.Apply(db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id), entity, filters, ws.Owner.UserId, DateTime.UtcNow);
        return await RecordFilters.Sort(q, entity, sorts).ToListAsync();
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Text_date_and_boolean_results_are_stored_as_their_type_and_filter_and_sort_in_sql(string provider)
    {
        await using var ws = await FunnelAsync(provider);
        await AddFormulasAsync(ws, "opportunity",
            ("label", "CONCAT(name, \" · \", TEXT(ROUND(amount / 1000, 0)), \"k\")", "text"),
            ("follow_up", "DATEADD(expected_close, 7, \"d\")", "date"),
            ("big", "AND(amount >= 100000, stage <> \"won\")", "boolean"),
            ("age_days", "DAYS(TODAY(), expected_close)", null));
        var company = await ws.CreateAsync("company", ("name", "Formula Co"));
        var a = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal("Bravo", company.Id, 250000, "2030-01-31"));
        var b = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal("Alpha", company.Id, 50000, "2029-12-01"));
        var c = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal("Charlie", company.Id, 120000, "2030-06-30", "won"));
        Assert.True(a.Succeeded && b.Succeeded && c.Succeeded, a.Errors + " " + b.Errors + " " + c.Errors);

        var stored = (await ws.RecordAsync(a.Record!.Id)).Values();
        Assert.Equal("Bravo · 250k", stored["label"]!.GetValue<string>());
        Assert.Equal("2030-02-07", stored["follow_up"]!.GetValue<string>());
        Assert.True(stored["big"]!.GetValue<bool>());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, stored["age_days"]!.GetValueKind());
        Assert.False((await ws.RecordAsync(c.Record!.Id)).Values()["big"]!.GetValue<bool>());

        var byLabel = await QueryAsync(ws, "opportunity", [new FilterSpec("label", "contains", JsonValue.Create("k"))], [new SortSpec("label")]);
        Assert.Equal(["Alpha", "Bravo", "Charlie"], byLabel.Select(r => r.Values()["name"]!.GetValue<string>()));
        var late = await QueryAsync(ws, "opportunity", [new FilterSpec("follow_up", "gte", JsonValue.Create("2030-01-01"))], [new SortSpec("follow_up", Descending: true)]);
        Assert.Equal(["Charlie", "Bravo"], late.Select(r => r.Values()["name"]!.GetValue<string>()));
        var big = await QueryAsync(ws, "opportunity", [new FilterSpec("big", "eq", JsonValue.Create(true))], []);
        Assert.Equal(["Bravo"], big.Select(r => r.Values()["name"]!.GetValue<string>()));

        // The stored value follows the next write.
        var edited = await ws.Records.UpdateAsync(ws.Owner, b.Record!.Id, RecordInput.Of(("amount", 150000)));
        Assert.True(edited.Succeeded, edited.Errors.ToString());
        Assert.True((await ws.RecordAsync(b.Record.Id)).Values()["big"]!.GetValue<bool>());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_looked_up_field_is_read_at_write_time_and_a_hidden_one_stays_blank(string provider)
    {
        await using var ws = await FunnelAsync(provider);
        await AddFormulasAsync(ws, "opportunity", ("where", "CONCAT(company.city, \"/\", company.industry)", "text"));
        var company = await ws.CreateAsync("company", ("name", "Lookup Co"), ("city", "杭州"));
        var deal = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal("Lookup deal", company.Id, 1000, "2030-01-31"));
        Assert.True(deal.Succeeded, deal.Errors.ToString());
        Assert.Equal("杭州/", (await ws.RecordAsync(deal.Record!.Id)).Text("where"));

        var noCity = await ws.MemberAsync(MemberRole.Member);
        await ws.RestrictAsync(noCity, "company", new Dictionary<string, FieldAccessLevel> { ["city"] = FieldAccessLevel.Hidden });
        var blind = await ws.Records.CreateAsync(noCity, "opportunity", Deal("Blind deal", company.Id, 1000, "2030-01-31"));
        Assert.True(blind.Succeeded, blind.Errors.ToString());
        Assert.Equal("/", (await ws.RecordAsync(blind.Record!.Id)).Text("where"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Roll_ups_follow_the_related_records_in_the_same_write(string provider)
    {
        await using var ws = await FunnelAsync(provider);
        await AddFormulasAsync(ws, "company",
            ("won_amount", "ROLLUP_SUM(opportunity.company, amount, stage = \"won\")", null),
            ("deal_count", "ROLLUP_COUNT(opportunity.company)", null));
        var one = await ws.CreateAsync("company", ("name", "Rollup One"));
        var two = await ws.CreateAsync("company", ("name", "Rollup Two"));
        decimal? N(Record r, string key) => Crm.Core.Fields.JsonNumbers.AsDecimal(r.Values()[key]);
        Assert.Equal(0m, N(await ws.RecordAsync(one.Id), "deal_count"));

        var won = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal("Won deal", one.Id, 300, "2030-01-31", "won"));
        var open = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal("Open deal", one.Id, 200, "2030-01-31"));
        Assert.True(won.Succeeded && open.Succeeded, won.Errors + " " + open.Errors);
        var first = await ws.RecordAsync(one.Id);
        Assert.Equal(300m, N(first, "won_amount"));
        Assert.Equal(2m, N(first, "deal_count"));

        // Winning the open deal, then moving it to the other company: both companies follow.
        Assert.True((await ws.Records.UpdateAsync(ws.Owner, open.Record!.Id, RecordInput.Of(("stage", "won")))).Succeeded);
        Assert.Equal(500m, N(await ws.RecordAsync(one.Id), "won_amount"));
        Assert.True((await ws.Records.UpdateAsync(ws.Owner, open.Record.Id, RecordInput.Of(("company", two.Id.ToString())))).Succeeded);
        Assert.Equal(300m, N(await ws.RecordAsync(one.Id), "won_amount"));
        Assert.Equal(1m, N(await ws.RecordAsync(one.Id), "deal_count"));
        Assert.Equal(200m, N(await ws.RecordAsync(two.Id), "won_amount"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Roll_ups_follow_deletes_of_related_records_also_of_a_parent_the_deleter_may_not_edit(string provider)
    {
        await using var ws = await FunnelAsync(provider);
        await AddFormulasAsync(ws, "company",
            ("won_amount", "ROLLUP_SUM(opportunity.company, amount, stage = \"won\")", null),
            ("deal_count", "ROLLUP_COUNT(opportunity.company)", null));
        var one = await ws.CreateAsync("company", ("name", "Delete One"));
        var two = await ws.CreateAsync("company", ("name", "Delete Two"));
        decimal? N(Record r, string key) => Crm.Core.Fields.JsonNumbers.AsDecimal(r.Values()[key]);
        async Task<Guid> DealAsync(Actor by, string name, Guid company, decimal amount, string? stage)
        {
            var created = await ws.Records.CreateAsync(by, "opportunity", Deal(name, company, amount, "2030-01-31", stage));
            Assert.True(created.Succeeded, created.Errors.ToString());
            return created.Record!.Id;
        }
        var won = await DealAsync(ws.Owner, "Won 300", one.Id, 300, "won");
        var won2 = await DealAsync(ws.Owner, "Won 200", one.Id, 200, "won");
        var open = await DealAsync(ws.Owner, "Open 50", one.Id, 50, null);
        var first = await ws.RecordAsync(one.Id);
        Assert.Equal(500m, N(first, "won_amount"));
        Assert.Equal(3m, N(first, "deal_count"));

        // One delete: ROLLUP_SUM and ROLLUP_COUNT follow in the delete's transaction, as a new version of the parent.
        Assert.Equal(1, await ws.Records.DeleteAsync(ws.Owner, [won]));
        var afterOne = await ws.RecordAsync(one.Id);
        Assert.Equal(200m, N(afterOne, "won_amount"));
        Assert.Equal(2m, N(afterOne, "deal_count"));
        Assert.True(afterOne.Version > first.Version);

        // A bulk delete of several children of one parent (and one of another): each parent recomputed once, from what is left.
        var other = await DealAsync(ws.Owner, "Other won", two.Id, 70, "won");
        var kept = await DealAsync(ws.Owner, "Other kept", two.Id, 30, "won");
        Assert.Equal(3, await ws.Records.DeleteAsync(ws.Owner, [won2, open, other]));
        Assert.Equal(0m, N(await ws.RecordAsync(one.Id), "won_amount"));
        Assert.Equal(0m, N(await ws.RecordAsync(one.Id), "deal_count"));
        Assert.Equal(30m, N(await ws.RecordAsync(two.Id), "won_amount"));
        Assert.Equal(1m, N(await ws.RecordAsync(two.Id), "deal_count"));

        // A member who may delete deals but not edit companies: the company's roll-ups still follow (they count all records).
        var rep = await ws.MemberAsync(MemberRole.Member);
        await DealsButNotCompaniesAsync(ws, rep);
        var theirs = await DealAsync(rep, "Rep won", two.Id, 900, "won");
        Assert.Equal(930m, N(await ws.RecordAsync(two.Id), "won_amount"));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Records.UpdateAsync(rep, two.Id, RecordInput.Of(("name", "Renamed by rep"))));
        Assert.Equal(1, await ws.Records.DeleteAsync(rep, [theirs]));
        var last = await ws.RecordAsync(two.Id);
        Assert.Equal(30m, N(last, "won_amount"));
        Assert.Equal(1m, N(last, "deal_count"));
        Assert.Equal("Delete Two", last.Values()["name"]!.GetValue<string>());
        Assert.Equal(1, await ws.Records.DeleteAsync(ws.Owner, [kept]));
        Assert.Equal(0m, N(await ws.RecordAsync(two.Id), "deal_count"));
    }

    /// <summary>A custom role: deals read/edit/delete all, companies read only.</summary>
    private static async Task DealsButNotCompaniesAsync(Workspace ws, Actor member)
    {
        var metadata = await ws.MetadataAsync();
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var role = new RoleDefinition { Key = "deals_only", Label = LocalizedText.Same("Deals only") };
        db.AddRange(role,
            new MemberRoleAssignment { UserId = member.UserId, RoleId = role.Id },
            new EntityPermission { RoleId = role.Id, EntityTypeId = metadata.Entity("opportunity")!.Entity.Id },
            new EntityPermission { RoleId = role.Id, EntityTypeId = metadata.Entity("company")!.Entity.Id, CanCreate = false, Edit = DataScope.None, Delete = DataScope.None });
        await db.SaveChangesAsync();
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_designer_refuses_type_errors_and_cycles_through_lookups_and_roll_ups(string provider)
    {
        English(); // the culture set inside FunnelAsync does not flow back out of it
        await using var ws = await FunnelAsync(provider);
        var draft = await ws.DraftAsync("opportunity");
        var f = draft.AddField("formula", L("标签", "Tag"));
        f.Settings = f.Settings with { Expression = "name + 1", ResultType = "text" };
        var refused = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.False(refused.Succeeded);
        var message = Assert.Single(refused.Errors.For($"fields/{f.Key}/expression"));
        Assert.StartsWith("Tag: ", message);
        Assert.Contains("at 6", message);
        f.Settings = f.Settings with { Expression = "amount + 1" };
        Assert.Contains("gives number", Assert.Single((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Errors.For($"fields/{f.Key}/expression")));

        // share → company.won_share → ROLLUP of opportunity.share: a circle across entity types.
        await AddFormulasAsync(ws, "opportunity", ("share", "amount / 10", null));
        await AddFormulasAsync(ws, "company", ("won_share", "ROLLUP_SUM(opportunity.company, share)", null));
        var again = await ws.DraftAsync("opportunity");
        var share = again.Fields.Single(x => x.Key == "share");
        share.Settings = share.Settings with { Expression = "company.won_share / 10" };
        var cycle = await ws.Designer().SaveEntityAsync(ws.Owner, again);
        Assert.False(cycle.Succeeded);
        Assert.Contains("share → company.won_share → share", Assert.Single(cycle.Errors.For("fields/share/expression")));
    }
}
