using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Core.Jobs;

/// <summary>Polls <see cref="JobRunner"/> every <see cref="JobRunnerOptions.PollInterval"/> (with a little jitter, so instances do not poll in step).</summary>
public sealed class JobRunnerService(JobRunner runner, JobRunnerOptions options, TimeProvider clock, ILogger<JobRunnerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            var jitter = TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)Math.Min(2000, options.PollInterval.TotalMilliseconds / 4 + 1)));
            try
            {
                await Task.Delay(options.PollInterval + jitter, clock, stoppingToken);
                await runner.RunDueAsync(clock.GetUtcNow().UtcDateTime, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The database may be restarting: log, and try again on the next poll.
                logger.LogWarning(e, "Background jobs: poll failed");
            }
        }
    }
}
