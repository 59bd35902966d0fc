"""Every text the bot shows, in one place, so a translation can be added beside it.

Money as ₹1,23,456.00, dates as 14-Nov-2025, times in IST. Anything that comes from a user or a
file is HTML-escaped before it is put in a message (`esc`); names, numbers and remarks are also
shortened to a width (`clip`), so that no value can push a message past Telegram's limit.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

from ims_domain.money import TaxAmounts, format_date, format_inr
from ims_domain.periods import IST
from ims_domain.records import Action, RecordKind
from ims_domain.text_limits import NAME_MAX, REMARKS_MAX, shortened

if TYPE_CHECKING:
    from bot.lists import ListSpec

STATUS_ICON = {
    Action.NO_ACTION: "⏳",
    Action.PENDING: "⏸",
    Action.ACCEPT: "✅",
    Action.REJECT: "❌",
}
STATUS_NAME = {
    Action.NO_ACTION: "No action",
    Action.PENDING: "Pending",
    Action.ACCEPT: "Accepted",
    Action.REJECT: "Rejected",
}
ACTION_DONE = {
    Action.ACCEPT: "Accepted",
    Action.REJECT: "Rejected",
    Action.PENDING: "Kept pending",
    Action.NO_ACTION: "Back to no action",
}
ACTION_VERB = {Action.ACCEPT: "Accept", Action.REJECT: "Reject", Action.PENDING: "Pending"}

COMMANDS = [
    ("inbox", "Your IMS inbox: what needs action"),
    ("gstin", "Pick the GSTIN to work on"),
    ("export", "The action file to upload on the GST portal"),
    ("report", "The inbox as a CSV file"),
    ("filed", "Mark a GSTR-3B as filed: its records lock"),
    ("team", "Members of this GSTIN"),
    ("invite", "Invite a member: /invite approver"),
    ("settings", "Reminder times, quiet hours, which messages you get"),
    ("digest", "Daily digest of new records: on or off"),
    ("bind", "In a group: send it this GSTIN's digests"),
    ("help", "Answers about IMS"),
]


# Widths of values shown in messages: a name in a heading or a card is shown whole (its stored
# cap), one in a line of a list or digest shortened so that a page of lines stays readable; a
# remark is shown whole (its stored cap).
NAME_SHOWN = NAME_MAX
NAME_IN_LINE = 40
NUMBER_SHOWN = 30  # document numbers have 16 characters; older files allowed longer
REMARKS_SHOWN = REMARKS_MAX


def esc(text: object) -> str:
    """User or file content made safe for an HTML message."""
    return escape(str(text), quote=False)


def clipped(text: object, width: int) -> str:
    """A short label for a button (plain text, not escaped): cut to `width` with an ellipsis."""
    return shortened(" ".join(str(text).split()), width)


def duration(seconds: int) -> str:
    """A wait as a person says it: "40 s", "1 minute", "12 minutes"."""
    if seconds < 60:
        return f"{seconds} s"
    minutes = -(-seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def clip(value: object, width: int) -> str:
    """A value from a user or a file for an HTML message: shortened to `width` characters with
    an ellipsis, then escaped (so a cut never falls inside an entity)."""
    return esc(shortened(str(value), width))


def inr(amount: Decimal) -> str:
    """₹1,23,456.00."""
    return format_inr(amount)


def day(value: date) -> str:
    """14-Nov-2025."""
    return format_date(value)


def when(moment: datetime) -> str:
    """A moment in IST: 14-Nov 10:42."""
    return moment.astimezone(IST).strftime("%d-%b %H:%M")


def tax_line(taxes: TaxAmounts) -> str:
    """The heads that are not zero: IGST ₹9,000.00 · Cess ₹10.00."""
    parts = [
        f"{head.upper() if head != 'cess' else 'Cess'} {inr(amount)}"
        for head, amount in taxes.as_dict().items()
        if amount
    ]
    return " · ".join(parts) or "no tax"


def kind_name(kind: RecordKind) -> str:
    """Invoice, Credit note …"""
    return kind.label[:1].upper() + kind.label[1:]


WELCOME_NEW = (
    "Hello {name}! I look after your GST <b>Invoice Management System</b> (IMS) inbox: the "
    "invoices and notes your suppliers upload, which you accept, reject or keep pending before "
    "GSTR-2B is made on the 14th.\n\n"
    "You are not a member of any GSTIN here yet. Ask the owner for an invite link, or ask the "
    "administrator of this bot to register your GSTIN."
)
WELCOME_MEMBER = (
    "Hello {name}! You work on <b>{taxpayer}</b> ({gstin}) as {role}.\n\n"
    "/inbox shows what needs action. Send me an IMS download, a GSTR-2B, a GSTR-1 or your "
    "purchase register as a file and I will import it. /help answers questions about IMS."
)
JOINED = "Welcome to <b>{taxpayer}</b> ({gstin}). You joined as {role}. Open /inbox to start."
NO_GSTIN = "You are not a member of any GSTIN here. Ask the owner of your GSTIN for an invite link."
PICK_GSTIN = "You work on several GSTINs. Pick one with /gstin."
GSTIN_MENU = "Which GSTIN do you want to work on?"
GSTIN_CHOSEN = "You now work on <b>{taxpayer}</b> ({gstin})."
ADMIN_ONLY = "Only an administrator of this bot can do that."
ADDGSTIN_USAGE = (
    "Send: /addgstin GSTIN OWNER_TELEGRAM_ID Name of the business\n"
    "For a quarterly (QRMP) filer add the word qrmp after the GSTIN."
)
ADDGSTIN_DONE = "Registered <b>{taxpayer}</b> ({gstin}); its owner is {owner}."
INVITE_USAGE = "Send: /invite owner, /invite approver or /invite viewer."
INVITE_LINK = (
    "Send this link to the person you invite as <b>{role}</b> of {gstin}. It works once and "
    "expires on {expires}:\n{link}"
)
TEAM_HEADER = "Members of <b>{taxpayer}</b> ({gstin}):"
TEAM_LINE = "• {name} — {role}"
REMOVE_BUTTON = "Remove {name}"
MEMBER_REMOVED = "Removed."

DASHBOARD_HEAD = "<b>{taxpayer}</b> · {gstin}"
DASHBOARD_NEXT = "GSTR-2B for {period} on {day} ({days} days)"
DASHBOARD_NEXT_TODAY = "GSTR-2B for {period} is made today"
DASHBOARD_LINE = "{icon} {status:<10} {count:>5}   tax {tax}"
DASHBOARD_DEEMED = "→ {count} with tax {tax} will be deemed accepted on {day}"
DASHBOARD_CREDIT = "Credit notes pending: {count}"
DASHBOARD_OUTSIDE = (
    "Outside IMS: {count} (reverse charge, ITC not available, or older imports): no action is"
    " taken on them; they go to GSTR-2B as they are."
)
DASHBOARD_EMPTY = "No records yet. Send me an IMS download or a GSTR-2B file to start."
BUTTON_REVIEW = "Review no action ({count})"
BUTTON_STATUS = "{status} ({count})"

LIST_HEAD = "<b>{title}</b> · {count} shown{more}"
LIST_MORE = " (more on the next page)"
BUTTON_FILTER = "Filter"
BUTTON_CREDIT_NOTES = "Credit notes"
BUTTON_BULK_ALL = "{verb} all"
NOT_IN_INBOX = "That record is not in this GSTIN's inbox."
KIND_TOTAL = "{kind} {count} ({tax})"
BY_KIND = "By kind: {kinds}"
FILTER_HEAD = "Filter <b>{title}</b>:"
FILTER_ANY_STATUS = "Any status"
FILTER_ANY_KIND = "All kinds"
FILTER_ANY_PERIOD = "All periods"
FILTER_ANY_AMOUNT = "Any value"
FILTER_ANY_SUPPLIER = "All suppliers"
KIND_FILTERS = {"I": "Invoices", "D": "Debit notes", "C": "Credit notes", "B": "Imports"}
AMOUNT_FILTERS = {"H": "≥ ₹1 lakh", "M": "₹10k–1 lakh", "L": "< ₹10k"}
ALL_RECORDS = "All records"
UPLOAD_TITLE = "This upload"
WINDOW_TITLE = "Pending window ends {day}"
ARRIVED_TITLE = "New since {when}"
YEAR_TITLE = "FY {year}"
LIST_EMPTY = "Nothing here."
LIST_LINE = "{icon} {kind} {number} · {supplier} · {tax}"
BUTTON_NEXT = "Next ▶"
BUTTON_FIRST = "◀ First"
BUTTON_BACK = "Back"

CARD = (
    "<b>{kind} {number}</b> · {day}\n"
    "{supplier} · {supplier_gstin}\n"
    "Taxable {taxable} · {taxes} · Value {value}\n"
    "GSTR-2B {period}\n"
    "Status: {icon} {status}{by}{remarks}"
)
CARD_BY = " by {who} at {at}"
CARD_SOURCE = "From {name} ({gstin}): their {file}, sent here on {when}"
CARD_NOT_ON_PORTAL = "not yet seen on the portal"
CARD_REMARKS = "\nRemarks: {remarks}"
BUTTON_ACCEPT = "✅ Accept"
BUTTON_REJECT = "❌ Reject"
BUTTON_PENDING = "⏸ Pending"
BUTTON_RESET = "↩ Reset"
BUTTON_CONFIRM_REJECT = "Yes, reject"
BUTTON_CANCEL = "Cancel"
BUTTON_SKIP = "No remark"
BUTTON_REDUCE_FULL = "Reduce ITC in full"
BUTTON_REDUCE_NONE = "No reduction (never claimed)"
ASK_REMARKS = "{verb} {label}: send a remark for the supplier, or tap “No remark”."
CONFIRM_CN_REJECT = (
    "Rejecting {label} keeps your ITC, and {amount} is added back to {supplier}'s tax in a "
    "later GSTR-3B. Reject it?"
)
ASK_REDUCTION = (
    "Accepting {label} lowers your ITC by {amount}. How much ITC do you reduce?\n"
    "If you claimed only part of it, send the amounts as IGST,CGST,SGST,Cess (e.g. 1000,0,0,0)."
)
AMOUNTS_FORMAT = "Send four amounts, IGST,CGST,SGST,Cess, e.g. 1000,0,0,0."
ASK_PARTIAL_REMARK = (
    "Reduce ITC by {amount}. Now send a remark saying why (it goes to the supplier)."
)
PLEASE_CONFIRM = "Please confirm"
PLEASE_CHOOSE = "Please choose"
SEND_REMARK = "Send a remark, or tap “No remark”"
REMARK_TOO_LONG = (
    "That remark has {count} characters; the portal takes at most {limit}. "
    "Send a shorter one (nothing was changed)."
)
NOT_EXPECTING_TEXT = "Send me a file to import, or use /inbox."
UNKNOWN_TAP = "That button is out of date. Open /inbox again."
TOO_MANY_TAPS = "You are tapping faster than I can follow: try again in {seconds} s."
TOO_MANY_FILES = "You sent many files in a short time: send this one again in {minutes}."

BULK_CONFIRM = "{verb} all {count} records with tax {tax}? {skipped}"
BULK_SKIPPED = "{count} others in this list are left as they are (the rules do not allow it)."
BUTTON_BULK_YES = "Yes, {verb} {count}"
BULK_DONE = "{done}: {count} records, tax {tax}. You can undo this for {minutes} minutes."
BULK_CHANGED_SINCE = "{count} left out: changed since you looked."
BULK_ARRIVED_SINCE = (
    "{count} more now match this list and were left out: look again to act on them."
)
BUTTON_UNDO = "Undo"
UNDONE = "Undone: {count} records are back as they were."

IMPORTING = "Reading {name} …"
IMPORT_DONE = (
    "Imported {format}: {new} new, {changed} changed by the supplier, {unchanged} unchanged, "
    "{refused} refused."
)
IMPORT_SKIPPED = "{count} records were for GSTINs not registered here and were skipped."
IMPORT_DUPLICATE = "You sent this file before; nothing changed."
IMPORT_REFUSED = "I could not read {name}: {reason}"
IMPORT_PROBLEMS_CAPTION = "The rows I refused, and why."
FORMAT_NAMES = {
    "ims": "IMS download",
    "gstr2b": "GSTR-2B",
    "gstr1": "GSTR-1",
    "supplier_view": "supplier view",
    "purchase_register": "purchase register",
}
EXPORT_NOTHING = "Nothing to upload: the portal already has every action taken here."
EXPORT_CAPTION = (
    "Upload this on the GST portal: IMS dashboard › Offline › Upload JSON. Then tap "
    "“I uploaded it”."
)
BUTTON_UPLOADED = "I uploaded it"
EXPORT_RECORDED = "Recorded: {count} actions are now on the portal."
EXPORT_LEFT_OUT = "<b>{count} left out of the upload</b> (act on them again, or on the portal):"
EXPORT_LEFT_OUT_LINE = "• {label}: {reason}"
EXPORT_STALE = (
    "Actions changed since this file was made: send /export again and upload the new file."
)
REPORT_CAPTION = "The inbox of {gstin} as CSV."
ERROR = "Something went wrong on my side. Open /inbox to see where things stand, then try again."

HELP = (
    "<b>What happens if I do nothing?</b> Every record still without action is deemed "
    "accepted when GSTR-2B is made on the 14th, and its ITC flows into GSTR-3B (R2.3; GSTN FAQ "
    "of 17-Oct-2024, advisory of 8-Oct-2025).\n\n"
    "<b>When is GSTR-2B made?</b> On the 14th of the next month; quarterly (QRMP) filers get "
    "it once a quarter. Actions taken after that need “Recompute GSTR-2B” before GSTR-3B "
    "(R2.5; advisory of 12-Nov-2024).\n\n"
    "<b>What does rejecting a credit note do?</b> Your ITC is not reduced, and the supplier's "
    "tax goes back up in a later GSTR-3B (R4.4; FAQ of 17-Oct-2024).\n\n"
    "<b>How long may a record stay pending?</b> Invoices and debit notes: as long as you like, "
    "within the section 16(4) limit. Credit notes and other ITC-reducing records of GSTR-2B "
    "periods from Oct-2025: one tax period, until the next GSTR-3B due date (R3.3, R3.4; "
    "advisories of 23-Sep and 17-Oct-2025).\n\n"
    "<b>Is IMS mandatory?</b> Acting is optional: with no action, GSTR-2B is still made and "
    "everything counts as accepted (R2.8; advisory of 8-Oct-2025)."
)


def list_title(spec: ListSpec) -> str:
    """A list's name from its filter: "No action · Credit notes · Oct-2025"."""
    parts = []
    if spec.status_action is not None:
        parts.append(STATUS_NAME[spec.status_action])
    if spec.kind in KIND_FILTERS:
        parts.append(KIND_FILTERS[spec.kind])
    period_filter = spec.period_filter()
    if period_filter.quarter is not None:
        parts.append(period_filter.quarter.label)
    if period_filter.period is not None:
        parts.append(period_filter.period.label)
    if spec.supplier != "*":
        parts.append(spec.supplier)
    if spec.amount in AMOUNT_FILTERS:
        parts.append(AMOUNT_FILTERS[spec.amount])
    if spec.batch_id is not None:
        parts.append(UPLOAD_TITLE)
    if spec.window_end is not None:
        parts.append(WINDOW_TITLE.format(day=day(spec.window_end)))
    if spec.arrived_after is not None:
        parts.append(ARRIVED_TITLE.format(when=when(spec.arrived_after)))
    if spec.financial_year is not None:
        parts.append(YEAR_TITLE.format(year=spec.financial_year.label))
    return " · ".join(parts) or ALL_RECORDS


