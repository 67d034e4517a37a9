using System.Globalization;
using Crm.Core.Boards;
using Crm.Core.Fields.Types;
using Crm.Core.Records;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
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

    [CascadingParameter] public TenantSession Session { get; set; } = default!;
    /// <summary>What to show; a new request (another group field, pipeline or filter) reloads the board.</summary>
    [Parameter, EditorRequired] public BoardRequest Request { get; set; } = default!;
    /// <summary>Raised after each load, e.g. for the page to show the resolved group field and pipeline.</summary>
    [Parameter] public EventCallback<BoardData> Loaded { get; set; }

    private MudDropContainer<BoardCard>? _container;
    private BoardData? _data;
    private List<BoardCard> _cards = [];
    private Dictionary<Guid, string> _names = [];
    private BoardRequest? _shown;
    private bool _missing, _busy, _refreshZones;
    private IDisposable? _subscription;
    private (CultureInfo Culture, CultureInfo UiCulture) _culture = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
    private readonly SemaphoreSlim _gate = new(1, 1);

    private bool CanEdit => Session.Actor.CanEdit;
    private bool HasAmount => _data?.Layout.Entity.AmountField is not null;
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
            var takes = _cards.GroupBy(c => c.ColumnKey).ToDictionary(g => g.Key, g => Math.Max(request.PageSize, g.Count()));
            var data = await Boards.LoadAsync(Session.Actor, request, columns, fresh ? null : takes);
            if (!ReferenceEquals(request, Request)) return; // a newer request is on its way
            if (fresh) _cards = [];
            if (data is null) { _data = null; _missing = true; _cards = []; return; }
            _missing = false;
            var loadedCards = data.Columns.SelectMany(c => c.Cards).ToList();
            var freshIds = loadedCards.Select(c => c.Id).ToHashSet();
            var kept = columns is null ? [] : _cards.Where(c => !columns.Contains(c.ColumnKey) && !freshIds.Contains(c.Id) && data.Column(c.ColumnKey) is not null).ToList();
            _cards = kept.Concat(loadedCards).OrderBy(c => c.Rank).ThenBy(c => c.Id).ToList();
            foreach (var (id, name) in data.Names) _names[id] = name;
            _data = data;
        }
        finally
        {
            _gate.Release();
        }
        RefreshZones();
        StateHasChanged();
        if (_data is not null) await Loaded.InvokeAsync(_data);
    }

    private async Task LoadMoreAsync(string column)
    {
        _busy = true;
        try
        {
            var skip = _cards.Count(c => c.ColumnKey == column);
            var page = await Boards.LoadMoreAsync(Session.Actor, Request, column, skip);
            var ids = _cards.Select(c => c.Id).ToHashSet();
            _cards = _cards.Concat(page.Cards.Where(c => !ids.Contains(c.Id))).OrderBy(c => c.Rank).ThenBy(c => c.Id).ToList();
            foreach (var (id, name) in page.Names) _names[id] = name;
        }
        finally
        {
            _busy = false;
        }
        RefreshZones();
    }

    private async Task OnDroppedAsync(MudItemDropInfo<BoardCard> drop)
    {
        if (_data is null || drop.Item is not { } card) return;
        var from = card.ColumnKey;
        var to = drop.DropzoneIdentifier;
        var target = _data.Layout.Column(to);
        var others = _cards.Where(c => c.ColumnKey == to && c.Id != card.Id).OrderBy(c => c.Rank).ThenBy(c => c.Id).ToList();
        var index = drop.IndexInZone < 0 || drop.IndexInZone > others.Count ? others.Count : drop.IndexInZone;
        var above = index > 0 ? others[index - 1] : null;
        var below = index < others.Count ? others[index] : null;
        if (target is null || !CanEdit || (from == to && (above?.Id, below?.Id) == Neighbours(card)))
        {
            RefreshZones(); // nothing to save: show the card where it was
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
        _cards = _cards.Select(c => c.Id == card.Id ? c with { ColumnKey = to, Rank = rank } : c).OrderBy(c => c.Rank).ThenBy(c => c.Id).ToList();
        RefreshZones();
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

    /// <summary>
    /// The drop zones keep their own view of the container's items: refresh them after the container has rendered
    /// with the new list (refreshing before would show the old one).
    /// </summary>
    private void RefreshZones()
    {
        _refreshZones = true;
        StateHasChanged();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!_refreshZones || _container is null) return;
        _refreshZones = false;
        _container.Refresh();
    }

    private (Guid?, Guid?) Neighbours(BoardCard card)
    {
        var column = _cards.Where(c => c.ColumnKey == card.ColumnKey).OrderBy(c => c.Rank).ThenBy(c => c.Id).ToList();
        var i = column.FindIndex(c => c.Id == card.Id);
        return (i > 0 ? column[i - 1].Id : null, i >= 0 && i < column.Count - 1 ? column[i + 1].Id : null);
    }

    private void Revert()
    {
        // The drop container already moved the card's element; a new list puts it back.
        _cards = _cards.ToList();
        RefreshZones();
        StateHasChanged();
    }

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
        if (_cards.FirstOrDefault(c => c.Id == e.RecordId) is { } local) columns.Add(local.ColumnKey);
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
        return ValueTask.CompletedTask;
    }
}
