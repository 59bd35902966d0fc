"""What every handler needs, built once in `bot.app.build_application` and kept in bot_data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from telegram.ext import ContextTypes

from storage.rulebook import RuleBook
from storage.settings import Settings


@dataclass(frozen=True)
class Deps:
    """The store, the rules and the deployment's settings."""

    engine: Engine
    rulebook: RuleBook
    settings: Settings
    bot_username: str = ""


def deps_of(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    """The handler's dependencies."""
    deps: Deps = context.bot_data["deps"]
    return deps
