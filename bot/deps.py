"""What every handler needs, built once in `bot.app.build_application` and kept in bot_data."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from telegram.ext import ContextTypes

from bot.limits import Limits
from storage.rulebook import RuleBook
from storage.settings import Settings


@dataclass(frozen=True)
class Deps:
    """The store, the rules, the deployment's settings and the per-user limits."""

    engine: Engine
    rulebook: RuleBook
    settings: Settings
    bot_username: str = ""
    limits: Limits = field(default_factory=lambda: Limits.of(taps_per_minute=0, uploads_per_hour=0))


def deps_of(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    """The handler's dependencies."""
    deps: Deps = context.bot_data["deps"]
    return deps
