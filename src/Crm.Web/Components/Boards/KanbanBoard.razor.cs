using System.Globalization;
using Crm.Core.Boards;
using Crm.Core.Fields.Types;
using Crm.Core.Records;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using Microsoft.JSInterop;
using MudBlazor;

namespace Crm.Web.Components.Boards;

public partial class KanbanBoard
{
    [Inject] private BoardService Boards { get; set; } = default!;
    [Inject] private RecordEvents Events { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private TimeProvider Clock { get; set; } = default!;
    [Inject] private IStringLocalizer<Crm.Web.Resources.Boards> T { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;

    [CascadingParameter] public TenantSession Session { get; set; } = default!;
    /// <summary>What to show; a new request (another group field, pipeline or filter) reloads the board.</summary>
    [Parameter, EditorRequired] public BoardRequest Request { get; set; } = default!;
    /// <summary>Raised after each load, e.g. for the page to show the resolved group field and pipeline.</summary>
    [Parameter] public EventCallback<BoardData> Loaded { get; set; }

    /// <summary>
    /// A card as the board keeps it between renders: what moving it needs (its values dropped: they are only read to
    /// make its markup, once) and its markup.
    /// </summary>
    private sealed record ShownCard(BoardCard Card, MarkupString Html);

    private static readonly System.Text.Json.Nodes.JsonObject NoValues = new();

    /// <summary>
    /// Cards a column shows first, and adds per "load more" (or scroll to its end): a little more than a screen of
    /// cards on a 1080p display (a column that is not filled on a taller one loads its next page by itself, boards.js).
    /// The counts and totals in the headers are the database's whatever is loaded; every loaded card costs its markup
    /// in every open tab (docs/decisions.md, "Memory per circuit, list and board (circ18)", and "board page" in the
    /// lead's section of 2026-12-05).
    /// </summary>
    public const int CardsPerPage = 10;

    /// <summary>The request as the board loads it: its page of cards is <see cref="CardsPerPage"/>.</summary>
    private static BoardRequest Paged(BoardRequest request) => request.PageSize == CardsPerPage ? request : request with { PageSize = CardsPerPage };

    private ElementReference _element;
    private DotNetObjectReference<KanbanBoard>? _self;
    private BoardData? _data;
    private List<ShownCard> _cards = [];
    private Dictionary<Guid, string> _names = [];
    private BoardRequest? _shown;
    private bool _missing, _busy;
    private IDisposable? _subscription;
    private (CultureInfo Culture, CultureInfo UiCulture) _culture = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
    private readonly SemaphoreSlim _gate = new(1, 1);

    private bool CanEdit => Session.Actor.CanEdit;
    private bool HasAmount => _data is { AmountHidden: false } && _data.Layout.Entity.AmountField is not null;
    private bool HasProbability => _data?.Layout.StageProbabilities.Count > 0;

    protected override void OnInitialized()
    {
        // Only the interactive render listens: a prerender ends before any event could arrive.
        if (RendererInfo.IsInteractive) _subscription = Events.Subscribe(Session.Tenant.Id, OnRecordEvent);
        _culture = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
    }

    protected override async Task OnParametersSetAsync()
    {
        if (ReferenceEquals(Request, _shown)) return;
        _shown = Request;
        await ReloadAsync(null, fresh: true);
    }

    /// <summary>Reloads the totals of every column and the cards of <paramref name="columns"/> (all when null), keeping what is shown.</summary>
    private async Task ReloadAsync(IReadOnlyCollection<string>? columns, bool fresh = false)
    {
        await _gate.WaitAsync();
        try
        {
            var request = Request;
            var takes = _cards.GroupBy(c => c.Card.ColumnKey).ToDictionary(g => g.Key, g => Math.Max(CardsPerPage, g.Count()));
            var data = await Boards.LoadAsync(Session.Actor, Paged(request), columns, fresh ? null : takes);
            if (!ReferenceEquals(request, Request)) return; // a newer request is on its way
            if (fresh) _cards = [];
            if (data is null) { _data = null; _missing = true; _cards = []; return; }
            _missing = false;
            foreach (var (id, name) in data.Names) _names[id] = name;
            var loadedCards = data.Columns.SelectMany(c => c.Cards).Select(c => Show(data.Layout, c)).ToList();
            var freshIds = loadedCards.Select(c => c.Card.Id).ToHashSet();
            var kept = columns is null ? [] : _cards.Where(c => !columns.Contains(c.Card.ColumnKey) && !freshIds.Contains(c.Card.Id) && data.Column(c.Card.ColumnKey) is not null).ToList();
            _cards = Ordered(kept.Concat(loadedCards));
            // The columns' totals stay; their cards (with every value of every record) are kept only as markup.
            _data = data with { Columns = data.Columns.Select(c => c with { Cards = [] }).ToList() };
        }
        finally
        {
            _gate.Release();
        }
        StateHasChanged();
        if (_data is not null) await Loaded.InvokeAsync(_data);
    }

    private async Task LoadMoreAsync(string column)
    {
        _busy = true;
        try
        {
            var skip = _cards.Count(c => c.Card.ColumnKey == column);
            var page = await Boards.LoadMoreAsync(Session.Actor, Paged(Request), column, skip);
            var ids = _cards.Select(c => c.Card.Id).ToHashSet();
            foreach (var (id, name) in page.Names) _names[id] = name;
            if (_data is not null) _cards = Ordered(_cards.Concat(page.Cards.Where(c => !ids.Contains(c.Id)).Select(c => Show(_data.Layout, c))));
        }
        finally
        {
            _busy = false;
        }
        StateHasChanged();
    }

    private ShownCard Show(BoardLayout layout, BoardCard card)
        => new(card with { Values = NoValues }, BoardCardView.Render(card, layout, Request.CardFields, _names, CanEdit, Session.Href($"r/{layout.Entity.Key}/{card.Id}"), T));

    private static List<ShownCard> Ordered(IEnumerable<ShownCard> cards) => cards.OrderBy(c => c.Card.Rank).ThenBy(c => c.Card.Id).ToList();

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // One reference per board for boards.js, which calls DropAsync when a card is dropped on a column.
        if (!firstRender || !RendererInfo.IsInteractive) return;
        _self = DotNetObjectReference.Create(this);
        try { await JS.InvokeVoidAsync("crmBoards.attach", _element, _self); }
        catch (JSDisconnectedException) { /* the tab went away */ }
    }

    /// <summary>
    /// A card dropped on column <paramref name="zone"/> at <paramref name="index"/> among the column's other cards
    /// (past the end: last), from boards.js. Won and lost columns ask for the amount or the reason first.
    /// </summary>
    [JSInvokable]
    public async Task DropAsync(string cardId, string zone, int index)
    {
        if (_data is null || !Guid.TryParse(cardId, out var id) || _cards.FirstOrDefault(c => c.Card.Id == id)?.Card is not { } card) return;
        var from = card.ColumnKey;
        var to = zone;
        var target = _data.Layout.Column(to);
        var others = _cards.Select(c => c.Card).Where(c => c.ColumnKey == to && c.Id != card.Id).OrderBy(c => c.Rank).ThenBy(c => c.Id).ToList();
        index = index < 0 || index > others.Count ? others.Count : index;
        var above = index > 0 ? others[index - 1] : null;
        var below = index < others.Count ? others[index] : null;
        if (target is null || !CanEdit || (from == to && (above?.Id, below?.Id) == Neighbours(card)))
        {
            StateHasChanged(); // nothing to save: the card stays where it was
            return;
        }

        var move = new BoardMove(Request, card.Id, card.Version, to, above?.Id, below?.Id);
        if (from != to && target.IsWon && _data.Layout.Entity.AmountField is not null)
        {
            var amount = await AskAsync<WonDialog, decimal?>(T["Board.WonTitle"], new DialogParameters<WonDialog> { { x => x.Card, card }, { x => x.Entity, _data.Layout.Entity } });
            if (amount is null) { Revert(); return; }
            move = move with { WonAmount = amount };
        }
        if (from != to && target.IsLost && _data.Layout.Entity.LostReasonField is not null)
        {
            var reason = await AskAsync<LostDialog, string>(T["Board.LostTitle"], new DialogParameters<LostDialog> { { x => x.Card, card }, { x => x.Entity, _data.Layout.Entity } });
            if (reason is null) { Revert(); return; }
            move = move with { LostReason = reason };
        }

        // Optimistic: the card stays where it was dropped while the move is saved.
        var rank = BoardRanks.Between(above?.Rank, below?.Rank, card.Rank);
        _cards = Ordered(_cards.Select(c => c.Card.Id == card.Id ? c with { Card = c.Card with { ColumnKey = to, Rank = rank } } : c));
        StateHasChanged();

        var result = await Boards.MoveAsync(Session.Actor, move);
        switch (result.Outcome)
        {
            case BoardMoveOutcome.Moved:
                await ReloadAsync([from, to]);
                break;
            case BoardMoveOutcome.Conflict:
                Snackbar.Add(T["Board.Conflict", card.Title], Severity.Warning, o => o.SnackbarVariant = Variant.Filled);
                await ReloadAsync(null); // the card goes back to where the record really is
                break;
            default:
                Snackbar.Add(T["Board.MoveFailed", string.Join(" ", result.Errors.ByField.SelectMany(e => e.Value))], Severity.Error);
                await ReloadAsync(null);
                break;
        }
    }

    private (Guid?, Guid?) Neighbours(BoardCard card)
    {
        var column = _cards.Select(c => c.Card).Where(c => c.ColumnKey == card.ColumnKey).OrderBy(c => c.Rank).ThenBy(c => c.Id).ToList();
        var i = column.FindIndex(c => c.Id == card.Id);
        return (i > 0 ? column[i - 1].Id : null, i >= 0 && i < column.Count - 1 ? column[i + 1].Id : null);
    }

    private void Revert() => StateHasChanged(); // the card never left its column here; boards.js only showed the drag

    private async Task<TResult?> AskAsync<TDialog, TResult>(string title, DialogParameters<TDialog> parameters) where TDialog : ComponentBase
    {
        var dialog = await Dialogs.ShowAsync<TDialog>(title, parameters, new DialogOptions { MaxWidth = MaxWidth.ExtraSmall, FullWidth = true, BackdropClick = false });
        var result = await dialog.Result;
        return result is { Canceled: false, Data: TResult data } ? data : default;
    }

    private async Task QuickCreateAsync(BoardColumnDef column)
    {
        if (_data is null) return;
        var parameters = new DialogParameters<QuickCreateDialog> { { x => x.Layout, _data.Layout }, { x => x.ColumnKey, column.Key } };
        var dialog = await Dialogs.ShowAsync<QuickCreateDialog>(T["Board.QuickCreate", column.Label.Get()], parameters,
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, BackdropClick = false });
        var result = await dialog.Result;
        if (result is { Canceled: false, Data: Crm.Core.Records.Record created })
        {
            Snackbar.Add(T["Board.Created", created.Title], Severity.Success);
            await ReloadAsync([column.Key]);
        }
    }

