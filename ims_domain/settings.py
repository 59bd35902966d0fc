"""Named settings for the rules that ims-rules.md marks uncertain (its open questions OQ…).

Each default is the safe interim behaviour of ims-rules.md section 11; adapters fill these from
the deployment's configuration (see .env.example).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PendingExpiry(StrEnum):
    """What a specified record still Pending when its one-period window ends becomes (OQ13)."""

    DEEMED_ACCEPT = "deemed_accept"
    KEEP_PENDING = "keep_pending"


@dataclass(frozen=True)
class RulesSettings:
    """The uncertain rules' knobs; the defaults are the safe choices of ims-rules.md OQ1-OQ13."""

    # OQ13 (`ims.pending_expiry_treatment`): at the next 2B generation after the window closes.
    pending_expiry_treatment: PendingExpiry = PendingExpiry.DEEMED_ACCEPT
    # OQ10 (`ims.remark_required_for_partial_or_nil`).
    remark_required_for_partial_or_nil: bool = True
    # OQ9 (`ims.remarks_max_len`): a conservative guess at the portal's limit.
    remarks_max_len: int = 200
    # OQ3 (`itc.s16_4_warn_days`): warn this many days before the s.16(4) limit.
    s16_4_warn_days: int = 60
    # R2.7: the 2B of a period comes once the GSTR-3B before it is filed, which the store knows
    # only when someone marks it (/filed, `ims filed`). True: a GSTR-3B not marked counts as
    # filed at the end of its due date, so the next 2B is not held back forever; False: it
    # waits for the mark. Never used for the R2.6 lock, which needs a real mark.
    gstr3b_filed_by_due_date: bool = True
