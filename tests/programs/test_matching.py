"""Matching on real platform data: related public repositories win, with reasons; private
repositories never reach a reader who cannot open them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.orgs.services import org_create, org_get
from nbopen.programs import embeddings, matching, ranking, services
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db

CALL_TEXT = "集装箱码头港口智能调度：泊位分配与岸桥调度优化，降低船舶在港时间"


def build() -> dict[str, Any]:
    boss, staff = make_user("boss"), make_user("operator1", admin=True)
    a, b, c = make_user("alice"), make_user("bob"), make_user("carol")
    org_create(name="portco", kind="enterprise", owner=boss)
    org_create(name="portlab", kind="university", owner=a)
    org_create(name="textilelab", kind="university", owner=b, description="纺织 服装 面料")
    org_create(name="sneaky", kind="institute", owner=c)
    make_repo(a, "portlab", "berth-scheduler", description="港口泊位分配与岸桥调度优化算法")
    make_repo(a, "portlab", "container-yard", description="集装箱码头堆场调度", type="code")
    make_repo(b, "textilelab", "fabric-defects", description="纺织面料瑕疵检测")
    make_repo(c, "sneaky", "hidden-quay", private=True, description="码头岸桥泊位船舶调度绝密")
    call = services.call_create(
        actor=Principal(user=boss),
        organization=org_get("portco"),
        title="港口智能调度",
        details={"description": CALL_TEXT, "tags": ["港口", "调度"]},
    )
    return {"call": call, "staff": staff, "boss": boss, "alice": a, "bob": b}


def test_the_org_with_related_public_repositories_ranks_first_with_reasons() -> None:
    w = build()
    found = matching.call_matches(Principal(user=w["boss"]), w["call"])
    assert found[0].name == "portlab" and found[0].kind == "org"
    kinds = {r["kind"]: r for r in found[0].reasons}
    assert {"泊位", "港口", "调度"} <= set(kinds["keywords"]["terms"])
    assert kinds["repository"]["repository"] == "portlab/berth-scheduler"
    names = [m.name for m in found]
    assert "portco" not in names  # the issuer is no candidate
    assert "textilelab" not in names[:1]


def test_a_private_repository_never_explains_a_match_to_an_outsider() -> None:
    w = build()
    outsider = matching.call_matches(Principal(user=w["boss"]), w["call"])
    text = json.dumps([m.as_json() for m in outsider], ensure_ascii=False)
    assert "sneaky" not in text and "hidden-quay" not in text and "绝密" not in text
    # An operator may read the private repository, so it counts for them.
    operator = matching.call_matches(Principal(user=w["staff"]), w["call"])
    assert "sneaky/hidden-quay" in json.dumps([m.as_json() for m in operator])


def test_a_user_sees_the_calls_that_fit_them() -> None:
    w = build()
    staff, boss = Principal(user=w["staff"]), Principal(user=w["boss"])
    services.call_transition(actor=boss, call=w["call"], to="review")
    services.call_transition(actor=staff, call=w["call"], to="published")
    alice = User.objects.get(username="alice")
    make_repo(alice, "alice", "quay-crane", description="岸桥调度 港口")
    fits = matching.user_matched_calls(Principal.anonymous(), alice)
    assert [m.call for m in fits] == [w["call"]]
    assert any(r["kind"] == "keywords" and "调度" in r["terms"] for r in fits[0].reasons)
    assert matching.user_matched_calls(Principal.anonymous(), w["bob"]) == []


EN_CALL = "Berth allocation and quay crane scheduling for a container terminal"


def _english_call() -> tuple[Any, User]:
    boss = make_user("boss")
    a = make_user("alice")
    org_create(name="portco", kind="enterprise", owner=boss)
    org_create(name="portlab", kind="university", owner=a)
    make_repo(a, "portlab", "bw-sched", description="集装箱码头泊位分配与岸桥调度优化算法")
    call = services.call_create(
        actor=Principal(user=boss),
        organization=org_get("portco"),
        title="Terminal scheduling",
        details={"description": EN_CALL},
    )
    return call, boss


def test_an_english_call_reaches_a_chinese_only_lab_through_meaning() -> None:
    call, boss = _english_call()
    found = matching.call_matches(Principal(user=boss), call)
    assert [m.name for m in found][:1] == ["portlab"]
    meaning = [r for r in found[0].reasons if r["kind"] == "meaning"]
    assert meaning and meaning[0]["repository"] == "portlab/bw-sched"
    assert meaning[0]["similarity"] >= ranking.MEANING_FLOOR


def test_without_the_encoder_matching_falls_back_and_still_answers() -> None:
    call, boss = _english_call()
    with embeddings.switched(False):
        found = matching.call_matches(Principal(user=boss), call)
    # No shared word and no tag: the fallback finds nothing rather than failing.
    assert all(r["kind"] != "meaning" for m in found for r in m.reasons)
    assert "portlab" not in [m.name for m in found]
