using Crm.Core.Accounts;

namespace Crm.Core.Templates;

public sealed record CatalogEntry(TemplateDocument Document, string Json, string FileName);

/// <summary>
/// The starter templates shipped in the <c>templates/</c> folder. Each is parsed and checked once; a file that
/// does not parse is reported (the template centre shows the problem instead of failing).
/// </summary>
public sealed class TemplateCatalog
{
    private readonly Lazy<(IReadOnlyList<CatalogEntry> Entries, IReadOnlyDictionary<string, ValidationErrors> Problems)> _load;

    public TemplateCatalog(string folder) => _load = new(() => Load(folder));

    public IReadOnlyList<CatalogEntry> Entries => _load.Value.Entries;
    public IReadOnlyDictionary<string, ValidationErrors> Problems => _load.Value.Problems;
    public CatalogEntry? Find(string id) => Entries.FirstOrDefault(e => e.Document.Id == id);

    private static (IReadOnlyList<CatalogEntry>, IReadOnlyDictionary<string, ValidationErrors>) Load(string folder)
    {
        var entries = new List<CatalogEntry>();
        var problems = new Dictionary<string, ValidationErrors>();
        if (!Directory.Exists(folder)) return (entries, problems);
        foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            var json = File.ReadAllText(file);
            var (doc, errors) = TemplateParser.Parse(json, (k, a) => a.Length == 0 ? k : $"{k} ({string.Join(", ", a)})");
            if (doc is null) problems[Path.GetFileName(file)] = errors;
            else entries.Add(new CatalogEntry(doc, json, Path.GetFileName(file)));
        }
        return (entries, problems);
    }

    /// <summary>The shipped templates folder next to the app, or the repository's when running from source.</summary>
    public static string DefaultFolder(string contentRoot)
    {
        foreach (var candidate in new[] { Path.Combine(AppContext.BaseDirectory, "templates"), Path.Combine(contentRoot, "templates") })
            if (Directory.Exists(candidate)) return candidate;
        var dir = new DirectoryInfo(contentRoot);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "templates", "schema"))) dir = dir.Parent;
        return dir is null ? Path.Combine(contentRoot, "templates") : Path.Combine(dir.FullName, "templates");
    }
}
