using System.Linq;
using Crm.Core.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Postgres.Migrations
{
    /// <summary>
    /// Maintained board totals (cf14b, PostgreSQL only; no model change): <c>record_totals</c> holds, per text slot a
    /// board has grouped by, count / non-null amounts / sum of amount per (slot value, stage) as append-only delta rows,
    /// written by statement triggers on <c>records</c> from their transition tables — so every write (EF, COPY's
    /// INSERT … SELECT, ExecuteUpdate, deletes, undo, slot fills) keeps them, in its own transaction.
    /// <c>record_totals_slots</c> lists the (entity type, slot) pairs kept; <c>BoardTotals</c> adds one (and fills
    /// it) the first time a board groups by that slot. An advisory lock per (workspace, entity type), shared by the
    /// triggers and exclusive while a slot is filled, makes a fill and concurrent writes add up exactly once.
    /// </summary>
    [DbContext(typeof(CrmDbContext))]
    [Migration("20261204190500_BoardTotals")]
    public partial class BoardTotals : Migration
    {
        private static string Text(string prefix) => string.Join(", ", System.Linq.Enumerable.Range(1, 12).Select(i => $"{prefix}text{i}"));

        private static string Delta(string table, string sign) => $"""
            SELECT d.tenant_id, d.entity_type_id, s.slot, (ARRAY[{Text("d.")}])[s.slot], d.stage_id,
                   {sign}1, {sign}(d.amount IS NOT NULL)::int, {sign}coalesce(d.amount, 0)
            FROM {table} d JOIN record_totals_slots s ON s.tenant_id = d.tenant_id AND s.entity_type_id = d.entity_type_id
            """;

        private static string Lock(string table) => $"""
            PERFORM pg_advisory_xact_lock_shared(hashtextextended('record_totals:' || k.tenant_id || ':' || k.entity_type_id, 0))
            FROM (SELECT DISTINCT tenant_id, entity_type_id FROM {table}) k;
            """;

        private const string Insert = "INSERT INTO record_totals (tenant_id, entity_type_id, slot, value, stage_id, records, amounts, amount)";
        private const string Sums = "SELECT tenant_id, entity_type_id, slot, value, stage_id, sum(n), sum(na), sum(a) FROM (";
        private const string Group = ") x (tenant_id, entity_type_id, slot, value, stage_id, n, na, a) GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 OR sum(na) <> 0 OR sum(a) <> 0";

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE record_totals_slots (
                    tenant_id uuid NOT NULL,
                    entity_type_id uuid NOT NULL,
                    slot smallint NOT NULL,
                    CONSTRAINT pk_record_totals_slots PRIMARY KEY (tenant_id, entity_type_id, slot));
                CREATE TABLE record_totals (
                    tenant_id uuid NOT NULL,
                    entity_type_id uuid NOT NULL,
                    slot smallint NOT NULL,
                    value character varying(100) NULL,
                    stage_id uuid NULL,
                    records bigint NOT NULL,
                    amounts bigint NOT NULL,
                    amount numeric NOT NULL);
                CREATE INDEX ix_record_totals_tenant_id_entity_type_id_slot ON record_totals (tenant_id, entity_type_id, slot);
                """);
            migrationBuilder.EnableTenantRowLevelSecurity("record_totals_slots", "record_totals");
            migrationBuilder.Sql($"""
                CREATE FUNCTION record_totals_write() RETURNS trigger LANGUAGE plpgsql AS $fn$
                BEGIN
                    IF TG_OP = 'INSERT' THEN
                        {Lock("new_rows")}
                        {Insert} {Sums} {Delta("new_rows", "")} {Group};
                    ELSIF TG_OP = 'DELETE' THEN
                        {Lock("old_rows")}
                        {Insert} {Sums} {Delta("old_rows", "-")} {Group};
                    ELSE
                        {Lock("new_rows")}
                        {Insert} {Sums} {Delta("new_rows", "")} UNION ALL {Delta("old_rows", "-")} {Group};
                    END IF;
                    RETURN NULL;
                END $fn$;
                CREATE TRIGGER record_totals_insert AFTER INSERT ON records REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION record_totals_write();
                CREATE TRIGGER record_totals_update AFTER UPDATE ON records REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION record_totals_write();
                CREATE TRIGGER record_totals_delete AFTER DELETE ON records REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION record_totals_write();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS record_totals_insert ON records;
                DROP TRIGGER IF EXISTS record_totals_update ON records;
                DROP TRIGGER IF EXISTS record_totals_delete ON records;
                DROP FUNCTION IF EXISTS record_totals_write();
                DROP TABLE IF EXISTS record_totals;
                DROP TABLE IF EXISTS record_totals_slots;
                """);
        }
    }
}
