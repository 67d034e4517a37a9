// Kanban boards: scrolling a column to its end loads its next cards (the same as its "load more" button).
// Scroll events do not bubble, so one capturing listener serves every column, present and future.
// Pages are small (KanbanBoard.CardsPerPage), so a scroll to the end that arrives while the last page is still
// guarded is not lost: when the guard ends, a column still scrolled to its end loads its next page.
function crmLoadMoreAtEnd(zone) {
    if (!zone.isConnected || zone.scrollTop + zone.clientHeight < zone.scrollHeight - 48) return;
    var column = zone.closest('.crm-board-column');
    var more = column && column.querySelector('[data-testid="load-more"]:not([disabled])');
    if (more && !more.dataset.crmLoading) {
        more.dataset.crmLoading = '1';
        more.click();
        setTimeout(function () { delete more.dataset.crmLoading; crmLoadMoreAtEnd(zone); }, 600);
    }
}
// A window made taller can leave a column unfilled too: the same check after a resize.
(function () {
    var pending = false;
    window.addEventListener('resize', function () {
        if (pending) return;
        pending = true;
        requestAnimationFrame(function () {
            pending = false;
            document.querySelectorAll('.crm-column-cards').forEach(crmLoadMoreAtEnd);
        });
    });
})();
document.addEventListener('scroll', function (e) {
    var zone = e.target;
    if (!(zone instanceof Element) || !zone.classList.contains('crm-column-cards')) return;
    crmLoadMoreAtEnd(zone);
}, true);

// Kanban boards: dragging cards between and within columns. Cards are plain markup (no component per card on the
// server), so the drag is handled here once for every board: the drop computes the column and the position among
// its other cards and calls the board's DropAsync, which saves the move (and re-renders the card where it belongs).
window.crmBoards = {
    attach: function (board, dotnet) {
        if (!board) return;
        board.__crmBoard = dotnet;
        // A column whose cards do not fill its height (a tall screen) cannot be scrolled to its end: it loads its
        // next page by itself, until it is filled or has every card. Checked after the board's markup changes.
        if (board.__crmFill || !window.MutationObserver) return;
        var pending = false;
        board.__crmFill = new MutationObserver(function () {
            if (pending) return;
            pending = true;
            requestAnimationFrame(function () {
                pending = false;
                board.querySelectorAll('.crm-column-cards').forEach(crmLoadMoreAtEnd);
            });
        });
        board.__crmFill.observe(board, { childList: true, subtree: true });
    }
};
(function () {
    var dragged = null;
    function columnOf(e) {
        var el = e.target instanceof Element ? e.target : null;
        var column = el && el.closest('.crm-board-column');
        return column && dragged && column.closest('#kanban-board') === dragged.closest('#kanban-board') ? column : null;
    }
    function clear() {
        document.querySelectorAll('.crm-column-over').forEach(function (c) { c.classList.remove('crm-column-over'); });
        if (dragged) dragged.classList.remove('crm-card-dragging');
        dragged = null;
    }
    document.addEventListener('dragstart', function (e) {
        var card = e.target instanceof Element ? e.target.closest('.crm-card[draggable="true"]') : null;
        if (!card || !card.closest('#kanban-board')) return;
        dragged = card;
        e.dataTransfer.effectAllowed = 'move';
        e.dataTransfer.setData('text/plain', card.dataset.card);
        card.classList.add('crm-card-dragging');
    });
    document.addEventListener('dragover', function (e) {
        var column = columnOf(e);
        if (!column) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'move';
        if (!column.classList.contains('crm-column-over')) {
            document.querySelectorAll('.crm-column-over').forEach(function (c) { c.classList.remove('crm-column-over'); });
            column.classList.add('crm-column-over');
        }
    });
    document.addEventListener('drop', function (e) {
        var column = columnOf(e);
        if (!column) return;
        e.preventDefault();
        var card = dragged, zone = column.querySelector('.crm-column-cards');
        var board = card.closest('#kanban-board');
        var others = Array.prototype.filter.call(zone.querySelectorAll('.crm-card'), function (c) { return c !== card; });
        var index = others.length;
        for (var i = 0; i < others.length; i++) {
            var r = others[i].getBoundingClientRect();
            if (e.clientY < r.top + r.height / 2) { index = i; break; }
        }
        clear();
        if (board && board.__crmBoard) board.__crmBoard.invokeMethodAsync('DropAsync', card.dataset.card, zone.dataset.zone, index);
    });
    document.addEventListener('dragend', clear);
})();

// A card's title link says "open record" on hover: the text is the board's (data-open-title), set on the link the
// first time the pointer is over it, instead of a title attribute in every card's markup.
document.addEventListener('mouseover', function (e) {
    var link = e.target instanceof Element ? e.target.closest('.crm-card-title a') : null;
    if (!link || link.hasAttribute('title')) return;
    var board = link.closest('#kanban-board');
    if (board && board.dataset.openTitle) link.title = board.dataset.openTitle;
});
