"""The `ims` commands over the store, on SQLite and PostgreSQL: --json shapes, one-line errors."""

import json

import pytest
from sqlalchemy import Engine

from ims_cli.main import main
from ims_domain.records import RecordKind
from tests.builders import RECIPIENT, SUPPLIER
from tests.integration.store_helpers import do_import, invoices


@pytest.fixture
def cli(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    """Runs `ims` against the test database; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("IMS_DATABASE_URL", db_url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_register_import_act_bulk_draft_and_file(cli, engine: Engine) -> None:
    code, out, _ = cli(
        "--json", "taxpayer", "add", RECIPIENT, "--name", "Acme Traders", "--owner", "42"
    )
    assert code == 0
    assert json.loads(out)["gstin"] == RECIPIENT
    do_import(
        engine, invoices(3) + invoices(1, kind=RecordKind.CREDIT_NOTE, prefix="CN", igst="500")
    )

    code, out, _ = cli("inbox", "--gstin", RECIPIENT, "--json", "--kind", "b2b")
    assert code == 0
    assert [item["number"] for item in json.loads(out)["items"]] == ["INV-2", "INV-1", "INV-0"]

    code, out, err = cli(
        "act",
        "--gstin",
        RECIPIENT,
        "--supplier",
        SUPPLIER,
        "--kind",
        "b2b",
        "--number",
        "inv-1",
        "--action",
        "reject",
        "--remarks",
        "not ordered",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["action"] == "rejected"

    code, out, _ = cli(
        "bulk", "--gstin", RECIPIENT, "--action", "reject", "--kind", "b2b", "--json"
    )
    # The rejected invoice is already rejected: it matches but is left alone.
    assert json.loads(out)["skipped"] == 1
    code, out, _ = cli(
        "bulk", "--gstin", RECIPIENT, "--action", "accept", "--status", "no_action", "--json"
    )
    assert json.loads(out) == {
        "applied": False,
        "action": "accepted",
        "count": 3,
        "taxes": {"igst": "4100.00", "cgst": "0.00", "sgst": "0.00", "cess": "0.00"},
        "skipped": 0,
    }
    code, out, _ = cli(
        "bulk", "--gstin", RECIPIENT, "--action", "accept", "--status", "no_action", "--yes"
    )
    assert code == 0
    assert out.startswith("Marked 3 records accepted (tax ₹4,100.00)")

    code, out, _ = cli("--json", "gstr2b", "--gstin", RECIPIENT, "--period", "102025")
    assert json.loads(out) == {
        "gstin": RECIPIENT,
        "period": "102025",
        "itc_available": {"igst": "3600.00", "cgst": "0.00", "sgst": "0.00", "cess": "0.00"},
        "itc_rejected": {"igst": "1800.00", "cgst": "0.00", "sgst": "0.00", "cess": "0.00"},
        "pending": {"igst": "0.00", "cgst": "0.00", "sgst": "0.00", "cess": "0.00"},
        "credit_note_reduction": {"igst": "500.00", "cgst": "0.00", "sgst": "0.00", "cess": "0.00"},
        "counts": {"accepted": 3, "deemed": 0, "rejected": 1, "pending": 0, "no_action": 0},
    }

    assert cli("filed", "--gstin", RECIPIENT, "--period", "102025")[0] == 0
    code, _, err = cli(
        "act",
        "--gstin",
        RECIPIENT,
        "--supplier",
        SUPPLIER,
        "--kind",
        "b2b",
        "--number",
        "INV-1",
        "--action",
        "accept",
    )
    assert code == 2
    assert err.startswith("ims act: GSTR-3B for this period is filed")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["inbox", "--gstin", "29AAGCB7383J1Z4"], "GSTIN 29AAGCB7383J1Z4 is not registered here."),
        (
            ["taxpayer", "add", "27AAPFU0939F1ZX", "--name", "X"],
            "check character is 'X', expected 'V'",
        ),
        (["taxpayer", "add", "12AJIPA1572E1C7", "--name", "X"], "e-commerce operator (TCS)"),
        (["gstr2b", "--gstin", RECIPIENT, "--period", "2025-10"], "is not MMYYYY"),
        (["inbox", "--gstin", RECIPIENT, "--after", "zzz"], "page position 'zzz' is not valid"),
        (
            ["inbox", "--gstin", RECIPIENT, "--min-value", "ten"],
            "--min-value 'ten' is not an amount",
        ),
    ],
)
def test_errors_are_one_clear_line(cli, argv: list[str], message: str) -> None:
    cli("taxpayer", "add", RECIPIENT, "--name", "Acme Traders")
    code, out, err = cli(*argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert err.count("\n") == 1


def test_remarks_over_the_limit_are_refused_naming_it_never_cut(cli, engine: Engine) -> None:
    assert cli("taxpayer", "add", RECIPIENT, "--name", "Acme Traders")[0] == 0
    do_import(engine, invoices(2))
    long = "x" * 201
    act = ("act", "--gstin", RECIPIENT, "--supplier", SUPPLIER, "--kind", "b2b")
    code, _, err = cli(*act, "--number", "INV-1", "--action", "reject", "--remarks", long)
    assert code == 2
    assert "limited to 200 characters (these have 201)" in err
    for extra in ((), ("--yes",)):
        bulk = ("bulk", "--gstin", RECIPIENT, "--action", "reject", "--remarks", long, *extra)
        code, _, err = cli(*bulk)
        assert code == 2
        assert "limited to 200 characters (these have 201)" in err
    code, out, _ = cli("inbox", "--gstin", RECIPIENT, "--json")
    assert {item["status"] for item in json.loads(out)["items"]} == {"no action"}
