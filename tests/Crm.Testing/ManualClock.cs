namespace Crm.Testing;

/// <summary>A clock the test moves by hand (expiry of invitations and tickets).</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public ManualClock() : this(new DateTimeOffset(2026, 1, 15, 9, 0, 0, TimeSpan.Zero)) { }

    public DateTimeOffset Now { get; private set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}
