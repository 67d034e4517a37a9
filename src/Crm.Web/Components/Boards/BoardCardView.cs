using System.Globalization;
using System.Net;
using System.Text;
using Crm.Core.Boards;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;

namespace Crm.Web.Components.Boards;

/// <summary>
/// One card as HTML, made once when the card is loaded: title (a link to the record), the fields the view chooses,
/// the owner's initials, and marks for a deal that sits in its stage longer than the stage allows and for overdue
/// tasks. Plain markup on purpose: a board shows hundreds of cards in every open tab, and a component per card
/// (with MudBlazor's chip, tooltip, avatar and icon inside) costs the server about 6 KB each per circuit, where one
/// string costs its length. Every value is HTML-encoded; the card has no event handlers of its own (the link is a
/// link, dragging is the board's, see boards.js).
/// </summary>
public static class BoardCardView
{
    public static MarkupString Render(BoardCard card, BoardLayout layout, IReadOnlyList<string> cardFields, IReadOnlyDictionary<Guid, string>? names,
        bool draggable, string href, IStringLocalizer t)
    {
        var entity = layout.Entity;
        IReadOnlyList<string> fields = cardFields.Count > 0 ? cardFields
            : new[] { entity.Entity.AmountFieldKey, entity.Entity.CloseDateFieldKey, entity.Entity.OwnerFieldKey }.Where(k => k is not null).Select(k => k!).ToList();
        var display = new DisplayContext(CultureInfo.CurrentCulture, k => t[k], names)
        {
            PipelineId = card.StageId is { } s ? entity.Owner.Stage(s)?.Pipeline.Pipeline.Id : layout.Pipeline?.Pipeline.Id,
        };
        string Show(FieldDefinition field) => FieldTypeRegistry.Get(field.Type).Display(card.Values[field.Key], new FieldContext(field, entity), display);
        bool Chosen(string? key) => key is not null && fields.Contains(key);

        var html = new StringBuilder(512);
        // Short on purpose (every loaded card is this string in every open tab): the attributes tests and boards.js read,
        // data-overdue only when there are overdue tasks, and the link's "open record" title set by boards.js on hover
        // from the board's data-open-title (one string per board, not one per card).
        html.Append("<div class=\"crm-card").Append(card.IsStale ? " crm-card-stale" : "").Append(draggable ? "" : " crm-card-locked")
            .Append("\" data-card=\"").Append(card.Id).Append("\" data-version=\"").Append(card.Version.ToString(CultureInfo.InvariantCulture))
            .Append("\" data-stale=\"").Append(card.IsStale ? "true" : "false");
        if (card.OverdueTasks > 0) html.Append("\" data-overdue=\"").Append(card.OverdueTasks.ToString(CultureInfo.InvariantCulture));
        html.Append("\" draggable=\"").Append(draggable ? "true" : "false").Append("\">");
        html.Append("<div class=\"crm-card-title\"><a href=\"").Append(Encode(href)).Append("\" draggable=\"false\">")
            .Append(Encode(string.IsNullOrEmpty(card.Title) ? "—" : card.Title)).Append("</a></div>");

        // The chosen fields other than those with a place of their own (amount, close date, owner, title, the column's field).
        foreach (var key in fields)
        {
            if (key == entity.Entity.AmountFieldKey || key == entity.Entity.CloseDateFieldKey || key == entity.Entity.OwnerFieldKey
                || key == entity.Entity.TitleFieldKey || key == layout.GroupField.Key) continue;
            if (entity.Field(key) is not { } field || card.Values[field.Key] is null) continue;
            var text = Show(field);
            if (text.Length == 0) continue;
            html.Append("<div class=\"crm-card-field\" data-field=\"").Append(Encode(field.Key)).Append("\"><span class=\"crm-card-label\">")
                .Append(Encode(field.Label.Get())).Append("</span><span class=\"crm-card-value\">").Append(Encode(text)).Append("</span></div>");
        }

        html.Append("<div class=\"crm-card-footer\">");
        if (Chosen(entity.Entity.AmountFieldKey) && entity.AmountField is { } amount && card.Values[amount.Key] is not null)
            html.Append("<span class=\"crm-card-amount\" data-field=\"").Append(Encode(amount.Key)).Append("\">").Append(Encode(Show(amount))).Append("</span>");
        if (Chosen(entity.Entity.CloseDateFieldKey) && entity.CloseDateField is { } close && card.Values[close.Key] is not null)
            html.Append("<span class=\"crm-card-date\" data-field=\"").Append(Encode(close.Key)).Append("\">").Append(Encode(Show(close))).Append("</span>"); // its calendar icon is boards.css's
        // Marks and the owner sit at the right end (boards.css: the first of them takes the free space on its left).
        if (card.IsStale)
        {
            var limit = card.StageId is { } stage ? entity.Owner.Stage(stage)?.Stage.StaleAfterDays : null;
            html.Append("<span class=\"crm-card-mark crm-card-mark-warning\" data-testid=\"stale-mark\" title=\"").Append(Encode(t["Board.StaleHint", limit ?? 0]))
                .Append("\">").Append(Encode(t["Board.Stale", card.DaysInStage ?? 0])).Append("</span>");
        }
        if (card.OverdueTasks > 0)
            html.Append("<span class=\"crm-card-mark crm-card-mark-error\" data-testid=\"overdue-mark\" title=\"").Append(Encode(t["Board.OverdueHint"]))
                .Append("\">").Append(Encode(t["Board.Overdue", card.OverdueTasks])).Append("</span>");
        if (Chosen(entity.Entity.OwnerFieldKey) && card.OwnerId is { } ownerId)
        {
            var owner = names?.GetValueOrDefault(ownerId) ?? "?";
            html.Append("<span class=\"crm-card-owner\" data-testid=\"owner-avatar\" title=\"").Append(Encode(owner)).Append("\">").Append(Encode(Initials(owner))).Append("</span>");
        }
        html.Append("</div></div>");
        return new MarkupString(html.ToString());
    }

    private static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string Initials(string name)
    {
        var parts = name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) return "?";
        var first = parts[0];
        // Chinese names: the given name's last character reads naturally; Latin names: initials.
        if (first.Any(c => c > 0x2E80)) return first.Length > 1 ? first[^2..] : first;
        return string.Concat(parts.Take(2).Select(p => char.ToUpperInvariant(p[0])));
    }
}
