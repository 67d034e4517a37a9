using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class TransitionIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_record_transitions_tenant_id_entity_type_id_kind_to_id",
                table: "record_transitions");

            migrationBuilder.CreateIndex(
                name: "ix_record_transitions_tenant_id_entity_type_id_kind_to_id",
                table: "record_transitions",
                columns: new[] { "tenant_id", "entity_type_id", "kind", "to_id" })
                .Annotation("Npgsql:IndexInclude", new[] { "from_id", "record_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_record_transitions_tenant_id_entity_type_id_kind_to_id",
                table: "record_transitions");

            migrationBuilder.CreateIndex(
                name: "ix_record_transitions_tenant_id_entity_type_id_kind_to_id",
                table: "record_transitions",
                columns: new[] { "tenant_id", "entity_type_id", "kind", "to_id" });
        }
    }
}
