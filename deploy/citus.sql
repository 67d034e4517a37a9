-- Distributes the Crm.Saas schema on Citus by workspace (tenant_id). Run once on the coordinator, as the table owner,
-- after the app's migrations created the schema (Database__MigrateOnStart) and before the data grows:
--   psql "host=coordinator dbname=crm user=crm" -v ON_ERROR_STOP=1 -f deploy/citus.sql
-- tests/Crm.Core.Tests/Data/CitusReadinessTests.cs checks that every tenant table is distributed here and every
-- reference table listed; see docs/decisions.md ("Several instances, PgBouncer and Citus") for what stays single-shard.
-- Not run in CI (no Citus there): written for Citus 12+ on PostgreSQL 15/16.

CREATE EXTENSION IF NOT EXISTS citus;

BEGIN;
-- Small global tables, replicated to every worker so that single-shard queries join them locally.
SELECT create_reference_table('tenants');
SELECT create_reference_table('users');
SELECT create_reference_table('tenant_memberships');
SELECT create_reference_table('api_keys');
SELECT create_reference_table('roles');
SELECT create_reference_table('user_roles');
SELECT create_reference_table('user_claims');
SELECT create_reference_table('user_logins');
SELECT create_reference_table('user_tokens');
SELECT create_reference_table('role_claims');
SELECT create_reference_table('notification_preferences');
-- Read by audit_entries' append-only trigger on the shards (a deleted workspace's entries may be erased).
SELECT create_reference_table('workspace_erasures');
COMMIT;

-- The app's operational tables (data_protection_keys, redeemed_sign_in_tickets, job_schedules, queued_jobs,
-- sign_in_events) stay
-- plain tables on the coordinator: written often, never joined with workspace data.

BEGIN;
-- Every workspace table by tenant_id, all colocated with tenant_settings: one workspace's rows of every table sit on
-- the same shard, so joins and foreign keys between them stay on one worker. Referenced tables first.
SELECT create_distributed_table('tenant_settings', 'tenant_id');
SELECT create_distributed_table('entity_types', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('status_lists', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('status_options', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('pipelines', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('pipeline_stages', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('field_definitions', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('role_definitions', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('records', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('record_changes', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('record_transitions', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('record_unique_values', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('sequence_counters', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('activities', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('saved_views', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('list_column_preferences', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('report_definitions', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('dashboards', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('template_installations', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('invitations', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('departments', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('department_members', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('member_role_assignments', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('entity_permissions', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('record_shares', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('automation_rules', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('automation_runs', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('automation_firings', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('pools', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('pool_events', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('notifications', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('sweep_occurrences', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('audit_entries', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('webhooks', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('webhook_deliveries', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('webhook_attempts', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('import_batches', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('import_batch_items', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('import_mappings', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('import_jobs', 'tenant_id', colocate_with => 'tenant_settings');
SELECT create_distributed_table('files', 'tenant_id', colocate_with => 'tenant_settings');
COMMIT;
