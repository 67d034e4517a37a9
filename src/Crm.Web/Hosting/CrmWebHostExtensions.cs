using Crm.Core.Jobs;
using System.Globalization;
using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Tenancy;
using Crm.Web.Accounts;
using Crm.Web.Api;
using Crm.Web.Components;
using Crm.Web.Components.Layout;
using Crm.Web.Localization;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration.Json;
using MudBlazor.Services;

namespace Crm.Web.Hosting;

public static class CrmWebHostExtensions
{
    public static WebApplicationBuilder AddCrmWeb(this WebApplicationBuilder builder)
    {
        AddRootDevelopmentSettings(builder);
        var config = builder.Configuration;
        var services = builder.Services;

        if (config["Logging:Format"] == "json")
            builder.Logging.ClearProviders().AddJsonConsole(o => { o.IncludeScopes = true; o.TimestampFormat = "O"; o.UseUtcTimestamp = true; });
        builder.AddCrmTelemetry();

        var database = config.GetSection("Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        database.ConnectionString ??= config.GetConnectionString("Crm");
        var connectionString = database.ResolveConnectionString(builder.Environment.ContentRootPath);
        services.AddSingleton(database);
        services.AddSingleton(config.GetSection("Jobs").Get<Crm.Core.Jobs.JobRunnerOptions>() ?? new Crm.Core.Jobs.JobRunnerOptions());
        // Webhooks (SSRF guard, timeouts, retries): before the core, which adds the defaults only when none are given.
        services.AddSingleton(config.GetSection("Webhooks").Get<Crm.Core.Webhooks.WebhookOptions>() ?? new Crm.Core.Webhooks.WebhookOptions());
        services.AddCrmCore(database.Provider, connectionString, database.ListenConnectionString, database.TransactionPooling);
        services.AddHostedService<Crm.Core.Jobs.JobRunnerService>();
        // Time-based work runs on the job runner: once across instances, whichever instance claims it first.
        var automationEvery = config.GetValue("Automation:SweepInterval", TimeSpan.FromMinutes(1));
        if (automationEvery > TimeSpan.Zero)
            services.AddPeriodicJob<Crm.Core.Automation.AutomationSweep>("automation.time-triggers", automationEvery, (s, now, ct) => s.RunOnceAsync(now, ct));
        var reminderSeconds = config.GetValue("Reminders:SweepSeconds", 60);
        if (reminderSeconds > 0)
            services.AddPeriodicJob<Crm.Core.Notifications.ReminderSweep>("reminders.sweep", TimeSpan.FromSeconds(reminderSeconds), (s, now, ct) => s.RunOnceAsync(now, ct));
        // Files and images: Files:Root (relative to the content root), limits; the sweep removes what no record holds.
        services.Configure<Crm.Core.Files.FileStorageOptions>(config.GetSection("Files"));
        var contentRoot = builder.Environment.ContentRootPath;
        services.PostConfigure<Crm.Core.Files.FileStorageOptions>(o =>
        {
            if (o.Root is { Length: > 0 } root && !Path.IsPathRooted(root)) o.Root = Path.Combine(contentRoot, root);
        });
        var filesEvery = config.GetValue("Files:SweepInterval", TimeSpan.FromHours(1));
        if (filesEvery > TimeSpan.Zero)
            services.AddPeriodicJob<Crm.Core.Files.FileSweep>("files.sweep", filesEvery, (s, now, ct) => s.RunOnceAsync(now, ct));
        services.Configure<TenancyOptions>(config.GetSection("Tenancy"));
        services.Configure<DemoOptions>(config.GetSection("Demo"));
        services.Configure<Crm.Core.Import.ImportOptions>(config.GetSection("Import"));
        services.Configure<Crm.Core.Notifications.SmtpOptions>(config.GetSection("Smtp"));
        services.Configure<Crm.Core.Notifications.ReminderOptions>(config.GetSection("Reminders"));

        services.AddLocalization();
        services.Configure<RequestLocalizationOptions>(o => CultureSetup.Configure(o));

        var circuits = config.GetSection("Circuits").Get<CircuitLimits>() ?? new CircuitLimits();
        services.AddSingleton(circuits);
        services.AddRazorComponents().AddInteractiveServerComponents(circuits.Apply);
        services.AddSingleton<OpenCircuits>();
        services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, OpenCircuits.Handler>();
        services.AddMudServices(mud => CrmTheme.ConfigureSnackbar(mud.SnackbarConfiguration));
        CrmMudLocalizer.Register(services);
        services.AddHttpContextAccessor();

        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingIdentityAuthenticationStateProvider>();
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = IdentityConstants.ApplicationScheme;
                o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies(c => c.ApplicationCookie?.Configure(o =>
            {
                o.LoginPath = "/account/login";
                o.LogoutPath = "/account/logout";
                o.AccessDeniedPath = "/status/403";
                o.SlidingExpiration = true;
                o.ExpireTimeSpan = TimeSpan.FromDays(14);
                // API calls get 401/403, not a redirect to the login page.
                o.Events.OnRedirectToLogin = ctx => RedirectOrStatus(ctx, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ctx => RedirectOrStatus(ctx, StatusCodes.Status403Forbidden);
            }));
        services.AddAuthorization();
        // Each cookie's security stamp is checked against the database at most this long after the last check:
        // sign-out (which renews the stamp) ends copies of the cookie within it. Zero checks on every request.
        services.Configure<SecurityStampValidatorOptions>(o =>
            o.ValidationInterval = config.GetValue<TimeSpan?>("Accounts:SecurityStampInterval") ?? TimeSpan.FromMinutes(1));
        services.AddIdentityCore<ApplicationUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 8;
                o.Password.RequireDigit = true;
                o.Password.RequireLowercase = true;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.MaxFailedAccessAttempts = 10;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
            })
            .AddEntityFrameworkStores<CrmDbContext>()
            .AddSignInManager()
            .AddErrorDescriber<LocalizedIdentityErrorDescriber>()
            .AddDefaultTokenProviders();

        // Keys in the database: several instances behind a load balancer read each other's cookies and tickets.
        services.AddDataProtection().SetApplicationName("Crm.Saas").PersistKeysToDbContext<CrmDbContext>();
        services.AddSingleton<SignInTickets>();
        Crm.Web.Components.Fields.Types.FieldTypeUiServiceCollectionExtensions.AddFieldTypeUis(services);
        services.AddScoped<TenantAccess>();
        services.AddSingleton(new Crm.Core.Templates.TemplateCatalog(Crm.Core.Templates.TemplateCatalog.DefaultFolder(builder.Environment.ContentRootPath)));
        services.AddScoped<IDemoContentSeeder, StarterTemplatesDemoSeeder>();

        services.AddHealthChecks().AddDbContextCheck<CrmDbContext>("database", tags: [HealthResponse.ReadyTag]);
        services.AddProblemDetails();
        // Binding failures throw, so ErrorResponses answers them with a message naming the parameter (in every environment).
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddCrmApi();
        services.AddCrmApiDocs();

        var proxy = config.GetSection("Proxy").Get<ProxyOptions>() ?? new ProxyOptions();
        services.AddSingleton(proxy);
        services.Configure<Microsoft.AspNetCore.Builder.ForwardedHeadersOptions>(proxy.Apply);
        return builder;
    }

