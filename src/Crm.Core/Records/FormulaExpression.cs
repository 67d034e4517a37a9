using System.Globalization;

namespace Crm.Core.Records;

/// <summary>
/// The formula language: + - * / and parentheses over numbers, numeric field keys and <c>stage.probability</c>,
/// and calls of the functions in <see cref="Functions"/> (<c>SUM(items.subtotal)</c>: a subform column given as
/// <c>subform.column</c> is a list inside a call). A blank operand or a division by zero gives no value (null),
/// never an error on save.
/// </summary>
public sealed class FormulaExpression
{
    public const string StageProbability = "stage.probability";
    private readonly Node _root;

    private FormulaExpression(Node root, IReadOnlyCollection<string> references, IReadOnlyCollection<string> listReferences)
    {
        _root = root;
        References = references;
        ListReferences = listReferences;
    }

    /// <summary>Every name the expression reads (field keys, <c>stage.probability</c>, <c>subform.column</c>).</summary>
    public IReadOnlyCollection<string> References { get; }

    /// <summary>The names read as lists: direct arguments of a function call (<c>items.subtotal</c> in <c>SUM(items.subtotal)</c>).</summary>
    public IReadOnlyCollection<string> ListReferences { get; }

    /// <summary>The field a reference reads: the subform of <c>subform.column</c>, the name itself otherwise.</summary>
    public static string FieldOf(string reference)
    {
        var dot = reference.IndexOf('.');
        return reference == StageProbability || dot < 1 ? reference : reference[..dot];
    }

    public decimal? Evaluate(Func<string, decimal?> value) => _root.Eval(new Scope(value, null));

    /// <summary>Evaluates with <paramref name="list"/> giving the values of a list reference (a subform column's cells).</summary>
    public decimal? Evaluate(Func<string, decimal?> value, Func<string, IReadOnlyList<decimal?>>? list) => _root.Eval(new Scope(value, list));

    /// <summary>A function of the language: its argument count and how it folds the values of its arguments (a list
    /// argument gives all its values, a scalar one its value).</summary>
    public sealed record Function(int MinArguments, int MaxArguments, Func<IReadOnlyList<decimal?>, decimal?> Apply);

    /// <summary>The functions, by upper-case name. Adding one is one line here (names are case-insensitive in formulas).</summary>
    public static readonly IReadOnlyDictionary<string, Function> Functions = new Dictionary<string, Function>(StringComparer.Ordinal)
    {
        // Blank cells count as nothing; a sum of no values is 0 (a deal without lines has amount 0, not blank).
        ["SUM"] = new(1, 32, values => values.Aggregate(0m, (total, v) => v is { } d ? total + d : total)),
    };

    private sealed record Scope(Func<string, decimal?> Value, Func<string, IReadOnlyList<decimal?>>? List);

    /// <summary>Parses an expression; throws <see cref="FormatException"/> with the position of the problem.</summary>
    public static FormulaExpression Parse(string text)
    {
        var parser = new Parser(text);
        var node = parser.ParseExpression();
        parser.SkipSpace();
        if (!parser.AtEnd) throw new FormatException($"unexpected '{parser.Current}' at {parser.Position + 1}");
        return new FormulaExpression(node, parser.References, parser.ListReferences);
    }

    private abstract record Node
    {
        public abstract decimal? Eval(Scope s);
    }

    private sealed record Constant(decimal Value) : Node
    {
        public override decimal? Eval(Scope s) => Value;
    }

    private sealed record Reference(string Key) : Node
    {
        public override decimal? Eval(Scope s) => s.Value(Key);
    }

    private sealed record Negate(Node Operand) : Node
    {
        public override decimal? Eval(Scope s) => -Operand.Eval(s);
    }

    private sealed record Call(Function Function, IReadOnlyList<Node> Arguments) : Node
    {
        public override decimal? Eval(Scope s)
        {
            var values = new List<decimal?>();
            foreach (var argument in Arguments)
            {
                if (argument is Reference r && s.List?.Invoke(r.Key) is { } list) values.AddRange(list);
                else values.Add(argument.Eval(s));
            }
            try { return Function.Apply(values); }
            catch (OverflowException) { return null; }
        }
    }

