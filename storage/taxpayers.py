"""Use cases of registration and membership: taxpayers, members, invites."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from ims_domain.errors import ImsDomainError
from ims_domain.gstin import GstinKind, parse_gstin
from ims_domain.periods import FilingFrequency, StateGroup, state_group_of
from ims_domain.text_limits import NAME_MAX, fitted, without_nul
from storage.access import ANY_ROLE, Actor, taxpayer_for
from storage.audit import record_event
from storage.errors import AccessDenied, InvalidInput, NotFound
from storage.models import (
    EventKind,
    GroupBinding,
    Invite,
    Membership,
    Mute,
    Role,
    Taxpayer,
    User,
)

INVITE_LIFETIME = timedelta(days=2)
NO_IMS_KINDS = {
    GstinKind.ECO: "an e-commerce operator (TCS)",
    GstinKind.TDS: "a TDS deductor's",
    GstinKind.UIN: "a UN body or embassy (UIN)",
    GstinKind.NRTP: "a non-resident taxable person's",
    GstinKind.OIDAR: "an OIDAR (online services from abroad)",
}
OWNER_ONLY = frozenset({Role.OWNER})
INVITE_NOT_VALID = "This invite link is not valid or was already used. Ask for a new one."


def register_taxpayer(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    name: str,
    frequency: FilingFrequency = FilingFrequency.MONTHLY,
    state_group: StateGroup | None = None,
    owner_id: int | None = None,
    admin_id: int | None = None,
    now: datetime,
) -> Taxpayer:
    """Register a GSTIN (admins and the CLI only), optionally with its first owner.

    `actor` is the system; `admin_id`, the administrator who asked through the bot, is recorded
    as who registered it.
    """
    if actor.user_id is not None:
        raise AccessDenied("Only an administrator of this deployment can register a GSTIN.")
    try:
        parsed = parse_gstin(gstin)
    except ImsDomainError as exc:
        raise InvalidInput(str(exc)) from exc
    if not parsed.has_ims:
        raise InvalidInput(
            f"{parsed.value} is {NO_IMS_KINDS.get(parsed.kind, parsed.kind.value)} registration: "
            "it has no IMS (R1.7)."
        )
    name = without_nul(name).strip()
    if not name:
        raise InvalidInput("The taxpayer's name is empty.")
    if len(name) > NAME_MAX:
        raise InvalidInput(
            f"The taxpayer's name has {len(name)} characters; at most {NAME_MAX} are allowed."
        )
    if session.exec(select(Taxpayer).where(Taxpayer.gstin == parsed.value)).first():
        raise InvalidInput(f"GSTIN {parsed.value} is already registered.")
    if frequency is FilingFrequency.QUARTERLY and state_group is None:
        state_group = state_group_of(parsed.state_code)  # R6.4: the state decides 22nd or 24th
    taxpayer = Taxpayer(
        gstin=parsed.value,
        legal_name=name,
        frequency=frequency.value,
        state_group=state_group.value if state_group else None,
        created_at=now,
    )
    session.add(taxpayer)
    session.flush()
    assert taxpayer.id is not None
    registrar = actor if admin_id is None else Actor.user(admin_id, actor.channel)
    record_event(
        session,
        kind=EventKind.TAXPAYER_REGISTERED,
        taxpayer_id=taxpayer.id,
        actor=registrar,
        details={
            "gstin": taxpayer.gstin,
            "name": taxpayer.legal_name,
            "frequency": taxpayer.frequency,
            "state_group": taxpayer.state_group,
        },
        now=now,
    )
    if owner_id is not None:
        _add_member(
            session, taxpayer=taxpayer, user_id=owner_id, role=Role.OWNER, actor=registrar, now=now
        )
    return taxpayer


def ensure_user(session: Session, *, user_id: int, name: str | None = None, now: datetime) -> User:
    """The user with this Telegram id, created on first sight; the name is kept current."""
    user = session.get(User, user_id)
    name = fitted(name, NAME_MAX) if name else None
    if user is None:
        user = User(id=user_id, name=name or str(user_id), created_at=now)
        session.add(user)
        session.flush()
    elif name:
        user.name = name
        user.blocked_at = None  # they are talking to the bot again
    return user


def _add_member(
    session: Session, *, taxpayer: Taxpayer, user_id: int, role: Role, actor: Actor, now: datetime
) -> Membership:
    """Make `user_id` a member with `role` (a member already: give them that role), audited."""
    assert taxpayer.id is not None
    user = ensure_user(session, user_id=user_id, now=now)
    membership = session.exec(
        select(Membership).where(
            Membership.user_id == user_id, Membership.taxpayer_id == taxpayer.id
        )
    ).first()
    details: dict[str, Any] = {"user_id": user_id, "name": user.name, "role": role.value}
    if membership is None:
        membership = Membership(user_id=user_id, taxpayer_id=taxpayer.id, role=role, created_at=now)
        session.add(membership)
        kind = EventKind.MEMBER_ADDED
    elif membership.role != role:
        details["previous_role"] = membership.role
        membership.role = role
        kind = EventKind.MEMBER_ROLE_CHANGED
    else:
        return membership
    session.flush()
    record_event(session, kind=kind, taxpayer_id=taxpayer.id, actor=actor, details=details, now=now)
    return membership


@dataclass(frozen=True)
class Member:
    """A member as listed to an owner."""

    user_id: int
    name: str
    role: Role


def list_members(session: Session, *, actor: Actor, gstin: str) -> list[Member]:
    """The members of a GSTIN, for any of its members."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=ANY_ROLE)
    rows = session.exec(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
        .where(Membership.taxpayer_id == taxpayer.id)
        .order_by(Membership.id)  # type: ignore[arg-type]
    ).all()
    return [Member(user.id, user.name, Role(m.role)) for m, user in rows]


