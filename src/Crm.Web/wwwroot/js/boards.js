// Kanban boards: scrolling a column to its end loads its next cards (the same as its "load more" button).
// Scroll events do not bubble, so one capturing listener serves every column, present and future.
document.addEventListener('scroll', function (e) {
    var zone = e.target;
    if (!(zone instanceof Element) || !zone.classList.contains('crm-column-cards')) return;
    if (zone.scrollTop + zone.clientHeight < zone.scrollHeight - 48) return;
    var column = zone.closest('.crm-board-column');
    var more = column && column.querySelector('[data-testid="load-more"]:not([disabled])');
    if (more && !more.dataset.crmLoading) {
        more.dataset.crmLoading = '1';
        more.click();
        setTimeout(function () { delete more.dataset.crmLoading; }, 600);
    }
}, true);
