"""The one place that answers "may this record take this action now?" (R1.x-R4.x, R2.6 lock).

`decide` takes a record, the requested action and everything the rules look at (the context),
and returns a `Decision`: allowed, or refused with a reason a business owner can read and the
rule it comes from. It never reads the clock or a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from ims_domain.money import NO_TAX, TaxAmounts, format_date, format_inr
from ims_domain.periods import (
    FIRST_IMS_PERIOD,
    IST,
    NEW_PENDING_RULES_FROM,
    FilingFrequency,
    GstCalendar,
    ReturnPeriod,
    StateGroup,
    SupplierReturn,
)
from ims_domain.records import (
    Action,
    OriginalState,
    Record,
    is_specified,
    itc_effect,
    reduction_base,
)
from ims_domain.settings import PendingExpiry, RulesSettings


class ReductionMode(StrEnum):
    """The answer to the portal's "ITC to be reduced?" on accepting a specified record (R4.2)."""

    FULL = "full"
    NONE = "none"
    PARTIAL = "partial"


@dataclass(frozen=True)
class ItcReduction:
    """The ITC reduction declared with an Accept: full (the default), none, or declared amounts."""

    mode: ReductionMode
    declared: TaxAmounts = NO_TAX

    @classmethod
    def full(cls) -> ItcReduction:
        """Reduce by the whole tax of the record (portal default "Yes")."""
        return cls(ReductionMode.FULL)

    @classmethod
    def none(cls) -> ItcReduction:
        """Reduce nothing: the ITC was never claimed or already reversed."""
        return cls(ReductionMode.NONE)

    @classmethod
    def partial(cls, declared: TaxAmounts) -> ItcReduction:
        """Reduce by the declared amounts per head (only what was actually claimed)."""
        return cls(ReductionMode.PARTIAL, declared)

    def amount(self, base: TaxAmounts) -> TaxAmounts:
        """The ITC this declaration removes from a record whose full reduction is `base`."""
        if self.mode is ReductionMode.FULL:
            return base
        if self.mode is ReductionMode.NONE:
            return NO_TAX
        return self.declared


@dataclass(frozen=True)
class ActionRequest:
    """What a person asks for: an action (NO_ACTION means reset), with optional extras."""

    action: Action
    itc_reduction: ItcReduction | None = None
    remarks: str | None = None


@dataclass(frozen=True)
class ActionContext:
    """Everything besides the record that the rules look at."""

    today: date
    frequency: FilingFrequency
    state_group: StateGroup | None = None
    current_action: Action = Action.NO_ACTION
    # The GSTR-3B of the period the record currently counts in is filed (R2.6).
    gstr3b_filed: bool = False
    # The draft GSTR-2B of that period was generated: later changes need a recompute (R2.5).
    gstr2b_generated: bool = False
    original: OriginalState | None = None
    calendar: GstCalendar = field(default_factory=GstCalendar)
    settings: RulesSettings = field(default_factory=RulesSettings)


@dataclass(frozen=True)
class Decision:
    """The engine's answer: allowed or not, why, and what follows from it."""

    allowed: bool
    reason: str
    rules: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    specified: bool = False
    # The declaration to store and upload, normalised (clamped, CGST = SGST); None when n/a.
    itc_reduction: ItcReduction | None = None
    # Last day Pending is allowed for a specified record (R3.4); None when not limited or unknown.
    pending_deadline: date | None = None


def supplier_return_of(source_form: str) -> SupplierReturn:
    """The return type whose cut-off decides a record's 2B period (R6.3); GSTR-1A follows GSTR-1."""
    form = source_form.strip().upper().replace("-", "")
    if form in {"IFF", "GSTR1IFF"}:
        return SupplierReturn.IFF
    if form in {"R1Q", "GSTR1Q"}:
        return SupplierReturn.GSTR1_QUARTERLY
    return SupplierReturn.GSTR1


