using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class ListColumnPreferences : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "list_column_preferences",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    entity_type_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    columns = table.Column<string>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_list_column_preferences", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_list_column_preferences_entity_types_tenant_id_entity_type_id",
                        columns: x => new { x.tenant_id, x.entity_type_id },
                        principalTable: "entity_types",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_list_column_preferences_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_list_column_preferences_tenant_id_entity_type_id",
                table: "list_column_preferences",
                columns: new[] { "tenant_id", "entity_type_id" });

            migrationBuilder.CreateIndex(
                name: "ix_list_column_preferences_tenant_id_user_id_entity_type_id",
                table: "list_column_preferences",
                columns: new[] { "tenant_id", "user_id", "entity_type_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "list_column_preferences");
        }
    }
}
