"""Entry point of the `ims` command. Every command takes --json; an error is one line, exit 2."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError

from ims_cli import (
    audit_command,
    backup_commands,
    bot_command,
    domain_commands,
    file_commands,
    store_commands,
)
from ims_cli.bot_api import BotStartError
from ims_cli.redaction import SecretFilter
from ims_domain.errors import ImsDomainError
from ims_domain.periods import StateGroup
from storage.db import DEFAULT_DATABASE_URL
from storage.errors import UseCaseError
from storage.settings import Settings

Command = Callable[[argparse.Namespace, Settings], tuple[dict[str, Any], str]]
# Errors whose text is written for people; any other error is shown with its type's name.
KNOWN_ERRORS = (ImsDomainError, UseCaseError, BotStartError)


def _one_line(exc: BaseException, settings: Settings | None) -> str:
    """What went wrong, in one line, for the person at the terminal."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"setting IMS_{where.upper()}: {first['msg']}"
    if isinstance(exc, DBAPIError):
        url = make_url(settings.database_url if settings else DEFAULT_DATABASE_URL)
        return f"database {url.render_as_string(hide_password=True)}: {_first_line(exc.orig)}"
    if isinstance(exc, OSError):
        if exc.filename and exc.strerror:
            return f"{exc.filename}: {exc.strerror}"
        return exc.strerror or _first_line(exc)
    if isinstance(exc, KNOWN_ERRORS):
        return _first_line(exc)
    # Anything else is a fault of ours or of a library: named, but still one line.
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0] if text else type(exc).__name__


def _redacted(line: str, settings: Settings | None) -> str:
    """The line without the bot token, whatever library put it there."""
    token = settings.telegram_bot_token if settings else None
    return SecretFilter(token.get_secret_value()).redact(line) if token else line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ims", description="GST Invoice Management assistant")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    commands = parser.add_subparsers(dest="command", required=True)
    subs: list[argparse.ArgumentParser] = []

    def command(name: str, handler: Command, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        subs.append(sub)
        return sub

    check = command("gstin", domain_commands.gstin, "check a GSTIN")
    check.add_argument("gstin")
    check.add_argument("--strict", action="store_true", help="refuse lower case and spaces")

    cal = command("calendar", domain_commands.calendar, "GST deadlines of a GSTR-2B period")
    cal.add_argument("--period", help="MMYYYY (default: last month)")
    cal.add_argument("--today", help="YYYY-MM-DD (default: today, IST)")
    cal.add_argument("--qrmp", action="store_true", help="quarterly (QRMP) recipient")
    cal.add_argument("--state-group", type=StateGroup, choices=list(StateGroup))
    cal.add_argument("--gstin", help="the recipient's GSTIN (gives the state group)")

    _store_commands(commands, command, subs)
    _audit_command(command)
    _file_commands(command)
    for sub in subs:
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    return parser


def _store_commands(
    commands: Any,
    command: Callable[[str, Command, str], argparse.ArgumentParser],
    subs: list[argparse.ArgumentParser],
) -> None:
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="create or migrate the schema")
    upgrade.set_defaults(handler=store_commands.db_upgrade)
    subs.append(upgrade)

    taxpayer = commands.add_parser("taxpayer", help="registered GSTINs")
    taxpayer_commands = taxpayer.add_subparsers(dest="taxpayer_command", required=True)
    add = taxpayer_commands.add_parser("add", help="register a GSTIN")
    add.set_defaults(handler=store_commands.taxpayer_add)
    subs.append(add)
    add.add_argument("gstin")
    add.add_argument("--name", required=True, help="legal or trade name")
    add.add_argument("--qrmp", action="store_true", help="files GSTR-3B quarterly (QRMP)")
    add.add_argument("--state-group", choices=["A", "B"], help="QRMP due date 22nd (A) or 24th (B)")
    add.add_argument("--owner", type=int, help="Telegram id of the first owner")
    reminders = taxpayer_commands.add_parser(
        "settings", help="show a GSTIN's reminder settings; with options, change them"
    )
    reminders.set_defaults(handler=store_commands.taxpayer_settings)
    subs.append(reminders)
    reminders.add_argument("--gstin", required=True)
    reminders.add_argument("--remind-2b", help="days before GSTR-2B, e.g. 3,1 (1-10 each)")
    reminders.add_argument("--remind-3b", help="days before the GSTR-3B due date, e.g. 2 (0-10)")
    reminders.add_argument("--reminder-time", help="HH:MM IST (default 10:00)")
    reminders.add_argument("--quiet", help="quiet hours HH:MM-HH:MM IST, e.g. 21:00-08:00, or off")
    reminders.add_argument("--pending-warn", help="days before a Pending window ends (1-30)")

    inbox = command("inbox", store_commands.inbox, "a page of a GSTIN's records")
    _filters(inbox)
    inbox.add_argument("--limit", type=int, default=50, help="records per page (default 50)")
    inbox.add_argument("--after", help="continue after this position (printed as More:)")

    act = command("act", store_commands.act, "accept, reject, keep pending or reset one record")
    act.add_argument("--gstin", required=True, help="the recipient GSTIN")
    act.add_argument("--supplier", required=True, help="the supplier GSTIN (port code for impg)")
    act.add_argument("--kind", required=True, choices=list(store_commands.KINDS))
    act.add_argument("--number", required=True, help="document number")
    act.add_argument("--fy", help="financial year like 2025-26, when the number repeats")
    act.add_argument("--action", required=True, choices=list(store_commands.ACTIONS))
    act.add_argument("--remarks")
    act.add_argument("--itc-reduction", help="full, none, or IGST,CGST,SGST,CESS amounts")

    bulk = command("bulk", store_commands.bulk, "preview, or with --yes apply, a bulk action")
    _filters(bulk)
    bulk.add_argument("--action", required=True, choices=list(store_commands.ACTIONS))
    bulk.add_argument("--remarks")
    bulk.add_argument("--yes", action="store_true", help="apply (without it: preview only)")

    draft = command("gstr2b", store_commands.gstr2b, "the draft GSTR-2B of a period")
    draft.add_argument("--gstin", required=True)
    draft.add_argument("--period", required=True, help="MMYYYY")

    filed = command("filed", store_commands.filed, "mark GSTR-3B of a period as filed")
    filed.add_argument("--gstin", required=True)
    filed.add_argument("--period", required=True, help="MMYYYY")

    due = command("tick", store_commands.tick, "one pass of due work: period close, reminders")
    due.add_argument("--now", help="ISO date-time (default: now; without an offset: IST)")