# --- notifications (rendered from outbox payloads) ------------------------------------------
DIGEST = "{uploader} uploaded {count} documents for {recipient}: {kinds}; tax {tax}."
DIGEST_DOWNLOAD = (
    "An IMS download brought {count} new or changed documents for {recipient}: {kinds}; tax {tax}."
)
DIGEST_SUPPLIERS = "From {count} suppliers: {top}{more}."
DIGEST_MORE = " and {count} more"
DIGEST_RESET = "{count} changed by the supplier: the earlier action was reset to No action."
BUTTON_REVIEW_NEW = "Review these {count}"
SUPPLIER_ALERT = (
    "{recipient_name} ({recipient}) {verb} your {kind} <code>{number}</code> of {day} "
    "({value}).{remarks}\n"
    "What you can do: talk to the buyer; check GSTIN, value and rate; report the corrected "
    "document in GSTR-1A before your GSTR-3B, or in the amendment table of your next GSTR-1."
)
SUPPLIER_ALERT_CREDIT_NOTE = (
    "\nThe note's tax, {tax}, is added back to your liability in a later GSTR-3B."
)
SUPPLIER_REMARKS = "\nTheir remarks: <code>{remarks}</code>"
SUPPLIER_ALERT_MERGED = (
    "\nThey changed it {count} times since the last alert; this is where it stands now."
)
BUTTON_MUTE_BUYER = "🔕 Mute alerts from {buyer}"
BUTTON_UNMUTE_BUYER = "🔔 Alerts from {buyer} are muted: unmute"
BUYER_MUTED = "No more alerts from {buyer}. /settings to switch them on again."
BUYER_UNMUTED = "Alerts from {buyer} are on again."
ALERT_VERB = {"R": "rejected", "P": "kept pending"}
TEAM_BULK = "{who} marked {count} records {done} in bulk (tax {tax})."
TEAM_UNDO = "{who} undid a bulk action on {count} records."
SOMEONE = "A team member"

