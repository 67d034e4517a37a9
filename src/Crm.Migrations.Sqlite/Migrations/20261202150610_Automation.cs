using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Automation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "automation_rules",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    entity_type_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    is_enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    is_archived = table.Column<bool>(type: "INTEGER", nullable: false),
                    sort_order = table.Column<int>(type: "INTEGER", nullable: false),
                    trigger = table.Column<string>(type: "TEXT", nullable: false),
                    conditions = table.Column<string>(type: "TEXT", nullable: false),
                    actions = table.Column<string>(type: "TEXT", nullable: false),
                    origin = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_automation_rules", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_automation_rules_entity_types_tenant_id_entity_type_id",
                        columns: x => new { x.tenant_id, x.entity_type_id },
                        principalTable: "entity_types",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_automation_rules_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "automation_firings",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    rule_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    subject_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    occurrence = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    anchor = table.Column<DateTime>(type: "TEXT", nullable: true),
                    at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_automation_firings", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_automation_firings_automation_rules_tenant_id_rule_id",
                        columns: x => new { x.tenant_id, x.rule_id },
                        principalTable: "automation_rules",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_automation_firings_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "automation_runs",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    rule_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    record_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    trigger = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    depth = table.Column<int>(type: "INTEGER", nullable: false),
                    conditions_met = table.Column<bool>(type: "INTEGER", nullable: false),
                    succeeded = table.Column<bool>(type: "INTEGER", nullable: false),
                    outcomes = table.Column<string>(type: "TEXT", nullable: false),
                    error = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_automation_runs", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_automation_runs_automation_rules_tenant_id_rule_id",
                        columns: x => new { x.tenant_id, x.rule_id },
                        principalTable: "automation_rules",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_automation_runs_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_automation_firings_tenant_id_rule_id_subject_id_occurrence",
                table: "automation_firings",
                columns: new[] { "tenant_id", "rule_id", "subject_id", "occurrence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_automation_rules_tenant_id_entity_type_id",
                table: "automation_rules",
                columns: new[] { "tenant_id", "entity_type_id" });

            migrationBuilder.CreateIndex(
                name: "ix_automation_rules_tenant_id_key",
                table: "automation_rules",
                columns: new[] { "tenant_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_automation_runs_tenant_id_record_id_at",
                table: "automation_runs",
                columns: new[] { "tenant_id", "record_id", "at" });

            migrationBuilder.CreateIndex(
                name: "ix_automation_runs_tenant_id_rule_id_at",
                table: "automation_runs",
                columns: new[] { "tenant_id", "rule_id", "at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "automation_firings");

            migrationBuilder.DropTable(
                name: "automation_runs");

            migrationBuilder.DropTable(
                name: "automation_rules");
        }
    }
}
