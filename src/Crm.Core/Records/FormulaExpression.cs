using System.Globalization;

namespace Crm.Core.Records;

/// <summary>What a formula (or a part of one) gives: the result types a formula field can store.</summary>
public enum FormulaType
{
    Number,
    Text,
    Date,
    Boolean,
}

/// <summary>
/// What the checker knows about the names a formula may read: the type of a field key, of <c>stage.probability</c>
/// or of a looked-up record's field (<c>customer.industry</c>); the type of a subform column read as a list
/// (<c>items.subtotal</c>); and, for roll-ups, the schema of the records of entity type <c>entity</c> whose lookup
/// <c>lookup</c> points at this record (null when there is no such lookup).
/// </summary>
public sealed record FormulaSchema(
    Func<string, FormulaType?> Scalar,
    Func<string, FormulaType?> List,
    Func<string, string, FormulaSchema?> Related);

/// <summary>The values a formula reads when it is evaluated (see <see cref="FormulaSchema"/> for the names).</summary>
public interface IFormulaScope
{
    /// <summary>A field's value: decimal, string, <see cref="DateOnly"/>, bool, or null when blank.</summary>
    object? Value(string reference);
    /// <summary>A subform column's cells, or null when <paramref name="reference"/> is not a list.</summary>
    IReadOnlyList<object?>? List(string reference);
    /// <summary>Today in the workspace's time zone.</summary>
    DateOnly Today { get; }
    /// <summary>The records of <paramref name="entity"/> whose <paramref name="lookup"/> points at this record.</summary>
    IReadOnlyList<IFormulaScope> Related(string entity, string lookup);
}

/// <summary>A problem in a formula: the message (in English, for logs and the checker's argument) and the position (1-based).</summary>
public sealed class FormulaException(string message, int position) : FormatException(message)
{
    public int Position { get; } = position;
    /// <summary>The name the formula may not read, when that is the problem.</summary>
    public string? Name { get; init; }
}

/// <summary>
/// The formula language: numbers, "text" literals, TRUE/FALSE, + - * /, comparisons (= &lt;&gt; &lt; &lt;= &gt; &gt;=),
/// parentheses, field keys, <c>stage.probability</c>, a looked-up record's field (<c>customer.industry</c>), and
/// calls of the functions in <see cref="Functions"/> (one table: arity, argument types, result type, apply). A
/// subform column given as <c>subform.column</c> to a function that takes lists (SUM, MIN, MAX) is a list.
/// Roll-ups (<c>ROLLUP_SUM(deal.customer, amount, stage = "won")</c>) read the related records; their later
/// arguments are in the related record's scope. A blank operand or a division by zero gives no value (null),
/// never an error on save. Types are checked by <see cref="Check"/> (the designer and the template checker).
/// </summary>
public sealed class FormulaExpression
{
    public const string StageProbability = "stage.probability";
    private readonly Node _root;

    private FormulaExpression(Node root, Parser parser)
    {
        _root = root;
        References = parser.References;
        ListReferences = parser.ListReferences;
        Rollups = parser.Rollups;
        UsesToday = parser.UsesToday;
        Spans = parser.Spans;
    }

    /// <summary>Where the names and the compared text literals are in the text (for rewriting keys in place: template
    /// upgrades' renames), in text order.</summary>
    public IReadOnlyList<FormulaSpan> Spans { get; }

