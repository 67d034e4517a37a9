using System.Globalization;

namespace Crm.Core.Records;

/// <summary>
/// The formula language: + - * / and parentheses over numbers, numeric field keys and <c>stage.probability</c>.
/// A blank operand or a division by zero gives no value (null), never an error on save.
/// </summary>
public sealed class FormulaExpression
{
    public const string StageProbability = "stage.probability";
    private readonly Node _root;

    private FormulaExpression(Node root, IReadOnlyCollection<string> references)
    {
        _root = root;
        References = references;
    }

    public IReadOnlyCollection<string> References { get; }

    public decimal? Evaluate(Func<string, decimal?> value) => _root.Eval(value);

    /// <summary>Parses an expression; throws <see cref="FormatException"/> with the position of the problem.</summary>
    public static FormulaExpression Parse(string text)
    {
        var parser = new Parser(text);
        var node = parser.ParseExpression();
        parser.SkipSpace();
        if (!parser.AtEnd) throw new FormatException($"unexpected '{parser.Current}' at {parser.Position + 1}");
        return new FormulaExpression(node, parser.References);
    }

    private abstract record Node
    {
        public abstract decimal? Eval(Func<string, decimal?> value);
    }

    private sealed record Constant(decimal Value) : Node
    {
        public override decimal? Eval(Func<string, decimal?> value) => Value;
    }

    private sealed record Reference(string Key) : Node
    {
        public override decimal? Eval(Func<string, decimal?> value) => value(Key);
    }

    private sealed record Negate(Node Operand) : Node
    {
        public override decimal? Eval(Func<string, decimal?> value) => -Operand.Eval(value);
    }

    private sealed record Binary(char Op, Node Left, Node Right) : Node
    {
        public override decimal? Eval(Func<string, decimal?> value)
        {
            if (Left.Eval(value) is not { } l || Right.Eval(value) is not { } r) return null;
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
                References.Add(name);
                return new Reference(name);
            }
            throw new FormatException($"unexpected '{c}' at {_pos + 1}");
        }
    }
}
