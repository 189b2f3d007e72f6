"""Competition scoring throughput: the sandboxed child against the same metric in-process.

    .venv/bin/python bench/competitions.py [--submissions 20] [--rows 100000]

Scores ``--submissions`` CSV submissions of ``--rows`` rows with the built-in RMSE through
``nbopen.challenges.sandbox.run`` (what the scoring task does: a warm zygote under
``unshare -rnm`` forks a fresh child per submission with its rlimits, wall-time and memory
watch), and, in the same run, the reference: the same parsing and metric
(``sandbox._builtin``) called directly in this process, alternating one with the other so
both see the same machine load. Prints submissions per second of both (median per
submission, and over the whole run — the first zygote's start included) and the ratios (the
issue's goal is ≤ 1.5×).

No database and no server: the leaderboard page latency goal of the issue is not measured
here yet.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from nbopen.challenges import sandbox


def _files(work: Path, rows: int) -> tuple[Path, Path]:
    rng = random.Random(15)
    truth = [rng.random() * 100 for _ in range(rows)]
    gt = work / "gt.csv"
    sub = work / "sub.csv"
    gt.write_text(
        "id,target,split\n"
        + "".join(f"{i},{v:.4f},{'public' if i % 3 else 'private'}\n" for i, v in enumerate(truth))
    )
    sub.write_text(
        "id,target\n" + "".join(f"{i},{v + rng.gauss(0, 1):.4f}\n" for i, v in enumerate(truth))
    )
    return gt, sub


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-compete-"))
    gt, sub = _files(work, args.rows)
    request = {
        "ground_truth": str(gt),
        "submission": str(sub),
        "phase": "main",
        "id_column": "id",
        "target_column": "target",
        "split_column": "split",
        "metric": "rmse",
        "public_fraction": 0.5,
        "data_dir": str(work / "data"),
    }
    limits = {"cpu": 120, "wall": 300, "memory": 2048 << 20, "output": 64 << 20}
    sandboxed, direct = [], []
    for _ in range(args.submissions):
        start = time.perf_counter()
        sandbox.run(request, work_dir=work, limits=limits)
        sandboxed.append(time.perf_counter() - start)
        start = time.perf_counter()
        sandbox._builtin({**request, "limits": limits})
        direct.append(time.perf_counter() - start)
    sandbox.shutdown()
    ours, reference = statistics.median(sandboxed), statistics.median(direct)
    print(
        json.dumps(
            {
                "rows": args.rows,
                "submissions": args.submissions,
                "isolation": sandbox.isolation(),
                "sandboxed_per_s": round(1 / ours, 2),
                "direct_per_s": round(1 / reference, 2),
                "sandboxed_median_s": round(ours, 3),
                "direct_median_s": round(reference, 3),
                "ratio": round(ours / reference, 2),
                "sandboxed_total_s": round(sum(sandboxed), 1),
                "direct_total_s": round(sum(direct), 1),
                "ratio_total": round(sum(sandboxed) / sum(direct), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
