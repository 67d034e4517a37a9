using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Testing;

/// <summary>
/// The core's services over a test database, with Identity set up as the web app sets it up
/// (Crm.Web/Hosting/CrmWebHostExtensions.cs: 8+ characters, a digit and a lowercase letter).
/// </summary>
public static class CoreServices
{
    public static ServiceProvider Create(TestDatabase database, TimeProvider? clock = null, Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLocalization();
        if (clock is not null) services.AddSingleton(clock);
        services.AddCrmCore(database.Provider, database.ConnectionString);
        services.AddIdentityCore<ApplicationUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 8;
                o.Password.RequireDigit = true;
                o.Password.RequireLowercase = true;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
            })
            .AddEntityFrameworkStores<CrmDbContext>()
            .AddErrorDescriber<LocalizedIdentityErrorDescriber>();
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }
}