    public static WebApplication UseCrmWeb(this WebApplication app)
    {
        // First: everything after it (HSTS, cookies' Secure flag, logs) sees the client's scheme and address.
        if (app.Services.GetRequiredService<ProxyOptions>().Enabled) app.UseForwardedHeaders();
        app.UseMiddleware<SecurityHeaders>();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
            app.UseHsts();
        }
        app.UseStatusCodePagesWithReExecute("/status/{0}", createScopeForStatusCodePages: true);
        app.UseRequestLocalization();
        app.UseMiddleware<ErrorResponses>();
        app.UseRouting();
        app.UseAuthentication();
        app.UseMiddleware<TenantResolutionMiddleware>();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapStaticAssets();
        app.MapHealthChecks("/health", HealthResponse.Options);
        app.MapHealthChecks("/health/ready", HealthResponse.Ready);
        app.MapHealthChecks("/health/live", HealthResponse.Live);
        app.MapAccountEndpoints();
        app.MapCultureEndpoints();
        app.MapCrmApi();
        app.MapCrmApiDocs();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    private static Task RedirectOrStatus(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx, int status)
    {
        if (ApiPaths.IsApi(ctx.Request.Path))
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The design card keeps <c>appsettings.Development.json</c> at the repository root; the build copies it next
    /// to the binaries. It is layered right after <c>appsettings.json</c>, before environment variables.
    /// </summary>
    private static void AddRootDevelopmentSettings(WebApplicationBuilder builder)
    {
        if (!builder.Environment.IsDevelopment()) return;
        var path = Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json");
        if (!File.Exists(path) || File.Exists(Path.Combine(builder.Environment.ContentRootPath, "appsettings.Development.json"))) return;
        var sources = builder.Configuration.Sources;
        var index = sources.Select((s, i) => (s, i)).LastOrDefault(x => x.s is JsonConfigurationSource j && j.Path == "appsettings.json").i;
        var source = new JsonConfigurationSource { Path = path, Optional = true, ReloadOnChange = false };
        source.ResolveFileProvider();
        sources.Insert(index + 1, source);
    }
}