    /// <summary>
    /// <paramref name="text"/> with the spans <paramref name="replace"/> gives a new text for replaced (null: kept); the
    /// rest of the text is untouched. Throws <see cref="FormulaException"/> when the text does not parse.
    /// </summary>
    public static string Rewrite(string text, Func<FormulaSpan, string?> replace)
    {
        var spans = Parse(text).Spans;
        var result = new System.Text.StringBuilder(text.Length);
        var at = 0;
        foreach (var span in spans.OrderBy(s => s.Start))
        {
            if (replace(span) is not { } next || next == span.Text) continue;
            result.Append(text, at, span.Start - at).Append(next);
            at = span.Start + span.Length;
        }
        return result.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>Every name the expression reads in its own record (field keys, <c>stage.probability</c>, <c>subform.column</c>, <c>lookup.field</c>).</summary>
    public IReadOnlyCollection<string> References { get; }

    /// <summary>The names read as lists: direct arguments of a list function (<c>items.subtotal</c> in <c>SUM(items.subtotal)</c>).</summary>
    public IReadOnlyCollection<string> ListReferences { get; }

    /// <summary>The roll-ups: the related entity type, its lookup pointing here and the names read in the related records.</summary>
    public IReadOnlyList<RollupReference> Rollups { get; }

    /// <summary>True when the formula calls TODAY() (its stored value is as of the last write; see decisions.md).</summary>
    public bool UsesToday { get; }

    public sealed record RollupReference(string Entity, string Lookup, IReadOnlyCollection<string> References);

    /// <summary>What a <see cref="FormulaSpan"/> is.</summary>
    public enum SpanKind
    {
        /// <summary>A name read in a record (<c>amount</c>, <c>customer.industry</c>, <c>items.subtotal</c>).</summary>
        Name,
        /// <summary>The first argument of a roll-up: <c>entity.lookup</c>.</summary>
        RollupLink,
        /// <summary>The content (between the quotes) of a text literal compared with a name (<c>tier = "high"</c>).</summary>
        Literal,
    }

    /// <summary>
    /// A name or a compared text literal of the text: where it is (0-based, <paramref name="Length"/> characters), what
    /// it says, and in which record it is read: <paramref name="Entity"/> is null for the formula's own record, the
    /// related entity type's key inside a roll-up's field and condition arguments. A literal's <paramref name="Field"/>
    /// is the name it is compared with.
    /// </summary>
    public sealed record FormulaSpan(int Start, int Length, string Text, SpanKind Kind, string? Entity, string? Field = null);

    /// <summary>The field a reference reads: the subform of <c>subform.column</c>, the lookup of <c>lookup.field</c>, the name itself otherwise.</summary>
    public static string FieldOf(string reference)
    {
        var dot = reference.IndexOf('.');
        return reference == StageProbability || dot < 1 ? reference : reference[..dot];
    }

    /// <summary>Evaluates a number formula over numbers (subform row formulas, old callers).</summary>
    public decimal? Evaluate(Func<string, decimal?> value) => Evaluate(value, null);

    /// <summary>Evaluates with <paramref name="list"/> giving the values of a list reference (a subform column's cells).</summary>
    public decimal? Evaluate(Func<string, decimal?> value, Func<string, IReadOnlyList<decimal?>>? list)
        => Evaluate(new NumberScope(value, list)) as decimal?;

    /// <summary>Evaluates to a decimal, string, DateOnly, bool or null.</summary>
    public object? Evaluate(IFormulaScope scope)
    {
        try { return _root.Eval(scope); }
        catch (OverflowException) { return null; }
        catch (ArgumentOutOfRangeException) { return null; } // a date out of range
    }

    /// <summary>
    /// The formula's result type, checking every name and call against <paramref name="schema"/>: throws a
    /// <see cref="FormulaException"/> naming the position of the first problem (an unknown name, a function given
    /// the wrong argument type, an IF whose results differ).
    /// </summary>
    public FormulaType Check(FormulaSchema schema) => _root.TypeOf(schema);

    private sealed record NumberScope(Func<string, decimal?> Get, Func<string, IReadOnlyList<decimal?>>? GetList) : IFormulaScope
    {
        public object? Value(string reference) => Get(reference);
        public IReadOnlyList<object?>? List(string reference) => GetList?.Invoke(reference)?.Select(v => (object?)v).ToList();
        public DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);
        public IReadOnlyList<IFormulaScope> Related(string entity, string lookup) => [];
    }

    /// <summary>A type an argument may have: one of <see cref="FormulaType"/>, or any.</summary>
    public enum ArgumentType { Number, Text, Date, Boolean, Any }