SETTINGS_HEAD = "Which messages do you want? Tap to switch one on or off."
SETTING_NAMES = {
    "digest": "Supplier upload digests",
    "supplier_alert": "Alerts about your own records (as a supplier)",
    "team": "Team notices (bulk actions, undo)",
    "reminders": "Deadline reminders (GSTR-2B, GSTR-3B, Pending, s.16(4))",
}
SETTING_ON = "🔔 {name}"
SETTING_OFF = "🔕 {name}"
SETTING_MUTED = "Muted"
SETTING_UNMUTED = "On again"
BIND_DONE = "This group now gets the digests of <b>{taxpayer}</b> ({gstin})."
BIND_PRIVATE = "Send /bind in the Telegram group that should get this GSTIN's messages."
PRIVATE_ONLY = "Records are shown in a private chat only: message me directly."
SUPPLIER_VIEW_ALERT = "Your buyers rejected or kept pending {count} of your documents:"
SUPPLIER_VIEW_LINE = "• {recipient} {verb} {section} <code>{number}</code> of {day}{remarks}"
SUPPLIER_VIEW_REMARKS = " — <code>{remarks}</code>"
SUPPLIER_VIEW_MORE = "… and {count} more."
SUPPLIER_GUIDANCE = (
    "What you can do: talk to the buyer; check GSTIN, value and rate; report the corrected "
    "document in GSTR-1A before your GSTR-3B, or in the amendment table of your next GSTR-1."
)
SECTION_NAMES = {
    "b2b": "invoice",
    "b2ba": "amended invoice",
    "cdnr": "note",
    "cdnra": "amended note",
    "ecom": "e-commerce document",
    "ecoma": "amended e-commerce document",
}

