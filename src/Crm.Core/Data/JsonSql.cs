using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;

namespace Crm.Core.Data;

/// <summary>
/// Reading tenant-defined field values inside SQL, the same LINQ on both providers. PostgreSQL calls two small
/// SQL functions created by the migrations (inlined by the planner: <c>field_values -&gt;&gt; key</c>); SQLite calls
/// its built-in <c>json_extract</c>. Pass keys with <c>EF.Constant(key)</c> so they are inlined, not parameters.
/// </summary>
public static class JsonSql
{
    /// <summary>The value at <paramref name="key"/> as text (strings unquoted; arrays as JSON text).</summary>
    public static string? Text(string json, string key) => throw new InvalidOperationException("Only for use in LINQ to Entities.");

    /// <summary>The value at <paramref name="key"/> as a number, or null when it is not a number.</summary>
    public static double? Number(string json, string key) => throw new InvalidOperationException("Only for use in LINQ to Entities.");

    /// <summary>The text at <paramref name="part"/> inside the object at <paramref name="key"/> (an address's
    /// "province"). PostgreSQL's built-in <c>jsonb_extract_path_text</c>, SQLite's <c>json_extract</c> with a two-step
    /// path: no migration. Pass both with <c>EF.Constant</c>.</summary>
    public static string? TextAt(string json, string key, string part) => throw new InvalidOperationException("Only for use in LINQ to Entities.");

    public const string PostgresFunctionsSql = """
        CREATE OR REPLACE FUNCTION crm_json_text(v jsonb, k text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT v ->> k $$;
        CREATE OR REPLACE FUNCTION crm_json_number(v jsonb, k text) RETURNS double precision
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE WHEN jsonb_typeof(v -> k) = 'number' THEN (v ->> k)::double precision END $$;
        """;

    public const string DropPostgresFunctionsSql = """
        DROP FUNCTION IF EXISTS crm_json_text(jsonb, text);
        DROP FUNCTION IF EXISTS crm_json_number(jsonb, text);
        """;

    internal static void Register(ModelBuilder builder, bool postgres)
    {
        var text = typeof(JsonSql).GetMethod(nameof(Text))!;
        var number = typeof(JsonSql).GetMethod(nameof(Number))!;
        var textAt = typeof(JsonSql).GetMethod(nameof(TextAt))!;
        if (postgres)
        {
            builder.HasDbFunction(textAt).HasTranslation(args => new SqlFunctionExpression("jsonb_extract_path_text", args, nullable: true,
                argumentsPropagateNullability: [false, false, false], typeof(string), typeMapping: null));
            builder.HasDbFunction(text).HasName("crm_json_text").IsBuiltIn(false);
            builder.HasDbFunction(number).HasName("crm_json_number").IsBuiltIn(false);
            return;
        }
        builder.HasDbFunction(text).HasTranslation(args => JsonExtract(args, typeof(string)));
        builder.HasDbFunction(number).HasTranslation(args => JsonExtract(args, typeof(double)));
        builder.HasDbFunction(textAt).HasTranslation(args =>
        {
            // Constant keys make a literal path; otherwise (a key EF chose to parameterise) the path is concatenated in SQL.
            SqlExpression path = args[1] is SqlConstantExpression { Value: string k } && args[2] is SqlConstantExpression { Value: string p }
                ? new SqlConstantExpression("$." + k + "." + p, typeof(string), args[1].TypeMapping)
                : new SqlBinaryExpression(ExpressionType.Add,
                    new SqlBinaryExpression(ExpressionType.Add,
                        new SqlBinaryExpression(ExpressionType.Add, new SqlConstantExpression("$.", typeof(string), args[1].TypeMapping), args[1], typeof(string), args[1].TypeMapping),
                        new SqlConstantExpression(".", typeof(string), args[1].TypeMapping), typeof(string), args[1].TypeMapping),
                    args[2], typeof(string), args[1].TypeMapping);
            return new SqlFunctionExpression("json_extract", [args[0], path], nullable: true, argumentsPropagateNullability: [false, false], typeof(string), typeMapping: null);
        });
    }

    private static SqlExpression JsonExtract(IReadOnlyList<SqlExpression> args, Type type)
    {
        var key = args[1];
        SqlExpression path = key is SqlConstantExpression { Value: string k }
            ? new SqlConstantExpression("$." + k, typeof(string), key.TypeMapping)
            : new SqlBinaryExpression(ExpressionType.Add, new SqlConstantExpression("$.", typeof(string), key.TypeMapping), key, typeof(string), key.TypeMapping);
        // json_extract returns NULL for a missing key even when both arguments are set: it must not "propagate nullability",
        // or EF drops "IS NOT NULL" tests on it as always true and rewrites "value IS NULL" to "field_values IS NULL".
        return new SqlFunctionExpression("json_extract", [args[0], path], nullable: true, argumentsPropagateNullability: [false, false], type, typeMapping: null);
    }
}