    /// <summary>
    /// A function of the language. <paramref name="Arguments"/> gives each argument's type (the last one repeats
    /// up to <paramref name="MaxArguments"/>); <paramref name="Result"/> gives the result type from the arguments'
    /// types, or null when they do not fit together (IF's two results); <paramref name="Apply"/> folds the values
    /// (a list argument of a <paramref name="TakesLists"/> function gives all its values); <paramref name="Units"/>
    /// is the set of text literals the last argument must be one of (DATEDIF's "d"/"m"/"y"), if any.
    /// </summary>
    public sealed record Function(
        int MinArguments, int MaxArguments, IReadOnlyList<ArgumentType> Arguments,
        Func<IReadOnlyList<FormulaType>, FormulaType?> Result, Func<IReadOnlyList<object?>, IFormulaScope, object?> Apply,
        bool TakesLists = false, IReadOnlyList<string>? Units = null)
    {
        public ArgumentType ArgumentAt(int i) => Arguments.Count == 0 ? ArgumentType.Any : Arguments[Math.Min(i, Arguments.Count - 1)];
        /// <summary>A roll-up: its first argument is <c>entity.lookup</c> and its later ones are read in the related records.</summary>
        public bool IsRollup { get; init; }
    }

    private static Func<IReadOnlyList<FormulaType>, FormulaType?> Gives(FormulaType type) => _ => type;
    private static readonly ArgumentType[] Num = [ArgumentType.Number];
    private static readonly string[] DateUnits = ["d", "m", "y"];

    /// <summary>The functions, by upper-case name. Adding one is one entry here (names are case-insensitive in
    /// formulas); the designer's help lists them with the resource keys <c>Formula.Fn.NAME</c>.</summary>
    public static readonly IReadOnlyDictionary<string, Function> Functions = new Dictionary<string, Function>(StringComparer.Ordinal)
    {
        // Blank cells count as nothing; a sum of no values is 0 (a deal without lines has amount 0, not blank).
        ["SUM"] = new(1, 32, Num, Gives(FormulaType.Number), (v, _) => v.Aggregate(0m, (total, x) => x is decimal d ? total + d : total), TakesLists: true),
        ["MIN"] = new(1, 32, Num, Gives(FormulaType.Number), (v, _) => v.OfType<decimal>().Select(d => (decimal?)d).Min(), TakesLists: true),
        ["MAX"] = new(1, 32, Num, Gives(FormulaType.Number), (v, _) => v.OfType<decimal>().Select(d => (decimal?)d).Max(), TakesLists: true),
        ["ROUND"] = new(1, 2, Num, Gives(FormulaType.Number), (v, _) => v[0] is decimal x && (v.Count < 2 || v[1] is decimal)
            ? Math.Round(x, v.Count < 2 ? 0 : (int)Math.Clamp((decimal)v[1]!, 0, 10), MidpointRounding.AwayFromZero) : null),
        ["ABS"] = new(1, 1, Num, Gives(FormulaType.Number), (v, _) => v[0] is decimal x ? Math.Abs(x) : null),
        ["IF"] = new(3, 3, [ArgumentType.Boolean, ArgumentType.Any, ArgumentType.Any], t => t[1] == t[2] ? t[1] : null,
            (v, _) => v[0] is true ? v[1] : v[2]),
        ["AND"] = new(1, 32, [ArgumentType.Boolean], Gives(FormulaType.Boolean), (v, _) => v.All(x => x is true)),
        ["OR"] = new(1, 32, [ArgumentType.Boolean], Gives(FormulaType.Boolean), (v, _) => v.Any(x => x is true)),
        ["NOT"] = new(1, 1, [ArgumentType.Boolean], Gives(FormulaType.Boolean), (v, _) => v[0] is not true),
        ["CONCAT"] = new(1, 32, [ArgumentType.Any], Gives(FormulaType.Text), (v, _) => string.Concat(v.Select(x => Text(x, null)))),
        ["TEXT"] = new(1, 2, [ArgumentType.Any, ArgumentType.Text], Gives(FormulaType.Text), (v, _) => v[0] is null ? null : Text(v[0], v.Count > 1 ? v[1] as string : null)),
        ["TODAY"] = new(0, 0, [], Gives(FormulaType.Date), (_, s) => s.Today),
        ["DAYS"] = new(2, 2, [ArgumentType.Date], Gives(FormulaType.Number), (v, _) => v[0] is DateOnly end && v[1] is DateOnly start ? (decimal)(end.DayNumber - start.DayNumber) : null),
        ["DATEDIF"] = new(3, 3, [ArgumentType.Date, ArgumentType.Date, ArgumentType.Text], Gives(FormulaType.Number),
            (v, _) => v[0] is DateOnly a && v[1] is DateOnly b && v[2] is string unit ? DateDif(a, b, unit) : null, Units: DateUnits),
        ["DATEADD"] = new(3, 3, [ArgumentType.Date, ArgumentType.Number, ArgumentType.Text], Gives(FormulaType.Date),
            (v, _) => v[0] is DateOnly d && v[1] is decimal n && v[2] is string unit ? DateAdd(d, (int)Math.Truncate(n), unit) : null, Units: DateUnits),
        ["ROLLUP_SUM"] = new(2, 3, [ArgumentType.Any, ArgumentType.Number, ArgumentType.Boolean], Gives(FormulaType.Number), (v, _) => v[0]) { IsRollup = true },
        ["ROLLUP_COUNT"] = new(1, 2, [ArgumentType.Any, ArgumentType.Boolean], Gives(FormulaType.Number), (v, _) => v[0]) { IsRollup = true },
    };

