using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class RecordShareLookupIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_record_shares_tenant_id_department_id",
                table: "record_shares");

            migrationBuilder.DropIndex(
                name: "ix_record_shares_tenant_id_user_id",
                table: "record_shares");

            migrationBuilder.CreateIndex(
                name: "ix_record_shares_tenant_id_department_id_record_id",
                table: "record_shares",
                columns: new[] { "tenant_id", "department_id", "record_id" });

            migrationBuilder.CreateIndex(
                name: "ix_record_shares_tenant_id_user_id_record_id",
                table: "record_shares",
                columns: new[] { "tenant_id", "user_id", "record_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_record_shares_tenant_id_department_id_record_id",
                table: "record_shares");

            migrationBuilder.DropIndex(
                name: "ix_record_shares_tenant_id_user_id_record_id",
                table: "record_shares");

            migrationBuilder.CreateIndex(
                name: "ix_record_shares_tenant_id_department_id",
                table: "record_shares",
                columns: new[] { "tenant_id", "department_id" });

            migrationBuilder.CreateIndex(
                name: "ix_record_shares_tenant_id_user_id",
                table: "record_shares",
                columns: new[] { "tenant_id", "user_id" });
        }
    }
}
