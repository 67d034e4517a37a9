using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Sqlite.Migrations
{
    /// <summary>
    /// imp17d: record_changes, record_transitions and import_batch_items lose their own key to tenants; their tenant
    /// is held by their cascading composite keys to records / import_batches (see the PostgreSQL migration).
    /// SQLite drops a foreign key by rebuilding the table (no triggers on these tables).
    /// </summary>
    public partial class ImpliedTenantKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_import_batch_items_tenants_tenant_id",
                table: "import_batch_items");

            migrationBuilder.DropForeignKey(
                name: "fk_record_changes_tenants_tenant_id",
                table: "record_changes");

            migrationBuilder.DropForeignKey(
                name: "fk_record_transitions_tenants_tenant_id",
                table: "record_transitions");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddForeignKey(
                name: "fk_import_batch_items_tenants_tenant_id",
                table: "import_batch_items",
                column: "tenant_id",
                principalTable: "tenants",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_record_changes_tenants_tenant_id",
                table: "record_changes",
                column: "tenant_id",
                principalTable: "tenants",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_record_transitions_tenants_tenant_id",
                table: "record_transitions",
                column: "tenant_id",
                principalTable: "tenants",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
