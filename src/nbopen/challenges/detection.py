"""Object detection scoring: COCO mAP by pycocotools, and the mean IoU of ground-truth boxes.

Runs in the scoring child only (:mod:`.sandbox`); no Django. The ground truth is a COCO
annotation file (``images``, ``annotations`` with ``bbox: [x, y, width, height]``,
``categories``); an image may carry ``"split": "public"|"private"|…``, else its split is a
stable hash of its id (:func:`.metrics.split_of`). The submission is a COCO results list
``[{image_id, category_id, bbox, score}]`` (or ``{"annotations": [...]}``); an image with no
detection is simply one the participant found nothing in.

Metrics:

* ``coco_map`` — AP averaged over IoU thresholds .50:.05:.95, all areas, 100 detections
  per image: ``COCOeval.stats[0]``, the number the COCO leaderboard ranks on;
  ``coco_map50`` and ``coco_map75`` are ``stats[1]`` and ``stats[2]``. pycocotools is the
  reference implementation, so a score here is the one a participant reproduces locally.
* ``mean_iou`` — for each ground-truth box, the best IoU of a detection of the same image
  and category (0 when there is none), averaged over the ground-truth boxes. It rewards
  localisation and recall; false positives do not lower it (``coco_map`` is the metric
  that punishes them).

A submission that is not JSON, a detection without the four fields or with a negative
size, a NaN, or an image the ground truth does not have: each is refused with its reason.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import Any

from nbopen.challenges.metrics import SubmissionRejected, split_of

STATS = {"coco_map": 0, "coco_map50": 1, "coco_map75": 2}


def score(request: dict[str, Any], metric: str) -> dict[str, dict[str, float]]:
    """``{split: {metric: value}}`` of the submission against the ground truth."""
    truth = _ground_truth(Path(request["ground_truth"]))
    detections = _detections(Path(request["submission"]), truth)
    fraction = float(request["public_fraction"])
    splits: dict[str, list[Any]] = {}
    for image in truth["images"]:
        given = image.get("split")
        name = given.strip() if isinstance(given, str) and given.strip() else None
        splits.setdefault(name or split_of(str(image["id"]), fraction), []).append(image["id"])
    scores: dict[str, dict[str, float]] = {}
    for split, image_ids in sorted(splits.items(), key=lambda item: item[0]):
        wanted = set(image_ids)
        mine = [d for d in detections if d["image_id"] in wanted]
        if metric == "mean_iou":
            value = mean_iou(truth, mine, wanted)
        else:
            value = coco_stat(truth, mine, image_ids, STATS[metric])
        if value is None:
            raise SubmissionRejected(
                "metric_error", error=f"the ground truth has no boxes in split {split}"
            )
        scores[split] = {metric: value}
    return scores


def _ground_truth(path: Path) -> dict[str, Any]:
    """The host's COCO file, with the fields COCOeval needs filled in (area, iscrowd, id)."""
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise SubmissionRejected(
            "metric_error", error=f"the ground truth is not COCO JSON: {exc}"[:300]
        ) from None
    return _ground_truth_from(data)


