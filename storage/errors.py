"""What a use case refuses with. Every adapter shows `str(error)` to the person as it is."""

from __future__ import annotations

from datetime import datetime

from ims_domain.actions import Decision


class UseCaseError(Exception):
    """Base of every refusal of a use case; the message is fit for a business owner."""


class NotFound(UseCaseError):
    """The thing asked for does not exist, or the asker may not know that it does."""


class AccessDenied(UseCaseError):
    """The actor has no membership, or not the role, for this GSTIN."""


class InvalidInput(UseCaseError):
    """An argument is malformed (a GSTIN, a period, a filter)."""


class StaleRecord(UseCaseError):
    """The record changed since the actor saw it; says who changed it and when."""

    def __init__(self, message: str, *, changed_by: str | None, changed_at: datetime | None):
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at


class RuleRefused(UseCaseError):
    """The IMS rules do not allow the action; carries the engine's decision."""

    def __init__(self, decision: Decision):
        super().__init__(decision.reason)
        self.decision = decision


class UndoRefused(UseCaseError):
    """A bulk action can no longer be undone."""
