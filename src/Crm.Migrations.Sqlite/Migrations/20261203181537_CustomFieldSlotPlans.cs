using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class CustomFieldSlotPlans : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_records_slot_t1",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t10",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t11",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t12",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t2",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t3",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t4",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t5",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t6",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t7",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t8",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t9",
                table: "records");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t1",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text1" });

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t10",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text10" });

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t11",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text11" });

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t12",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text12" });

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t2",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text2" });

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t3",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text3" });

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t4",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text4" });

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t5",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text5" });

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t6",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text6" });

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t7",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text7" });

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t8",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text8" });

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t9",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text9" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_records_slot_t1",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t10",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t11",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t12",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t2",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t3",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t4",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t5",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t6",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t7",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t8",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_t9",
                table: "records");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t1",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text1" },
                filter: "text1 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t10",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text10" },
                filter: "text10 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t11",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text11" },
                filter: "text11 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t12",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text12" },
                filter: "text12 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t2",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text2" },
                filter: "text2 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t3",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text3" },
                filter: "text3 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t4",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text4" },
                filter: "text4 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t5",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text5" },
                filter: "text5 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t6",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text6" },
                filter: "text6 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t7",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text7" },
                filter: "text7 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t8",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text8" },
                filter: "text8 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_t9",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "text9" },
                filter: "text9 IS NOT NULL");
        }
    }
}
