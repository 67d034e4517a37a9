using Crm.Core.Data;
using Microsoft.EntityFrameworkCore.Design;

namespace Crm.Migrations.Postgres;

/// <summary>Used by <c>dotnet ef migrations add</c> only; the app builds its options in <see cref="CrmDatabase"/>.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<CrmDbContext>
{
    public CrmDbContext CreateDbContext(string[] args)
        => new(CrmDatabase.BuildOptions(DatabaseProvider.Postgres, DesignTimeConnection), null);

    private const string DesignTimeConnection = "Host=localhost;Database=crm_design;Username=crm;Password=crm";
}