def create_invite(
    session: Session, *, actor: Actor, gstin: str, role: Role, now: datetime
) -> Invite:
    """A one-use code that makes its holder a member with `role` (owners only)."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=OWNER_ONLY)
    assert taxpayer.id is not None
    invite = Invite(
        code=secrets.token_urlsafe(12),
        taxpayer_id=taxpayer.id,
        role=role,
        created_by=actor.user_id,
        expires_at=now + INVITE_LIFETIME,
    )
    session.add(invite)
    session.flush()
    record_event(
        session,
        kind=EventKind.INVITE_CREATED,
        taxpayer_id=taxpayer.id,
        actor=actor,
        details={
            "invite_id": invite.id,
            "role": role.value,
            "expires_at": invite.expires_at.isoformat(),
        },
        now=now,
    )
    return invite


def join_with_invite(
    session: Session, *, user_id: int, name: str | None, code: str, now: datetime
) -> tuple[Taxpayer, Role]:
    """Use an invite: the user becomes a member with the invite's role; the code is spent."""
    invite = session.exec(select(Invite).where(Invite.code == code.strip())).first()
    if invite is None or invite.used_at is not None:
        raise NotFound(INVITE_NOT_VALID)
    if invite.expires_at <= now:
        raise NotFound("This invite link has expired. Ask the owner for a new one.")
    # Spent by one conditional statement: of two people using the link at once, the second
    # waits for the first's row lock, finds it used and is refused.
    spent = session.execute(
        update(Invite)
        .where(
            col(Invite.id) == invite.id,
            col(Invite.used_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .values(used_by=user_id, used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(INVITE_NOT_VALID)
    taxpayer = session.get(Taxpayer, invite.taxpayer_id)
    assert taxpayer is not None
    ensure_user(session, user_id=user_id, name=name, now=now)
    existing = session.exec(
        select(Membership).where(
            Membership.user_id == user_id, Membership.taxpayer_id == taxpayer.id
        )
    ).first()
    # Joining never lowers a role someone already has.
    rank = [Role.VIEWER, Role.APPROVER, Role.OWNER]
    role = Role(invite.role)
    if existing is not None and rank.index(Role(existing.role)) > rank.index(role):
        role = Role(existing.role)
    joiner = Actor.user(user_id)
    _add_member(session, taxpayer=taxpayer, user_id=user_id, role=role, actor=joiner, now=now)
    assert taxpayer.id is not None
    record_event(
        session,
        kind=EventKind.INVITE_USED,
        taxpayer_id=taxpayer.id,
        actor=joiner,
        details={"invite_id": invite.id, "role": role.value},
        now=now,
    )
    return taxpayer, role


def remove_member(
    session: Session, *, actor: Actor, gstin: str, user_id: int, now: datetime
) -> None:
    """Remove a member (owners only); the last owner cannot be removed."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=OWNER_ONLY)
    membership = session.exec(
        select(Membership).where(
            Membership.user_id == user_id, Membership.taxpayer_id == taxpayer.id
        )
    ).first()
    if membership is None:
        raise NotFound(f"That person is not a member of {taxpayer.gstin}.")
    if membership.role == Role.OWNER:
        owners = session.exec(
            select(Membership).where(
                Membership.taxpayer_id == taxpayer.id, Membership.role == Role.OWNER
            )
        ).all()
        if len(owners) == 1:
            raise InvalidInput(f"{taxpayer.gstin} needs at least one owner.")
    role = membership.role
    session.delete(membership)
    assert taxpayer.id is not None
    user = session.get(User, user_id)
    record_event(
        session,
        kind=EventKind.MEMBER_REMOVED,
        taxpayer_id=taxpayer.id,
        actor=actor,
        details={"user_id": user_id, "name": user.name if user else None, "role": role},
        now=now,
    )


def taxpayers_of(session: Session, *, user_id: int) -> list[tuple[Taxpayer, Role]]:
    """The GSTINs a user is a member of, with the role, for picking the active one."""
    rows = session.exec(
        select(Taxpayer, Membership)
        .join(Membership, Membership.taxpayer_id == Taxpayer.id)  # type: ignore[arg-type]
        .where(Membership.user_id == user_id)
        .order_by(Taxpayer.gstin)
    ).all()
    return [(t, Role(m.role)) for t, m in rows]


def choose_active(session: Session, *, user_id: int, gstin: str, now: datetime) -> Taxpayer:
    """Make `gstin` the user's working GSTIN in the bot (members only)."""
    taxpayer = taxpayer_for(session, actor=Actor.user(user_id), gstin=gstin)
    user = ensure_user(session, user_id=user_id, now=now)
    user.active_taxpayer_id = taxpayer.id
    return taxpayer


def active_taxpayer(session: Session, *, user_id: int) -> tuple[Taxpayer, Role] | None:
    """The GSTIN the user works on: the one picked with /gstin, else their only one."""
    memberships = taxpayers_of(session, user_id=user_id)
    user = session.get(User, user_id)
    for taxpayer, role in memberships:
        if user is not None and taxpayer.id == user.active_taxpayer_id:
            return taxpayer, role
    return memberships[0] if len(memberships) == 1 else None


MUTABLE_KINDS = {
    "digest": ("digest",),
    "supplier_alert": ("supplier_alert", "supplier_view_alert"),
    "team": ("team_bulk", "team_undo"),
    "reminders": ("reminder_2b", "reminder_3b", "reminder_pending", "reminder_s16_4"),
}


def muted_kinds(session: Session, *, user_id: int) -> set[str]:
    """The outbox kinds a user muted."""
    return set(session.exec(select(Mute.kind).where(Mute.user_id == user_id)).all())


def toggle_mute(session: Session, *, user_id: int, setting: str) -> bool:
    """Mute or unmute one setting of MUTABLE_KINDS; returns True when it is now muted."""
    kinds = MUTABLE_KINDS[setting]
    muted = muted_kinds(session, user_id=user_id)
    if set(kinds) <= muted:
        for mute in session.exec(select(Mute).where(Mute.user_id == user_id, Mute.kind.in_(kinds))):  # type: ignore[attr-defined]
            session.delete(mute)
        return False
    for kind in set(kinds) - muted:
        session.add(Mute(user_id=user_id, kind=kind))
    return True


def bind_group(session: Session, *, user_id: int, chat_id: int, now: datetime) -> Taxpayer:
    """Owners: the group gets the active GSTIN's digests (and, later, reminders)."""
    active = active_taxpayer(session, user_id=user_id)
    if active is None:
        raise NotFound("You are not a member of any GSTIN here.")
    taxpayer, role = active
    if role is not Role.OWNER:
        raise AccessDenied(f"Only an owner of {taxpayer.gstin} can bind a group to it.")
    assert taxpayer.id is not None
    known = session.exec(
        select(GroupBinding).where(
            GroupBinding.chat_id == chat_id, GroupBinding.taxpayer_id == taxpayer.id
        )
    ).first()
    if known is None:
        session.add(
            GroupBinding(chat_id=chat_id, taxpayer_id=taxpayer.id, bound_by=user_id, created_at=now)
        )
        record_event(
            session,
            kind=EventKind.GROUP_BOUND,
            taxpayer_id=taxpayer.id,
            actor=Actor.user(user_id),
            details={"chat_id": chat_id},
            now=now,
        )
    return taxpayer
