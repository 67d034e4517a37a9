using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Metadata : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "dashboards",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    is_default = table.Column<bool>(type: "INTEGER", nullable: false),
                    widgets = table.Column<string>(type: "TEXT", nullable: false),
                    origin = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_dashboards", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_dashboards_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "entity_types",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    label = table.Column<string>(type: "TEXT", nullable: false),
                    plural_label = table.Column<string>(type: "TEXT", nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: true),
                    icon = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    sort_order = table.Column<int>(type: "INTEGER", nullable: false),
                    is_archived = table.Column<bool>(type: "INTEGER", nullable: false),
                    title_field_key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    amount_field_key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    close_date_field_key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    owner_field_key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    status_field_key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    stage_field_key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    lost_reason_field_key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    sections = table.Column<string>(type: "TEXT", nullable: false),
                    origin = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_entity_types", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_entity_types_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "role_definitions",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    label = table.Column<string>(type: "TEXT", nullable: false),
                    base_role = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: true),
                    origin = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_role_definitions", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_role_definitions_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "status_lists",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    label = table.Column<string>(type: "TEXT", nullable: false),
                    groups = table.Column<string>(type: "TEXT", nullable: false),
                    origin = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_status_lists", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_status_lists_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "template_installations",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    template_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    version = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    installed_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    installed_by = table.Column<Guid>(type: "TEXT", nullable: true),
                    with_sample_data = table.Column<bool>(type: "INTEGER", nullable: false),
                    snapshot = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_template_installations", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_template_installations_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "tenant_settings",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    metadata_version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tenant_settings", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_tenant_settings_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "field_definitions",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    entity_type_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    label = table.Column<string>(type: "TEXT", nullable: false),
                    help_text = table.Column<string>(type: "TEXT", nullable: true),
                    section_key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    sort_order = table.Column<int>(type: "INTEGER", nullable: false),
                    is_archived = table.Column<bool>(type: "INTEGER", nullable: false),
                    settings = table.Column<string>(type: "TEXT", nullable: false),
                    origin = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_field_definitions", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_field_definitions_entity_types_tenant_id_entity_type_id",
                        columns: x => new { x.tenant_id, x.entity_type_id },
                        principalTable: "entity_types",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_field_definitions_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "pipelines",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    entity_type_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    label = table.Column<string>(type: "TEXT", nullable: false),
                    is_default = table.Column<bool>(type: "INTEGER", nullable: false),
                    sort_order = table.Column<int>(type: "INTEGER", nullable: false),
                    is_archived = table.Column<bool>(type: "INTEGER", nullable: false),
                    origin = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pipelines", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_pipelines_entity_types_tenant_id_entity_type_id",
                        columns: x => new { x.tenant_id, x.entity_type_id },
                        principalTable: "entity_types",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_pipelines_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "report_definitions",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: true),
                    entity_type_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    spec = table.Column<string>(type: "TEXT", nullable: false),
                    owner_user_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    origin = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_report_definitions", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_report_definitions_entity_types_tenant_id_entity_type_id",
                        columns: x => new { x.tenant_id, x.entity_type_id },
                        principalTable: "entity_types",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_report_definitions_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "saved_views",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    entity_type_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    owner_user_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    is_default = table.Column<bool>(type: "INTEGER", nullable: false),
                    sort_order = table.Column<int>(type: "INTEGER", nullable: false),
                    definition = table.Column<string>(type: "TEXT", nullable: false),
                    origin = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_saved_views", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_saved_views_entity_types_tenant_id_entity_type_id",
                        columns: x => new { x.tenant_id, x.entity_type_id },
                        principalTable: "entity_types",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_saved_views_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "sequence_counters",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    entity_type_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    field_key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    next_value = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sequence_counters", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_sequence_counters_entity_types_tenant_id_entity_type_id",
                        columns: x => new { x.tenant_id, x.entity_type_id },
                        principalTable: "entity_types",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_sequence_counters_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "status_options",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    status_list_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    label = table.Column<string>(type: "TEXT", nullable: false),
                    group_key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    color = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: true),
                    sort_order = table.Column<int>(type: "INTEGER", nullable: false),
                    is_archived = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_status_options", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_status_options_status_lists_tenant_id_status_list_id",
                        columns: x => new { x.tenant_id, x.status_list_id },
                        principalTable: "status_lists",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_status_options_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "pipeline_stages",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    pipeline_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    label = table.Column<string>(type: "TEXT", nullable: false),
                    color = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    probability = table.Column<int>(type: "INTEGER", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    stale_after_days = table.Column<int>(type: "INTEGER", nullable: true),
                    sort_order = table.Column<int>(type: "INTEGER", nullable: false),
                    is_archived = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pipeline_stages", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_pipeline_stages_pipelines_tenant_id_pipeline_id",
                        columns: x => new { x.tenant_id, x.pipeline_id },
                        principalTable: "pipelines",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_pipeline_stages_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "records",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    entity_type_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    title = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    owner_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    status_option_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    pipeline_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    stage_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    amount = table.Column<double>(type: "REAL", precision: 18, scale: 2, nullable: true),
                    close_date = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    field_values = table.Column<string>(type: "TEXT", nullable: false),
                    search_text = table.Column<string>(type: "TEXT", nullable: false),
                    rank = table.Column<double>(type: "REAL", nullable: false),
                    stage_entered_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    status_changed_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    last_activity_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    created_by = table.Column<Guid>(type: "TEXT", nullable: true),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_by = table.Column<Guid>(type: "TEXT", nullable: true),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_records", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_records_entity_types_tenant_id_entity_type_id",
                        columns: x => new { x.tenant_id, x.entity_type_id },
                        principalTable: "entity_types",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_records_pipeline_stages_tenant_id_stage_id",
                        columns: x => new { x.tenant_id, x.stage_id },
                        principalTable: "pipeline_stages",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_records_pipelines_tenant_id_pipeline_id",
                        columns: x => new { x.tenant_id, x.pipeline_id },
                        principalTable: "pipelines",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_records_status_options_tenant_id_status_option_id",
                        columns: x => new { x.tenant_id, x.status_option_id },
                        principalTable: "status_options",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_records_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "activities",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    record_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    entity_type_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    subject = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    content = table.Column<string>(type: "TEXT", nullable: true),
                    occurred_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    owner_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    due_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    assignee_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    completed_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    created_by = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_activities", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_activities_records_tenant_id_record_id",
                        columns: x => new { x.tenant_id, x.record_id },
                        principalTable: "records",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_activities_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "record_changes",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    record_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    by_user_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    changes = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_record_changes", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_record_changes_records_tenant_id_record_id",
                        columns: x => new { x.tenant_id, x.record_id },
                        principalTable: "records",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_record_changes_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "record_transitions",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    record_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    entity_type_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    pipeline_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    from_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    to_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    by_user_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    amount = table.Column<double>(type: "REAL", precision: 18, scale: 2, nullable: true),
                    seconds_in_from = table.Column<long>(type: "INTEGER", nullable: true),
                    seconds_since_created = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_record_transitions", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_record_transitions_records_tenant_id_record_id",
                        columns: x => new { x.tenant_id, x.record_id },
                        principalTable: "records",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_record_transitions_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_activities_tenant_id_assignee_id_completed_at_due_at",
                table: "activities",
                columns: new[] { "tenant_id", "assignee_id", "completed_at", "due_at" });

            migrationBuilder.CreateIndex(
                name: "ix_activities_tenant_id_entity_type_id_occurred_at",
                table: "activities",
                columns: new[] { "tenant_id", "entity_type_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_activities_tenant_id_record_id_occurred_at",
                table: "activities",
                columns: new[] { "tenant_id", "record_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_dashboards_tenant_id_key",
                table: "dashboards",
                columns: new[] { "tenant_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_entity_types_tenant_id_key",
                table: "entity_types",
                columns: new[] { "tenant_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_field_definitions_tenant_id_entity_type_id_key",
                table: "field_definitions",
                columns: new[] { "tenant_id", "entity_type_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_pipeline_stages_tenant_id_pipeline_id_key",
                table: "pipeline_stages",
                columns: new[] { "tenant_id", "pipeline_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_pipelines_tenant_id_entity_type_id_key",
                table: "pipelines",
                columns: new[] { "tenant_id", "entity_type_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_record_changes_tenant_id_record_id_at",
                table: "record_changes",
                columns: new[] { "tenant_id", "record_id", "at" });

            migrationBuilder.CreateIndex(
                name: "ix_record_transitions_tenant_id_entity_type_id_kind_to_id",
                table: "record_transitions",
                columns: new[] { "tenant_id", "entity_type_id", "kind", "to_id" });

            migrationBuilder.CreateIndex(
                name: "ix_record_transitions_tenant_id_record_id_at",
                table: "record_transitions",
                columns: new[] { "tenant_id", "record_id", "at" });

            migrationBuilder.CreateIndex(
                name: "ix_records_tenant_id_entity_type_id_close_date",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "close_date" });

            migrationBuilder.CreateIndex(
                name: "ix_records_tenant_id_entity_type_id_created_at",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_records_tenant_id_entity_type_id_owner_id",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "owner_id" });

            migrationBuilder.CreateIndex(
                name: "ix_records_tenant_id_entity_type_id_pipeline_id_stage_id_rank",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "pipeline_id", "stage_id", "rank" });

            migrationBuilder.CreateIndex(
                name: "ix_records_tenant_id_entity_type_id_status_option_id",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "status_option_id" });

            migrationBuilder.CreateIndex(
                name: "ix_records_tenant_id_entity_type_id_title",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "title" });

            migrationBuilder.CreateIndex(
                name: "ix_records_tenant_id_entity_type_id_updated_at",
                table: "records",
                columns: new[] { "tenant_id", "entity_type_id", "updated_at" });

            migrationBuilder.CreateIndex(
                name: "ix_records_tenant_id_pipeline_id",
                table: "records",
                columns: new[] { "tenant_id", "pipeline_id" });

            migrationBuilder.CreateIndex(
                name: "ix_records_tenant_id_stage_id",
                table: "records",
                columns: new[] { "tenant_id", "stage_id" });

            migrationBuilder.CreateIndex(
                name: "ix_records_tenant_id_status_option_id",
                table: "records",
                columns: new[] { "tenant_id", "status_option_id" });

            migrationBuilder.CreateIndex(
                name: "ix_report_definitions_tenant_id_entity_type_id",
                table: "report_definitions",
                columns: new[] { "tenant_id", "entity_type_id" });

            migrationBuilder.CreateIndex(
                name: "ix_report_definitions_tenant_id_key",
                table: "report_definitions",
                columns: new[] { "tenant_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_role_definitions_tenant_id_key",
                table: "role_definitions",
                columns: new[] { "tenant_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_saved_views_tenant_id_entity_type_id_key",
                table: "saved_views",
                columns: new[] { "tenant_id", "entity_type_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_sequence_counters_tenant_id_entity_type_id_field_key",
                table: "sequence_counters",
                columns: new[] { "tenant_id", "entity_type_id", "field_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_status_lists_tenant_id_key",
                table: "status_lists",
                columns: new[] { "tenant_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_status_options_tenant_id_status_list_id_key",
                table: "status_options",
                columns: new[] { "tenant_id", "status_list_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_template_installations_tenant_id_template_id",
                table: "template_installations",
                columns: new[] { "tenant_id", "template_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_tenant_settings_tenant_id",
                table: "tenant_settings",
                column: "tenant_id",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "activities");

            migrationBuilder.DropTable(
                name: "dashboards");

            migrationBuilder.DropTable(
                name: "field_definitions");

            migrationBuilder.DropTable(
                name: "record_changes");

            migrationBuilder.DropTable(
                name: "record_transitions");

            migrationBuilder.DropTable(
                name: "report_definitions");

            migrationBuilder.DropTable(
                name: "role_definitions");

            migrationBuilder.DropTable(
                name: "saved_views");

            migrationBuilder.DropTable(
                name: "sequence_counters");

            migrationBuilder.DropTable(
                name: "template_installations");

            migrationBuilder.DropTable(
                name: "tenant_settings");

            migrationBuilder.DropTable(
                name: "records");

            migrationBuilder.DropTable(
                name: "pipeline_stages");

            migrationBuilder.DropTable(
                name: "status_options");

            migrationBuilder.DropTable(
                name: "pipelines");

            migrationBuilder.DropTable(
                name: "status_lists");

            migrationBuilder.DropTable(
                name: "entity_types");
        }
    }
}
