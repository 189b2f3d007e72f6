"""Teams (invite, leave, merge under the quota rule), final submissions, final-rank events,
profile results, winners' repositories and the host's edits (issue 15, items 2, 6, 8, 9)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.accounts.services import user_create
from nbopen.challenges import leaderboard, results, services, teams
from nbopen.challenges.models import Phase, Submission
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.core.models import Event
from nbopen.orgs.services import org_create

pytestmark = pytest.mark.django_db


def _running(prefix: str, **options: Any) -> tuple[Any, Any]:
    """(host, published competition whose one phase started three days ago)."""
    host = user_create(
        username=f"{prefix}-host", email=f"{prefix}h@example.org", password="pw-Secret-99"
    )
    org = org_create(name=f"{prefix}-org", kind="enterprise", owner=host)
    options.setdefault("start", timezone.now() - dt.timedelta(days=2, hours=1))
    competition = services.competition_create(
        actor=Principal(user=host),
        organization=org,
        slug=f"{prefix}-comp",
        title=prefix,
        datasets=[],
        metric="accuracy",
        **options,
    )
    services.ground_truth_set(
        actor=Principal(user=host), competition=competition, source=io.BytesIO(b"id,target\n")
    )
    services.competition_publish(actor=Principal(user=host), competition=competition)
    return host, competition


def _people(prefix: str, *names: str) -> list[Principal]:
    return [
        Principal(
            user=user_create(
                username=f"{prefix}-{n}", email=f"{prefix}{n}@example.org", password="pw-Secret-99"
            )
        )
        for n in names
    ]


def _scored(competition: Any, team: Any, public: float, private: float, **kw: Any) -> Submission:
    return Submission.objects.create(
        competition=competition,
        phase=competition.phases.first(),
        team=team,
        file_oid="x",
        state=kw.pop("state", Submission.State.FINISHED),
        scores={"public": {"accuracy": public}, "private": {"accuracy": private}},
        **kw,
    )


def test_invite_accept_decline_and_leave() -> None:
    _host, competition = _running("i", max_team_size=2)
    ann, ben, cat = _people("i", "ann", "ben", "cat")
    alpha = services.join(actor=ann, competition=competition, team_name="Alpha")
    with pytest.raises(InvalidInput):  # not in a team yet
        teams.invite(actor=ben, competition=competition, username="i-ann")
    with pytest.raises(NotFound):
        teams.invite(actor=ann, competition=competition, username="nobody-here")
    teams.invite(actor=ann, competition=competition, username="i-ben")
    with pytest.raises(AlreadyExists):
        teams.invite(actor=ann, competition=competition, username="i-ben")
    teams.invite(actor=ann, competition=competition, username="i-cat")
    assert [i.team.name for i in teams.invitations_of(ben, competition)] == ["Alpha"]
    with pytest.raises(NotFound):  # an invitation of another team is not theirs to accept
        teams.accept_invitation(actor=ben, competition=competition, team_name="Beta")
    assert teams.accept_invitation(actor=ben, competition=competition, team_name="Alpha") == alpha
    assert services.has_accepted(ben, competition)  # accepting joins: the terms are accepted
    assert Event.objects.filter(kind="competition.join", actor_id=ben.user.pk).count() == 1
    with pytest.raises(InvalidInput, match="full"):  # max team size 2
        teams.accept_invitation(actor=cat, competition=competition, team_name="Alpha")
    teams.decline_invitation(actor=cat, competition=competition, team_name="Alpha")
    assert teams.invitations_of(cat, competition) == []
    # Leaving: fine while the team has no submission that counts; refused after.
    teams.leave(actor=ben, competition=competition)
    assert services.team_of(competition, ben.user) is None
    _scored(competition, alpha, 0.5, 0.5, state=Submission.State.FAILED)
    teams.invite(actor=ann, competition=competition, username="i-ben")
    teams.invite(actor=ann, competition=competition, username="i-cat")
    teams.accept_invitation(actor=ben, competition=competition, team_name="Alpha")
    _scored(competition, alpha, 0.5, 0.5)
    with pytest.raises(InvalidInput, match="fresh quota"):
        teams.leave(actor=ben, competition=competition)
    services.join(actor=cat, competition=competition, team_name="Gamma")
    assert teams.invitations_of(cat, competition) == []  # lapsed: cat is in a team now
    with pytest.raises(AlreadyExists):  # one team per person, also through invitations
        teams.invite(actor=cat, competition=competition, username="i-ann")


def test_a_lone_member_leaving_deletes_the_empty_team() -> None:
    _host, competition = _running("l")
    (ann,) = _people("l", "ann")
    services.join(actor=ann, competition=competition, team_name="Solo")
    teams.leave(actor=ann, competition=competition)
    assert not competition.teams.filter(name="Solo").exists()


def test_merge_under_the_quota_rule_size_and_deadline() -> None:
    # daily quota 2, the phase began at midnight (Beijing time) two days ago: today is its
    # third quota day → at most 6 submissions together.
    midnight = services._day_start(services.Competition(), timezone.now())
    start = midnight - dt.timedelta(days=2)
    _host, competition = _running("m", daily_quota=2, max_team_size=2, start=start)
    ann, ben, cat, dan = _people("m", "ann", "ben", "cat", "dan")
    alpha = services.join(actor=ann, competition=competition, team_name="Alpha")
    beta = services.join(actor=ben, competition=competition, team_name="Beta")
    for _ in range(4):
        _scored(competition, alpha, 0.5, 0.5)
    for _ in range(3):
        _scored(competition, beta, 0.6, 0.6)
    _scored(competition, beta, 0.0, 0.0, state=Submission.State.FAILED)  # failures never count
    allowance = teams.merge_allowance(competition, [alpha, beta])
    assert allowance == [{"phase": "main", "used": 7, "allowed": 6, "days": 3}]
    with pytest.raises(InvalidInput, match="at most 6"):
        teams.merge(actor=ann, competition=competition, code=beta.join_code)
    Submission.objects.filter(team=beta, state=Submission.State.FINISHED).first().delete()  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        teams.merge(actor=ann, competition=competition, code="wrong")
    with pytest.raises(InvalidInput, match="itself"):
        teams.merge(actor=ann, competition=competition, code=alpha.join_code)
    gamma = services.join(actor=cat, competition=competition, team_name="Gamma")
    services.join(actor=dan, competition=competition, code=gamma.join_code)
    with pytest.raises(InvalidInput, match="3 members"):  # 2 + 1 > 2
        teams.merge(actor=cat, competition=competition, code=alpha.join_code)
    merged = teams.merge(actor=ann, competition=competition, code=beta.join_code)
    assert merged == alpha
    assert teams.members(alpha) == ["m-ann", "m-ben"]
    assert Submission.objects.filter(team=alpha).count() == 7
    assert not competition.teams.filter(name="Beta").exists()
    assert Event.objects.filter(kind="competition.team_merge").count() == 1
    competition.team_merge_deadline = timezone.now() - dt.timedelta(minutes=1)
    competition.save()
    with pytest.raises(InvalidInput, match="deadline"):
        teams.merge(actor=cat, competition=competition, code=alpha.join_code)


def test_finals_selected_rank_privately_and_defaults_stay() -> None:
    host, competition = _running("f", final_submissions=2)
    ann, ben = _people("f", "ann", "ben")
    alpha = services.join(actor=ann, competition=competition, team_name="Alpha")
    beta = services.join(actor=ben, competition=competition, team_name="Beta")
    best_public = _scored(competition, alpha, 0.9, 0.5)
    second = _scored(competition, alpha, 0.8, 0.55)
    hidden_gem = _scored(competition, alpha, 0.4, 0.95)
    failed = _scored(competition, alpha, 0.0, 0.0, state=Submission.State.FAILED)
    _scored(competition, beta, 0.7, 0.7)
    phase = competition.phases.get()
    info = results.finals_of(competition, phase, alpha)
    assert info["selected"] == [] and info["counting"] == [best_public.pk, second.pk]
    with pytest.raises(InvalidInput, match="At most 2"):
        results.finals_select(
            actor=ann, competition=competition, ids=[best_public.pk, second.pk, hidden_gem.pk]
        )
    with pytest.raises(InvalidInput, match=str(failed.pk)):
        results.finals_select(actor=ann, competition=competition, ids=[failed.pk])
    theirs = Submission.objects.get(team=beta)
    with pytest.raises(InvalidInput):  # another team's submission
        results.finals_select(actor=ann, competition=competition, ids=[theirs.pk])
    with pytest.raises(PermissionDenied):
        results.finals_select(actor=Principal(), competition=competition, ids=[])
    # Before choosing: the default finals (best public) give Alpha 0.55 privately.
    private = leaderboard.ranking(competition, phase, "private")
    assert [(r["team"], r["score"]) for r in private] == [("Beta", 0.7), ("Alpha", 0.55)]
    results.finals_select(actor=ann, competition=competition, ids=[hidden_gem.pk])
    assert results.finals_of(competition, phase, alpha)["counting"] == [hidden_gem.pk]
    private = leaderboard.ranking(competition, phase, "private")
    assert [(r["team"], r["score"]) for r in private] == [("Alpha", 0.95), ("Beta", 0.7)]
    # The public board is unchanged: every submission counts there.
    public = leaderboard.ranking(competition, phase, "public")
    assert [(r["team"], r["score"]) for r in public] == [("Alpha", 0.9), ("Beta", 0.7)]
    results.finals_select(actor=ann, competition=competition, ids=[])  # back to the default
    assert results.finals_of(competition, phase, alpha)["selected"] == []
    services.competition_close(actor=Principal(user=host), competition=competition)
    with pytest.raises(InvalidInput, match="while the phase runs"):
        results.finals_select(actor=ann, competition=competition, ids=[second.pk])


def test_final_ranks_become_events_once_and_reach_the_profile() -> None:
    host, competition = _running("e")
    ann, ben = _people("e", "ann", "ben")
    alpha = services.join(actor=ann, competition=competition, team_name="Alpha")
    beta = services.join(actor=ben, competition=competition, team_name="Beta")
    _scored(competition, alpha, 0.9, 0.4)
    _scored(competition, beta, 0.5, 0.8)
    outsider = Principal()
    assert results.results_of(ann.user, outsider) == []  # nothing before the reveal
    # The phase ends by its clock (no close): the first reader records the ranks, once.
    Phase.objects.filter(competition=competition).update(
        end=timezone.now() - dt.timedelta(seconds=1)
    )
    shown = results.results_of(ben.user, outsider)
    assert [(r["competition"], r["team"], r["rank"], r["teams"]) for r in shown] == [
        ("e-comp", "Beta", 1, 2)
    ]
    assert "score" not in shown[0]  # ranks only on the profile
    assert results.results_of(ann.user, outsider)[0]["rank"] == 2
    assert Event.objects.filter(kind="competition.final_rank").count() == 2
    services.competition_close(actor=Principal(user=host), competition=competition)
    assert Event.objects.filter(kind="competition.final_rank").count() == 2  # not twice


def test_winners_link_public_repositories_counted_as_reuse() -> None:
    from nbopen.analytics.value import city_value
    from nbopen.repos.services import repo_create

    host, competition = _running("w", winners_publish=1)
    ann, ben = _people("w", "ann", "ben")
    alpha = services.join(actor=ann, competition=competition, team_name="Alpha")
    beta = services.join(actor=ben, competition=competition, team_name="Beta")
    _scored(competition, alpha, 0.9, 0.9)
    _scored(competition, beta, 0.5, 0.5)
    model = repo_create(actor=ann, owner=ann.user.username, name="winning-model", type="model")
    secret = repo_create(
        actor=ann, owner=ann.user.username, name="secret", type="code", private=True
    )
    with pytest.raises(PermissionDenied):  # not before the last phase has ended
        results.winner_link(actor=ann, competition=competition, repository=model.full_name)
    services.competition_close(actor=Principal(user=host), competition=competition)
    with pytest.raises(PermissionDenied):  # Beta is second: not in the top 1
        results.winner_link(actor=ben, competition=competition, repository=model.full_name)
    with pytest.raises(InvalidInput, match="public"):
        results.winner_link(actor=ann, competition=competition, repository=secret.full_name)
    with pytest.raises(NotFound):
        results.winner_link(actor=ann, competition=competition, repository="w-ann/none")
    linked = results.winner_link(actor=ann, competition=competition, repository=model.full_name)
    assert linked == {"team": "Alpha", "repository": "w-ann/winning-model", "type": "model"}
    with pytest.raises(AlreadyExists):
        results.winner_link(actor=ann, competition=competition, repository=model.full_name)
    top = results.winners(competition)
    assert [(r["team"], r["repositories"]) for r in top] == [
        ("Alpha", [{"name": "w-ann/winning-model", "type": "model"}])
    ]
    value = {row["repository"]: row for row in city_value()["repositories"]}
    assert value["w-ann/winning-model"]["reused_by"] == {"w-org": ["competition"]}


def test_host_edits_options_and_phases() -> None:
    host, competition = _running("u")
    h = Principal(user=host)
    (ann,) = _people("u", "ann")
    with pytest.raises(PermissionDenied):
        services.competition_update(actor=ann, competition=competition, changes={"title": "x"})
    start = timezone.now() - dt.timedelta(days=1)
    services.competition_update(
        actor=h,
        competition=competition,
        changes={"title": "新标题", "max_team_size": 3, "metric": "f1_macro"},
        phases=[
            {"name": "初赛", "start": start, "end": start + dt.timedelta(days=5)},
            {
                "name": "复赛",
                "start": start + dt.timedelta(days=6),
                "end": None,
                "daily_quota": 3,
            },
        ],
    )
    competition.refresh_from_db()
    assert (competition.title, competition.max_team_size, competition.metric) == (
        "新标题",
        3,
        "f1_macro",
    )
    assert list(competition.phases.values_list("name", "daily_quota")) == [
        ("初赛", 5),
        ("复赛", 3),
    ]
    with pytest.raises(InvalidInput, match="after the previous"):
        services.competition_update(
            actor=h,
            competition=competition,
            changes={},
            phases=[
                {"name": "a", "start": start, "end": start + dt.timedelta(days=2)},
                {"name": "b", "start": start + dt.timedelta(days=1), "end": None},
            ],
        )
    with pytest.raises(InvalidInput, match="between 1 and 100"):
        services.competition_update(actor=h, competition=competition, changes={"max_team_size": 0})
    team = services.join(actor=ann, competition=competition, team_name="A")
    _scored(competition, team, 0.5, 0.5)
    with pytest.raises(InvalidInput, match="cannot change"):
        services.competition_update(actor=h, competition=competition, changes={"metric": "mae"})
    with pytest.raises(InvalidInput, match="cannot be removed"):
        services.competition_update(
            actor=h,
            competition=competition,
            changes={},
            phases=[{"name": "other", "start": start, "end": None}],
        )


def test_api_permissions_for_edits_teams_finals_and_winners(client: Any) -> None:
    """Only the host edits; a team's code and finals are its members' alone; a read token
    manages nothing; bad bodies are 400s; winners are empty until the end."""
    from nbopen.accounts.services import token_create

    host, competition = _running("a")
    ann, ben = _people("a", "ann", "ben")
    alpha = services.join(actor=ann, competition=competition, team_name="Alpha")
    mine = _scored(competition, alpha, 0.5, 0.5)

    def auth(who: Principal, scope: str = "write") -> dict[str, str]:
        secret = token_create(user=who.user, name=scope, scope=scope).secret  # type: ignore[arg-type]
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    url = f"/api/v1/competitions/{competition.slug}"
    as_ann, as_ben, as_host = auth(ann), auth(ben), auth(Principal(user=host))
    patch = {"content_type": "application/json"}
    assert client.patch(url, '{"title": "x"}', **patch, **as_ann).status_code == 403
    assert client.patch(url, '{"max_team_size": "many"}', **patch, **as_host).status_code == 400
    assert client.patch(url, '{"bogus": 1}', **patch, **as_host).status_code == 400
    edited = client.patch(url, '{"title": "新", "winners_publish": 2}', **patch, **as_host)
    assert edited.status_code == 200 and edited.json()["winners_publish"] == 2
    # The join code is shown to the team's members only.
    assert client.get(f"{url}/team", **as_ann).json()["join_code"] == alpha.join_code
    outsider = client.get(f"{url}/team", **as_ben).json()
    assert outsider["team"] is None and "join_code" not in outsider
    assert client.get(f"{url}/team").json() == {"team": None, "members": [], "invitations": []}
    read_only = auth(ann, "read")
    invite = client.post(f"{url}/team/invite", '{"username": "a-ben"}', **patch, **read_only)
    assert invite.status_code == 403
    assert client.post(f"{url}/team/invite", '{"username": "a-ben"}', **patch, **as_ann).json()[
        "invited"
    ] == ["a-ben"]
    # Finals: one's own team only; ben (no team) finds none; a bad body is a 400.
    assert client.get(f"{url}/finals", **as_ben).status_code == 404
    assert client.put(f"{url}/finals", '{"ids": "1"}', **patch, **as_ann).status_code == 400
    picked = client.put(f"{url}/finals", f'{{"ids": [{mine.pk}]}}', **patch, **as_ann)
    assert picked.status_code == 200 and picked.json()["selected"] == [mine.pk]
    # Winners: nothing before the end; linking is refused.
    assert client.get(f"{url}/winners").json() == {"required": 2, "winners": []}
    refused = client.post(f"{url}/winners", '{"repository": "a-ann/m"}', **patch, **as_ann)
    assert refused.status_code == 403
