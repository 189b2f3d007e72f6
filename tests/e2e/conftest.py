"""e2e hooks: the permission matrix reports how many cells it has (issue 13, item 5)."""

from __future__ import annotations

import pytest

_MATRIX = "test_permission_matrix.py::test_cell["
_KEY = pytest.StashKey[set[tuple[str, ...]]]()


def _cell(nodeid: str) -> tuple[str, ...] | None:
    """(channel, principal, visibility) of a matrix cell's node id (names hold no "-")."""
    if _MATRIX not in nodeid:
        return None
    parts = nodeid.split(_MATRIX, 1)[1].rstrip("]").split("-")
    return tuple(parts) if len(parts) == 3 else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    config.stash[_KEY] = {cell for item in items if (cell := _cell(item.nodeid))}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    cells = set(terminalreporter.config.stash.get(_KEY, set()))
    outcomes: dict[str, int] = {}
    for outcome, reports in terminalreporter.stats.items():
        for report in reports:
            cell = _cell(getattr(report, "nodeid", ""))
            # One report per cell: its call, or its setup when it never got that far.
            when = getattr(report, "when", None)
            if cell is None or not (
                when == "call" or (when == "setup" and outcome in {"skipped", "error"})
            ):
                continue
            cells.add(cell)  # under xdist the controller collects nothing itself
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if not cells:
        return
    channels, principals, visibilities = (len({c[i] for c in cells}) for i in range(3))
    ran = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
    terminalreporter.write_line(
        f"permission matrix: {len(cells)} cells ({channels} channels × {principals} principals"
        f" × {visibilities} visibilities)" + (f": {ran}" if ran else "")
    )
