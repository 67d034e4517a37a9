namespace Crm.Core.Accounts;

/// <summary>Errors keyed by the field they belong to (a form field name or a JSON path), messages localized.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsEmpty => _errors.Count == 0;
    public IReadOnlyDictionary<string, List<string>> ByField => _errors;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        if (!list.Contains(message)) list.Add(message);
    }

    public IReadOnlyList<string> For(string field) => _errors.TryGetValue(field, out var list) ? list : [];

    public IDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    public override string ToString() => string.Join("; ", _errors.Select(kv => $"{kv.Key}: {string.Join(", ", kv.Value)}"));
}