    /// <summary>A value as text: numbers and dates invariant ("1234.5", "2026-12-04") or with a .NET format
    /// ("0.00", "yyyy年M月d日"), booleans as TRUE/FALSE, blank as "".</summary>
    public static string Text(object? value, string? format) => value switch
    {
        null => "",
        decimal d => Safe(() => d.ToString(string.IsNullOrEmpty(format) ? "0.##########" : format, CultureInfo.InvariantCulture)),
        DateOnly date => Safe(() => date.ToString(string.IsNullOrEmpty(format) ? "yyyy-MM-dd" : format, CultureInfo.InvariantCulture)),
        bool b => b ? "TRUE" : "FALSE",
        _ => value.ToString() ?? "",
    };

    private static string Safe(Func<string> format)
    {
        try { return format(); }
        catch (FormatException) { return ""; }
    }

    /// <summary>Whole days, months or years from <paramref name="a"/> to <paramref name="b"/> (negative when b is earlier).</summary>
    private static decimal? DateDif(DateOnly a, DateOnly b, string unit)
    {
        if (unit == "d") return b.DayNumber - a.DayNumber;
        var sign = 1;
        if (b < a) { (a, b) = (b, a); sign = -1; }
        var months = (b.Year - a.Year) * 12 + b.Month - a.Month - (b.Day < a.Day ? 1 : 0);
        return unit switch { "m" => sign * months, "y" => sign * (months / 12), _ => null };
    }

    private static DateOnly? DateAdd(DateOnly d, int n, string unit) => unit switch
    {
        "d" => d.AddDays(n),
        "m" => d.AddMonths(n),
        "y" => d.AddYears(n),
        _ => null,
    };

    /// <summary>Parses an expression; throws <see cref="FormulaException"/> (a <see cref="FormatException"/>) with the position of the problem.</summary>
    public static FormulaExpression Parse(string text)
    {
        var parser = new Parser(text);
        var node = parser.ParseExpression();
        parser.SkipSpace();
        if (!parser.AtEnd) throw new FormulaException($"unexpected '{parser.Current}' at {parser.Position + 1}", parser.Position + 1);
        return new FormulaExpression(node, parser);
    }

    private static string Name(FormulaType t) => t.ToString().ToLowerInvariant();

    private abstract record Node(int Pos)
    {
        public abstract object? Eval(IFormulaScope s);
        public abstract FormulaType TypeOf(FormulaSchema schema);
        public FormulaException Problem(string message) => new($"{message} at {Pos}", Pos);
    }

