using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Tenancy;

namespace Crm.Core.Views;

public enum ViewKind
{
    List = 0,
    Kanban = 1,
}

/// <summary>A list or board configuration, shared with the workspace (<see cref="OwnerUserId"/> null) or private.</summary>
public sealed class SavedView : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid EntityTypeId { get; set; }
    public string Key { get; set; } = "";
    public LocalizedText Name { get; set; } = LocalizedText.Same("");
    public ViewKind Kind { get; set; }
    public Guid? OwnerUserId { get; set; }
    public bool IsDefault { get; set; }
    public int SortOrder { get; set; }
    public ViewDefinition Definition { get; set; } = new();
    public string? Origin { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

public sealed record ViewDefinition
{
    /// <summary>List: visible columns in order (field keys).</summary>
    public List<string> Columns { get; init; } = [];
    public List<SortSpec> Sort { get; init; } = [];
    public List<FilterSpec> Filters { get; init; } = [];
    public string? Search { get; init; }
    public int PageSize { get; init; } = 25;
    /// <summary>Kanban: the stage, status or single-select field that makes the columns.</summary>
    public string? GroupBy { get; init; }
    public string? Pipeline { get; init; }
    public List<string> CardFields { get; init; } = [];

    public bool Equals(ViewDefinition? other) => other is not null && Json.Serialize(this) == Json.Serialize(other);
    public override int GetHashCode() => Json.Serialize(this).GetHashCode();
}

public sealed record SortSpec(string Field, bool Descending = false);

/// <summary>A condition on a field key or a record attribute ($owner, $createdAt, $updatedAt, $stage, $status).
/// Ops: eq, neq, in, nin, contains, gt, gte, lt, lte, empty, notEmpty; value "$me" means the current user.</summary>
public sealed record FilterSpec(string Field, string Op, JsonNode? Value = null)
{
    public bool Equals(FilterSpec? other)
        => other is not null && Field == other.Field && Op == other.Op && JsonNode.DeepEquals(Value, other.Value);

    public override int GetHashCode() => HashCode.Combine(Field, Op, Value?.ToJsonString());
}
