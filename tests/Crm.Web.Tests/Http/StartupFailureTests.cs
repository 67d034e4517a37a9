using System.Diagnostics;

namespace Crm.Web.Tests.Http;

/// <summary>The real app process, started against a PostgreSQL server that does not answer.</summary>
public class StartupFailureTests
{
    [Fact]
    public async Task An_unreachable_database_stops_the_app_with_a_clear_message_and_a_non_zero_exit_code()
    {
        var start = new ProcessStartInfo("dotnet", "Crm.Web.dll")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Database__Provider"] = "Postgres";
        start.Environment["Database__ConnectionString"] = "Host=127.0.0.1;Port=1;Username=nobody;Password=x;Database=none;Timeout=3";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);

        var log = await output + await error;
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("Cannot reach the Postgres database", log);
        Assert.DoesNotContain("Now listening", log);
    }
}