def earliest_two_b_period(record: Record, today: date, calendar: GstCalendar) -> ReturnPeriod:
    """The record's 2B period, or for one not yet filed the earliest it can still land in (R1.9)."""
    if record.two_b_period is not None:
        return record.two_b_period
    form = supplier_return_of(record.source_form)
    filed_today = calendar.two_b_period_of_filing(datetime.combine(today, time(0), IST), form)
    return max(
        filed_today, calendar.earliest_two_b_period(ReturnPeriod.of(record.document_date), form)
    )


def pending_deadline(record: Record, context: ActionContext) -> date | None:
    """R3.3/R3.4: the last day a specified record may stay Pending (None before the 2B is known)."""
    if record.two_b_period is None:
        return None
    return context.calendar.pending_deadline(
        record.two_b_period, context.frequency, context.state_group
    )


def remarks_too_long(remarks: str | None, settings: RulesSettings) -> str | None:
    """Why `remarks` cannot go to the portal (over its limit, OQ9), or None when they can.
    Remarks are never cut: a cut remark could say something else."""
    length = len((remarks or "").strip())
    if length <= settings.remarks_max_len:
        return None
    return f"Remarks are limited to {settings.remarks_max_len} characters (these have {length})."


def decide(record: Record, request: ActionRequest, context: ActionContext) -> Decision:
    """Answer whether `request` may be applied to `record` now, with the reason and its rule."""
    noun = record.kind.label
    specified = is_specified(record, context.original)
    period = earliest_two_b_period(record, context.today, context.calendar)

    refusal = _refuse_outside_ims(record, noun, period) or _refuse_locked(record, noun, context)
    if refusal is not None:
        return refusal
    too_long = remarks_too_long(request.remarks, context.settings)
    if too_long is not None:
        return _refused(too_long, "R4.3")

    if request.action is Action.ACCEPT:
        decision = _decide_accept(record, request, context, specified, period)
    elif request.action is Action.REJECT:
        decision = _decide_reject(record, context, specified)
    elif request.action is Action.PENDING:
        decision = _decide_pending(record, context, specified, period)
    else:
        decision = Decision(True, f"The {noun} goes back to no action.", ("R2.4",))

    if decision.allowed and context.gstr2b_generated and request.action != context.current_action:
        recompute = (
            "GSTR-2B for this period is already generated: recompute it on the portal before "
            "filing GSTR-3B."
        )
        decision = _with(decision, warnings=(*decision.warnings, recompute), rule="R2.5")
    return _with(decision, specified=specified)


def _refuse_outside_ims(record: Record, noun: str, period: ReturnPeriod) -> Decision | None:
    if record.reverse_charge:
        return _refused(
            f"This {noun} is under reverse charge: it goes straight to GSTR-2B and takes no "
            "action in IMS.",
            "R1.3",
        )
    if record.itc_unavailable:
        return _refused(
            f"ITC on this {noun} is not available (place of supply or the section 16(4) limit): "
            "it is not in IMS.",
            "R1.3",
        )
    if period < FIRST_IMS_PERIOD:
        return _refused(
            f"This {noun} belongs to GSTR-2B {period.label}, before IMS began (Oct-2024).", "R1.8"
        )
    if record.kind.is_import and period < NEW_PENDING_RULES_FROM:
        return _refused(
            f"Bills of entry entered IMS from the Oct-2025 period; this one ({period.label}) goes "
            "straight to GSTR-2B.",
            "R1.3",
            "R1.5",
        )
    return None


def _refuse_locked(record: Record, noun: str, context: ActionContext) -> Decision | None:
    # R2.6: filing the GSTR-3B takes accepted, rejected and deemed-accepted records out of IMS;
    # only Pending ones stay and can still be acted on.
    if context.gstr3b_filed and context.current_action is not Action.PENDING:
        state = "deemed accepted" if context.current_action is Action.NO_ACTION else None
        state = state or context.current_action.label
        return _refused(
            f"GSTR-3B for this period is filed: this {noun} stays {state}. A mistake can only be "
            "corrected by the supplier re-reporting it (GSTR-1A or an amendment).",
            "R2.6",
            "R4.5",
        )
    return None


