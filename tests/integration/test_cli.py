"""The `ims` command: results, --json, and one-line errors with a non-zero exit."""

import json
from pathlib import Path

import pytest

from ims_cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_gstin_is_checked_leniently_and_explained(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", "gstin", " 27aapfu0939f1zv ")
    assert code == 0
    assert json.loads(out) == {
        "gstin": "27AAPFU0939F1ZV",
        "kind": "regular",
        "state_code": "27",
        "state": "Maharashtra",
        "pan": "AAPFU0939F",
    }


def test_bad_gstin_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "gstin", "27AAPFU0939F1ZX")
    assert code == 2
    assert out == ""
    assert err == "ims gstin: GSTIN 27AAPFU0939F1ZX: check character is 'X', expected 'V'\n"


def test_R6_4_calendar_of_a_qrmp_recipient_in_delhi(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "calendar", "--json", "--period", "112025", "--qrmp", "--gstin", "07AAPFU0939F1ZX"
    )
    assert code == 0
    assert json.loads(out) == {
        "period": "112025",
        "frequency": "quarterly",
        "gstr1_due": "2025-12-11",
        "gstr2b_generated": "2026-01-14",
        "gstr3b_due": "2026-01-24",
        "specified_pending_until": "2026-04-24",
    }


def test_calendar_text_counts_days_left(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calendar", "--today", "2025-11-05")
    assert code == 0
    assert "GSTR-2B period Oct-2025 (monthly recipient)" in out
    assert "14-Nov-2025  (9 days)" in out


def test_due_date_overrides_file_moves_the_3b_and_pending_dates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overrides = tmp_path / "due.toml"
    overrides.write_text('[gstr3b]\n"112025" = 2025-12-27\n', encoding="utf-8")
    monkeypatch.setenv("IMS_DUE_DATE_OVERRIDES_FILE", str(overrides))
    code, out, _ = run(capsys, "--json", "calendar", "--period", "102025")
    assert code == 0
    assert json.loads(out)["specified_pending_until"] == "2025-12-27"


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["calendar", "--period", "132025"], {}, "month 13 is not 01-12"),
        (["calendar", "--today", "2025-13-01"], {}, "--today '2025-13-01' is not a date"),
        (["calendar", "--qrmp"], {}, "needs --state-group A|B or --gstin"),
        (["calendar"], {"IMS_REMARKS_MAX_LEN": "0"}, "setting IMS_REMARKS_MAX_LEN"),
        (["calendar"], {"IMS_DUE_DATE_OVERRIDES_FILE": "/no/such.toml"}, "/no/such.toml"),
    ],
)
def test_errors_name_what_is_wrong(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_ims_run_without_a_token_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("IMS_DATABASE_URL", f"sqlite:///{tmp_path / 'run.db'}")
    code, _, err = run(capsys, "run")
    assert code == 2
    assert err == "ims run: TELEGRAM_BOT_TOKEN is not set\n"
