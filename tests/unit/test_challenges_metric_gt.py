"""``map@K``/``ndcg@K`` with any supported K, and COCO ground truths whose images name their
splits (issue 15)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from nbopen.access.policy import Principal
from nbopen.accounts.services import user_create
from nbopen.challenges import services
from nbopen.challenges.models import Split
from nbopen.core.errors import InvalidInput
from nbopen.orgs.services import org_create


def _host(prefix: str) -> tuple[Any, Any]:
    host = user_create(
        username=f"{prefix}-host", email=f"{prefix}h@example.org", password="pw-Secret-99"
    )
    return host, org_create(name=f"{prefix}-org", kind="enterprise", owner=host)


def _create(host: Any, org: Any, slug: str, metric: str, **options: Any) -> Any:
    return services.competition_create(
        actor=Principal(user=host),
        organization=org,
        slug=slug,
        title=slug,
        datasets=[],
        metric=metric,
        **options,
    )


@pytest.mark.django_db
def test_ranking_metrics_take_any_k_the_scorer_supports() -> None:
    host, org = _host("mk")
    made = _create(host, org, "mk-7", "map@7")
    assert (made.metric, made.higher_is_better) == ("map@7", True)
    assert _create(host, org, "mk-1000", "ndcg@1000").metric == "ndcg@1000"
    assert _create(host, org, "mk-lead", "ndcg@007").metric == "ndcg@7"  # one spelling
    for bad in ("map@0", "map@1001", "ndcg@x", "ndcg@", "map@-3"):
        with pytest.raises(InvalidInput, match="K is a whole number from 1 to 1000"):
            _create(host, org, "mk-bad", bad)
    # Even with higher_is_better, a malformed K is not taken for a custom scorer's metric.
    with pytest.raises(InvalidInput, match="K is a whole number"):
        _create(host, org, "mk-bad", "map@0", higher_is_better=True)
    with pytest.raises(InvalidInput, match="Unknown metric"):
        _create(host, org, "mk-bad", "top7")
    updated = services.competition_update(
        actor=Principal(user=host), competition=made, changes={"metric": "ndcg@42"}
    )
    assert updated.metric == "ndcg@42"
    with pytest.raises(InvalidInput, match="K is a whole number"):
        services.competition_update(
            actor=Principal(user=host), competition=made, changes={"metric": "ndcg@5000"}
        )


def _coco(splits: list[str | None]) -> bytes:
    images = []
    for number, split in enumerate(splits, start=1):
        image: dict[str, Any] = {"id": number, "width": 64, "height": 64}
        if split is not None:
            image["split"] = split
        images.append(image)
    annotations = [
        {"id": n, "image_id": n, "category_id": 1, "bbox": [1, 1, 10, 10]}
        for n in range(1, len(splits) + 1)
    ]
    data = {"images": images, "annotations": annotations, "categories": [{"id": 1}]}
    return json.dumps(data, indent=2).encode()


@pytest.mark.django_db
def test_a_coco_ground_truth_counts_images_and_their_splits() -> None:
    host, org = _host("cg")
    competition = _create(host, org, "cg-boxes", "coco_map")
    source = _coco(["public", "B", "B", "holdout", None, None])
    rows = services.ground_truth_set(
        actor=Principal(user=host), competition=competition, source=io.BytesIO(source)
    )
    assert rows == 6  # images, not the lines of the indented JSON
    competition.refresh_from_db()
    assert competition.ground_truth_rows == 6
    splits = dict(Split.objects.filter(competition=competition).values_list("name", "visibility"))
    assert splits == {
        "public": "public",
        "private": "private",
        "B": "private",  # Tianchi's B board counts at the end
        "holdout": "host",
    }


@pytest.mark.django_db
def test_a_bad_coco_ground_truth_is_refused_clearly() -> None:
    host, org = _host("cb")
    competition = _create(host, org, "cb-boxes", "mean_iou")
    for bad, message in (
        (b"id,target\n1,2\n", "not COCO JSON"),
        (b'{"annotations": []}', "'images' list"),
        (b'{"images": [{"file_name": "a.jpg"}]}', "'images' list"),
    ):
        with pytest.raises(InvalidInput, match=message):
            services.ground_truth_set(
                actor=Principal(user=host), competition=competition, source=io.BytesIO(bad)
            )
    competition.refresh_from_db()
    assert competition.ground_truth_oid == ""
    many = _coco([f"s{n}" for n in range(21)])
    with pytest.raises(InvalidInput, match="more than 20 splits"):
        services.ground_truth_set(
            actor=Principal(user=host), competition=competition, source=io.BytesIO(many)
        )
