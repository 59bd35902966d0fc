"""Who may see and change a GSTIN's records: memberships and roles, checked on every use case."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from storage.errors import AccessDenied, NotFound
from storage.models import Channel, Membership, Role, Taxpayer

# The roles that may change actions; viewers only look.
ACTING_ROLES = frozenset({Role.OWNER, Role.APPROVER})
ANY_ROLE = frozenset(Role)


@dataclass(frozen=True)
class Actor:
    """Who is asking: a Telegram user, or the operator/system (CLI, scheduler) with no user."""

    user_id: int | None
    channel: Channel

    @classmethod
    def system(cls, channel: Channel) -> Actor:
        """The deployment itself: the CLI on the server, the scheduler. Not limited by roles."""
        return cls(None, channel)

    @classmethod
    def user(cls, user_id: int, channel: Channel = Channel.BOT) -> Actor:
        """A person, limited to the GSTINs they are a member of."""
        return cls(user_id, channel)


def taxpayer_for(
    session: Session, *, actor: Actor, gstin: str, roles: frozenset[Role] = ANY_ROLE
) -> Taxpayer:
    """The taxpayer of `gstin` if `actor` holds one of `roles` for it.

    A user who is not a member is told the GSTIN is not found, so membership cannot be probed.
    """
    taxpayer = session.exec(select(Taxpayer).where(Taxpayer.gstin == gstin.strip().upper())).first()
    if taxpayer is None:
        raise NotFound(f"GSTIN {gstin} is not registered here.")
    require_role(session, actor=actor, taxpayer=taxpayer, roles=roles)
    return taxpayer


def require_role(
    session: Session, *, actor: Actor, taxpayer: Taxpayer, roles: frozenset[Role]
) -> None:
    """Raise unless `actor` is the system or a member of `taxpayer` with one of `roles`."""
    if actor.user_id is None:
        return
    membership = session.exec(
        select(Membership).where(
            Membership.user_id == actor.user_id, Membership.taxpayer_id == taxpayer.id
        )
    ).first()
    if membership is None:
        raise NotFound(f"GSTIN {taxpayer.gstin} is not registered here.")
    if Role(membership.role) not in roles:
        raise AccessDenied(
            f"Your role for {taxpayer.gstin} is {membership.role}: it cannot do this. "
            "Ask an owner for the approver role."
        )
