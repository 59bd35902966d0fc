"""Shared test helpers: the location of the licensed sample files in ../shared, and options."""

from pathlib import Path

import pytest

pytest_plugins = ["tests.storage_fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """--reliability-long: the long reliability run (tests/reliability, see docs/reliability.md)."""
    parser.addoption(
        "--reliability-long",
        action="store_true",
        help="run tests/reliability at full length (also IMS_RELIABILITY_LONG=1); prints a "
        "markdown summary at the end",
    )


SHARED_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


@pytest.fixture
def shared_samples() -> Path:
    """The ../shared/samples folder; the test is skipped when it is absent (e.g. a bare clone)."""
    if not SHARED_SAMPLES.is_dir():
        pytest.skip("../shared/samples is absent")
    return SHARED_SAMPLES
