"""The warm scoring pool against hostile host scorers (issue 15): each job is a fresh forked
child with its own limits, so a scorer that loops, allocates without end, calls out or
reads another competition's ground truth fails with its reason, and the next submission
scores normally in the same zygote."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nbopen.challenges import sandbox
from nbopen.config.env import CONFIG
from tests.support.scoring import outcome, score_request

LIMITS = {"cpu": 3, "wall": 8, "memory": 300 << 20, "output": 8 << 20}

SCORER = """
import os
import socket


def evaluate(ground_truth_path, submission_path, phase):
    mode = open(submission_path).read().strip()
    if mode == "loop":
        while True:
            pass
    if mode == "sleep":
        import time
        time.sleep(60)
    if mode == "memory":
        blocks = []
        while True:
            blocks.append(bytearray(50 << 20))
    if mode == "network":
        socket.create_connection(("127.0.0.1", 1), timeout=2)
    if mode == "peek":
        return {"public": {"score": len(open(PEEK).read())}}
    if mode == "sibling":
        return {"public": {"score": len(open("../other-job/ground_truth.csv").read())}}
    if mode == "pid":
        return {"public": {"score": os.getpid()}}
    return {"public": {"score": 0.75}}
"""


def _run(tmp_path: Path, mode: str, peek: Path | None = None) -> tuple[str, dict]:
    work = tmp_path / f"{mode}-{len(list(tmp_path.iterdir()))}"
    work.mkdir()
    (work / "gt.csv").write_text("id,target\na,1\n")
    (work / "sub.txt").write_text(mode)
    (work / "scorer.py").write_text(SCORER + f"\nPEEK = {str(peek)!r}\n")
    request = score_request(
        work / "gt.csv",
        work / "sub.txt",
        metric="score",
        data_dir=CONFIG.data_dir,
        scorer=work / "scorer.py",
    )
    return outcome(request, work, LIMITS)


@pytest.mark.once
def test_hostile_scorers_fail_and_the_next_one_scores(tmp_path: Path) -> None:
    # Another competition's ground truth, where the vault keeps it: under the data dir.
    other = CONFIG.data_dir / "storage" / "challenges" / "other-ground-truth"
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_text("id,target\nsecret,42\n")
    try:
        assert _run(tmp_path, "ok") == ("scored", {"public": {"score": 0.75}})
        assert _run(tmp_path, "loop")[0] in {"cpu", "timeout"}
        assert _run(tmp_path, "sleep") == ("timeout", {"seconds": LIMITS["wall"]})
        assert _run(tmp_path, "memory") == ("memory", {"mib": 300})
        code, detail = _run(tmp_path, "network")
        assert code == "scorer_error", detail
        code, detail = _run(tmp_path, "peek", peek=other)
        assert code == "scorer_error", detail  # hidden (tmpfs) or refused (audit hook)
        assert "42" not in str(detail)
        # Another competition's job scored at the same time: its work dir is a sibling.
        sibling = tmp_path / "other-job" / "ground_truth.csv"
        sibling.parent.mkdir()
        sibling.write_text("id,target\nsecret,42\n")
        if sandbox.isolation() == "namespaces":  # the audit-hook fallback does not hide it
            for mode, peek in (("peek", sibling), ("sibling", None)):
                code, detail = _run(tmp_path, mode, peek=peek)
                assert code == "scorer_error" and "FileNotFoundError" in detail["error"], detail
        # Each submission is a fresh process (its own limits), the zygote is reused.
        first = _run(tmp_path, "pid")[1]["public"]["score"]
        assert _run(tmp_path, "pid")[1]["public"]["score"] != first
        assert _run(tmp_path, "ok") == ("scored", {"public": {"score": 0.75}})
        assert sandbox._pool, "the zygote went back to the pool"
        assert all(z.proc.pid != os.getpid() for z in sandbox._pool)
    finally:
        sandbox.shutdown()