def _audit_command(command: Callable[[str, Command, str], argparse.ArgumentParser]) -> None:
    trail = command("audit", audit_command.audit, "a GSTIN's audit trail, newest first")
    trail.add_argument("--gstin", required=True)
    trail.add_argument("--limit", type=int, default=50, help="entries to show (default 50)")


def _file_commands(command: Callable[[str, Command, str], argparse.ArgumentParser]) -> None:
    serve = command("run", bot_command.run_bot, "run the Telegram bot (long polling by default)")
    serve.add_argument(
        "--webhook-url", help="serve a webhook instead; Telegram posts to this public https base"
    )
    serve.add_argument("--port", type=int, default=8443, help="webhook port (default 8443)")
    serve.add_argument(
        "--listen", default="127.0.0.1", help="webhook address (default 127.0.0.1: behind a proxy)"
    )
    serve.add_argument(
        "--secret-token",
        help="secret Telegram sends back in a header (default: made once, kept in the database)",
    )

    load = command("import", file_commands.import_command, "import a GST file (told by content)")
    load.add_argument("file")
    load.add_argument("--gstin", required=True, help="the GSTIN the file is imported for")

    export = command(
        "export-actions", file_commands.export_actions_command, "the IMS action upload file"
    )
    export.add_argument("--gstin", required=True)
    export.add_argument("--out", help="write the upload here (more files get -2, -3 …)")
    export.add_argument("--mark-uploaded", help="record this uploaded file as the portal's state")

    backup = command("backup", backup_commands.backup_command, "back up the whole database")
    backup.add_argument("--out", required=True, help="the backup file to write")
    restore = command("restore", backup_commands.restore_command, "restore a backup")
    restore.add_argument("file", help="a file written by `ims backup`")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that already holds data"
    )

    demo = command("demo-data", file_commands.demo_data_command, "write demo files")
    demo.add_argument("--out", required=True, help="folder to write into")
    demo.add_argument("--recipients", type=int, default=2)
    demo.add_argument("--suppliers", type=int, default=20)
    demo.add_argument("--records", type=int, default=1000)
    demo.add_argument("--seed", type=int, default=1)


def _filters(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--gstin", required=True, help="the recipient GSTIN")
    sub.add_argument("--status", choices=list(store_commands.STATUSES))
    sub.add_argument("--supplier", help="supplier GSTIN")
    sub.add_argument("--kind", choices=list(store_commands.KINDS))
    sub.add_argument("--period", help="2B period MMYYYY")
    sub.add_argument("--from", dest="date_from", help="document date from, YYYY-MM-DD")
    sub.add_argument("--to", dest="date_to", help="document date to, YYYY-MM-DD")
    sub.add_argument("--min-value", help="document value from, rupees")
    sub.add_argument("--max-value", help="document value to, rupees")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, read as `ims` reads it (argparse exits 2 on a bad one)."""
    return _parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `ims` command; returns the process exit code."""
    args = parse_args(argv)
    handler: Command = args.handler
    settings: Settings | None = None
    try:
        settings = Settings()
        result, text = handler(args, settings)
    except KeyboardInterrupt:
        print(f"ims {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure is one line: no traceback reaches the person
        line = _redacted(_one_line(exc, settings), settings)
        print(f"ims {args.command}: {line}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(result, ensure_ascii=False) if args.json else text, flush=True)
    except BrokenPipeError:  # the reader went away (`ims … | head`): the work is done
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