# Deadlines (issue 7)
REMINDER_LATE = "Late reminder (the bot was offline): "
REMINDER_2B = (
    "{late}{days} to GSTR-2B for {period} ({day}) — <b>{name}</b> ({gstin}). "
    "{count} documents with {tax} ITC have no action and will be deemed accepted."
)
REMINDER_3B = "{late}{days} to the GSTR-3B due date for {period} ({day}) — <b>{name}</b> ({gstin})."
REMINDER_3B_PENDING = "{count} documents are kept Pending (tax {tax}): they stay out of this 3B."
REMINDER_3B_RECOMPUTE = (
    "Actions changed after GSTR-2B was generated: recompute GSTR-2B on the portal before filing."
)
REMINDER_3B_UPLOAD = "{count} actions are not yet uploaded to the portal: /export the action file."
REMINDER_3B_CLEAR = "Nothing is pending and every action is uploaded."
PERIOD_CLOSED = (
    "GSTR-2B for {period} of <b>{name}</b> ({gstin}) is generated: {count} documents without "
    "action were deemed accepted (ITC {tax}). Changes now need a recompute of GSTR-2B on the "
    "portal before GSTR-3B."
)


def days_left(count: int) -> str:
    """'1 day', '3 days', 'Today'."""
    if count <= 0:
        return "Today is the day"
    return f"{count} day" if count == 1 else f"{count} days"


