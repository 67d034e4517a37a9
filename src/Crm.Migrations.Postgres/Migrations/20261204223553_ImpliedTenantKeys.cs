using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Postgres.Migrations
{
    /// <summary>
    /// imp17d: record_changes, record_transitions and import_batch_items lose their own key to tenants (one trigger
    /// check per inserted row, about 40 % of those tables' insert time in an import). Their tenant is held by their
    /// cascading composite keys to records / import_batches, whose rows must name a tenant and go with it.
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
