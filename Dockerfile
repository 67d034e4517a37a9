# syntax=docker/dockerfile:1
# Build: the same publish command that .ci/run runs (and so proves) on every CI run.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Crm.Saas.sln Directory.Build.props Directory.Packages.props ./
COPY src/Crm.Core/Crm.Core.csproj src/Crm.Core/
COPY src/Crm.Migrations.Sqlite/Crm.Migrations.Sqlite.csproj src/Crm.Migrations.Sqlite/
COPY src/Crm.Migrations.Postgres/Crm.Migrations.Postgres.csproj src/Crm.Migrations.Postgres/
COPY src/Crm.Web/Crm.Web.csproj src/Crm.Web/
RUN dotnet restore src/Crm.Web
COPY . .
RUN dotnet publish src/Crm.Web -c Release -o /app

# Run: ASP.NET Core runtime only, as the image's non-root "app" user.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app .
RUN mkdir -p /data && chown app:app /data
USER app
# Configured by environment; the defaults run the embedded SQLite database in the /data volume.
# For PostgreSQL: Database__Provider=Postgres, Database__ConnectionString=Host=…;Database=…;Username=…;Password=…
# The image runs as Production: no demo account. To have one: Demo__Seed=true and Demo__Password=<your own>.
ENV ASPNETCORE_URLS=http://+:8080 \
    Database__Provider=Sqlite \
    Database__ConnectionString="Data Source=/data/crm.db" \
    Logging__Format=json
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["dotnet", "Crm.Web.dll"]