    private sealed record Constant(object Value, int Pos) : Node(Pos)
    {
        public override object? Eval(IFormulaScope s) => Value;
        public override FormulaType TypeOf(FormulaSchema schema) => Value switch
        {
            decimal => FormulaType.Number,
            string => FormulaType.Text,
            bool => FormulaType.Boolean,
            _ => FormulaType.Date,
        };
    }

    private sealed record Reference(string Key, int Pos) : Node(Pos)
    {
        public override object? Eval(IFormulaScope s) => s.Value(Key);
        public override FormulaType TypeOf(FormulaSchema schema) => schema.Scalar(Key) ?? throw new FormulaException($"'{Key}' is not a field this formula can read at {Pos}", Pos) { Name = Key };
    }

    private sealed record Negate(Node Operand, int Pos) : Node(Pos)
    {
        public override object? Eval(IFormulaScope s) => Operand.Eval(s) is decimal d ? -d : null;
        public override FormulaType TypeOf(FormulaSchema schema)
            => Operand.TypeOf(schema) == FormulaType.Number ? FormulaType.Number : throw Problem("'-' needs a number");
    }

    private sealed record Call(string Name, Function Function, IReadOnlyList<Node> Arguments, int Pos) : Node(Pos)
    {
        public override object? Eval(IFormulaScope s)
        {
            if (Function.IsRollup) return Rollup(s);
            // IF, AND and OR read only what they need (a division by zero in the branch not taken does not matter).
            if (Name == "IF") return Arguments[0].Eval(s) is true ? Arguments[1].Eval(s) : Arguments[2].Eval(s);
            var values = new List<object?>(Arguments.Count);
            foreach (var argument in Arguments)
            {
                if (Function.TakesLists && argument is Reference r && s.List(r.Key) is { } list) values.AddRange(list);
                else values.Add(argument.Eval(s));
            }
            try { return Function.Apply(values, s); }
            catch (OverflowException) { return null; }
        }

        private object? Rollup(IFormulaScope s)
        {
            var link = ((Reference)Arguments[0]).Key;
            var dot = link.IndexOf('.');
            var related = s.Related(link[..dot], link[(dot + 1)..]);
            var sum = Name == "ROLLUP_SUM";
            var condition = Arguments.Count > (sum ? 2 : 1) ? Arguments[^1] : null;
            var total = 0m;
            foreach (var record in related)
            {
                if (condition is not null && condition.Eval(record) is not true) continue;
                if (!sum) total++;
                else if (Arguments[1].Eval(record) is decimal d) total += d;
            }
            return total;
        }

