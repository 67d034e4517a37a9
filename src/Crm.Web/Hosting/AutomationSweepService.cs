using Crm.Core.Automation;

namespace Crm.Web.Hosting;

/// <summary>
/// Runs <see cref="AutomationSweep"/> every <c>Automation:SweepInterval</c> (default one minute; <c>00:00:00</c> turns it
/// off). Safe with several instances: each firing is claimed once in the database. To be moved onto the
/// cross-instance job runner when it lands.
/// </summary>
public sealed class AutomationSweepService(AutomationSweep sweep, TimeProvider clock, IConfiguration config, ILogger<AutomationSweepService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = config.GetValue("Automation:SweepInterval", TimeSpan.FromMinutes(1));
        if (interval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try { await sweep.RunOnceAsync(clock.GetUtcNow().UtcDateTime, stoppingToken); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "Automation sweep failed"); }
        }
    }
}
