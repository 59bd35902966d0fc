"""What people do to a GSTIN through the bot lands in the event log with who did it."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import EventLog
from tests.e2e.conftest import ADMIN, Running
from tests.e2e.test_bot import APPROVER, OWNER, VIEWER, onboard, said, tapped


async def test_registration_team_changes_a_binding_and_settings_are_audited(bot: Running) -> None:
    users = await onboard(bot)  # the admin registers Acme; the owner invites two people
    owner = users[OWNER]
    team = await said(bot, owner, "/team")
    assert await tapped(bot, owner, team, "Remove Meena") == "Removed."
    group = bot.tg.group(chat_id=-900, title="Acme accounts")
    await owner.send("/bind", chat=group)
    await bot.tg.wait_for(lambda: group.messages()[0])
    await said(bot, owner, "/settings quiet off")
    with Session(bot.engine) as session:
        events = session.exec(select(EventLog).order_by(EventLog.id)).all()  # type: ignore[arg-type]
    assert [(e.kind, e.user_id, e.channel) for e in events] == [
        ("taxpayer_registered", ADMIN, "bot"),
        ("member_added", ADMIN, "bot"),
        ("invite_created", OWNER, "bot"),
        ("member_added", APPROVER, "bot"),
        ("invite_used", APPROVER, "bot"),
        ("invite_created", OWNER, "bot"),
        ("member_added", VIEWER, "bot"),
        ("invite_used", VIEWER, "bot"),
        ("member_removed", OWNER, "bot"),
        ("group_bound", OWNER, "bot"),
        ("settings_changed", OWNER, "bot"),
    ]
    assert events[-3].details == {"user_id": VIEWER, "name": "Meena", "role": "viewer"}
    assert events[-2].details == {"chat_id": -900}
