"""One awaited input per person, in the store: replaced by a newer prompt, forgotten when old."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from storage.db import transaction
from storage.prompts import AWAIT_FOR, await_input, drop_input, take_input
from tests.integration.store_helpers import NOW


def test_the_newest_prompt_is_what_the_next_text_answers_once(engine: Engine) -> None:
    with transaction(engine) as session:
        await_input(session, user_id=7, kind="amounts", payload={"record_id": 1}, now=NOW)
        await_input(session, user_id=7, kind="remark", payload={"record_id": 2}, now=NOW)
        await_input(session, user_id=8, kind="remark", payload={"record_id": 3}, now=NOW)
    with transaction(engine) as session:
        assert take_input(session, user_id=7, now=NOW) == ("remark", {"record_id": 2})
        assert take_input(session, user_id=7, now=NOW) is None
        drop_input(session, user_id=8)
        assert take_input(session, user_id=8, now=NOW) is None


def test_an_input_awaited_too_long_is_forgotten(engine: Engine) -> None:
    with transaction(engine) as session:
        await_input(session, user_id=7, kind="remark", payload={}, now=NOW)
    with transaction(engine) as session:
        late = NOW + AWAIT_FOR + timedelta(seconds=1)
        assert take_input(session, user_id=7, now=late) is None
