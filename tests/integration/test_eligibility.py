"""The SQL half of bulk eligibility agrees with `decide` on every kind of record (R1.3-R3.7)."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import not_, select
from sqlmodel import Session, SQLModel

from ims_domain.actions import ActionRequest
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, RecordKind
from storage.access import Actor
from storage.acting import decision_for
from storage.bulk import python_allowed
from storage.convert import content_columns
from storage.db import make_engine
from storage.eligibility import C, decided_in_python, eligible_in_sql
from storage.models import Channel, PeriodState, RecordRow, records_table
from storage.rulebook import RuleBook
from storage.taxpayers import register_taxpayer
from tests.builders import RECIPIENT, record

RULES = RuleBook()
NOW = datetime(2025, 11, 20, 6, 0, tzinfo=UTC)
PERIODS = [
    ReturnPeriod(2024, 9),
    ReturnPeriod(2025, 9),
    ReturnPeriod(2025, 10),
    ReturnPeriod(2025, 11),
]

rows = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(list(RecordKind)),
            "period": st.sampled_from([*PERIODS, None]),
            "action": st.sampled_from(list(Action)),
            "pending_blocked": st.sampled_from([None, True, False]),
            "reverse_charge": st.booleans(),
            "igst": st.sampled_from(["0", "100", "1800"]),
        }
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=rows, filed=st.booleans(), days=st.integers(min_value=0, max_value=90))
def test_sql_and_python_halves_together_equal_decide(
    specs: list[dict], filed: bool, days: int
) -> None:
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    now = NOW + timedelta(days=days)
    with Session(engine) as session, session.begin():
        taxpayer = register_taxpayer(
            session, actor=Actor.system(Channel.CLI), gstin=RECIPIENT, name="Acme", now=NOW
        )
        for i, spec in enumerate(specs):
            doc = record(
                spec["kind"],
                number=f"D{i}",
                period=spec["period"],
                igst=spec["igst"],
                document_date=date(2025, 9, 1),
                pending_blocked=spec["pending_blocked"],
                reverse_charge=spec["reverse_charge"],
                supplier="INNSA1" if spec["kind"].is_import else "29AAGCB7383J1Z4",
            )
            session.execute(
                records_table().insert(),
                {
                    **content_columns(doc),
                    "taxpayer_id": taxpayer.id,
                    "identity": doc.key.text,
                    "action": spec["action"].value,
                    "version": 1,
                    "content_hash": str(i),
                    "created_at": NOW,
                    "updated_at": NOW,
                    "deemed": False,
                },
            )
        if filed:
            session.add(PeriodState(taxpayer_id=taxpayer.id, period=202509, gstr3b_filed_at=NOW))
        session.flush()
        everything = C.taxpayer_id == taxpayer.id
        stored = session.execute(select(RecordRow).where(everything)).scalars().all()
        for action in Action:
            expected = {
                row.id
                for row in stored
                if row.action != action.value
                and decision_for(
                    session,
                    taxpayer=taxpayer,
                    row=row,
                    request=ActionRequest(action),
                    rulebook=RULES,
                    now=now,
                ).allowed
            }
            in_sql = set(
                session.execute(
                    select(C.id).where(
                        everything, not_(decided_in_python(action)), eligible_in_sql(action)
                    )
                ).scalars()
            )
            in_python = {
                row.id
                for row, _ in python_allowed(
                    session,
                    taxpayer=taxpayer,
                    matching=everything,
                    action=action,
                    remarks=None,
                    rulebook=RULES,
                    now=now,
                )
            }
            assert in_sql | in_python == expected, action
    engine.dispose()