def _decide_accept(
    record: Record,
    request: ActionRequest,
    context: ActionContext,
    specified: bool,
    period: ReturnPeriod,
) -> Decision:
    noun = record.kind.label
    wanted = request.itc_reduction
    if not specified:
        if wanted is not None and wanted.mode is not ReductionMode.FULL:
            return _refused(
                f"An ITC reduction is declared only when accepting a credit note or an amendment "
                f"that lowers an accepted document; this {noun} adds ITC.",
                "R4.2",
            )
        lowered = -itc_effect(record, context.original)
        if lowered.total > 0:
            # A downward amendment that is not a specified record still takes ITC away.
            return Decision(
                True, f"Accepting lowers your ITC by {format_inr(lowered.total)}.", ("R5.3",)
            )
        return Decision(True, f"The {noun} will be accepted.", ("R2.2",))

    base = reduction_base(record, context.original)
    if period < NEW_PENDING_RULES_FROM:
        if wanted is not None and wanted.mode is not ReductionMode.FULL:
            return _refused(
                f"For GSTR-2B periods before Oct-2025 accepting a {noun} always reduces the full "
                "tax; a partial or nil reduction cannot be declared.",
                "R4.1",
                "R4.2",
            )
        return Decision(
            True,
            f"Accepting lowers your ITC by {format_inr(base.total)}.",
            ("R4.1",),
            itc_reduction=ItcReduction.full(),
        )

    reduction, problem, notes = _normalise_reduction(wanted or ItcReduction.full(), base)
    if problem is not None:
        return _refused(problem, "R4.2", "R8.6")
    remarks = (request.remarks or "").strip()
    if (
        reduction.mode is not ReductionMode.FULL
        and context.settings.remark_required_for_partial_or_nil
        and not remarks
    ):
        return _refused(
            "Add a remark saying why the ITC reduction is partial or nil.", "R4.2", "OQ10"
        )
    lowered = reduction.amount(base)
    return Decision(
        True,
        f"Accepting lowers your ITC by {format_inr(lowered.total)}.",
        ("R4.1", "R4.2"),
        warnings=notes,
        itc_reduction=reduction,
    )


def _normalise_reduction(
    wanted: ItcReduction, base: TaxAmounts
) -> tuple[ItcReduction, str | None, tuple[str, ...]]:
    """R4.2/R8.6: clamp declared amounts to the record's tax per head and keep CGST = SGST."""
    if wanted.mode is not ReductionMode.PARTIAL:
        return wanted, None, ()
    declared = wanted.declared
    if declared.any_negative():
        return wanted, "Declared ITC reduction amounts cannot be negative.", ()
    clamped = declared.capped_by(base)
    notes: tuple[str, ...] = ()
    if clamped != declared:
        notes = (
            f"The declared reduction was lowered to the record's tax: {format_inr(clamped.total)}.",
        )
    if clamped.cgst != clamped.sgst:
        return (
            wanted,
            f"Declared CGST ({format_inr(clamped.cgst)}) and SGST ({format_inr(clamped.sgst)}) "
            "must be equal.",
            notes,
        )
    if clamped.is_zero():
        return ItcReduction.none(), None, notes
    if clamped == base:
        return ItcReduction.full(), None, notes
    return ItcReduction.partial(clamped), None, notes


def _decide_reject(record: Record, context: ActionContext, specified: bool) -> Decision:
    noun = record.kind.label
    if record.kind.is_import:
        return _refused("A bill of entry can be accepted or kept pending, never rejected.", "R1.5")
    if record.kind.is_credit_note:
        add_back = reduction_base(record, context.original) if specified else NO_TAX
        return Decision(
            True,
            f"Rejecting this {noun} keeps your ITC; {format_inr(add_back.total)} is added back "
            "to the supplier's tax in a later GSTR-3B.",
            ("R4.4",),
            warnings=(
                "If the invoice this note corrects is rejected too, the supplier pays tax twice.",
            ),
        )
    return Decision(
        True,
        f"Rejecting this {noun} means no ITC on it.",
        ("R2.2", "R2.9"),
        warnings=(
            "Reject only a document that is not yours or is too wrong for a credit or debit note "
            "to fix.",
        ),
    )


