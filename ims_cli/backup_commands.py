"""`ims backup` and `ims restore`: the whole database to one file and back."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import make_url

from ims_cli.paths import MB, output_file, regular_file
from ims_cli.store_commands import Result, check_database_folder
from storage.backup import backup_database, restore_database
from storage.settings import Settings


def backup_command(args: argparse.Namespace, settings: Settings) -> Result:
    """Write a consistent backup of the configured database to --out (safe while the bot runs)."""
    out = Path(args.out)
    with output_file(out) as target:
        size = backup_database(settings.database_url, target)
    database = _shown(settings.database_url)
    result = {"database": database, "out": str(out), "bytes": size}
    return result, f"Backed up {database} to {out} ({size / MB:.1f} MB)."


def restore_command(args: argparse.Namespace, settings: Settings) -> Result:
    """Replace the configured database by a backup; one that holds data only with --force."""
    source = regular_file(args.file)
    check_database_folder(settings.database_url)
    counts = restore_database(settings.database_url, source, force=args.force)
    database = _shown(settings.database_url)
    lines = [f"Restored {source} into {database}; rows per table:"]
    lines += [f"  {name}: {count}" for name, count in counts.items()]
    return {"database": database, "file": str(source), "tables": counts}, "\n".join(lines)


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