    private void OnRecordEvent(RecordEvent e)
    {
        if (_data is null || e.EntityTypeId != _data.Layout.Entity.Entity.Id) return;
        _ = InvokeAsync(async () =>
        {
            // The event arrives on the writer's thread, with the writer's culture: render in this circuit's own.
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = _culture;
            try { await OnRecordChangedAsync(e); }
            catch (Exception ex) when (ex is ObjectDisposedException or TaskCanceledException) { /* the circuit went away */ }
        });
    }

    /// <summary>Another change to a record of this type: reload the column it was in here and the one it is in now.</summary>
    private async Task OnRecordChangedAsync(RecordEvent e)
    {
        var columns = new HashSet<string>();
        if (_cards.FirstOrDefault(c => c.Card.Id == e.RecordId) is { } local) columns.Add(local.Card.ColumnKey);
        if (e.Kind != RecordEventKind.Deleted && await Boards.ColumnOfAsync(Session.Actor, Request, e.RecordId) is { } now) columns.Add(now);
        await ReloadAsync(columns);
    }

    /// <summary>A column total as it fits the header on one line (¥1.2M, ¥120万); the exact sum is its tooltip.</summary>
    private string CompactMoney(decimal? value)
        => MoneyField.CurrencySymbol(_data?.Layout.Entity.AmountField?.Settings.Currency) + Crm.Web.Components.Shared.CompactNumber.Format(value ?? 0, CultureInfo.CurrentCulture);

    private string Money(decimal? value)
    {
        var symbol = MoneyField.CurrencySymbol(_data?.Layout.Entity.AmountField?.Settings.Currency);
        return symbol + (value ?? 0).ToString("N0", CultureInfo.CurrentCulture);
    }

    public ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        _subscription = null;
        _self?.Dispose();
        _self = null;
        return ValueTask.CompletedTask;
    }
}
