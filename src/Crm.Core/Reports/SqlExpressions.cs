using System.Linq.Expressions;

namespace Crm.Core.Reports;

/// <summary>
/// Small expression-tree tools so reports can be assembled from parts (a group key, a measure, a CASE mapping
/// of stage ids to funnel positions) and still translate to one SQL statement.
/// </summary>
internal static class SqlExpressions
{
    /// <summary><c>x => outer(x, inner(x))</c>: plugs <paramref name="inner"/> into <paramref name="outer"/>'s second parameter.</summary>
    public static Expression<Func<T, TResult>> Bind<T, TInner, TResult>(Expression<Func<T, TInner>> inner, Expression<Func<T, TInner, TResult>> outer)
    {
        var x = outer.Parameters[0];
        var innerBody = new Replace(inner.Parameters[0], x).Visit(inner.Body)!;
        var body = new Replace(outer.Parameters[1], innerBody).Visit(outer.Body)!;
        return Expression.Lambda<Func<T, TResult>>(body, x);
    }

    /// <summary>
    /// <c>CASE column WHEN id1 THEN v1 … ELSE null END</c> (as nested conditionals, which EF turns into one CASE).
    /// Used to give stage ids their funnel position or to merge stages of several pipelines by key.
    /// </summary>
    public static Expression<Func<T, TValue?>> Map<T, TKey, TValue>(Expression<Func<T, TKey>> column, IReadOnlyList<KeyValuePair<TKey, TValue>> map)
        where TValue : struct
    {
        Expression result = Expression.Constant(null, typeof(TValue?));
        foreach (var (key, value) in map.Reverse())
        {
            var test = Expression.Equal(column.Body, Expression.Constant(key, typeof(TKey)));
            result = Expression.Condition(test, Expression.Constant(value, typeof(TValue?)), result);
        }
        return Expression.Lambda<Func<T, TValue?>>(result, column.Parameters);
    }

    /// <summary>The same as <see cref="Map{T,TKey,TValue}"/> for reference-type results (text keys).</summary>
    public static Expression<Func<T, string?>> MapText<T, TKey>(Expression<Func<T, TKey>> column, IReadOnlyList<KeyValuePair<TKey, string>> map)
    {
        Expression result = Expression.Constant(null, typeof(string));
        foreach (var (key, value) in map.Reverse())
        {
            var test = Expression.Equal(column.Body, Expression.Constant(key, typeof(TKey)));
            result = Expression.Condition(test, Expression.Constant(value, typeof(string)), result);
        }
        return Expression.Lambda<Func<T, string?>>(result, column.Parameters);
    }

    private sealed class Replace(ParameterExpression from, Expression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }
}
