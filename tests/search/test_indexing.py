"""The index follows the event log, can be rebuilt, and keeps signals across rebuilds."""

from __future__ import annotations

from typing import Any

import pytest

from nbopen.access.policy import Principal
from nbopen.cli.main import main
from nbopen.core.errors import InvalidInput
from nbopen.core.models import Event
from nbopen.orgs.services import org_create
from nbopen.repos.services import repo_update_settings
from nbopen.search import indexer
from nbopen.search.models import SearchDocument, SearchTerm
from nbopen.search.services import search
from tests.search.corpus import push_readme, readme_for
from tests.search.helpers import as_user, facet, ids, make_repo, make_user

pytestmark = pytest.mark.django_db


def test_settings_change_replaces_terms_and_vocabulary(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        u = make_user("ix1")
        repo = make_repo(u, "ix1", "beacon", description="灯塔 lighthouse keeper")
    assert ids(as_user(None, q="lighthouse")) == {"ix1/beacon"}
    assert SearchTerm.objects.get(term="lighthous").df == 1
    with django_capture_on_commit_callbacks(execute=True):
        repo_update_settings(actor=Principal(user=u), repo=repo, description="雾笛 foghorn")
    assert as_user(None, q="lighthouse").total == 0
    assert ids(as_user(None, q="雾笛")) == {"ix1/beacon"}
    assert SearchTerm.objects.get(term="lighthous").df == 0


def test_search_applies_events_written_elsewhere() -> None:
    # No on-commit callbacks run here: as if the events came from another process, or the
    # background job had not got there yet.
    u = make_user("ix2")
    make_repo(u, "ix2", "quiet-harbor", description="sleepy harbour tides")
    assert Event.objects.filter(pk__gt=indexer.cursor()).count() >= 2  # the index is behind
    assert ids(as_user(None, q="tides")) == {"ix2/quiet-harbor"}  # read-your-writes
    assert not Event.objects.filter(pk__gt=indexer.cursor()).exists()
    assert indexer.index_pending() == 0  # idempotent, cursor moved


def test_readme_body_and_front_matter_are_indexed(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        u = make_user("ix3")
        repo = make_repo(u, "ix3", "chip-model", description="a model")
        card = {"tags": ["ascend", "domain:port"], "library_name": "mindspore", "language": "zh"}
        push_readme(repo, u, readme_for(card, "chip-model", "昇腾 推理 优化 wavelet"))
    result = as_user(None, q="wavelet")
    assert ids(result) == {"ix3/chip-model"}
    assert facet(result, "hardware") == {"ascend": 1}
    assert facet(result, "domain") == {"port": 1}
    assert facet(result, "library") == {"mindspore": 1}
    assert facet(result, "language") == {"zh": 1}
    assert ids(as_user(None, q="昇腾推理")) == {"ix3/chip-model"}
    hit = as_user(None, q="wavelet", filters={"hardware": ["ascend"], "language": ["zh"]})
    assert hit.total == 1
    assert as_user(None, q="wavelet", filters={"hardware": ["cuda"]}).total == 0
    assert as_user(None, filters={"tag": ["domain:port"], "owner": ["IX3"]}).total == 1


def test_orgs_and_users_are_found_and_filtered_by_type(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        u = make_user("ix4")
        org_create(name="harborlab", kind="institute", owner=u, display_name="港湾实验室")
    assert [h.id for h in as_user(None, q="港湾实验室", types=["org"]).hits] == ["harborlab"]
    assert as_user(None, q="harborlab", types=["user"]).total == 0
    result = as_user(None, q="ix4", types=["user"])
    assert [h.type for h in result.hits] == ["user"]
    assert facet(as_user(None, q="harborlab"), "org_kind") == {"institute": 1}


def test_reindex_command_rebuilds_and_keeps_signals(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        u = make_user("ix5")
        make_repo(u, "ix5", "liked", description="starlit pier")
        make_repo(u, "ix5", "plain", description="starlit pier")
    repo_id = SearchDocument.objects.get(key="ix5/liked").repository_id
    assert repo_id is not None
    indexer.signals_update(repository_id=repo_id, downloads=1000)
    assert [h.id for h in as_user(None, q="starlit", sort="downloads").hits] == [
        "ix5/liked",
        "ix5/plain",
    ]
    SearchDocument.objects.filter(key="ix5/plain").delete()  # a damaged index
    assert ids(as_user(None, q="starlit")) == {"ix5/liked"}
    assert main(["search", "reindex"]) == 0
    after = as_user(None, q="starlit", sort="downloads")
    assert [(h.id, h.likes, h.downloads) for h in after.hits] == [
        ("ix5/liked", 0, 1000),
        ("ix5/plain", 0, 0),
    ]


def test_bad_parameters_are_refused() -> None:
    anon = Principal.anonymous()
    for kwargs in (
        {"sort": "random"},
        {"types": ["space"]},
        {"page": 0},
        {"per_page": 1000},
        {"filters": {"colour": ["red"]}},
        {"q": "x" * 1000},
    ):
        with pytest.raises(InvalidInput):
            search(principal=anon, **kwargs)
