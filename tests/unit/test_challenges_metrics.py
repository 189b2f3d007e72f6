"""The ranking and detection metrics (issue 15, item 4), with expected values worked out by
hand from the published definitions (Kaggle's MAP@K, scikit-learn's NDCG, the COCO
evaluation), and the reasons a malformed ranking or detection submission fails — through
the real scoring child."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from nbopen.challenges import detection, metrics, sandbox
from tests.support.scoring import outcome, score_request

LIMITS = {"cpu": 20, "wall": 30, "memory": 800 << 20, "output": 8 << 20}


def test_map_at_k_by_hand() -> None:
    truth = [{"a": 1.0, "b": 1.0}, {"c": 1.0}, {}, {"d": 1.0, "e": 1.0, "f": 1.0, "g": 1.0}]
    ranked = [["a", "x", "b"], ["x", "c", "c"], ["a"], ["d"]]
    # (1 + 2/3)/2, 1/2 (the repeated c counts once), 0 (nothing relevant), 1/min(4, 3)
    assert metrics.compute("map@3", truth, ranked) == pytest.approx((5 / 6 + 1 / 2 + 0 + 1 / 3) / 4)
    # Only the first K count: at K=1 the second id's hit at rank 2 is out.
    assert metrics.compute("map@1", truth, ranked) == pytest.approx((1 + 0 + 0 + 1) / 4)


def test_ndcg_at_k_by_hand() -> None:
    truth = [{"a": 3.0, "b": 1.0}, {"c": 1.0}, {"d": 1.0}, {"f": 1.0, "g": 2.0}]
    ranked = [["b", "x", "a"], ["c"], ["x"], ["f"]]
    first = (1 + 3 / math.log2(4)) / (3 + 1 / math.log2(3))
    # A short list does not borrow g: DCG 1, ideal DCG 2 + 1/log2(3).
    fourth = 1 / (2 + 1 / math.log2(3))
    assert metrics.compute("ndcg@3", truth, ranked) == pytest.approx((first + 1 + 0 + fourth) / 4)
    assert metrics.metric("ndcg@7") is not None and metrics.metric("ndcg@0") is None
    assert metrics.relevant_items("a b:3 a:9") == {"a": 1.0, "b": 3.0}
    with pytest.raises(ValueError):
        metrics.relevant_items("a:-1")


def _coco(boxes: list[list[float]], images: int = 1) -> dict[str, Any]:
    return {
        "images": [{"id": n} for n in range(1, images + 1)],
        "annotations": [{"image_id": 1, "category_id": 1, "bbox": box} for box in boxes],
        "categories": [{"id": 1}, {"id": 2}],
    }


def _det(box: list[float], score: float, category: int = 1, image: int = 1) -> dict[str, Any]:
    return {"image_id": image, "category_id": category, "bbox": box, "score": score}


def test_coco_map_by_hand() -> None:
    pytest.importorskip("pycocotools")
    truth = detection._ground_truth_from(_coco([[0, 0, 10, 10]]))
    # IoU 72/100 = 0.72: a match at thresholds .50–.70 (AP 1), none at .75–.95 (AP 0).
    found = [_det([0, 0, 10, 7.2], 0.9)]
    assert detection.coco_stat(truth, found, [1], 0) == pytest.approx(0.5)
    assert detection.coco_stat(truth, found, [1], 1) == pytest.approx(1.0)
    assert detection.coco_stat(truth, found, [1], 2) == pytest.approx(0.0)
    # Two boxes, one found exactly and one false positive ranked second: recall stops at
    # 0.5 with precision 1, so 51 of the 101 recall points have precision 1.
    truth = detection._ground_truth_from(_coco([[0, 0, 10, 10], [50, 50, 10, 10]]))
    found = [_det([0, 0, 10, 10], 0.9), _det([100, 100, 10, 10], 0.8)]
    assert detection.coco_stat(truth, found, [1], 0) == pytest.approx(51 / 101)
    assert detection.coco_stat(truth, [], [1], 0) == 0.0


def test_mean_iou_by_hand() -> None:
    truth = detection._ground_truth_from(_coco([[0, 0, 10, 10], [50, 50, 10, 10]]))
    found = [
        _det([0, 0, 10, 7.2], 0.9),  # IoU 0.72 with the first box
        _det([5, 0, 10, 10], 0.5),  # IoU 50/150 with it: not its best
        _det([50, 50, 10, 10], 0.9, category=2),  # the second box, but the wrong class
    ]
    assert detection.mean_iou(truth, found, {1}) == pytest.approx((0.72 + 0) / 2)
    assert detection.iou([0, 0, 2, 2], [1, 1, 2, 2]) == pytest.approx(1 / 7)


def _score(tmp_path: Path, metric: str, truth: bytes, submission: bytes) -> tuple[str, Any]:
    work = tmp_path / f"job-{len(list(tmp_path.iterdir()))}"
    work.mkdir()
    (work / "gt").write_bytes(truth)
    (work / "sub").write_bytes(submission)
    request = score_request(work / "gt", work / "sub", metric=metric, data_dir=tmp_path / "data")
    return outcome(request, work, LIMITS)


@pytest.mark.once
def test_ranking_and_detection_submissions_through_the_child(tmp_path: Path) -> None:
    ranking_truth = b"id,target,split\nu1,a b,public\nu2,c,private\n"
    try:
        code, scores = _score(tmp_path, "map@2", ranking_truth, b"id,target\nu1,b x a\nu2,c\n")
        assert code == "scored"
        assert scores == {"public": {"map@2": 0.5}, "private": {"map@2": 1.0}}
        code, scores = _score(tmp_path, "ndcg@5", ranking_truth, b"id,target\nu1,a b\nu2,x c\n")
        assert scores["public"]["ndcg@5"] == pytest.approx(1.0)
        assert scores["private"]["ndcg@5"] == pytest.approx(1 / math.log2(3))
        assert _score(tmp_path, "map@2", ranking_truth, b"id,target\nu1,a\nu2,\n") == (
            "nan",
            {"id": "u2"},
        )
        assert _score(tmp_path, "map@2", ranking_truth, b"id,items\nu1,a\n")[0] == "wrong_columns"
        assert _score(tmp_path, "map@2", ranking_truth, b"id,target\nu1,a\n")[0] == "missing_ids"

        coco = _coco([[0, 0, 10, 10]], images=2)
        coco["images"] = [{"id": 1, "split": "public"}, {"id": 2, "split": "private"}]
        coco["annotations"].append({"image_id": 2, "category_id": 1, "bbox": [0, 0, 4, 4]})
        truth = json.dumps(coco).encode()
        good = [_det([0, 0, 10, 10], 0.9), _det([0, 0, 4, 4], 0.9, image=2)]
        code, scores = _score(tmp_path, "mean_iou", truth, json.dumps(good).encode())
        assert (code, scores) == (
            "scored",
            {"private": {"mean_iou": 1.0}, "public": {"mean_iou": 1.0}},
        )
        bad = {
            b"{not json": "not_json",
            b'{"a": 1}': "not_json",
            b"": "empty",
            json.dumps([{"image_id": 1, "bbox": [0, 0, 1, 1], "score": 1}]).encode(): (
                "bad_detection"
            ),
            json.dumps([_det([0, 0, -1, 1], 0.5)]).encode(): "bad_detection",
            b'[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": NaN}]': "nan",
            json.dumps([_det([0, 0, 1, 1], 0.5, image=99)]).encode(): "unknown_ids",
        }
        for submission, reason in bad.items():
            assert _score(tmp_path, "mean_iou", truth, submission)[0] == reason, submission
        if detection_available():
            code, scores = _score(tmp_path, "coco_map", truth, json.dumps(good).encode())
            assert code == "scored", scores
            assert scores["public"]["coco_map"] == pytest.approx(1.0)
            assert scores["private"]["coco_map"] == pytest.approx(1.0)
    finally:
        sandbox.shutdown()


def detection_available() -> bool:
    try:
        import pycocotools.cocoeval  # noqa: F401
    except ImportError:
        return False
    return True
