"""The dashboards' CSV export and the commit count recorded on push, on real git."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

from nbopen.analytics.dashboards import flatten, to_csv
from nbopen.repos.git.read import count_pushed_commits


def test_csv_is_lossless_and_defuses_spreadsheet_formulas() -> None:
    data = {
        "month": "2026-10",
        "metrics": {"activity": 5.02, "private": False},
        "rows": [{"name": "=HYPERLINK(1)", "value": None}],
    }
    assert dict(flatten(data))["metrics.activity"] == 5.02
    rows = list(csv.reader(io.StringIO(to_csv(data))))
    assert rows[0] == ["path", "value"]
    table = dict(rows[1:])
    assert table == {
        "month": "2026-10",
        "metrics.activity": "5.02",
        "metrics.private": "false",
        "rows.0.name": "'=HYPERLINK(1)",
        "rows.0.value": "",
    }


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_commits_of_a_push(tmp_path: Path) -> None:
    bare, work = tmp_path / "b.git", tmp_path / "w"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    for n in range(3):
        _git(work, "commit", "-q", "--allow-empty", "-m", f"c{n}")
    _git(work, "push", "-q", str(bare), "main")
    head = _git(work, "rev-parse", "HEAD")
    zero = "0" * 40
    # A new branch: every commit no other ref reaches (HEAD points at it: not "another ref").
    assert count_pushed_commits(bare, old=zero, new=head, ref="refs/heads/main") == 3
    first = _git(work, "rev-parse", "HEAD~2")
    _git(work, "push", "-q", str(bare), f"{first}:refs/heads/old")
    assert count_pushed_commits(bare, old=zero, new=first, ref="refs/heads/old") == 0
    assert count_pushed_commits(bare, old=first, new=head, ref="refs/heads/main") == 2
    assert count_pushed_commits(bare, old=head, new=zero, ref="refs/heads/main") == 0
