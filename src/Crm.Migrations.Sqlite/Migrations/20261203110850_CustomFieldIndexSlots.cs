using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class CustomFieldIndexSlots : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "num1",
                table: "records",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "num2",
                table: "records",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "num3",
                table: "records",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "num4",
                table: "records",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "num5",
                table: "records",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "num6",
                table: "records",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "num7",
                table: "records",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "num8",
                table: "records",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "text1",
                table: "records",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "text10",
                table: "records",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "text11",
                table: "records",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "text12",
                table: "records",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "text2",
                table: "records",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "text3",
                table: "records",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "text4",
                table: "records",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "text5",
                table: "records",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "text6",
                table: "records",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "text7",
                table: "records",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "text8",
                table: "records",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "text9",
                table: "records",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "index_slot",
                table: "field_definitions",
                type: "TEXT",
                maxLength: 8,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_n1",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "num1" },
                filter: "num1 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_n2",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "num2" },
                filter: "num2 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_n3",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "num3" },
                filter: "num3 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_n4",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "num4" },
                filter: "num4 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_n5",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "num5" },
                filter: "num5 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_n6",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "num6" },
                filter: "num6 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_n7",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "num7" },
                filter: "num7 IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_records_slot_n8",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "num8" },
                filter: "num8 IS NOT NULL");

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

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_records_slot_n1",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_n2",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_n3",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_n4",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_n5",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_n6",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_n7",
                table: "records");

            migrationBuilder.DropIndex(
                name: "ix_records_slot_n8",
                table: "records");

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

            migrationBuilder.DropColumn(
                name: "num1",
                table: "records");

            migrationBuilder.DropColumn(
                name: "num2",
                table: "records");

            migrationBuilder.DropColumn(
                name: "num3",
                table: "records");

            migrationBuilder.DropColumn(
                name: "num4",
                table: "records");

            migrationBuilder.DropColumn(
                name: "num5",
                table: "records");

            migrationBuilder.DropColumn(
                name: "num6",
                table: "records");

            migrationBuilder.DropColumn(
                name: "num7",
                table: "records");

            migrationBuilder.DropColumn(
                name: "num8",
                table: "records");

            migrationBuilder.DropColumn(
                name: "text1",
                table: "records");

            migrationBuilder.DropColumn(
                name: "text10",
                table: "records");

            migrationBuilder.DropColumn(
                name: "text11",
                table: "records");

            migrationBuilder.DropColumn(
                name: "text12",
                table: "records");

            migrationBuilder.DropColumn(
                name: "text2",
                table: "records");

            migrationBuilder.DropColumn(
                name: "text3",
                table: "records");

            migrationBuilder.DropColumn(
                name: "text4",
                table: "records");

            migrationBuilder.DropColumn(
                name: "text5",
                table: "records");

            migrationBuilder.DropColumn(
                name: "text6",
                table: "records");

            migrationBuilder.DropColumn(
                name: "text7",
                table: "records");

            migrationBuilder.DropColumn(
                name: "text8",
                table: "records");

            migrationBuilder.DropColumn(
                name: "text9",
                table: "records");

            migrationBuilder.DropColumn(
                name: "index_slot",
                table: "field_definitions");
        }
    }
}
