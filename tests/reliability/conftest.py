"""The reliability suite's scale (quick or long) and its printed summary."""

from __future__ import annotations

import pytest

from tests.reliability import summary
from tests.reliability.scale import Scale, scale_of


@pytest.fixture(scope="session")
def scale(pytestconfig: pytest.Config) -> Scale:
    """The sizes of this run: quick by default, long with --reliability-long."""
    return scale_of(pytestconfig)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """After a long run, the figures as markdown tables for docs/reliability.md."""
    if summary.TABLES and scale_of(config).long:
        terminalreporter.write_sep("=", "reliability summary (markdown, for docs/reliability.md)")
        terminalreporter.write_line(summary.markdown())
