using Crm.Core.Data;
﻿using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class UniqueValues : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "record_unique_values",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    entity_type_id = table.Column<Guid>(type: "uuid", nullable: false),
                    field_key = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    value_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    record_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_record_unique_values", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_record_unique_values_records_tenant_id_record_id",
                        columns: x => new { x.tenant_id, x.record_id },
                        principalTable: "records",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_record_unique_values_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_record_unique_values_tenant_id_entity_type_id_field_key_val",
                table: "record_unique_values",
                columns: new[] { "tenant_id", "entity_type_id", "field_key", "value_hash" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_record_unique_values_tenant_id_record_id",
                table: "record_unique_values",
                columns: new[] { "tenant_id", "record_id" });

            migrationBuilder.EnableTenantRowLevelSecurity("record_unique_values");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DisableTenantRowLevelSecurity("record_unique_values");

            migrationBuilder.DropTable(
                name: "record_unique_values");
        }
    }
}
