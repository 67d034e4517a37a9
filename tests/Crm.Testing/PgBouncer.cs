using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Crm.Testing;

/// <summary>
/// A local PgBouncer (Debian package <c>pgbouncer</c>) in <b>transaction</b> pooling mode in front of the test
/// PostgreSQL server, started once per test run on a free port with a generated configuration and stopped at exit.
/// The pool is kept small (3 server connections), so many test contexts share few server connections and a tenant
/// setting that leaked from one transaction into the next would be seen.
/// </summary>
public sealed class PgBouncer
{
    public const string Executable = "/usr/sbin/pgbouncer";
    public const int ServerPoolSize = 3;

    private static readonly Lazy<Task<PgBouncer>> Shared = new(() => StartAsync(TestDatabase.PostgresConnection));

    private PgBouncer(int port, Process process, string folder)
    {
        Port = port;
        Process = process;
        Folder = folder;
    }

    public int Port { get; }
    private Process Process { get; }
    private string Folder { get; }

    public static Task<PgBouncer> GetAsync() => Shared.Value;

    /// <summary><paramref name="directConnection"/> with host and port replaced by this PgBouncer's.</summary>
    public string ConnectionStringFor(string directConnection) => new NpgsqlConnectionStringBuilder(directConnection)
    {
        Host = "127.0.0.1",
        Port = Port,
        // PgBouncer resets nothing between transactions in this mode; DISCARD ALL on close would only cost a round trip.
        NoResetOnClose = true,
    }.ConnectionString;

    private static async Task<PgBouncer> StartAsync(string maintenance)
    {
        if (!File.Exists(Executable))
            throw new InvalidOperationException($"The PgBouncer tests need the Debian package pgbouncer ({Executable} not found): apt-get install pgbouncer (.ci/run installs it).");
        var server = new NpgsqlConnectionStringBuilder(maintenance);
        var folder = Directory.CreateTempSubdirectory("crm_pgbouncer_").FullName;
        var port = FreePort();
        var users = Path.Combine(folder, "users.txt");
        await File.WriteAllTextAsync(users, $"\"{server.Username}\" \"{server.Password}\"\n");
        var ini = Path.Combine(folder, "pgbouncer.ini");
        await File.WriteAllTextAsync(ini, $"""
            [databases]
            * = host={server.Host} port={server.Port}

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = {port}
            unix_socket_dir =
            auth_type = scram-sha-256
            auth_file = {users}
            pool_mode = transaction
            default_pool_size = {ServerPoolSize}
            max_client_conn = 500
            ignore_startup_parameters = extra_float_digits,options
            """);
        // PgBouncer refuses to run as root; -u drops to an unprivileged user (only allowed when started as root).
        var asRoot = Environment.UserName == "root";
        if (asRoot && !OperatingSystem.IsWindows())
        {
            // The temporary folder is private to root; the unprivileged user must read the configuration.
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }
        var start = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (asRoot) { start.ArgumentList.Add("-u"); start.ArgumentList.Add("nobody"); }
        start.ArgumentList.Add(ini);
        var process = Process.Start(start) ?? throw new InvalidOperationException("PgBouncer did not start.");
        var log = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { if (!process.HasExited) process.Kill(); } catch (InvalidOperationException) { }
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        };

        var bouncer = new PgBouncer(port, process, folder);
        var probe = bouncer.ConnectionStringFor(maintenance);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync();
                await using var cmd = new NpgsqlCommand("SELECT 1", connection);
                await cmd.ExecuteScalarAsync();
                return bouncer;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException && attempt < 50 && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (Exception e)
            {
                string output;
                lock (log) output = log.ToString();
                throw new InvalidOperationException($"PgBouncer on port {port} did not accept connections: {e.Message}\n{output}", e);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
