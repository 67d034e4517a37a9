using System;
using Crm.Core.Data;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Sqlite.Migrations
{
    /// <summary>
    /// Workspace deletion (wsdel): <c>tenants.deleted_at</c> marks a deleted workspace, <c>workspace_erasures</c> records
    /// the deletion and outlives the workspace, and the audit trail's DELETE trigger lets through the rows of a
    /// workspace named there (and nothing else: other DELETEs, every UPDATE and TRUNCATE are still refused).
    /// </summary>
    public partial class WorkspaceErasures : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "deleted_at",
                table: "tenants",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "workspace_erasures",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    slug = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    requested_by = table.Column<Guid>(type: "TEXT", nullable: false),
                    requested_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    started_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    finished_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    rows_deleted = table.Column<long>(type: "INTEGER", nullable: false),
                    lease_owner = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    lease_until = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_workspace_erasures", x => x.tenant_id);
                });

            migrationBuilder.AllowErasureDeletes("audit_entries");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RefuseErasureDeletes("audit_entries");

            migrationBuilder.DropTable(
                name: "workspace_erasures");

            migrationBuilder.DropColumn(
                name: "deleted_at",
                table: "tenants");
        }
    }
}
