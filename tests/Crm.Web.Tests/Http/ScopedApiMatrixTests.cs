using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>
/// The API part of issue 12's matrix: records, the per-entity schema, saved reports (JSON and CSV export), each
/// called with an API key made by a member of department X (or X1, Y) whose role gives one data scope — own, own +
/// department, own + department tree (editing only their own), all — and hides 成本价 (cost_price) and locks the
/// amount. What each key sees and may change is compared with the hand-written <see cref="Reads"/> and
/// <see cref="Edits"/> over the ownership table.
/// </summary>
public class ScopedApiMatrixTests(AppFixture apps) : HttpTestBase(apps)
{
    private enum U { Own, Dept, Tree, AllX, RepX1, RepY }

    private static readonly U[] MembersOfX = [U.Own, U.Dept, U.Tree, U.AllX];

    /// <summary>Whose deals <paramref name="u"/> reads: by hand, from the departments above.</summary>
    private static bool Reads(U u, U owner) => u switch
    {
        U.AllX => true,
        U.Dept => MembersOfX.Contains(owner),
        U.Tree => MembersOfX.Contains(owner) || owner == U.RepX1,
        _ => owner == u,
    };

    /// <summary>Whose deals <paramref name="u"/> edits: the manager (tree) edits only their own.</summary>
    private static bool Edits(U u, U owner) => u == U.Tree ? owner == U.Tree : Reads(u, owner);

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Each_api_key_reads_and_changes_exactly_what_its_makers_scope_and_field_rights_allow(string provider)
    {
        var app = await AppAsync(provider);
        var owner = await app.SignUpAsync();
        var ownerActor = new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner);
        Assert.True((await app.Services.GetRequiredService<TemplateInstaller>().InstallAsync(ownerActor, Workspace.Catalog.Find("b2b_sales_funnel")!.Document, new InstallOptions(false))).Succeeded);
        var deals = (await app.Services.GetRequiredService<MetadataStore>().GetAsync(owner.Tenant.Id)).Entity("opportunity")!;

        var users = new Dictionary<U, Guid>();
        foreach (var u in Enum.GetValues<U>()) users[u] = (await app.AddMemberAsync(owner.Tenant, MemberRole.Member)).Id;
        await using (var db = app.Database.Factory.CreateForTenant(owner.Tenant.Id))
        {
            var x = new Department { Name = "X" };
            var x1 = new Department { Name = "X1", ParentId = x.Id };
            var y = new Department { Name = "Y" };
            db.AddRange(x, y);
            await db.SaveChangesAsync();
            db.Add(x1);
            foreach (var u in MembersOfX) db.Add(new DepartmentMember { DepartmentId = x.Id, UserId = users[u], IsLeader = u == U.Tree });
            db.Add(new DepartmentMember { DepartmentId = x1.Id, UserId = users[U.RepX1] });
            db.Add(new DepartmentMember { DepartmentId = y.Id, UserId = users[U.RepY] });
            void Role(string key, DataScope read, DataScope edit, params U[] holders)
            {
                var role = new RoleDefinition { Key = key, Label = LocalizedText.Same(key) };
                db.Add(role);
                db.Add(new EntityPermission
                {
                    RoleId = role.Id, EntityTypeId = deals.Entity.Id, Read = read, Edit = edit, Delete = edit,
                    Fields = new() { ["cost_price"] = FieldAccessLevel.Hidden, ["amount"] = FieldAccessLevel.ReadOnly },
                });
                foreach (var u in holders) db.Add(new MemberRoleAssignment { UserId = users[u], RoleId = role.Id });
            }
            Role("rep", DataScope.Own, DataScope.Own, U.Own, U.RepX1, U.RepY);
            Role("dept", DataScope.OwnAndDepartment, DataScope.OwnAndDepartment, U.Dept);
            Role("manager", DataScope.OwnAndDepartmentTree, DataScope.Own, U.Tree);
            Role("all", DataScope.All, DataScope.All, U.AllX);
            await db.SaveChangesAsync();
        }

