using Microsoft.EntityFrameworkCore.Migrations;

namespace Crm.Core.Data;

/// <summary>
/// Makes a table append-only in the database, written into the migrations of both providers: a trigger refuses
/// every UPDATE and DELETE (and, on PostgreSQL, TRUNCATE), whoever sends it, the app's own role included. Used for
/// the audit log, so that no code path, raw SQL or injected statement can rewrite history. The refusal on
/// PostgreSQL is SQLSTATE 42501 (insufficient_privilege). The role that owns the table could still drop the
/// trigger with DDL; that needs a migration, not a request.
/// </summary>
public static class AppendOnlyTables
{
    public static void MakeAppendOnly(this MigrationBuilder migrationBuilder, string table)
    {
        if (migrationBuilder.ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL")
        {
            migrationBuilder.Sql($"""
                CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION '{table} is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;
                """);
            migrationBuilder.Sql($"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_append_only();");
            migrationBuilder.Sql($"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only();");
        }
        else
        {
            migrationBuilder.Sql($"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE is not allowed'); END;");
            migrationBuilder.Sql($"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE is not allowed'); END;");
        }
    }

    public static void DropAppendOnly(this MigrationBuilder migrationBuilder, string table)
    {
        if (migrationBuilder.ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL")
        {
            migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};");
            migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};");
            migrationBuilder.Sql($"DROP FUNCTION IF EXISTS {table}_append_only();");
        }
        else
        {
            migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {table}_no_update;");
            migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {table}_no_delete;");
        }
    }

    /// <summary>
    /// Narrows the append-only rule of a tenant table (one with <c>tenant_id</c>) for workspace deletion: a DELETE of a
    /// row whose workspace has a <c>workspace_erasures</c> row goes through; every other DELETE, every UPDATE and (on
    /// PostgreSQL) TRUNCATE is still refused. Only the Owner's deletion writes that row (wsdel).
    /// </summary>
    public static void AllowErasureDeletes(this MigrationBuilder migrationBuilder, string table)
    {
        if (migrationBuilder.ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL")
        {
            // Same function name, so the existing row and TRUNCATE triggers use the new body. OLD is read only for a
            // row-level DELETE (a TRUNCATE trigger has no OLD).
            migrationBuilder.Sql($"""
                CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'DELETE' AND TG_LEVEL = 'ROW' THEN
                        IF EXISTS (SELECT 1 FROM workspace_erasures e WHERE e.tenant_id = OLD.tenant_id) THEN
                            RETURN OLD;
                        END IF;
                    END IF;
                    RAISE EXCEPTION '{table} is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;
                """);
        }
        else
        {
            migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {table}_no_delete;");
            migrationBuilder.Sql($"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN NOT EXISTS (SELECT 1 FROM workspace_erasures e WHERE e.tenant_id = OLD.tenant_id) BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE is not allowed'); END;");
        }
    }

    /// <summary>Undoes <see cref="AllowErasureDeletes"/>: every DELETE refused again.</summary>
    public static void RefuseErasureDeletes(this MigrationBuilder migrationBuilder, string table)
    {
        if (migrationBuilder.ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL")
        {
            migrationBuilder.Sql($"""
                CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION '{table} is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;
                """);
        }
        else
        {
            migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {table}_no_delete;");
            migrationBuilder.Sql($"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE is not allowed'); END;");
        }
    }
}
