using System.Globalization;
using System.Threading.Channels;
using Crm.Core.Data;
using Crm.Core.Resources;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Crm.Core.Notifications;

/// <summary>
/// E-mail for committed notifications, sent in the background so that a write never waits for or fails on the
/// mail server: only when SMTP is configured, only to people who chose the notification's kind. Failures are logged.
/// </summary>
public sealed class NotificationMailQueue(ICrmDbContextFactory factory, IOptions<SmtpOptions> options, IStringLocalizer<CoreStrings> t, ILogger<NotificationMailQueue> log)
    : IDisposable
{
    private readonly Channel<(Guid TenantId, IReadOnlyList<Notification> Items)> _queue = Channel.CreateUnbounded<(Guid, IReadOnlyList<Notification>)>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Task? _pump;

    public void Enqueue(Guid tenantId, IReadOnlyList<Notification> items)
    {
        if (!options.Value.Enabled || items.Count == 0) return;
        _queue.Writer.TryWrite((tenantId, items));
        lock (_gate) _pump ??= Task.Run(PumpAsync);
    }

    private async Task PumpAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
                while (reader.TryRead(out var batch))
                {
                    try { await SendAsync(batch.TenantId, batch.Items, _stop.Token); }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
                    catch (Exception e) { log.LogWarning(e, "Notification e-mail to {Count} people failed", batch.Items.Count); }
                }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Sends the e-mails for <paramref name="items"/> now (the queue's work; public for tests and the job runner).</summary>
    public async Task<int> SendAsync(Guid tenantId, IReadOnlyList<Notification> items, CancellationToken ct = default)
    {
        var smtp = options.Value;
        if (!smtp.Enabled) return 0;
        var userIds = items.Select(i => i.UserId).Distinct().ToList();
        await using var db = factory.CreateGlobal();
        var people = await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id))
            .Select(u => new { u.Id, u.Email, u.DisplayName, u.PreferredCulture }).ToListAsync(ct);
        var prefs = await db.NotificationPreferences.AsNoTracking().Where(p => userIds.Contains(p.UserId)).ToDictionaryAsync(p => p.UserId, p => p.EmailKinds, ct);
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(x => x.Id == tenantId, ct);
        var typeIds = items.Where(i => i.EntityTypeId is not null).Select(i => i.EntityTypeId!.Value).Distinct().ToList();
        var entityKeys = new Dictionary<Guid, string>();
        if (typeIds.Count > 0)
        {
            await using var tdb = factory.CreateForTenant(tenantId);
            entityKeys = await tdb.EntityTypes.AsNoTracking().Where(e => typeIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, e => e.Key, ct);
        }

        var messages = new List<MimeMessage>();
        foreach (var n in items)
        {
            var person = people.FirstOrDefault(p => p.Id == n.UserId);
            if (person?.Email is not { Length: > 0 } email) continue;
            if (!prefs.TryGetValue(n.UserId, out var kinds) || !kinds.Contains(n.Kind)) continue;
            var culture = new CultureInfo(person.PreferredCulture ?? tenant?.DefaultCulture ?? "zh-CN");
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse(smtp.From));
            message.To.Add(new MailboxAddress(person.DisplayName, email));
            message.Subject = n.Title;
            var body = n.Body ?? "";
            if (n.RecordId is { } rid && n.EntityTypeId is { } et && entityKeys.TryGetValue(et, out var key) && !string.IsNullOrWhiteSpace(smtp.BaseUrl) && tenant is not null)
                body += $"\n\n{smtp.BaseUrl!.TrimEnd('/')}/t/{tenant.Identifier}/r/{key}/{rid}";
            body += "\n\n" + InCulture(culture, () => t["Notification.EmailFooter", tenant?.Name ?? ""]);
            message.Body = new TextPart("plain") { Text = body.Trim() };
            messages.Add(message);
        }
        if (messages.Count == 0) return 0;

        using var client = new SmtpClient();
        await client.ConnectAsync(smtp.Host!, smtp.Port, Enum.TryParse<SecureSocketOptions>(smtp.Security, true, out var s) ? s : SecureSocketOptions.Auto, ct);
        if (!string.IsNullOrEmpty(smtp.UserName)) await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", ct);
        foreach (var m in messages) await client.SendAsync(m, ct);
        await client.DisconnectAsync(true, ct);
        return messages.Count;
    }

    private static string InCulture(CultureInfo culture, Func<string> f)
    {
        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = culture;
        try { return f(); }
        finally { CultureInfo.CurrentUICulture = previous; }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _queue.Writer.TryComplete();
        _stop.Dispose();
    }
}
