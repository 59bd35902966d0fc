"""The inbox: dashboard, paged lists, record cards, actions with remarks, bulk and undo.

One screen per context, edited in place. Every tap goes through `bot.app.on_tap`, which answers
it; the functions here return the toast text. Nothing in callback data is trusted: each use case
checks membership, role and record version again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot import texts
from bot.callbacks import Callback, encode
from bot.deps import Deps, deps_of
from bot.lists import ANY, FIELDS, FIRST_PAGE, STATUSES, ListSpec, page_of
from bot.message_fit import fit_message
from bot.store import in_store, working_taxpayer
from ims_domain.actions import ActionRequest, ItcReduction
from ims_domain.errors import ImsDomainError
from ims_domain.money import TaxAmounts, to_rupees
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, RecordKind, reduction_base
from ims_domain.text_limits import shortened
from storage.access import Actor
from storage.acting import act_on_record, clean_remarks, decision_for, load_record, original_of
from storage.bulk import undo_bulk
from storage.bulk_preview import apply_bulk_preview, keep_bulk_preview
from storage.convert import record_of
from storage.errors import UseCaseError
from storage.filters import RecordFilter
from storage.models import Channel, RecordRow, Taxpayer
from storage.prompts import await_input, drop_input, take_input
from storage.queries import (
    InboxCursor,
    InboxItem,
    RecordSource,
    dashboard,
    inbox_page,
    record_source,
)
from storage.reminders import pending_window_records

PAGE = 8


@dataclass(frozen=True)
class Screen:
    """A message's text and buttons."""

    text: str
    buttons: list[list[InlineKeyboardButton]]

    def __post_init__(self) -> None:
        # Every screen is cut to what Telegram takes, so that no value can leave it blank.
        object.__setattr__(self, "text", fit_message(self.text))

    @property
    def markup(self) -> InlineKeyboardMarkup | None:
        """The inline keyboard, if any."""
        return InlineKeyboardMarkup(self.buttons) if self.buttons else None


def _button(label: str, verb: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode(verb, *args))


# --- dashboard ----------------------------------------------------------------------------


def dashboard_screen(session: Session, *, user_id: int, deps: Deps) -> Screen:
    """Counts and tax per status, the next GSTR-2B, with buttons that open the lists."""
    taxpayer = working_taxpayer(session, user_id)
    board = dashboard(
        session,
        actor=Actor.user(user_id),
        gstin=taxpayer.gstin,
        rulebook=deps.rulebook,
        now=datetime.now(UTC),
    )
    lines = [
        texts.DASHBOARD_HEAD.format(
            taxpayer=texts.clip(taxpayer.legal_name, texts.NAME_SHOWN), gstin=taxpayer.gstin
        )
    ]
    if not board.totals and not board.outside_ims:
        return Screen("\n".join([*lines, texts.DASHBOARD_EMPTY]), [])
    upcoming = board.next_generation
    if upcoming:
        when = texts.DASHBOARD_NEXT if upcoming.days_left else texts.DASHBOARD_NEXT_TODAY
        lines.append(
            when.format(
                period=upcoming.period.label,
                day=texts.day(upcoming.generation_date),
                days=upcoming.days_left,
            )
        )
    for action in (Action.NO_ACTION, Action.PENDING, Action.ACCEPT, Action.REJECT):
        lines.append(
            texts.DASHBOARD_LINE.format(
                icon=texts.STATUS_ICON[action],
                status=texts.STATUS_NAME[action],
                count=board.count(action=action),
                tax=texts.inr(board.taxes(action=action).total),
            )
        )
    kinds = [
        texts.KIND_TOTAL.format(
            kind=texts.kind_name(kind),
            count=board.count(kind=kind),
            tax=texts.inr(board.taxes(kind=kind).total),
        )
        for kind in RecordKind
        if board.count(kind=kind)
    ]
    if kinds:
        lines.append(texts.BY_KIND.format(kinds=" · ".join(kinds)))
    if upcoming and upcoming.no_action_count:
        lines.append(
            texts.DASHBOARD_DEEMED.format(
                count=upcoming.no_action_count,
                tax=texts.inr(upcoming.no_action_taxes.total),
                day=texts.day(upcoming.generation_date),
            )
        )
    if board.pending_credit_notes:
        lines.append(texts.DASHBOARD_CREDIT.format(count=board.pending_credit_notes))
    if board.outside_ims:
        lines.append(texts.DASHBOARD_OUTSIDE.format(count=board.outside_ims))
    no_action = board.count(action=Action.NO_ACTION)
    buttons = [
        [
            _button(
                texts.BUTTON_REVIEW.format(count=no_action),
                "ls",
                *ListSpec(status="N").args(),
                FIRST_PAGE,
            )
        ],
        [
            _button(
                texts.BUTTON_STATUS.format(
                    status=texts.STATUS_NAME[a], count=board.count(action=a)
                ),
                "ls",
                *ListSpec(status=code).args(),
                FIRST_PAGE,
            )
            for code, a in (("P", Action.PENDING), ("A", Action.ACCEPT), ("R", Action.REJECT))
        ],
        [_button(texts.BUTTON_CREDIT_NOTES, "ls", *ListSpec(kind="C").args(), FIRST_PAGE)],
    ]
    return Screen("\n".join(lines), buttons)


