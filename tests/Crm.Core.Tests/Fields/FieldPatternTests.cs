using System.Diagnostics;
using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Resources;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Fields;

/// <summary>Tenants' patterns run in bounded time, and the ones that cannot are refused.</summary>
public class FieldPatternTests
{
    [Theory]
    [InlineData("^(a+)+$")]
    [InlineData("(a|a)*b")]
    [InlineData("^(\\w+\\s?)*$")]
    [InlineData("(.*a){20}")]
    [InlineData("^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$")]
    public void Catastrophic_backtracking_patterns_are_accepted_and_match_in_milliseconds(string pattern)
    {
        Assert.Equal(PatternProblem.None, FieldPattern.Check(pattern));
        foreach (var value in new[] { new string('a', 30) + "!", new string('a', FieldPattern.MaxValueLength - 1) + "!", string.Concat(Enumerable.Repeat("ab ", 3000)) + "!" })
        {
            FieldPattern.Match(pattern, value); // compile and warm up
            var watch = Stopwatch.StartNew();
            var outcome = FieldPattern.Match(pattern, value);
            watch.Stop();
            Assert.True(outcome is PatternOutcome.Match or PatternOutcome.NoMatch, $"{pattern}: {outcome}");
            // A backtracking engine needs minutes for the first value; a linear one well under a millisecond.
            Assert.True(watch.ElapsedMilliseconds < 500, $"{pattern} against {value.Length} characters took {watch.ElapsedMilliseconds} ms");
        }
    }

    [Theory]
    [InlineData("^[A-Z]{2}\\d{4}$", "AB1234", PatternOutcome.Match)]
    [InlineData("^[A-Z]{2}\\d{4}$", "ab1234", PatternOutcome.NoMatch)]
    [InlineData("^1[3-9]\\d{9}$", "13800138000", PatternOutcome.Match)]
    [InlineData("^(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", PatternOutcome.NoMatch)]
    public void Ordinary_patterns_match_as_expected(string pattern, string value, PatternOutcome expected)
        => Assert.Equal(expected, FieldPattern.Match(pattern, value));

    [Theory]
    [InlineData("(a)\\1", PatternProblem.Unsupported)]          // backreference
    [InlineData("(?<x>a)\\k<x>", PatternProblem.Unsupported)]   // named backreference
    [InlineData("(?=a)a", PatternProblem.Unsupported)]          // lookahead
    [InlineData("(?<!a)b", PatternProblem.Unsupported)]         // lookbehind
    [InlineData("(?>a+)b", PatternProblem.Unsupported)]         // atomic group
    [InlineData("^(a{1000}){1000}$", PatternProblem.Unsupported)] // automaton too large
    [InlineData("[", PatternProblem.Invalid)]
    [InlineData("a{2,1}", PatternProblem.Invalid)]
    public void Patterns_that_cannot_run_safely_are_refused(string pattern, PatternProblem expected)
    {
        Assert.Equal(expected, FieldPattern.Check(pattern));
        Assert.Equal(PatternOutcome.Unusable, FieldPattern.Match(pattern, "aaa"));
    }

    [Fact]
    public void Patterns_and_values_have_length_caps()
    {
        Assert.Equal(PatternProblem.TooLong, FieldPattern.Check(new string('a', FieldPattern.MaxPatternLength + 1)));
        Assert.Equal(PatternProblem.None, FieldPattern.Check(new string('a', FieldPattern.MaxPatternLength)));
        Assert.Equal(PatternOutcome.ValueTooLong, FieldPattern.Match("^a*$", new string('a', FieldPattern.MaxValueLength + 1)));
        Assert.Equal(PatternOutcome.Match, FieldPattern.Match("^a*$", new string('a', FieldPattern.MaxValueLength)));
    }

    private static EntityMeta Entity(params FieldDefinition[] fields)
    {
        var entity = new EntityType { Key = "thing", TitleFieldKey = "name" };
        return new TenantMetadata(Guid.NewGuid(), 1, [new EntityMeta(entity, fields, [])], []).Entity("thing")!;
    }

    private static FieldDefinition F(string key, string type, FieldSettings settings) => new() { Key = key, Type = type, Label = LocalizedText.Same(key), Settings = settings };

    private static RecordValidator Validator()
    {
        var services = new ServiceCollection().AddLogging().AddLocalization().BuildServiceProvider();
        return new RecordValidator(services.GetRequiredService<IStringLocalizer<CoreStrings>>());
    }