        // One deal per member, made by the workspace owner over the API.
        using var ownerClient = await app.SignedInClientAsync(owner.User);
        var api = $"/t/{owner.Slug}/api";
        var company = JsonNode.Parse(await (await ownerClient.PostAsync($"{api}/entities/company/records", Json(new JsonObject { ["values"] = new JsonObject { ["name"] = "Scope Co" } }))).Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var table = new Dictionary<string, (U Owner, decimal Amount)>();
        var i = 0;
        foreach (var u in Enum.GetValues<U>())
        {
            var amount = 100m * ++i;
            var created = await ownerClient.PostAsync($"{api}/entities/opportunity/records", Json(new JsonObject
            {
                ["values"] = new JsonObject
                {
                    ["name"] = "scoped " + u, ["amount"] = amount, ["cost_price"] = amount / 2, ["owner"] = users[u].ToString(), ["company"] = company, ["expected_close"] = "2027-01-15",
                },
            }));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            table[JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>()] = (u, amount);
        }

        var keys = app.Services.GetRequiredService<IApiKeyStore>();
        foreach (var u in Enum.GetValues<U>())
        {
            var (_, secret) = await keys.CreateAsync(owner.Tenant.Id, "key " + u, MemberRole.Member, users[u]);
            using var key = app.CreateBrowserLikeClient();
            key.DefaultRequestHeaders.Add("X-Api-Key", secret);
            var visible = table.Where(t => Reads(u, t.Value.Owner)).Select(t => t.Key).ToHashSet();

            // The list: exactly the visible deals, the total included, no cost price, the amount shown.
            var list = JsonNode.Parse(await key.GetStringAsync($"{api}/entities/opportunity/records?take=100"))!;
            Assert.Equal(visible.Count, list["total"]!.GetValue<int>());
            var items = list["items"]!.AsArray();
            Assert.True(visible.SetEquals(items.Select(x => x!["id"]!.GetValue<string>())), $"list for {u}");
            Assert.All(items, x => Assert.False(x!["values"]!.AsObject().ContainsKey("cost_price")));
            Assert.All(items, x => Assert.Equal(table[x!["id"]!.GetValue<string>()].Amount, x["values"]!["amount"]!.GetValue<decimal>()));

            // The schema: no cost price, the amount read-only.
            var schema = JsonNode.Parse(await key.GetStringAsync($"{api}/entities/opportunity/schema"))!["properties"]!.AsObject();
            Assert.False(schema.ContainsKey("cost_price"));
            Assert.Equal("readOnly", schema["amount"]!["x-access"]!.GetValue<string>());

            // Each deal by id, and a change of a writable field: 404 when hidden, 403 when read-only to them, else 200.
            foreach (var (id, deal) in table)
            {
                var read = await key.GetAsync($"{api}/records/{id}");
                Assert.Equal(Reads(u, deal.Owner) ? HttpStatusCode.OK : HttpStatusCode.NotFound, read.StatusCode);
                var patch = await key.PatchAsync($"{api}/records/{id}", Json(new JsonObject { ["values"] = new JsonObject { ["next_step"] = "by " + u } }));
                var expected = Edits(u, deal.Owner) ? HttpStatusCode.OK : Reads(u, deal.Owner) ? HttpStatusCode.Forbidden : HttpStatusCode.NotFound;
                Assert.True(expected == patch.StatusCode, $"PATCH by {u} of {deal.Owner}'s deal: {patch.StatusCode}, expected {expected}");
            }

            // The read-only amount and the hidden cost price are refused by PATCH, PUT and POST; an echoed PUT is fine.
            var mine = table.First(t => t.Value.Owner == u).Key;
            var current = JsonNode.Parse(await key.GetStringAsync($"{api}/records/{mine}"))!;
            Assert.False(current["values"]!.AsObject().ContainsKey("cost_price"));
            var amountPatch = await key.PatchAsync($"{api}/records/{mine}", Json(new JsonObject { ["values"] = new JsonObject { ["amount"] = 1 } }));
            Assert.Equal(HttpStatusCode.BadRequest, amountPatch.StatusCode);
            Assert.NotNull(JsonNode.Parse(await amountPatch.Content.ReadAsStringAsync())!["errors"]!["amount"]);
            var costPatch = await key.PatchAsync($"{api}/records/{mine}", Json(new JsonObject { ["values"] = new JsonObject { ["cost_price"] = 1 } }));
            Assert.Equal(HttpStatusCode.BadRequest, costPatch.StatusCode);
            Assert.NotNull(JsonNode.Parse(await costPatch.Content.ReadAsStringAsync())!["errors"]!["cost_price"]);
            var changed = current["values"]!.DeepClone().AsObject();
            changed["amount"] = 1;
            Assert.Equal(HttpStatusCode.BadRequest, (await key.PutAsync($"{api}/records/{mine}", Json(new JsonObject { ["values"] = changed, ["version"] = current["version"]!.GetValue<long>() }))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await key.PutAsync($"{api}/records/{mine}", Json(new JsonObject { ["values"] = current["values"]!.DeepClone(), ["version"] = current["version"]!.GetValue<long>() }))).StatusCode);
            var post = await key.PostAsync($"{api}/entities/opportunity/records", Json(new JsonObject
            {
                ["values"] = new JsonObject { ["name"] = "new", ["amount"] = 5, ["cost_price"] = 2, ["company"] = company, ["expected_close"] = "2027-01-15" },
            }));
            Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
            Assert.NotNull(JsonNode.Parse(await post.Content.ReadAsStringAsync())!["errors"]!["cost_price"]);
            var stored = JsonNode.Parse(await ownerClient.GetStringAsync($"{api}/records/{mine}"))!["values"]!;
            Assert.Equal((table[mine].Amount, table[mine].Amount / 2), (stored["amount"]!.GetValue<decimal>(), stored["cost_price"]!.GetValue<decimal>()));

            // Saved reports and their CSV export count and sum only the visible deals.
            var sum = table.Where(t => visible.Contains(t.Key)).Sum(t => t.Value.Amount);
            var byStage = JsonNode.Parse(await key.GetStringAsync($"{api}/reports/opportunity_amount_by_stage"))!;
            Assert.Equal(sum, byStage["rows"]!.AsArray().Sum(r => r!["values"]![0]?.GetValue<decimal>() ?? 0));
            var csv = await key.GetStringAsync($"{api}/reports/opportunity_amount_by_stage.csv");
            var csvSum = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(line => line.TrimEnd('\r').Split(',')[^1])
                .Sum(cell => cell.Length == 0 ? 0 : decimal.Parse(cell, CultureInfo.InvariantCulture));
            Assert.Equal(sum, csvSum);
            var count = JsonNode.Parse(await key.GetStringAsync($"{api}/reports/open_opportunity_count"))!;
            Assert.Equal(visible.Count, count["kpi"]!["value"]!.GetValue<decimal>());
        }
    }
}