async def inbox_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/inbox: the dashboard as a new message."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    deps = deps_of(context)
    try:
        screen = await in_store(
            deps.engine, lambda s: dashboard_screen(s, user_id=user.id, deps=deps)
        )
    except UseCaseError as exc:
        await message.reply_text(texts.esc(exc), parse_mode=ParseMode.HTML)
        return
    await message.reply_text(screen.text, parse_mode=ParseMode.HTML, reply_markup=screen.markup)


# --- lists and cards ------------------------------------------------------------------------


def list_filter(
    session: Session, *, user_id: int, taxpayer: Taxpayer, spec: ListSpec, deps: Deps
) -> RecordFilter:
    """The store's filter for a list; a Pending-window list is resolved to its records (R3.4)."""
    if spec.window_end is None:
        return spec.record_filter()
    records = pending_window_records(
        session,
        actor=Actor.user(user_id),
        gstin=taxpayer.gstin,
        window_end=spec.window_end,
        now=datetime.now(UTC),
        rulebook=deps.rulebook,
    )
    return spec.record_filter(record_ids=records)


def list_screen(
    session: Session, *, user_id: int, spec: ListSpec, after: InboxCursor | None, deps: Deps
) -> Screen:
    """A page of one list (from its start, or `after` a record), with a button per record,
    paging, filters and the bulk actions."""
    taxpayer = working_taxpayer(session, user_id)
    page = inbox_page(
        session,
        actor=Actor.user(user_id),
        gstin=taxpayer.gstin,
        record_filter=list_filter(
            session, user_id=user_id, taxpayer=taxpayer, spec=spec, deps=deps
        ),
        after=after,
        limit=PAGE,
    )
    more = texts.LIST_MORE if page.next_cursor else ""
    lines = [texts.LIST_HEAD.format(title=texts.list_title(spec), count=len(page.items), more=more)]
    if not page.items:
        lines.append(texts.LIST_EMPTY)
    buttons = []
    for item in page.items:
        lines.append(_list_line(item))
        label = f"{item.kind.label} {shortened(item.number, texts.NUMBER_SHOWN)}"
        buttons.append([_button(label, "cd", item.record_id)])
    navigation = []
    if after is not None:
        navigation.append(_button(texts.BUTTON_FIRST, "ls", *spec.args(), FIRST_PAGE))
    if page.next_cursor:
        navigation.append(_button(texts.BUTTON_NEXT, "ls", *spec.args(), page.next_cursor.encode()))
    navigation.append(_button(texts.BUTTON_FILTER, "fm", *spec.args()))
    buttons.append(navigation)
    if page.items:
        buttons.append(
            [
                _button(texts.BUTTON_BULK_ALL.format(verb=verb), "bk", *spec.args(), action.value)
                for action, verb in texts.ACTION_VERB.items()
                if action is not spec.status_action
            ]
        )
    buttons.append([_button(texts.BUTTON_BACK, "db")])
    return Screen("\n".join(lines), buttons)


