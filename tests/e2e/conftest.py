"""e2e hooks: the permission matrix reports how many cells it has (issue 13, item 5)."""

from __future__ import annotations

import pytest

_MATRIX = "test_permission_matrix.py::test_cell["
_KEY = pytest.StashKey[list[tuple[str, ...]]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cells = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if _MATRIX in item.nodeid and callspec is not None:
            params = callspec.params
            cells.append((params["channel"], params["principal"], params["visibility"]))
    config.stash[_KEY] = cells


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    cells = terminalreporter.config.stash.get(_KEY, [])
    if not cells:
        return
    channels, principals, visibilities = (len({c[i] for c in cells}) for i in range(3))
    outcomes: dict[str, int] = {}
    for outcome, reports in terminalreporter.stats.items():
        for report in reports:
            # One report per cell: its call, or its setup when it never got that far.
            when = getattr(report, "when", None)
            counted = when == "call" or (when == "setup" and outcome in {"skipped", "error"})
            if counted and _MATRIX in getattr(report, "nodeid", ""):
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    ran = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
    terminalreporter.write_line(
        f"permission matrix: {len(cells)} cells ({channels} channels × {principals} principals"
        f" × {visibilities} visibilities)" + (f": {ran}" if ran else "")
    )
