namespace Crm.Web.Resources;

// Each marker names one resource pair (X.resx = en, X.zh-CN.resx), one per area of the UI, injected as
// IStringLocalizer<X>. Keys are "Area.Thing"; a test checks both languages have the same keys.

/// <summary>Layout, navigation, status pages and shared words (Save, Cancel …).</summary>
public sealed class Shell;

/// <summary>Sign-in, sign-up, workspaces and invitations.</summary>
public sealed class Account;

/// <summary>Workspace administration: members, roles, API keys.</summary>
public sealed class Admin;

/// <summary>The audit log: its settings page, action sentences and CSV columns.</summary>
public sealed class Audit;

/// <summary>Template centre: install, preview, update, upload, export.</summary>
public sealed class Templates;

/// <summary>Record forms, lists, record pages and field editors.</summary>
public sealed class Records;

/// <summary>Kanban boards: columns, cards, moves, quick-create and board views.</summary>
public sealed class Boards;
/// <summary>Record lists, saved views, bulk actions and the global search.</summary>
public sealed class Lists;

/// <summary>Record page, new-record page, activities, timeline and My tasks.</summary>
public sealed class RecordPage;

/// <summary>The no-code designer: record types, fields, sections, status lists and pipelines.</summary>
public sealed class Designer;
/// <summary>Reports, the report builder and dashboards.</summary>
public sealed class Reports;

/// <summary>
/// MudBlazor's own strings (pager, date pickers, Clear, Close, Increment …) under MudBlazor's keys, served through
/// <see cref="Crm.Web.Localization.CrmMudLocalizer"/>; the English file repeats MudBlazor's defaults.
/// </summary>
public sealed class MudComponents;
/// <summary>Error answers: API problem details and the friendly error pages.</summary>
public sealed class Errors;
/// <summary>The bell, the notification centre, e-mail choices and the pool (公海) pages.</summary>
public sealed class Notifications;

/// <summary>The import wizard: upload, column mapping, duplicates, preview, run, result, history and undo.</summary>
public sealed class Imports;