def filter_screen(session: Session, *, user_id: int, spec: ListSpec, deps: Deps) -> Screen:
    """Buttons that narrow the list by kind, 2B period, supplier and amount."""
    taxpayer = working_taxpayer(session, user_id)
    now = datetime.now(UTC)
    page = inbox_page(
        session,
        actor=Actor.user(user_id),
        gstin=taxpayer.gstin,
        record_filter=list_filter(
            session, user_id=user_id, taxpayer=taxpayer, spec=spec.with_(supplier=ANY), deps=deps
        ),
        limit=200,
    )
    suppliers: dict[str, str] = {}
    for item in page.items:  # the suppliers of the newest documents in this list
        suppliers.setdefault(item.supplier_gstin, item.supplier_name or item.supplier_gstin)
    this_month = ReturnPeriod.of(now.date())
    periods = [this_month.shift(-n) for n in (1, 2, 3)]

    def choice(label: str, **change: str) -> InlineKeyboardButton:
        chosen = spec.with_(**change)
        mark = "• " if chosen == spec else ""
        return _button(mark + label, "ls", *chosen.args(), FIRST_PAGE)

    buttons = [
        [
            choice(texts.FILTER_ANY_STATUS, status=ANY),
            *(choice(texts.STATUS_NAME[a], status=code) for code, a in STATUSES.items()),
        ],
        [
            choice(texts.FILTER_ANY_KIND, kind=ANY),
            *(choice(name, kind=code) for code, name in texts.KIND_FILTERS.items()),
        ],
        [
            choice(texts.FILTER_ANY_PERIOD, period=ANY),
            *(choice(p.label, period=p.code) for p in periods),
        ],
        [
            choice(texts.FILTER_ANY_AMOUNT, amount=ANY),
            *(choice(name, amount=code) for code, name in texts.AMOUNT_FILTERS.items()),
        ],
        [choice(texts.FILTER_ANY_SUPPLIER, supplier=ANY)],
        *([choice(name[:30], supplier=gstin)] for gstin, name in list(suppliers.items())[:5]),
        [_button(texts.BUTTON_BACK, "ls", *spec.args(), FIRST_PAGE)],
    ]
    return Screen(texts.FILTER_HEAD.format(title=texts.list_title(spec)), buttons)


def _list_line(item: InboxItem) -> str:
    return texts.LIST_LINE.format(
        icon=texts.STATUS_ICON[item.action],
        kind=item.kind.label,
        number=texts.clip(item.number, texts.NUMBER_SHOWN),
        supplier=texts.clip(item.supplier_name or item.supplier_gstin, texts.NAME_IN_LINE),
        tax=texts.inr(item.taxes.total),
    )


def card_screen(session: Session, *, user_id: int, record_id: int, note: str = "") -> Screen:
    """One record as a card with its action buttons (carrying the version it shows)."""
    taxpayer = working_taxpayer(session, user_id)
    page = inbox_page(
        session,
        actor=Actor.user(user_id),
        gstin=taxpayer.gstin,
        record_filter=RecordFilter(record_ids=(record_id,)),
        limit=1,
    )
    if not page.items:
        raise UseCaseError(texts.NOT_IN_INBOX)
    item = page.items[0]
    by = ""
    if item.action is not Action.NO_ACTION and item.action_at:
        who = item.action_by_name or (
            "deemed acceptance" if item.deemed else (item.action_channel or "")
        )
        by = texts.CARD_BY.format(
            who=texts.clip(who, texts.NAME_SHOWN), at=texts.when(item.action_at)
        )
    text = texts.CARD.format(
        kind=texts.kind_name(item.kind),
        number=texts.clip(item.number, texts.NUMBER_SHOWN),
        day=texts.day(item.document_date),
        supplier=texts.clip(item.supplier_name or "", texts.NAME_SHOWN),
        supplier_gstin=item.supplier_gstin,
        taxable=texts.inr(item.taxable_value),
        taxes=texts.tax_line(item.taxes),
        value=texts.inr(item.value),
        period=item.counts_in_period.label if item.counts_in_period else "not filed yet",
        icon=texts.STATUS_ICON[item.action],
        status=texts.STATUS_NAME[item.action],
        by=by,
        remarks=texts.CARD_REMARKS.format(remarks=texts.clip(item.remarks, texts.REMARKS_SHOWN))
        if item.remarks
        else "",
    )
    source = record_source(
        session, actor=Actor.user(user_id), gstin=taxpayer.gstin, record_id=record_id
    )
    text += _source_line(source, own_gstin=taxpayer.gstin)
    v = item.version
    buttons = [
        [
            _button(texts.BUTTON_ACCEPT, "ac", record_id, v, "A"),
            _button(texts.BUTTON_REJECT, "ac", record_id, v, "R"),
            _button(texts.BUTTON_PENDING, "ac", record_id, v, "P"),
        ],
        [_button(texts.BUTTON_RESET, "ac", record_id, v, "N"), _button(texts.BUTTON_BACK, "db")],
    ]
    return Screen(f"{text}\n\n{note}".rstrip(), buttons)


