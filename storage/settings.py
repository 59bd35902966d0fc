"""The deployment's settings, read from the environment and an optional `.env` file.

Every setting is documented in `.env.example`. The rules' uncertain behaviours (ims-rules.md
OQ3, OQ9, OQ10, OQ13) and government due-date extensions are configured here and handed to
`ims_domain` as plain values.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ims_domain.periods import GstCalendar, parse_due_date_overrides
from ims_domain.settings import PendingExpiry, RulesSettings
from ims_domain.text_limits import REMARKS_MAX
from storage.db import DEFAULT_DATABASE_URL
from storage.rulebook import RuleBook

TELEGRAM_API = "https://api.telegram.org"


class Settings(BaseSettings):
    """Settings named IMS_* in the environment or `.env`."""

    model_config = SettingsConfigDict(
        env_prefix="IMS_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # Telegram (names without the IMS_ prefix, as the Bot API documents them).
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias="TELEGRAM_BOT_TOKEN"
    )
    # A self-hosted Bot API server, or a test server; empty means api.telegram.org.
    telegram_api_base_url: str | None = Field(
        default=None, validation_alias="TELEGRAM_API_BASE_URL"
    )
    telegram_file_base_url: str | None = Field(
        default=None, validation_alias="TELEGRAM_FILE_BASE_URL"
    )
    # Telegram ids that administer this deployment (register GSTINs), comma-separated.
    admin_ids: str = ""

    database_url: str = DEFAULT_DATABASE_URL
    undo_window_minutes: int = Field(default=10, ge=0)
    # How often the bot looks for notifications to send (seconds).
    outbox_interval_seconds: float = Field(default=2.0, gt=0)
    # How often the bot runs the due work of the calendar (period close, reminders, digests);
    # 0 runs none in the bot, for a deployment that runs `ims tick` from cron instead.
    deadlines_interval_seconds: float = Field(default=300.0, ge=0)
    # Largest file accepted for import; Telegram lets a bot download at most 20 MB.
    max_file_mb: int = Field(default=20, ge=1)
    # Per-user limits in the bot (0: none): button taps a minute, files an hour. Each allows a
    # burst of its whole allowance; a person reviewing fast taps about one button a second.
    tap_limit_per_minute: int = Field(default=120, ge=0)
    upload_limit_per_hour: int = Field(default=60, ge=0)
    # TOML file of due dates extended by notification (see docs/due-date-overrides.example.toml).
    due_date_overrides_file: Path | None = None
    # itc.s16_4_deadline (OQ3): the month and day after the FY's end, as MM-DD.
    s16_4_deadline: str = "11-30"
    s16_4_warn_days: int = Field(default=60, ge=0)
    # R2.7: an unmarked GSTR-3B counts as filed after its due date (see ims_domain.settings).
    gstr3b_filed_by_due_date: bool = True
    pending_expiry_treatment: PendingExpiry = PendingExpiry.DEEMED_ACCEPT
    remark_required_for_partial_or_nil: bool = True
    # At most what the store keeps of a remark read from a file (text_limits.REMARKS_MAX).
    remarks_max_len: int = Field(default=200, ge=1, le=REMARKS_MAX)

    @field_validator("s16_4_deadline")
    @classmethod
    def _month_day(cls, value: str) -> str:
        month, _, day = value.partition("-")
        if not (value.isascii() and month.isdigit() and day.isdigit()):
            raise ValueError(f"IMS_S16_4_DEADLINE {value!r} is not MM-DD, e.g. 11-30")
        return value

    @property
    def telegram_api_root(self) -> str:
        """The Bot API server: TELEGRAM_API_BASE_URL, given with or without /bot, or Telegram's."""
        return _without_suffix(self.telegram_api_base_url or TELEGRAM_API, "/bot")

    @property
    def telegram_file_root(self) -> str | None:
        """Its files: TELEGRAM_FILE_BASE_URL, with or without /file/bot (None: ptb's default)."""
        if not self.telegram_file_base_url:
            return None
        return _without_suffix(self.telegram_file_base_url, "/file/bot")

    @property
    def admins(self) -> frozenset[int]:
        """The Telegram ids of this deployment's administrators."""
        parts = [part.strip() for part in self.admin_ids.split(",") if part.strip()]
        try:
            return frozenset(int(part) for part in parts)
        except ValueError:
            raise ValueError(
                f"IMS_ADMIN_IDS {self.admin_ids!r} is not a comma-separated list of ids"
            ) from None

    def rules(self) -> RulesSettings:
        """The rules engine's settings."""
        return RulesSettings(
            pending_expiry_treatment=self.pending_expiry_treatment,
            remark_required_for_partial_or_nil=self.remark_required_for_partial_or_nil,
            remarks_max_len=self.remarks_max_len,
            s16_4_warn_days=self.s16_4_warn_days,
            gstr3b_filed_by_due_date=self.gstr3b_filed_by_due_date,
        )

    def rulebook(self) -> RuleBook:
        """Everything the use cases apply: calendar, rule settings, undo window."""
        return RuleBook(
            calendar=self.calendar(),
            settings=self.rules(),
            undo_window=timedelta(minutes=self.undo_window_minutes),
        )

    def calendar(self) -> GstCalendar:
        """The GST calendar with this deployment's due-date overrides."""
        month, day = (int(part) for part in self.s16_4_deadline.split("-"))
        if self.due_date_overrides_file is None:
            return GstCalendar(s16_4_month_day=(month, day))
        try:
            text = self.due_date_overrides_file.read_text(encoding="utf-8")
        except OSError as exc:
            path = self.due_date_overrides_file
            raise OSError(f"IMS_DUE_DATE_OVERRIDES_FILE {path}: {exc.strerror}") from exc
        return GstCalendar(overrides=parse_due_date_overrides(text), s16_4_month_day=(month, day))


def _without_suffix(url: str, suffix: str) -> str:
    """`url` without a trailing slash and without `suffix` at its end."""
    url = url.strip().rstrip("/")
    return url.removesuffix(suffix).rstrip("/")
