using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Core.Notifications;

/// <summary>appsettings <c>Reminders</c>: how often the sweep runs; 0 switches it off (tests, or when a job runner runs it).</summary>
public sealed class ReminderOptions
{
    public int SweepSeconds { get; set; } = 60;
}

/// <summary>
/// Runs <see cref="ReminderSweep"/> periodically in this instance. Safe with several instances (the sweep is exactly
/// once per occurrence); a cross-instance job runner may take its place.
/// </summary>
public sealed class ReminderSweepService(ReminderSweep sweep, TimeProvider clock, IOptions<ReminderOptions> options, ILogger<ReminderSweepService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = options.Value.SweepSeconds;
        if (seconds <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), clock);
        do
        {
            try { await sweep.RunOnceAsync(clock.GetUtcNow().UtcDateTime, stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) { log.LogError(e, "Reminder sweep failed"); }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