    private sealed record Binary(char Op, Node Left, Node Right) : Node
    {
        public override decimal? Eval(Scope s)
        {
            if (Left.Eval(s) is not { } l || Right.Eval(s) is not { } r) return null;
            try
            {
                return Op switch
                {
                    '+' => l + r,
                    '-' => l - r,
                    '*' => l * r,
                    '/' => r == 0 ? null : l / r,
                    _ => null,
                };
            }
            catch (OverflowException)
            {
                return null;
            }
        }
    }

    private sealed class Parser(string text)
    {
        private int _pos;
        public HashSet<string> References { get; } = new(StringComparer.Ordinal);
        public HashSet<string> ListReferences { get; } = new(StringComparer.Ordinal);
        public bool AtEnd => _pos >= text.Length;
        public char Current => text[_pos];
        public int Position => _pos;

        public void SkipSpace()
        {
            while (!AtEnd && char.IsWhiteSpace(Current)) _pos++;
        }

        public Node ParseExpression()
        {
            var left = ParseTerm();
            while (true)
            {
                SkipSpace();
                if (AtEnd || Current is not ('+' or '-')) return left;
                var op = text[_pos++];
                left = new Binary(op, left, ParseTerm());
            }
        }

        private Node ParseTerm()
        {
            var left = ParseFactor();
            while (true)
            {
                SkipSpace();
                if (AtEnd || Current is not ('*' or '/')) return left;
                var op = text[_pos++];
                left = new Binary(op, left, ParseFactor());
            }
        }

        private Node ParseFactor()
        {
            SkipSpace();
            if (AtEnd) throw new FormatException("the expression ends too early");
            var c = Current;
            if (c == '(')
            {
                _pos++;
                var inner = ParseExpression();
                SkipSpace();
                if (AtEnd || Current != ')') throw new FormatException($"missing ')' at {_pos + 1}");
                _pos++;
                return inner;
            }
            if (c == '-') { _pos++; return new Negate(ParseFactor()); }
            if (char.IsAsciiDigit(c) || c == '.')
            {
                var start = _pos;
                while (!AtEnd && (char.IsAsciiDigit(Current) || Current == '.')) _pos++;
                var literal = text[start.._pos];
                if (!decimal.TryParse(literal, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                    throw new FormatException($"'{literal}' is not a number");
                return new Constant(number);
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = _pos;
                while (!AtEnd && (char.IsAsciiLetterOrDigit(Current) || Current is '_' or '.')) _pos++;
                var name = text[start.._pos];
                SkipSpace();
                if (!AtEnd && Current == '(') return ParseCall(name, start);
                References.Add(name);
                return new Reference(name);
            }
            throw new FormatException($"unexpected '{c}' at {_pos + 1}");
        }

        /// <summary>NAME(argument, …): a function of <see cref="Functions"/>; an argument that is a bare name is read as a list when it is one.</summary>
        private Node ParseCall(string name, int start)
        {
            if (!Functions.TryGetValue(name.ToUpperInvariant(), out var function)) throw new FormatException($"unknown function '{name}' at {start + 1}");
            _pos++; // (
            var arguments = new List<Node>();
            SkipSpace();
            if (!AtEnd && Current == ')') _pos++;
            else
            {
                while (true)
                {
                    var argument = ParseExpression();
                    if (argument is Reference r) ListReferences.Add(r.Key);
                    arguments.Add(argument);
                    SkipSpace();
                    if (AtEnd) throw new FormatException($"missing ')' at {_pos + 1}");
                    if (Current == ',') { _pos++; continue; }
                    if (Current == ')') { _pos++; break; }
                    throw new FormatException($"unexpected '{Current}' at {_pos + 1}");
                }
            }
            if (arguments.Count < function.MinArguments || arguments.Count > function.MaxArguments)
                throw new FormatException($"{name.ToUpperInvariant()} takes {function.MinArguments}–{function.MaxArguments} arguments (at {start + 1})");
            return new Call(function, arguments);
        }
    }
}
