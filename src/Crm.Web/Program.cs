using Crm.Web.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddCrmWeb();

var app = builder.Build();
app.UseCrmWeb();

// A clear message and a non-zero exit when the configured database cannot be reached (no half-started app).
if (!await app.PrepareDatabaseAsync())
{
    await app.DisposeAsync(); // flushes the console logger, so the reason is in the log before the process ends
    return 2;
}

await app.RunAsync();
return 0;

/// <summary>Entry point type, public for WebApplicationFactory in the tests.</summary>
public partial class Program;
