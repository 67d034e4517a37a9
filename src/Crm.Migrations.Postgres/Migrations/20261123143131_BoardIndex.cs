using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class BoardIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_records_tenant_id_entity_type_id_pipeline_id_stage_id_rank",
                table: "records");

            migrationBuilder.CreateIndex(
                name: "ix_records_tenant_id_entity_type_id_pipeline_id_stage_id_rank",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "pipeline_id", "stage_id", "rank" })
                .Annotation("Npgsql:IndexInclude", new[] { "amount" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_records_tenant_id_entity_type_id_pipeline_id_stage_id_rank",
                table: "records");

            migrationBuilder.CreateIndex(
                name: "ix_records_tenant_id_entity_type_id_pipeline_id_stage_id_rank",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "pipeline_id", "stage_id", "rank" });
        }
    }
}
