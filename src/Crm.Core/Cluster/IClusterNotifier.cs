namespace Crm.Core.Cluster;

/// <summary>
/// Carries an in-process event to the other app instances (see <see cref="ClusterMessages"/>). Called after the
/// change committed; never blocks the caller and never fails it: live updates are a courtesy, the data is in the
/// database.
/// </summary>
public interface IClusterNotifier
{
    void Notify(string message);
}

/// <summary>One process (SQLite, or tests without a bus): the in-process publishers already reached everyone.</summary>
public sealed class SingleInstanceNotifier : IClusterNotifier
{
    public static readonly SingleInstanceNotifier Instance = new();
    public void Notify(string message) { }
}