REMINDER_PENDING = (
    "{count} credit notes (or other ITC-reducing records) of {name} kept pending may stay so "
    "only until {day} ({days} days), tax {tax}. {after}"
)
PENDING_AFTER = {
    "deemed_accept": "After that they count as accepted, with the full ITC reduction.",
    "keep_pending": "After that Pending is no longer allowed: accept or reject them.",
}


# Reminder settings per GSTIN, the daily digest, the s.16(4) reminder (issue 7)
DEADLINE_SETTINGS = (
    "Reminders for <b>{name}</b> ({gstin}), at {time} IST:\n"
    "• GSTR-2B: {days_2b} days before it is generated\n"
    "• GSTR-3B: {days_3b} days before the due date\n"
    "• Pending credit notes: {pending} days before their window ends\n"
    "• Quiet hours: {quiet} (reminders wait until they end)"
)
QUIET_NONE = "none"
SETTINGS_CHANGE = (
    "To change one: /settings 2b 3,1 · /settings 3b 2 · /settings time 10:00 · "
    "/settings quiet 21:00-08:00 (or off) · /settings pending 5"
)
SETTINGS_OWNERS_ONLY = "Owners of this GSTIN can change these."
SETTINGS_SAVED = "Saved."
SETTINGS_USAGE = (
    "Send /settings alone to see the settings, or one change: /settings 2b 3,1 · "
    "/settings 3b 2 · /settings time 10:00 · /settings quiet 21:00-08:00 (or off) · "
    "/settings pending 5"
)
DAILY_DIGEST_SETTING = "Daily digest of new records (at the reminder time)"
DAILY_DIGEST_TOAST = {True: "Daily digest on", False: "Daily digest off"}
DAILY_DIGEST_SWITCHED = {
    True: (
        "Daily digest on: once a day, at the reminder time of each of your GSTINs, the records "
        "that arrived since the day before. /digest again turns it off."
    ),
    False: "Daily digest off. /digest turns it on again.",
}
DAILY_DIGEST = (
    "Daily digest for <b>{name}</b> ({gstin}): {count} new documents since {since} IST: "
    "{kinds}; tax {tax}."
)
DAILY_DIGEST_FROM = "From {top}{more}."
BUTTON_REVIEW_NO_ACTION = "Review no action"
REMINDER_S16_4 = (
    "⚠️ {count} documents of FY {years} of <b>{name}</b> ({gstin}), tax {tax}, still have no "
    "action or are Pending{pending}. Their ITC can be claimed only until {day} ({days}; "
    "section 16(4)). Accept the ones you claim before then: nothing is done to them "
    "automatically."
)
S16_4_PENDING = " ({count} of them Pending)"


