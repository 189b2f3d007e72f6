"""Broad queries score only the most recently changed matches (``search.scoring_window``).

The budgets are shrunk here so a dozen repositories make a "broad" query: the window,
its widening, the fallback to scoring everything, and privacy inside the window.
"""

from __future__ import annotations

from typing import Any

import pytest

from nbopen.access.policy import Principal
from nbopen.repos.services import repo_update_settings
from nbopen.search import backends, indexer, scoring_window, services
from nbopen.search.analysis import query_groups
from nbopen.search.models import SearchDocument
from tests.search.helpers import as_user, ids, make_repo, make_user

pytestmark = pytest.mark.django_db

TERM = "zqwindow"  # a word no other test corpus uses


@pytest.fixture
def twelve(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    """Twelve public repositories sharing TERM, created in order, plus a private newest one."""
    with django_capture_on_commit_callbacks(execute=True):
        owner = make_user("windowowner")
        repos = [
            make_repo(owner, "windowowner", f"w{i:02d}", description=f"{TERM} crane {i}")
            for i in range(12)
        ]
        secret = make_repo(
            owner, "windowowner", "w-secret", private=True, description=f"{TERM} secret"
        )
    return {"owner": owner, "repos": repos, "secret": secret}


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch, twelve: dict[str, Any]) -> None:
    """A budget of 4 scorings and a rescoring window of 2 (so the engine is asked for 4).

    The corpus size feeding the estimate is this test's documents only: other tests may
    leave documents behind, which would (rightly) widen the window beyond these numbers.
    """
    first = min(_doc_id(r.pk) for r in twelve["repos"])
    monkeypatch.setattr(backends, "score_budget", lambda: 4)
    monkeypatch.setattr(services, "CANDIDATES", 2)
    monkeypatch.setattr(
        scoring_window, "documents", lambda: SearchDocument.objects.filter(pk__gte=first).count()
    )


def _doc_id(repo_id: int) -> int:
    return SearchDocument.objects.get(repository_id=repo_id).pk


def test_rewriting_a_document_keeps_its_id_and_a_rebuild_orders_by_last_change(
    twelve: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    oldest = twelve["repos"][0]
    before = _doc_id(oldest.pk)
    assert before < _doc_id(twelve["repos"][-1].pk)
    with django_capture_on_commit_callbacks(execute=True):
        repo_update_settings(
            actor=Principal(user=twelve["owner"]), repo=oldest, description=f"{TERM} renamed"
        )
    # A search that read the id before the rewrite still finds the document by it.
    assert _doc_id(oldest.pk) == before
    assert "windowowner/w00" in ids(as_user(None, q="renamed"))
    indexer.reindex_all()
    ours = sorted(twelve["repos"], key=lambda r: _doc_id(r.pk))
    assert ours[-1].pk == oldest.pk  # changed last, so numbered last by the rebuild


def test_no_window_for_a_selective_query(twelve: dict[str, Any]) -> None:
    assert scoring_window.floor(query_groups(TERM), any_group=False) is None  # 13 < 10,000
    assert as_user(None, q=TERM).total == 12


def test_broad_query_scores_only_the_newest_matches(
    twelve: dict[str, Any], small_budget: None
) -> None:
    groups = query_groups(TERM)
    floor = scoring_window.floor(groups, any_group=False)
    assert floor is not None
    scored = {i for i, _ in backends.ranked(groups, limit=100, min_id=floor).hits}
    newest = [*sorted(_doc_id(r.pk) for r in twelve["repos"])[-3:], _doc_id(twelve["secret"].pk)]
    # 13 matches, a budget of 4: the window holds the four newest documents.
    assert scored == set(newest)

    result = as_user(None, q=TERM, per_page=2)
    assert result.total_relation == "gte"  # matches below the window were not looked at
    assert ids(result) <= {f"windowowner/w{i:02d}" for i in (9, 10, 11)}
    assert "windowowner/w-secret" not in ids(result)


def test_window_too_narrow_is_widened_then_everything_is_scored(
    twelve: dict[str, Any], small_budget: None
) -> None:
    groups = query_groups(TERM)
    # Ask for more than the window can hold: the result must still be complete and best-first.
    raw = services._raw_best(groups, False, 8)
    assert len(raw.hits) == 8
    everything = backends.ranked(groups, limit=8)
    assert raw.hits == everything.hits


def test_privacy_holds_inside_the_window(twelve: dict[str, Any], small_budget: None) -> None:
    anonymous = as_user(None, q=TERM, per_page=2)
    owner = as_user(twelve["owner"], q=TERM, per_page=2)
    assert "windowowner/w-secret" not in ids(anonymous)
    assert anonymous.total <= 3  # at most the three public documents inside the window
    assert owner.total == anonymous.total + 1  # the owner also sees the private one
