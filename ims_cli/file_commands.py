"""`ims` commands that move files: import, the IMS action upload, demo data."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ims_cli.demo_files import write_demo_files
from ims_cli.paths import MB, output_file, read_input
from ims_cli.store_commands import CLI, Result, open_store
from ims_domain.errors import ImsDomainError
from ims_domain.formats.demo import demo_records
from storage.db import transaction
from storage.exports import export_actions, mark_uploaded
from storage.settings import Settings
from storage.uploads import import_file


def import_command(args: argparse.Namespace, settings: Settings) -> Result:
    """Import one file; the format is told from its content."""
    data = read_input(args.file, max_mb=settings.max_file_mb)
    with transaction(open_store(settings)) as session:
        result = import_file(
            session,
            actor=CLI,
            gstin=args.gstin,
            data=data,
            filename=Path(args.file).name,
            max_bytes=settings.max_file_mb * MB,
            now=datetime.now(UTC),
        )
    payload: dict[str, Any] = {
        "format": result.format,
        "new": result.new,
        "changed": result.changed,
        "unchanged": result.unchanged,
        "refused": result.refused,
        "skipped": result.skipped,
        "duplicate": result.duplicate,
        "problems": [
            {
                "section": p.section,
                "index": p.index,
                "field": p.field,
                "reason": p.reason,
                "refused": p.refused,
            }
            for p in result.problems
        ],
        "notes": list(result.notes),
    }
    if result.duplicate:
        return payload, "This file was imported before; nothing changed."
    lines = [
        f"Imported {result.format}: {result.new} new, {result.changed} changed, "
        f"{result.unchanged} unchanged, {result.refused} refused."
    ]
    if result.skipped:
        lines.append(f"{result.skipped} records skipped: their recipients are not registered here.")
    lines += [f"  note: {note}" for note in result.notes]
    for problem in result.problems[:20]:
        where = (
            f"{problem.section}[{problem.index}]" if problem.index is not None else problem.section
        )
        mark = "refused" if problem.refused else "warning"
        lines.append(f"  {mark}: {where} {problem.field}: {problem.reason}")
    if len(result.problems) > 20:
        lines.append(f"  … and {len(result.problems) - 20} more (see --json)")
    return payload, "\n".join(lines)


def export_actions_command(args: argparse.Namespace, settings: Settings) -> Result:
    """Write the IMS action upload, or record that one was uploaded on the portal."""
    if args.mark_uploaded:
        data = read_input(args.mark_uploaded, max_mb=settings.max_file_mb)
        with transaction(open_store(settings)) as session:
            marked = mark_uploaded(
                session, actor=CLI, gstin=args.gstin, upload=data, now=datetime.now(UTC)
            )
        text = f"{marked.updated} actions recorded as uploaded to the portal."
        if marked.not_found:
            text += f" Not found here: {', '.join(marked.not_found[:10])}"
        return {"updated": marked.updated, "not_found": marked.not_found}, text
    if not args.out:
        raise ImsDomainError("give --out FILE to write the upload, or --mark-uploaded FILE")
    with transaction(open_store(settings)) as session:
        upload = export_actions(session, actor=CLI, gstin=args.gstin, rulebook=settings.rulebook())
    out = Path(args.out)
    paths = [out] + [
        out.with_name(f"{out.stem}-{n}{out.suffix}") for n in range(2, len(upload.files) + 1)
    ]
    for path, content in zip(paths, upload.files, strict=False):
        with output_file(path) as target:
            target.write(content)
    skipped = [f"{record.kind.label} {record.number}: {why}" for record, why in upload.skipped]
    result = {"files": [str(p) for p in paths[: len(upload.files)]], "skipped": skipped}
    if not upload.files:
        return result, "Nothing to upload: the portal already has every action taken here."
    text = f"Wrote {len(upload.files)} file(s): {', '.join(result['files'])}"
    if skipped:
        text += "\nLeft out:\n  " + "\n  ".join(skipped)
    return result, text


def demo_data_command(args: argparse.Namespace, settings: Settings) -> Result:
    """Write realistic, valid demo files in every format we read."""
    data = demo_records(
        recipients=args.recipients, suppliers=args.suppliers, records=args.records, seed=args.seed
    )
    written = write_demo_files(data, Path(args.out))
    text = f"Wrote {sum(written.values())} files to {args.out}: " + ", ".join(
        f"{count} {kind}" for kind, count in sorted(written.items())
    )
    return {"out": args.out, "files": written, "records": len(data.records)}, text