def _source_line(source: RecordSource, *, own_gstin: str) -> str:
    """Where a record came from, when a supplier's own file brought it (not the portal)."""
    parts = []
    if source.uploaded_by_gstin and source.uploaded_by_gstin != own_gstin:
        parts.append(
            texts.CARD_SOURCE.format(
                name=texts.esc(source.uploaded_by_name or source.uploaded_by_gstin),
                gstin=source.uploaded_by_gstin,
                file=texts.FORMAT_NAMES.get(source.file_format or "", "file"),
                when=texts.when(source.uploaded_at) if source.uploaded_at else "",
            )
        )
    if not source.seen_on_portal:
        parts.append(texts.CARD_NOT_ON_PORTAL)
    return "\n" + " · ".join(parts) if parts else ""


# --- acting ------------------------------------------------------------------------------


async def edit(update: Update, screen: Screen) -> None:
    """Replace the tapped message with `screen`."""
    query = update.callback_query
    if query is not None and query.message is not None:
        with unchanged_is_fine():
            await query.edit_message_text(
                screen.text, parse_mode=ParseMode.HTML, reply_markup=screen.markup
            )


@contextmanager
def unchanged_is_fine() -> Iterator[None]:
    """Redrawing a screen that did not change (a refused tap, a double tap) is not an error."""
    try:
        yield
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


@dataclass(frozen=True)
class Proposal:
    """What the rules say about a tapped action, with what the screens need to show."""

    state: str  # "ok", "stale" or "refused"
    reason: str = ""
    label: str = ""  # "credit note CN-31"
    supplier: str = ""
    kind: RecordKind | None = None
    specified: bool = False
    base: str = ""  # the full ITC reduction or supplier add-back, formatted
    rules: tuple[str, ...] = ()


def propose(
    session: Session, *, user_id: int, record_id: int, version: int, action: Action, deps: Deps
) -> Proposal:
    """Check a tapped action against the rules before asking anything more."""
    taxpayer = working_taxpayer(session, user_id)
    row = load_record(session, taxpayer=taxpayer, record_id=record_id)
    if row.version != version:
        return Proposal("stale")
    decision = decision_for(
        session,
        taxpayer=taxpayer,
        row=row,
        request=ActionRequest(action),
        rulebook=deps.rulebook,
        now=datetime.now(UTC),
    )
    if not decision.allowed:
        return Proposal("refused", decision.reason)
    record = record_of(row, taxpayer.gstin)
    base = reduction_base(record, original_of(session, taxpayer=taxpayer, record=record))
    return Proposal(
        "ok",
        decision.reason,
        label=label_of(record.kind, record.number),
        supplier=texts.clip(row.supplier_name or row.supplier_gstin, texts.NAME_SHOWN),
        kind=record.kind,
        specified=decision.specified,
        base=texts.inr(base.total),
        rules=decision.rules,
    )


def _may_be_specified(session: Session, record_id: int) -> bool:
    """Only credit notes and amendments can be specified records (R3.2)."""
    row = session.get(RecordRow, record_id)
    kind = RecordKind(row.kind) if row is not None else None
    return kind is None or kind.is_credit_note or kind.is_amendment


def needs_more(proposal: Proposal, action: Action) -> bool:
    """Whether the action asks something first: a remark, a confirmation, an ITC reduction."""
    if proposal.state != "ok":
        return False
    if action in (Action.REJECT, Action.PENDING):
        return True
    return action is Action.ACCEPT and proposal.specified and "R4.2" in proposal.rules


