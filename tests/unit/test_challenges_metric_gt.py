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


@pytest.mark.django_db
def test_the_leaderboard_page_shows_100_teams_a_page_in_rank_order() -> None:
    from django.test import Client

    from nbopen.challenges.models import Submission, Team, TeamMember

    host, org = _host("lp")
    competition = _create(host, org, "lp-board", "mae")
    services.ground_truth_set(
        actor=Principal(user=host), competition=competition, source=io.BytesIO(b"id,target\n")
    )
    services.competition_publish(actor=Principal(user=host), competition=competition)
    phase = competition.phases.get()
    for n in range(130):
        player = user_create(
            username=f"lp-p{n}", email=f"lp{n}@example.org", password="pw-Secret-99"
        )
        team = Team.objects.create(competition=competition, name=f"t{n:03d}", join_code=f"lp{n}")
        TeamMember.objects.create(competition=competition, team=team, user=player)
        for worse in (1.0, 0.0):  # the team's best is its second entry
            Submission.objects.create(
                competition=competition,
                phase=phase,
                team=team,
                file_oid="x",
                state=Submission.State.FINISHED,
                scores={"public": {"mae": n + worse}, "private": {"mae": 1.0}},
            )
    client = Client()
    first = client.get("/competitions/lp-board?tab=leaderboard").content.decode()
    assert first.count("<tr><td>") == 100
    assert first.index("<td>t000</td>") < first.index("<td>t099</td>")
    assert "<td>t100</td>" not in first and 'rel="next"' in first
    second = client.get("/competitions/lp-board?tab=leaderboard&page=2").content.decode()
    assert second.count("<tr><td>") == 30
    assert "<tr><td>101</td><td>t100</td><td>100.0</td><td>2</td>" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get("/competitions/lp-board?tab=leaderboard&page=x").status_code == 200
    api = client.get("/api/v1/competitions/lp-board/leaderboard").json()["rows"]
    assert [row["team"] for row in api[:3]] == ["t000", "t001", "t002"]
    assert len(api) == 130 and api[0]["entries"] == 2 and api[0]["score"] == 0.0


@pytest.mark.django_db
def test_the_cached_ranking_follows_new_scores_rescoring_and_final_choices() -> None:
    from django.utils import timezone

    from nbopen.challenges import leaderboard
    from nbopen.challenges.models import Submission

    host, org = _host("rc")
    competition = _create(host, org, "rc-board", "mae", final_submissions=1)
    services.ground_truth_set(
        actor=Principal(user=host), competition=competition, source=io.BytesIO(b"id,target\n")
    )
    services.competition_publish(actor=Principal(user=host), competition=competition)
    phase = competition.phases.get()
    teams = []
    for name in ("ann", "bob"):
        player = user_create(username=f"rc-{name}", email=f"{name}@rc.org", password="pw-Secret-99")
        teams.append(services.join(actor=Principal(user=player), competition=competition))

    def scored(team: Any, public: float, private: float) -> Submission:
        return Submission.objects.create(
            competition=competition,
            phase=phase,
            team=team,
            file_oid="x",
            state=Submission.State.FINISHED,
            finished_at=timezone.now(),
            scores={"public": {"mae": public}, "private": {"mae": private}},
        )

    def order(split: str) -> list[str]:
        return [row["team"] for row in leaderboard.ranking(competition, phase, split)]

    first = scored(teams[0], 1.0, 5.0)
    scored(teams[1], 2.0, 1.0)
    assert order("public") == [teams[0].name, teams[1].name]
    assert order("private") == [teams[1].name, teams[0].name]
    better = scored(teams[1], 0.5, 8.0)  # a new score reorders the public board
    assert order("public") == [teams[1].name, teams[0].name]
    assert order("private") == [teams[0].name, teams[1].name]  # bob's default final: 0.5 public
    Submission.objects.filter(pk=better.pk).update(is_final=False)
    Submission.objects.filter(team=teams[1]).exclude(pk=better.pk).update(is_final=True)
    assert order("private") == [teams[1].name, teams[0].name]  # bob chose his 1.0 private
    Submission.objects.filter(pk=first.pk).update(  # re-scored after a scorer fix
        scores={"public": {"mae": 0.1}, "private": {"mae": 0.1}}, finished_at=timezone.now()
    )
    assert order("public") == [teams[0].name, teams[1].name]
