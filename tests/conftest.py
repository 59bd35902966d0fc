"""Shared test helpers: the location of the licensed sample files in ../shared."""

from pathlib import Path

import pytest

pytest_plugins = ["tests.storage_fixtures"]

SHARED_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


@pytest.fixture
def shared_samples() -> Path:
    """The ../shared/samples folder; the test is skipped when it is absent (e.g. a bare clone)."""
    if not SHARED_SAMPLES.is_dir():
        pytest.skip("../shared/samples is absent")
    return SHARED_SAMPLES