def _decide_pending(
    record: Record, context: ActionContext, specified: bool, period: ReturnPeriod
) -> Decision:
    noun = record.kind.label
    # R3.7: the portal's flag is authoritative; the rules below only fill in when it is absent.
    if record.pending_blocked:
        return _refused(f"The portal does not allow Pending for this {noun}.", "R3.7")
    if record.pending_blocked is False:
        return Decision(True, f"The {noun} will be kept pending.", ("R3.7",))
    if record.kind.is_import:
        # R3.8: no time limit is documented for bills of entry (OQ4).
        return Decision(True, f"The {noun} will be kept pending.", ("R3.8",))
    if not specified:
        return _pending_until_s16_4(record, context)
    if period < NEW_PENDING_RULES_FROM:
        return _refused(
            f"Pending is not allowed for this {noun}: its GSTR-2B period {period.label} is "
            "before Oct-2025.",
            "R3.2",
            "R3.6",
        )
    deadline = pending_deadline(record, context)
    if deadline is not None and context.today > deadline:
        return _refused(
            f"Pending is not allowed for this {noun} after {format_date(deadline)}.",
            "R3.4",
            "R3.5",
        )
    until = (
        f"until {format_date(deadline)}"
        if deadline
        else "for one tax period after the supplier files"
    )
    return Decision(
        True, f"The {noun} may stay pending {until}.", ("R3.3", "R3.4"), pending_deadline=deadline
    )


def _pending_until_s16_4(record: Record, context: ActionContext) -> Decision:
    noun = record.kind.label
    limit = context.calendar.s16_4_limit(record.document_date)
    warnings: tuple[str, ...] = ()
    days_left = (limit - context.today).days
    if days_left < 0:
        # OQ3: the portal's behaviour past the limit is unknown; never act for the user.
        warnings = (f"The section 16(4) limit to claim this ITC passed on {format_date(limit)}.",)
    elif days_left <= context.settings.s16_4_warn_days:
        warnings = (f"ITC on this {noun} must be claimed by {format_date(limit)}.",)
    return Decision(
        True,
        f"The {noun} will be kept pending and left out of GSTR-2B until you act.",
        ("R3.1",),
        warnings=warnings,
    )


def action_counted_at_generation(
    record: Record, action: Action, generation_date: date, context: ActionContext
) -> Action:
    """The state a record counts as when a GSTR-2B is generated on `generation_date`.

    No action counts as accepted (R2.3). A specified record still Pending after its window closed
    is treated as `settings.pending_expiry_treatment` says (R3.5, OQ13).
    """
    if action is Action.NO_ACTION:
        return Action.ACCEPT
    if action is Action.PENDING and record.pending_blocked is not False:
        expiry = context.settings.pending_expiry_treatment
        deadline = pending_deadline(record, context)
        if (
            expiry is PendingExpiry.DEEMED_ACCEPT
            and is_specified(record, context.original)
            and deadline is not None
            and generation_date > deadline
        ):
            return Action.ACCEPT
    return action


def _refused(reason: str, *rules: str) -> Decision:
    return Decision(False, reason, rules)


def _with(
    decision: Decision,
    *,
    warnings: tuple[str, ...] | None = None,
    rule: str | None = None,
    specified: bool | None = None,
) -> Decision:
    return Decision(
        allowed=decision.allowed,
        reason=decision.reason,
        rules=(*decision.rules, rule) if rule else decision.rules,
        warnings=decision.warnings if warnings is None else warnings,
        specified=decision.specified if specified is None else specified,
        itc_reduction=decision.itc_reduction,
        pending_deadline=decision.pending_deadline,
    )