        public override FormulaType TypeOf(FormulaSchema schema)
        {
            var types = new List<FormulaType>(Arguments.Count);
            var scope = schema;
            for (var i = 0; i < Arguments.Count; i++)
            {
                var argument = Arguments[i];
                FormulaType type;
                if (Function.IsRollup && i == 0)
                {
                    scope = argument is Reference r && r.Key.IndexOf('.') is > 0 and var dot ? schema.Related(r.Key[..dot], r.Key[(dot + 1)..])! : null!;
                    if (scope is null) throw argument.Problem($"{Name} needs entity.lookup (the records whose lookup points here) as its first argument");
                    types.Add(FormulaType.Number);
                    continue;
                }
                if (Function.TakesLists && argument is Reference listed && scope.List(listed.Key) is { } listType) type = listType;
                else type = argument.TypeOf(scope);
                var wanted = Function.ArgumentAt(i);
                if (wanted != ArgumentType.Any && (int)wanted != (int)type)
                    throw argument.Problem($"{Name} argument {i + 1} must be {wanted.ToString().ToLowerInvariant()}, not {FormulaExpression.Name(type)}");
                if (Function.Units is { } units && i == Arguments.Count - 1 && (argument is not Constant { Value: string unit } || !units.Contains(unit)))
                    throw argument.Problem($"{Name} argument {i + 1} must be one of {string.Join(", ", units.Select(u => $"\"{u}\""))}");
                types.Add(type);
            }
            return Function.Result(types) ?? throw Problem($"{Name}: the results must have the same type");
        }
    }

    private sealed record Binary(string Op, Node Left, Node Right, int Pos) : Node(Pos)
    {
        public override object? Eval(IFormulaScope s)
        {
            var l = Left.Eval(s);
            var r = Right.Eval(s);
            if (Op is "=" or "<>" or "<" or "<=" or ">" or ">=") return Compare(l, r);
            if (l is not decimal a || r is not decimal b) return null;
            try
            {
                return Op switch
                {
                    "+" => a + b,
                    "-" => a - b,
                    "*" => a * b,
                    "/" => b == 0 ? null : a / b,
                    _ => null,
                };
            }
            catch (OverflowException)
            {
                return null;
            }
        }

        /// <summary>Text compares ordinally with blank as ""; other blanks are equal only to blank and never ordered.</summary>
        private bool Compare(object? l, object? r)
        {
            if (l is string || r is string) { l ??= ""; r ??= ""; }
            if (l is null || r is null) return Op switch { "=" => l is null && r is null, "<>" => !(l is null && r is null), _ => false };
            var c = (l, r) switch
            {
                (decimal a, decimal b) => a.CompareTo(b),
                (string a, string b) => string.CompareOrdinal(a, b),
                (DateOnly a, DateOnly b) => a.CompareTo(b),
                (bool a, bool b) => a.CompareTo(b),
                _ => 0,
            };
            return Op switch { "=" => c == 0, "<>" => c != 0, "<" => c < 0, "<=" => c <= 0, ">" => c > 0, _ => c >= 0 };
        }

        public override FormulaType TypeOf(FormulaSchema schema)
        {
            var l = Left.TypeOf(schema);
            var r = Right.TypeOf(schema);
            if (Op is "=" or "<>" or "<" or "<=" or ">" or ">=")
                return l == r ? FormulaType.Boolean : throw Problem($"'{Op}' compares {FormulaExpression.Name(l)} with {FormulaExpression.Name(r)}");
            if (l == FormulaType.Number && r == FormulaType.Number) return FormulaType.Number;
            // Name the operand that is not a number when it is a field, so the message says which field to change.
            var (wrong, type) = l == FormulaType.Number ? (Right, r) : (Left, l);
            var what = wrong is Reference reference ? $"'{reference.Key}' ({FormulaExpression.Name(type)})" : FormulaExpression.Name(type);
            throw Problem($"'{Op}' needs numbers, not {what} (use CONCAT for text, DATEADD or DAYS for dates)");
        }
    }

    private sealed class Parser(string text)
    {
        private int _pos;
        private List<HashSet<string>>? _rollupScope;
        private readonly List<string> _rollupEntities = [];
        private readonly Dictionary<Node, FormulaSpan> _spanOf = new(ReferenceEqualityComparer.Instance);
        public List<FormulaSpan> Spans { get; } = [];
        public HashSet<string> References { get; } = new(StringComparer.Ordinal);
        public HashSet<string> ListReferences { get; } = new(StringComparer.Ordinal);
        public List<RollupReference> Rollups { get; } = [];
        public bool UsesToday { get; private set; }
        public bool AtEnd => _pos >= text.Length;
        public char Current => text[_pos];
        public int Position => _pos;

        public void SkipSpace()
        {
            while (!AtEnd && char.IsWhiteSpace(Current)) _pos++;
        }

        private HashSet<string> ReferenceSet => _rollupScope is { Count: > 0 } ? _rollupScope[^1] : References;

        public Node ParseExpression()
        {
            var left = ParseAdditive();
            SkipSpace();
            var start = _pos;
            string? op = null;
            if (!AtEnd)
            {
                var two = _pos + 1 < text.Length ? text.Substring(_pos, 2) : "";
                if (two is "<>" or "<=" or ">=") op = two;
                else if (Current is '=' or '<' or '>') op = Current.ToString();
            }
            if (op is null) return left;
            _pos += op.Length;
            var right = ParseAdditive();
            // A text compared with a name ("tier = \"high\""): an option key an upgrade may rename.
            foreach (var (name, literal) in new[] { (left, right), (right, left) })
                if (name is Reference && _spanOf.TryGetValue(name, out var n) && literal is Constant { Value: string } && _spanOf.TryGetValue(literal, out var l))
                    Spans.Add(l with { Kind = SpanKind.Literal, Entity = n.Entity, Field = n.Text });
            return new Binary(op, left, right, start + 1);
        }

        private Node ParseAdditive()
        {
            var left = ParseTerm();
            while (true)
            {
                SkipSpace();
                if (AtEnd || Current is not ('+' or '-')) return left;
                var at = _pos + 1;
                var op = text[_pos++].ToString();
                left = new Binary(op, left, ParseTerm(), at);
            }
        }

        private Node ParseTerm()
        {
            var left = ParseFactor();
            while (true)
            {
                SkipSpace();
                if (AtEnd || Current is not ('*' or '/')) return left;
                var at = _pos + 1;
                var op = text[_pos++].ToString();
                left = new Binary(op, left, ParseFactor(), at);
            }
        }

        private Node ParseFactor()
        {
            SkipSpace();
            if (AtEnd) throw new FormulaException($"the expression ends too early at {_pos + 1}", _pos + 1);
            var c = Current;
            var at = _pos + 1;
            if (c == '(')
            {
                _pos++;
                var inner = ParseExpression();
                SkipSpace();
                if (AtEnd || Current != ')') throw new FormulaException($"missing ')' at {_pos + 1}", _pos + 1);
                _pos++;
                return inner;
            }
            if (c == '-') { _pos++; return new Negate(ParseFactor(), at); }
            if (c is '"' or '“' or '”')
            {
                _pos++;
                var start = _pos;
                while (!AtEnd && Current is not ('"' or '“' or '”')) _pos++;
                if (AtEnd) throw new FormulaException($"missing closing '\"' for the text at {at}", at);
                var literal = text[start.._pos];
                _pos++;
                var constant = new Constant(literal, at);
                _spanOf[constant] = new FormulaSpan(start, literal.Length, literal, SpanKind.Literal, null);
                return constant;
            }
            if (char.IsAsciiDigit(c) || c == '.')
            {
                var start = _pos;
                while (!AtEnd && (char.IsAsciiDigit(Current) || Current == '.')) _pos++;
                var literal = text[start.._pos];
                if (!decimal.TryParse(literal, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                    throw new FormulaException($"'{literal}' is not a number at {at}", at);
                return new Constant(number, at);
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = _pos;
                while (!AtEnd && (char.IsAsciiLetterOrDigit(Current) || Current is '_' or '.')) _pos++;
                var name = text[start.._pos];
                SkipSpace();
                if (!AtEnd && Current == '(') return ParseCall(name, at);
                if (name.Equals("TRUE", StringComparison.OrdinalIgnoreCase)) return new Constant(true, at);
                if (name.Equals("FALSE", StringComparison.OrdinalIgnoreCase)) return new Constant(false, at);
                ReferenceSet.Add(name);
                var reference = new Reference(name, at);
                var span = new FormulaSpan(start, name.Length, name, SpanKind.Name, _rollupScope is { Count: > 0 } ? _rollupEntities[^1] : null);
                _spanOf[reference] = span;
                Spans.Add(span);
                return reference;
            }
            throw new FormulaException($"unexpected '{c}' at {at}", at);
        }

        /// <summary>NAME(argument, …): a function of <see cref="Functions"/>; a bare name given to a list function is read as a list when it is one.</summary>
        private Node ParseCall(string name, int at)
        {
            var upper = name.ToUpperInvariant();
            if (!Functions.TryGetValue(upper, out var function)) throw new FormulaException($"unknown function '{name}' at {at}", at);
            if (upper == "TODAY") UsesToday = true;
            _pos++; // (
            var arguments = new List<Node>();
            SkipSpace();
            if (!AtEnd && Current == ')') _pos++;
            else
            {
                while (true)
                {
                    if (function.IsRollup && arguments.Count == 1)
                    {
                        // Later arguments are read in the related records: their names go to the roll-up.
                        var link = ((Reference)arguments[0]).Key;
                        var dot = link.IndexOf('.');
                        var names = new HashSet<string>(StringComparer.Ordinal);
                        Rollups.Add(new RollupReference(dot > 0 ? link[..dot] : link, dot > 0 ? link[(dot + 1)..] : "", names));
                        (_rollupScope ??= []).Add(names);
                        _rollupEntities.Add(dot > 0 ? link[..dot] : link);
                    }
                    var argumentAt = _pos;
                    var argument = ParseExpression();
                    if (function.IsRollup && arguments.Count == 0)
                    {
                        if (argument is not Reference link || !link.Key.Contains('.'))
                            throw new FormulaException($"{upper} needs entity.lookup as its first argument at {argumentAt + 1}", argumentAt + 1);
                        References.Remove(link.Key); // not a name of this record
                        if (_spanOf.TryGetValue(link, out var linkSpan))
                            Spans[Spans.IndexOf(linkSpan)] = linkSpan with { Kind = SpanKind.RollupLink, Entity = null };
                    }
                    if (function.TakesLists && argument is Reference r) ListReferences.Add(r.Key);
                    arguments.Add(argument);
                    SkipSpace();
                    if (AtEnd) throw new FormulaException($"missing ')' at {_pos + 1}", _pos + 1);
                    if (Current == ',') { _pos++; continue; }
                    if (Current == ')') { _pos++; break; }
                    throw new FormulaException($"unexpected '{Current}' at {_pos + 1}", _pos + 1);
                }
                if (function.IsRollup && arguments.Count > 1)
                {
                    _rollupScope!.RemoveAt(_rollupScope.Count - 1);
                    _rollupEntities.RemoveAt(_rollupEntities.Count - 1);
                }
            }
            if (arguments.Count < function.MinArguments || arguments.Count > function.MaxArguments)
                throw new FormulaException(function.MinArguments == function.MaxArguments
                    ? $"{upper} takes {function.MinArguments} arguments at {at}"
                    : $"{upper} takes {function.MinArguments}–{function.MaxArguments} arguments at {at}", at);
            return new Call(upper, function, arguments, at);
        }
    }
}

/// <summary>What a write gives formulas beyond the record's own values (see <c>RecordWriter.FormulaInputsAsync</c>).</summary>
public sealed class FormulaInputs
{
    public DateOnly Today { get; init; } = DateOnly.FromDateTime(DateTime.UtcNow);
    /// <summary>A looked-up record's field by its reference (<c>customer.industry</c>), null when blank or hidden.</summary>
    public Func<string, object?>? Linked { get; init; }
    /// <summary>The related records of a roll-up (entity type key, lookup key).</summary>
    public Func<string, string, IReadOnlyList<IFormulaScope>>? Related { get; init; }
}

/// <summary>A record's values as formulas read them: each field by its value kind, subform columns as lists.</summary>
public sealed class RecordFormulaScope(Metadata.EntityMeta entity, System.Text.Json.Nodes.JsonObject values, DateOnly today,
    string? self = null, decimal? probability = null, FormulaInputs? inputs = null) : IFormulaScope
{
    public DateOnly Today => today;

    public object? Value(string reference)
    {
        if (reference == FormulaExpression.StageProbability) return probability;
        if (reference == self) return null;
        if (reference.Contains('.')) return inputs?.Linked?.Invoke(reference);
        return entity.Field(reference) is { } field && Fields.FieldTypeRegistry.Find(field.Type) is { } type
            ? Fields.Types.FormulaField.Read(values[reference], type.KindOf(field.Settings)) : null;
    }

    public IReadOnlyList<object?>? List(string reference)
    {
        var sub = FormulaExpression.FieldOf(reference);
        return sub != reference && sub != self && entity.Field(sub) is { Type: Fields.FieldTypes.Subform }
            ? Fields.Types.SubformField.ColumnValues(values[sub], reference[(sub.Length + 1)..]).Select(v => (object?)v).ToList() : null;
    }

    public IReadOnlyList<IFormulaScope> Related(string entityKey, string lookup) => inputs?.Related?.Invoke(entityKey, lookup) ?? [];
}
