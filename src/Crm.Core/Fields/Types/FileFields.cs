using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Files;
using Crm.Core.Metadata;
using NJsonSchema;

namespace Crm.Core.Fields.Types;

/// <summary>
/// Files held by a record (附件 / 图片): a JSON array of <c>{"id", "name", "size", "type"}</c>, one per file, in the
/// order shown. The bytes are uploaded first (<see cref="FileService.UploadAsync"/>); a write names them by id and the
/// writer fills in name, size and type from the stored file (<see cref="Records.RecordWriter"/>), so a client cannot
/// make a file look like another. Not filtered by value, sorted or grouped: a list filters on "has files" (not empty).
/// No conversions into or out of these types (a file is not text, and text does not become a file).
/// </summary>
public abstract class FileFieldBase : FieldType
{
    /// <summary>The most files a field holds when its settings say nothing.</summary>
    public const int DefaultMaxFiles = 10;
    /// <summary>The most files a field may ever be set to hold.</summary>
    public const int FileLimit = 50;

    public override FieldValueKind ValueKind => FieldValueKind.Rows;
    public override bool IsGroupable => false;
    public override bool MakesBoardColumns => false;
    public override bool InDefaultList => false;
    public override IReadOnlyList<string> SettingNames => ["Required", "MaxFiles", "MaxFileSizeMb", "FileKinds"];

    /// <summary>The kinds (<see cref="FileKinds"/>) a field of this type may ever take.</summary>
    public abstract IReadOnlyList<string> KindsOffered { get; }

    /// <summary>The kinds a field takes: its setting (within what the type offers), else all the type offers.</summary>
    public static IReadOnlyList<string> AllowedKinds(FieldDefinition field)
    {
        var offered = ((FileFieldBase)FieldTypeRegistry.Get(field.Type)).KindsOffered;
        var chosen = field.Settings.FileKinds?.Where(offered.Contains).ToList();
        return chosen is { Count: > 0 } ? chosen : offered;
    }

    public static int MaxFilesOf(FieldSettings s) => s.MaxFiles is { } n and > 0 ? Math.Min(n, FileLimit) : DefaultMaxFiles;