def day_list(days: tuple[int, ...]) -> str:
    """'3 and 1', '5, 3 and 1', '2'."""
    words = [str(d) for d in days]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


# Buttons on reminders, the period-close summary, /filed (issue 7)
BUTTON_REVIEW_THEM = "Review them"
BUTTON_REMIND_TOMORROW = "Remind me tomorrow"
BUTTON_PENDING_COUNT = "Pending ({count})"
BUTTON_EXPORT = "Export for portal"
OPEN_PRIVATELY = (
    "Records are shown in a private chat only: open this message in your own chat with me."
)
GSTIN_SWITCHED = "Now working on {name} ({gstin})"
SNOOZED = "I will remind you again tomorrow, {day} at {time} IST."
SNOOZED_ALREADY = "Already set: this reminder comes again tomorrow."
SNOOZE_TOO_LATE = "GSTR-2B for {period} is generated on {day}: no reminder tomorrow."
SNOOZE_NOTHING_LEFT = "Every document of {period} has an action now: nothing to remind."
EXPORT_SENT = "The action file is below."
CLOSED_LATE = "Late notice (the bot was offline): "
CLOSED_ITC = "ITC available: {taxes}."
CLOSED_REDUCTION = "ITC reduced by credit notes: {taxes}; net ITC {net}."
CLOSED_REJECTED = "{count} rejected: no ITC from them."
CLOSED_PENDING = "{count} kept Pending (tax {tax}): left out of this GSTR-2B."
FILED_CHOOSE = (
    "Which GSTR-3B of <b>{name}</b> ({gstin}) did you file? Marking it filed locks the accepted "
    "and rejected records of that period here, as on the portal."
)
FILED_NOTHING = (
    "Nothing to mark for <b>{name}</b> ({gstin}): every GSTR-2B generated so far has its "
    "GSTR-3B marked filed."
)
FILED_CONFIRM = (
    "Mark GSTR-3B for {period} as filed? {final} accepted and rejected documents become final "
    "and can no longer be changed here; {pending} kept Pending stay in IMS. This cannot "
    "be undone in the bot."
)
BUTTON_FILED_YES = "Yes, it is filed"
FILED_DONE = (
    "GSTR-3B for {period} is marked filed: {final} documents are final now, {pending} kept "
    "Pending stay."
)
FILED_NEXT = (
    "GSTR-2B for {period} is generated now (it waited for this GSTR-3B): {count} "
    "documents without action were deemed accepted."
)
FILED_TOAST = "Marked filed"