    [Fact]
    public void The_schema_the_server_validates_with_carries_no_pattern_but_the_served_schema_does()
    {
        var entity = Entity(F("name", "text", new() { Pattern = "^(a+)+$" }), F("tel", "phone", new() { Pattern = "^1\\d{10}$" }));
        Assert.Equal("^(a+)+$", entity.Schema.Properties["name"].Pattern);
        Assert.Equal("^1\\d{10}$", entity.Schema.Properties["tel"].Pattern);
        Assert.Null(entity.ValidationSchema.Properties["name"].Pattern);
        Assert.Null(entity.ValidationSchema.Properties["tel"].Pattern);
    }

    [Fact]
    public void The_validator_matches_patterns_itself_with_the_fields_message()
    {
        var previous = System.Globalization.CultureInfo.CurrentUICulture;
        System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("en");
        try
        {
            var entity = Entity(
                F("name", "text", new() { Pattern = "^(a+)+$", PatternMessage = new LocalizedText("只能是 a", "only a's"), MaxLength = 10_000 }),
                F("tel", "phone", new() { Pattern = "^1\\d{10}$" }));
            var errors = new Crm.Core.Accounts.ValidationErrors();
            var watch = Stopwatch.StartNew();
            Validator().Validate(entity, new JsonObject(), new JsonObject { ["name"] = new string('a', 9_999) + "!", ["tel"] = "010-1234" }, null, errors);
            watch.Stop();
            Assert.Equal("name: only a's", Assert.Single(errors.For("name")));
            Assert.Contains("tel", Assert.Single(errors.For("tel")));
            Assert.True(watch.ElapsedMilliseconds < 2_000, $"validation took {watch.ElapsedMilliseconds} ms");

            var ok = new Crm.Core.Accounts.ValidationErrors();
            Validator().Validate(entity, new JsonObject(), new JsonObject { ["name"] = "aaa", ["tel"] = "13800138000" }, null, ok);
            Assert.True(ok.IsEmpty, ok.ToString());
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentUICulture = previous;
        }
    }

    [Fact]
    public void A_stored_pattern_that_cannot_run_safely_refuses_the_value_instead_of_running_it()
    {
        var entity = Entity(F("name", "text", new() { Pattern = "(a)\\1" }));
        var errors = new Crm.Core.Accounts.ValidationErrors();
        Validator().Validate(entity, new JsonObject(), new JsonObject { ["name"] = "aa" }, null, errors);
        Assert.Single(errors.For("name"));
    }

    /// <summary>
    /// The product's own patterns (phone characters, web address scheme) run on the compiled engine; they must say
    /// the same as the non-backtracking engine every tenant pattern runs on: fixed edge cases (lengths 2/3/40/41,
    /// a line break at the end, Unicode spaces, 转) and 5,000 seeded random strings over the phone characters and
    /// some that are not.
    /// </summary>
    [Fact]
    public void Built_in_patterns_answer_as_the_non_backtracking_engine()
    {
        var random = new Random(17);
        const string alphabet = "0123456789+()-.#*xX转 \t\u00a0\u3000\nab:/htpsABé";
        foreach (var pattern in new[] { Crm.Core.Fields.Types.PhoneField.PhonePattern, Crm.Core.Fields.Types.UrlField.SchemePattern })
        {
            var reference = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.NonBacktracking | System.Text.RegularExpressions.RegexOptions.CultureInvariant);
            var values = new List<string> { "", "12", "123", new string('1', 40), new string('1', 41), new string('1', 40) + "\n", "138 0013 8000", "+86 (21) 5555-1234 转 8", "13800138000\n", "\n123", "1\u00a02\u30003", "https://x", "http://", "ftp://x", "HTTPS://x", " https://x" };
            for (var i = 0; i < 5_000; i++)
            {
                var length = random.Next(0, 45);
                var chars = new char[length];
                for (var c = 0; c < length; c++) chars[c] = alphabet[random.Next(alphabet.Length)];
                values.Add(random.Next(4) == 0 ? "http" + (random.Next(2) == 0 ? "s" : "") + "://" + new string(chars) : new string(chars));
            }
            var matches = 0;
            foreach (var value in values)
            {
                var expected = reference.IsMatch(value) ? PatternOutcome.Match : PatternOutcome.NoMatch;
                Assert.True(expected == FieldPattern.Match(pattern, value), $"{pattern} on \"{value}\"");
                if (expected == PatternOutcome.Match) matches++;
            }
            Assert.InRange(matches, 10, values.Count - 10); // both answers occur
        }
    }
}