    /// <summary>The file ids a value names, in order.</summary>
    public static IReadOnlyList<Guid> FileIds(JsonNode? value)
        => value is JsonArray files
            ? files.Select(f => f is JsonObject o && o["id"] is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var id) ? id : Guid.Empty).Where(g => g != Guid.Empty).ToList()
            : [];

    /// <summary>One file as the record stores it.</summary>
    public static JsonObject Entry(StoredFile file) => new()
    {
        ["id"] = file.Id.ToString(),
        ["name"] = file.Name,
        ["size"] = file.Size,
        ["type"] = file.ContentType,
    };

    public override JsonSchema BuildSchema(FieldContext ctx)
    {
        var item = new JsonSchema { Type = JsonObjectType.Object };
        // "id" is not listed as required: a schema validator then reports an item that is not an object twice (wrong
        // type and missing id); the server's check refuses an item without an id as "not a file" (Validation.Reference).
        item.Properties["id"] = new JsonSchemaProperty { Type = JsonObjectType.String, Format = JsonFormatStrings.Guid, Description = "Required: the id an upload returned (POST …/files)." };
        item.Properties["name"] = new JsonSchemaProperty { Type = JsonObjectType.String, Description = "Filled in by the server." };
        item.Properties["size"] = new JsonSchemaProperty { Type = JsonObjectType.Integer, Description = "Bytes; filled in by the server." };
        item.Properties["type"] = new JsonSchemaProperty { Type = JsonObjectType.String, Description = "Content type detected from the bytes; filled in by the server." };
        return new JsonSchema { Type = JsonObjectType.Array, Item = item, MaxItems = MaxFilesOf(ctx.Settings) };
    }

    /// <summary>The shape: a list of objects each with a file id (at least one when required); the count is checked by
    /// <see cref="PartProblems"/>, with a message that says how many files the field takes.</summary>
    public override ValueChecker CompileCheck(FieldContext ctx, bool required) => value =>
    {
        if (value is null) return required ? ValueProblem.List : ValueProblem.None;
        if (value is not JsonArray files) return ValueProblem.List;
        if (required && files.Count < 1) return ValueProblem.Required;
        foreach (var f in files)
        {
            if (f is not JsonObject o) return ValueProblem.Type;
            if (o["id"] is not JsonValue v || !v.TryGetValue<string>(out var s) || !Guid.TryParse(s, out _)) return ValueProblem.Reference;
        }
        return ValueProblem.None;
    };

    public override IEnumerable<PartProblem> PartProblems(FieldContext ctx, JsonNode? value)
    {
        var max = MaxFilesOf(ctx.Settings);
        if (value is JsonArray files && files.Count > max)
            yield return new PartProblem("", ctx.Field, ValueProblem.None, "Validation.TooManyFiles", [max]);
    }

    /// <summary>Takes an id, a list of ids or of file objects; keeps only the id of each (the writer fills in the
    /// rest from the stored file), drops repeats; an empty list is no value.</summary>
    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
    {
        IEnumerable<JsonNode?> items = value is JsonArray a ? a : value is null ? Array.Empty<JsonNode?>() : new[] { value };
        var result = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var raw = item is JsonObject o ? o["id"] : item;
            if (raw is JsonValue v && v.TryGetValue<string>(out var s))
            {
                if (string.IsNullOrWhiteSpace(s)) continue;
                var id = Guid.TryParse(s, out var g) ? g.ToString() : s.Trim();
                if (!seen.Add(id)) continue;
                var entry = item is JsonObject src ? (JsonObject)src.DeepClone() : new JsonObject();
                entry["id"] = id;
                result.Add(entry);
            }
            else if (item is not null) result.Add(item.DeepClone()); // refused by the check, naming the field
        }
        return result.Count == 0 ? null : result;
    }

    /// <summary>The file names, ", " between them (CSV and Excel exports, the timeline, searches).</summary>
    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc)
        => value is JsonArray files
            ? string.Join(", ", files.OfType<JsonObject>().Select(f => f["name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : ""))
            : base.Display(value, ctx, dc);

    /// <summary>"12.3 KB", "4.5 MB".</summary>
    public static string SizeText(long bytes, CultureInfo culture) => bytes switch
    {
        < 1024 => string.Format(culture, "{0} B", bytes),
        < 1024 * 1024 => string.Format(culture, "{0:0.#} KB", bytes / 1024d),
        _ => string.Format(culture, "{0:0.#} MB", bytes / 1024d / 1024d),
    };

    public override void ValidateSettings(FieldContext ctx, Accounts.ValidationErrors errors, string path, Func<string, string> t)
    {
        var s = ctx.Settings;
        if (s.MaxFiles is < 1 or > FileLimit) errors.Add(path + "/maxFiles", string.Format(CultureInfo.CurrentCulture, t("Settings.MaxFiles"), FileLimit));
        if (s.MaxFileSizeMb is < 1 or > 1024) errors.Add(path + "/maxFileSizeMb", t("Settings.MaxFileSize"));
        foreach (var kind in s.FileKinds ?? [])
            if (!KindsOffered.Contains(kind)) errors.Add(path + "/fileKinds", string.Format(CultureInfo.CurrentCulture, t("Settings.FileKind"), kind));
    }

    /// <summary>No conversion into or out of files (said in the designer's type changer).</summary>
    public override IReadOnlyList<string> ConversionTargets => [];
}

/// <summary>附件: files of the kinds the field allows (all by default: images, PDF, Office documents, text, zip).</summary>
public sealed class FileField : FileFieldBase
{
    public override string Name => FieldTypes.File;
    public override IReadOnlyList<string> KindsOffered => FileKinds.All;
}

/// <summary>图片: images only (PNG, JPEG, GIF, WebP), shown as thumbnails.</summary>
public sealed class ImageField : FileFieldBase
{
    public override string Name => FieldTypes.Image;
    public override IReadOnlyList<string> KindsOffered => [FileKinds.Image];
    public override IReadOnlyList<string> SettingNames => ["Required", "MaxFiles", "MaxFileSizeMb"];
}