def _ground_truth_from(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise SubmissionRejected("metric_error", error="the ground truth has no 'images' list")
    annotations = data.get("annotations") or []
    for number, annotation in enumerate(annotations, start=1):
        box = annotation.get("bbox") if isinstance(annotation, dict) else None
        if not _is_box(box) or "image_id" not in annotation or "category_id" not in annotation:
            raise SubmissionRejected(
                "metric_error", error=f"ground-truth annotation {number} has no valid bbox"
            )
        annotation.setdefault("id", number)
        width, height = annotation["bbox"][2], annotation["bbox"][3]
        annotation.setdefault("area", float(width) * float(height))
        annotation.setdefault("iscrowd", 0)
    categories = data.get("categories") or [
        {"id": c} for c in sorted({a["category_id"] for a in annotations}, key=str)
    ]
    return {"images": data["images"], "annotations": annotations, "categories": categories}


def _is_box(box: Any) -> bool:
    return (
        isinstance(box, list)
        and len(box) == 4
        and all(_number(v) for v in box)
        and box[2] >= 0
        and box[3] >= 0
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _detections(path: Path, truth: dict[str, Any]) -> list[dict[str, Any]]:
    """The participant's results, checked field by field (COCOeval itself would assert)."""
    raw = path.read_bytes()
    if not raw.strip():
        raise SubmissionRejected("empty")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SubmissionRejected("not_json", error=str(exc)[:200]) from None
    if isinstance(data, dict) and isinstance(data.get("annotations"), list):
        data = data["annotations"]
    if not isinstance(data, list):
        raise SubmissionRejected("not_json", error="expected a list of detections")
    images = {image["id"] for image in truth["images"]}
    unknown: list[Any] = []
    checked = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not {"image_id", "category_id", "bbox", "score"} <= set(
            item
        ):
            raise SubmissionRejected("bad_detection", index=index)
        box, confidence = item["bbox"], item["score"]
        if isinstance(confidence, float) and math.isnan(confidence):
            raise SubmissionRejected("nan", id=str(item["image_id"])[:100])
        if isinstance(box, list) and any(isinstance(v, float) and math.isnan(v) for v in box):
            raise SubmissionRejected("nan", id=str(item["image_id"])[:100])
        if not _is_box(box) or not _number(confidence):
            raise SubmissionRejected("bad_detection", index=index)
        if item["image_id"] not in images:
            unknown.append(item["image_id"])
            continue
        checked.append(
            {
                "image_id": item["image_id"],
                "category_id": item["category_id"],
                "bbox": [float(v) for v in box],
                "score": float(confidence),
            }
        )
    if unknown:
        raise SubmissionRejected("unknown_ids", count=len(unknown), example=str(unknown[0])[:100])
    return checked


def coco_stat(
    truth: dict[str, Any], detections: list[dict[str, Any]], image_ids: list[Any], stat: int
) -> float | None:
    """``COCOeval(...).stats[stat]`` on ``image_ids`` (bbox); None when they hold no box."""
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError:
        raise SubmissionRejected(
            "metric_error", error="pycocotools is not installed on this server"
        ) from None
    wanted = set(image_ids)
    if not any(a["image_id"] in wanted for a in truth["annotations"]):
        return None
    if not detections:
        return 0.0  # nothing found: no precision at any recall
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools reports as it goes
        ground = COCO()
        ground.dataset = {k: list(v) for k, v in truth.items()}
        ground.createIndex()
        results = ground.loadRes([dict(d) for d in detections])
        evaluation = COCOeval(ground, results, "bbox")
        evaluation.params.imgIds = list(image_ids)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    value = float(evaluation.stats[stat])
    return max(value, 0.0)  # -1: no ground truth in an area range that was asked for


def iou(a: list[float], b: list[float]) -> float:
    """Intersection over union of two ``[x, y, width, height]`` boxes."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(width, 0.0) * max(height, 0.0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def mean_iou(
    truth: dict[str, Any], detections: list[dict[str, Any]], image_ids: set[Any]
) -> float | None:
    """The mean over ground-truth boxes of their best IoU with a same-class detection."""
    by_key: dict[tuple[Any, Any], list[list[float]]] = {}
    for detection in detections:
        key = (detection["image_id"], detection["category_id"])
        by_key.setdefault(key, []).append(detection["bbox"])
    best = [
        max(
            (iou(annotation["bbox"], box) for box in by_key.get(key, [])),
            default=0.0,
        )
        for annotation in truth["annotations"]
        if annotation["image_id"] in image_ids and not annotation.get("iscrowd")
        for key in [(annotation["image_id"], annotation["category_id"])]
    ]
    return sum(best) / len(best) if best else None
