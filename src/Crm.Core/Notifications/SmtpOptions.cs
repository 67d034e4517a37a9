namespace Crm.Core.Notifications;

/// <summary>appsettings <c>Smtp</c>: e-mail is sent only when <see cref="Host"/> is set.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    /// <summary>Sender address, e.g. <c>crm@example.com</c> or <c>CRM &lt;crm@example.com&gt;</c>.</summary>
    public string From { get; set; } = "crm@localhost";
    public string? UserName { get; set; }
    public string? Password { get; set; }
    /// <summary>None, Auto, SslOnConnect, StartTls or StartTlsWhenAvailable (MailKit's SecureSocketOptions).</summary>
    public string Security { get; set; } = "Auto";
    /// <summary>The app's public address, for links in e-mails (e.g. <c>https://crm.example.com</c>); links are left out when empty.</summary>
    public string? BaseUrl { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}