async def on_action(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """Accept / Reject / Pending / Reset on a card: some need a confirmation or a remark first."""
    user = update.effective_user
    assert user is not None
    deps = deps_of(context)
    record_id, version, action = tap.int_arg(0), tap.int_arg(1), tap.enum_arg(2, Action)

    def decide_then_act(session: Session) -> tuple[Proposal, tuple[str, Screen] | None]:
        if action is Action.NO_ACTION or (
            action is Action.ACCEPT and not _may_be_specified(session, record_id)
        ):
            # Nothing to ask first: the use case checks everything as it acts (one pass).
            request = ActionRequest(action)
            drawn = act_and_draw(
                session,
                user_id=user.id,
                record_id=record_id,
                version=version,
                request=request,
                deps=deps,
            )
            return Proposal("ok"), drawn
        proposal = propose(
            session, user_id=user.id, record_id=record_id, version=version, action=action, deps=deps
        )
        if proposal.state == "refused" or needs_more(proposal, action):
            return proposal, None
        # Stale (the card tells who changed it) or a plain action: done in the same transaction.
        drawn = act_and_draw(
            session,
            user_id=user.id,
            record_id=record_id,
            version=version,
            request=ActionRequest(action),
            deps=deps,
        )
        return proposal, drawn

    proposal, drawn = await in_store(deps.engine, decide_then_act)
    if drawn is not None:
        toast, screen = drawn
        await edit(update, screen)
        return toast
    if proposal.state == "refused":
        return proposal.reason
    is_note = proposal.kind is not None and proposal.kind.is_credit_note
    if action is Action.REJECT and is_note and proposal.specified:
        # Irreversible for the supplier's tax: ask twice, and say why (R4.4).
        text = texts.CONFIRM_CN_REJECT.format(
            label=proposal.label, amount=proposal.base, supplier=proposal.supplier
        )
        buttons = [
            [
                _button(texts.BUTTON_CONFIRM_REJECT, "cr", record_id, version),
                _button(texts.BUTTON_CANCEL, "cd", record_id),
            ]
        ]
        await edit(update, Screen(text, buttons))
        return texts.PLEASE_CONFIRM
    # R4.2: from the Oct-2025 2B period the recipient declares how much ITC the note reduces.
    if action is Action.ACCEPT and proposal.specified and "R4.2" in proposal.rules:
        text = texts.ASK_REDUCTION.format(label=proposal.label, amount=proposal.base)
        query = update.callback_query
        if query is not None and query.message is not None:
            # A text reply with amounts declares a partial reduction (R4.2, E8).
            waiting = Pending(
                record_id,
                version,
                Action.ACCEPT,
                "P",
                proposal.label,
                chat_id=query.message.chat.id,
                message_id=query.message.message_id,
            )
            await _await(context, user.id, AMOUNTS, waiting)
        await edit(
            update,
            Screen(
                text,
                [
                    [_button(texts.BUTTON_REDUCE_FULL, "rd", record_id, version, "F")],
                    [_button(texts.BUTTON_REDUCE_NONE, "rd", record_id, version, "N")],
                    [_button(texts.BUTTON_CANCEL, "cd", record_id)],
                ],
            ),
        )
        return texts.PLEASE_CHOOSE
    if action in (Action.REJECT, Action.PENDING):
        return await ask_remark(
            update, context, Pending(record_id, version, action, "-", proposal.label)
        )
    return await apply(update, context, record_id, version, ActionRequest(action))


def label_of(kind: RecordKind, number: str) -> str:
    """How a prompt names a record: "credit note CN-31"."""
    return f"{kind.label} {texts.clip(number, texts.NUMBER_SHOWN)}"


async def _label(context: ContextTypes.DEFAULT_TYPE, update: Update, record_id: int) -> str:
    """The label of a record of the user's working GSTIN (membership checked on the way)."""
    user = update.effective_user
    assert user is not None

    def find(session: Session) -> str:
        taxpayer = working_taxpayer(session, user.id)
        row = load_record(session, taxpayer=taxpayer, record_id=record_id)
        return label_of(RecordKind(row.kind), row.number)

    return await in_store(deps_of(context).engine, find)


async def on_confirm_reject(
    update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback
) -> str:
    """The second tap of a credit-note rejection: now ask for the remark."""
    record_id = tap.int_arg(0)
    label = await _label(context, update, record_id)
    return await ask_remark(
        update, context, Pending(record_id, tap.int_arg(1), Action.REJECT, "-", label)
    )


async def on_reduction(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """Full reduction applies at once; nil needs a remark (OQ10)."""
    await _await(context, _user_id(update), None)
    record_id, version = tap.int_arg(0), tap.int_arg(1)
    choice = tap.choice_arg(2, ("F", "N"))
    if choice == "F":
        return await apply(
            update, context, record_id, version, ActionRequest(Action.ACCEPT, ItcReduction.full())
        )
    label = await _label(context, update, record_id)
    return await ask_remark(update, context, Pending(record_id, version, Action.ACCEPT, "N", label))


# The ITC reduction an action waiting for its remark carries: "N" nil, "P" partial (declared),
# "-" none asked.
REDUCTION_CODES = ("N", "P", "-")


# What a person's next text answers (storage.prompts): a remark, or the amounts of a partial
# ITC reduction.
REMARK, AMOUNTS = "remark", "amounts"


@dataclass(frozen=True)
class Pending:
    """An action waiting for its remark or amounts (in the store until the next text or tap)."""

    record_id: int
    version: int
    action: Action
    reduction: str  # one of REDUCTION_CODES
    label: str
    chat_id: int | None = None
    message_id: int | None = None
    declared: TaxAmounts | None = None

    def as_json(self) -> dict[str, Any]:
        """The action as the store keeps it while it waits."""
        declared = self.declared.as_dict() if self.declared is not None else None
        return {
            **asdict(self),
            "action": self.action.value,
            "declared": {head: str(amount) for head, amount in declared.items()}
            if declared
            else None,
        }

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Pending:
        """The action `as_json` kept."""
        declared = payload.get("declared")
        return cls(
            **{
                **payload,
                "action": Action(payload["action"]),
                "declared": TaxAmounts.of(**declared) if declared else None,
            }
        )

    def request(self, remarks: str | None) -> ActionRequest:
        """The action request with the remark given."""
        reduction = None
        if self.reduction == "N":
            reduction = ItcReduction.none()
        elif self.reduction == "P" and self.declared is not None:
            reduction = ItcReduction.partial(self.declared)
        return ActionRequest(self.action, reduction, remarks)


async def ask_remark(update: Update, context: ContextTypes.DEFAULT_TYPE, waiting: Pending) -> str:
    """Ask for an optional remark; the next text message from this user is it."""
    query = update.callback_query
    message = query.message if query else None
    if message is not None:
        waiting = replace(waiting, chat_id=message.chat.id, message_id=message.message_id)
    await _await(context, _user_id(update), REMARK, waiting)
    verb = texts.ACTION_VERB.get(waiting.action, "Accept")
    text = texts.ASK_REMARKS.format(verb=verb, label=waiting.label)
    skip = _button(
        texts.BUTTON_SKIP,
        "rm",
        waiting.record_id,
        waiting.version,
        waiting.action.value,
        waiting.reduction,
    )
    required = waiting.reduction == "N"  # OQ10: a nil reduction needs a remark
    buttons = (
        [[_button(texts.BUTTON_CANCEL, "cd", waiting.record_id)]]
        if required
        else [[skip], [_button(texts.BUTTON_CANCEL, "cd", waiting.record_id)]]
    )
    await edit(update, Screen(text, buttons))
    return texts.SEND_REMARK


async def on_skip_remark(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """Apply the action without a remark."""
    await _await(context, _user_id(update), None)
    waiting = Pending(
        tap.int_arg(0),
        tap.int_arg(1),
        tap.enum_arg(2, Action),
        tap.choice_arg(3, REDUCTION_CODES),
        "",
    )
    return await apply(update, context, waiting.record_id, waiting.version, waiting.request(None))


async def _await(
    context: ContextTypes.DEFAULT_TYPE,
    user_id: int,
    kind: str | None,
    waiting: Pending | None = None,
) -> None:
    """Keep what the person's next text answers (`kind` None: nothing any more)."""
    now = datetime.now(UTC)

    def keep(session: Session) -> None:
        if kind is None or waiting is None:
            drop_input(session, user_id=user_id)
        else:
            await_input(session, user_id=user_id, kind=kind, payload=waiting.as_json(), now=now)

    await in_store(deps_of(context).engine, keep)


def _user_id(update: Update) -> int:
    user = update.effective_user
    assert user is not None
    return user.id


def _declared_amounts(text: str) -> TaxAmounts | None:
    """ "1000,0,0,0" (IGST, CGST, SGST, cess) as amounts; None when it is not that."""
    parts = [part.strip().replace("₹", "") for part in text.replace(";", ",").split(",")]
    if len(parts) != 4:
        return None
    try:
        return TaxAmounts(*(to_rupees(part or "0") for part in parts))
    except ImsDomainError:
        return None


async def on_remark_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message while a remark is awaited: apply the action with it."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    engine = deps_of(context).engine
    awaited = await in_store(
        engine, lambda s: take_input(s, user_id=user.id, now=datetime.now(UTC))
    )
    if awaited is None:
        await message.reply_text(texts.NOT_EXPECTING_TEXT)
        return
    kind, payload = awaited
    waiting = Pending.from_json(payload)
    if kind == AMOUNTS:
        declared = _declared_amounts(message.text or "")
        if declared is None:
            await _await(context, user.id, AMOUNTS, waiting)
            await message.reply_text(texts.AMOUNTS_FORMAT)
            return
        # OQ10: a partial reduction needs a remark: the next text is it.
        await _await(context, user.id, REMARK, replace(waiting, declared=declared))
        await message.reply_text(texts.ASK_PARTIAL_REMARK.format(amount=texts.inr(declared.total)))
        return
    remark = clean_remarks(message.text)
    limit = deps_of(context).rulebook.settings.remarks_max_len
    if remark is not None and len(remark) > limit:
        # Never cut (the remark goes to the portal): ask again, still waiting for it.
        await _await(context, user.id, REMARK, waiting)
        await message.reply_text(texts.REMARK_TOO_LONG.format(count=len(remark), limit=limit))
        return
    toast = await apply(
        update,
        context,
        waiting.record_id,
        waiting.version,
        waiting.request(remark),
        chat_id=waiting.chat_id,
        message_id=waiting.message_id,
    )
    await message.reply_text(texts.esc(toast), parse_mode=ParseMode.HTML)


def act_and_draw(
    session: Session,
    *,
    user_id: int,
    record_id: int,
    version: int,
    request: ActionRequest,
    deps: Deps,
) -> tuple[str, Screen]:
    """Apply the action and draw the card afterwards, in one transaction.

    A refusal (stale version, rules, role) writes nothing, so the card drawn after it shows the
    record as it is, with the reason as the toast.
    """
    try:
        taxpayer = working_taxpayer(session, user_id)
        act_on_record(
            session,
            actor=Actor.user(user_id, Channel.BOT),
            gstin=taxpayer.gstin,
            record_id=record_id,
            expected_version=version,
            request=request,
            rulebook=deps.rulebook,
            now=datetime.now(UTC),
        )
        toast = texts.ACTION_DONE[request.action]
    except UseCaseError as exc:
        toast = str(exc)
    return toast, card_screen(session, user_id=user_id, record_id=record_id)


async def apply(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    record_id: int,
    version: int,
    request: ActionRequest,
    *,
    chat_id: int | None = None,
    message_id: int | None = None,
) -> str:
    """Run the action; redraw the card (also when stale or refused) and return the toast."""
    user = update.effective_user
    assert user is not None
    deps = deps_of(context)

    toast, screen = await in_store(
        deps.engine,
        lambda s: act_and_draw(
            s, user_id=user.id, record_id=record_id, version=version, request=request, deps=deps
        ),
    )
    if chat_id is not None and message_id is not None:
        with unchanged_is_fine():
            await context.bot.edit_message_text(
                screen.text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=screen.markup,
            )
    else:
        await edit(update, screen)
    return toast


# --- bulk ----------------------------------------------------------------------------------


async def on_bulk(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """A list's "Accept all" (or Reject, Pending): show count and tax, and ask to confirm."""
    user = update.effective_user
    assert user is not None
    deps = deps_of(context)
    spec, action = ListSpec.from_tap(tap), tap.enum_arg(FIELDS, Action, among=texts.ACTION_VERB)

    def preview(session: Session):  # type: ignore[no-untyped-def]
        taxpayer = working_taxpayer(session, user.id)
        return keep_bulk_preview(
            session,
            actor=Actor.user(user.id),
            gstin=taxpayer.gstin,
            record_filter=list_filter(
                session, user_id=user.id, taxpayer=taxpayer, spec=spec, deps=deps
            ),
            action=action,
            rulebook=deps.rulebook,
            now=datetime.now(UTC),
        )

    result = await in_store(deps.engine, preview)
    verb = texts.ACTION_VERB[action].lower()
    skipped = texts.BULK_SKIPPED.format(count=result.skipped) if result.skipped else ""
    text = texts.BULK_CONFIRM.format(
        verb=texts.ACTION_VERB[action],
        count=result.count,
        tax=texts.inr(result.taxes.total),
        skipped=skipped,
    )
    buttons = [
        [
            _button(
                texts.BUTTON_BULK_YES.format(verb=verb, count=result.count), "by", result.preview_id
            )
        ],
        [_button(texts.BUTTON_CANCEL, "ls", *spec.args(), FIRST_PAGE)],
    ]
    await edit(update, Screen(text, buttons if result.count else buttons[1:]))
    return texts.PLEASE_CONFIRM


async def on_bulk_yes(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """Apply the previewed bulk action to the records shown; the summary carries an Undo button."""
    user = update.effective_user
    assert user is not None
    deps = deps_of(context)
    preview_id = tap.int_arg(0)

    def run(session: Session):  # type: ignore[no-untyped-def]
        return apply_bulk_preview(
            session,
            actor=Actor.user(user.id, Channel.BULK),
            preview_id=preview_id,
            rulebook=deps.rulebook,
            now=datetime.now(UTC),
        )

    done = await in_store(deps.engine, run)
    minutes = int(deps.rulebook.undo_window.total_seconds() // 60)
    text = texts.BULK_DONE.format(
        done=texts.ACTION_DONE[done.action],
        count=done.count,
        tax=texts.inr(done.taxes.total),
        minutes=minutes,
    )
    if done.changed_since:
        text += "\n" + texts.BULK_CHANGED_SINCE.format(count=done.changed_since)
    if done.arrived_since:
        text += "\n" + texts.BULK_ARRIVED_SINCE.format(count=done.arrived_since)
    await edit(
        update,
        Screen(
            text,
            [[_button(texts.BUTTON_UNDO, "un", done.bulk_id)], [_button(texts.BUTTON_BACK, "db")]],
        ),
    )
    return texts.ACTION_DONE[done.action]


async def on_undo(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """Undo a bulk action (refused once the window passed or a record changed)."""
    user = update.effective_user
    assert user is not None
    deps = deps_of(context)
    bulk_id = tap.int_arg(0)

    def run(session: Session) -> int:
        taxpayer = working_taxpayer(session, user.id)
        return undo_bulk(
            session,
            actor=Actor.user(user.id),
            gstin=taxpayer.gstin,
            bulk_id=bulk_id,
            rulebook=deps.rulebook,
            now=datetime.now(UTC),
        )

    count = await in_store(deps.engine, run)
    text = texts.UNDONE.format(count=count)
    await edit(update, Screen(text, [[_button(texts.BUTTON_BACK, "db")]]))
    return text


async def on_list(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """Open a list page in place."""
    user = update.effective_user
    assert user is not None
    spec, after = ListSpec.from_tap(tap), page_of(tap, FIELDS)
    deps = deps_of(context)
    screen = await in_store(
        deps.engine, lambda s: list_screen(s, user_id=user.id, spec=spec, after=after, deps=deps)
    )
    await edit(update, screen)
    return ""


async def on_filter_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """The list's filter buttons, in place."""
    user = update.effective_user
    assert user is not None
    spec = ListSpec.from_tap(tap)
    deps = deps_of(context)
    screen = await in_store(
        deps.engine, lambda s: filter_screen(s, user_id=user.id, spec=spec, deps=deps)
    )
    await edit(update, screen)
    return ""


async def on_card(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """Open a record's card in place."""
    user = update.effective_user
    assert user is not None
    record_id = tap.int_arg(0)
    await _await(context, user.id, None)  # Cancel / Back drops any half-finished action
    screen = await in_store(
        deps_of(context).engine, lambda s: card_screen(s, user_id=user.id, record_id=record_id)
    )
    await edit(update, screen)
    return ""


async def on_dashboard(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """Back to the dashboard, in place."""
    user = update.effective_user
    assert user is not None
    deps = deps_of(context)
    screen = await in_store(deps.engine, lambda s: dashboard_screen(s, user_id=user.id, deps=deps))
    await edit(update, screen)
    return ""
