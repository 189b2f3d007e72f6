"""Thread search: issues and pull requests indexed through the thread services' events,
Chinese relevance, privacy (results and totals), the issue list's search box and Gitea's
``/api/v1/repos/issues/search``. Deferred jobs run on commit
(``django_capture_on_commit_callbacks``), as the event listener schedules them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from nbopen.access.policy import Principal
from nbopen.accounts.services import token_create
from nbopen.collab import listing, threads
from nbopen.collab.models import Thread
from nbopen.core.errors import InvalidInput
from nbopen.repos.collaborators import collaborator_set
from nbopen.repos.services import repo_delete, repo_update_settings
from nbopen.search import thread_index
from nbopen.search.models import ThreadDoc
from nbopen.search.thread_search import search_threads
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    with django_capture_on_commit_callbacks(execute=True):
        owner, reader, outsider = make_user("thowner"), make_user("threader"), make_user("thout")
        public = make_repo(owner, "thowner", "port", type="code")
        hidden = make_repo(owner, "thowner", "secret", type="code", private=True)
        collaborator_set(actor=Principal(user=owner), repo=hidden, user=reader, role="read")
        who = Principal(user=owner)
        titled = threads.create_thread(
            actor=who, repo=public, title="港口调度超时", body="泊位计划在高峰时段失败"
        )
        in_body = threads.create_thread(
            actor=who, repo=public, title="集装箱堆场问题", body="夜间港口调度偶尔超时"
        )
        other = threads.create_thread(actor=who, repo=public, title="文档拼写错误", body="")
        secret = threads.create_thread(
            actor=who, repo=hidden, title="港口调度超时（内部）", body="机密"
        )
    return {"owner": owner, "reader": reader, "outsider": outsider, "public": public,
            "hidden": hidden, "titled": titled, "in_body": in_body, "other": other,
            "secret": secret}  # fmt: skip


def found(user: Any, q: str, **kw: Any) -> list[int]:
    principal = Principal(user=user) if user else Principal.anonymous()
    return [t.pk for t in search_threads(principal=principal, q=q, **kw).threads]


def test_chinese_words_find_threads_and_the_title_ranks_first(world: dict[str, Any]) -> None:
    hits = found(world["outsider"], "港口调度超时")
    assert hits == [world["titled"].pk, world["in_body"].pk]  # title match above body-only
    assert found(world["outsider"], "调度") == [world["titled"].pk, world["in_body"].pk]
    assert found(world["outsider"], "泊位") == [world["titled"].pk]
    assert found(world["outsider"], "拼写") == [world["other"].pk]
    assert found(world["outsider"], "gangkou") == [world["titled"].pk, world["in_body"].pk]
    assert found(world["outsider"], "冷链物流") == []


def test_private_threads_only_for_readers_and_never_counted(world: dict[str, Any]) -> None:
    for user in (None, world["outsider"]):
        principal = Principal(user=user) if user else Principal.anonymous()
        result = search_threads(principal=principal, q="港口调度超时")
        assert world["secret"].pk not in [t.pk for t in result.threads]
        assert result.total == 2
        browse = search_threads(principal=principal, state="all")
        assert world["secret"].pk not in [t.pk for t in browse.threads]
        assert browse.total == 3
    assert world["secret"].pk in found(world["reader"], "港口调度超时")
    assert search_threads(principal=Principal(user=world["reader"]), q="机密").total == 1
    # Made public: visible at once (visibility is never stored in the index).
    repo_update_settings(actor=Principal(user=world["owner"]), repo=world["hidden"],
                         private=False)  # fmt: skip
    assert world["secret"].pk in found(world["outsider"], "机密")


def test_index_follows_comments_edits_state_and_deletion(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    who = Principal(user=world["owner"])
    other = world["other"]
    with django_capture_on_commit_callbacks(execute=True):
        comment = threads.comment_add(actor=who, thread=other, body="冷链物流的温度告警")
    assert found(world["outsider"], "冷链物流") == [other.pk]
    with django_capture_on_commit_callbacks(execute=True):
        threads.comment_edit(actor=who, thread=other, comment_id=comment.pk, body="航道疏浚")
    assert found(world["outsider"], "冷链物流") == []
    assert found(world["outsider"], "航道") == [other.pk]
    with django_capture_on_commit_callbacks(execute=True):
        threads.comment_hide(actor=who, thread=other, comment_id=comment.pk)
    assert found(world["outsider"], "航道") == []
    with django_capture_on_commit_callbacks(execute=True):
        threads.rename(actor=who, thread=other, title="船舶靠泊预测")
    assert found(world["outsider"], "靠泊") == [other.pk]
    with django_capture_on_commit_callbacks(execute=True):
        threads.set_state(actor=who, thread=other, state="closed", reason="completed")
    assert found(world["outsider"], "靠泊") == []  # open by default
    assert found(world["outsider"], "靠泊", state="closed") == [other.pk]
    assert found(world["outsider"], "靠泊", state="all", type="pulls") == []
    with django_capture_on_commit_callbacks(execute=True):
        repo_delete(actor=who, repo=world["public"])
    assert not ThreadDoc.objects.filter(repository_id=world["public"].pk).exists()
    assert found(world["owner"], "港口调度") == [world["secret"].pk]


def test_issue_list_search_uses_the_index_per_repository(world: dict[str, Any]) -> None:
    who = Principal(user=world["owner"])

    def listed(repo: Any, q: str) -> list[int]:
        qs = threads.thread_list(actor=who, repo=repo)
        return sorted(
            listing.refine(qs, query=q, repository_id=repo.pk).values_list("pk", flat=True)
        )

    public, hidden = world["public"], world["hidden"]
    assert listed(public, "超时") == sorted([world["titled"].pk, world["in_body"].pk])
    assert listed(hidden, "超时") == [world["secret"].pk]
    assert listed(public, "机密") == []  # another repository's words
    assert listed(public, f"r{public.pk}") == []  # the scope token is not a word
    assert listed(public, "!!!") == []
    newest_first = listing.refine(threads.thread_list(actor=who, repo=public), query="调度",
                                  repository_id=public.pk)  # fmt: skip
    assert [t.pk for t in newest_first] == [world["in_body"].pk, world["titled"].pk]
    assert newest_first.count() == 2


def test_reindex_rebuilds_threads_written_without_events(world: dict[str, Any]) -> None:
    made = Thread.objects.create(repository=world["public"], number=99, kind="issue",
                                 title="闸口排队", author=world["owner"])  # fmt: skip
    assert found(world["outsider"], "闸口") == []
    assert thread_index.reindex_all()["threads"] == 5
    assert found(world["outsider"], "闸口") == [made.pk]
    assert found(world["outsider"], "港口调度超时") == [world["titled"].pk, world["in_body"].pk]


def test_bad_input_is_refused(world: dict[str, Any]) -> None:
    principal = Principal.anonymous()
    for kw in ({"state": "merged"}, {"type": "wiki"}, {"page": 0}, {"limit": 51},
               {"q": "港" * 300}):  # fmt: skip
        with pytest.raises(InvalidInput):
            search_threads(principal=principal, **kw)


def test_gitea_issue_search_api(world: dict[str, Any], client: Client) -> None:
    answer = client.get("/api/v1/repos/issues/search", {"q": "港口调度超时", "limit": 1})
    assert answer.status_code == 200
    assert answer["X-Total-Count"] == "2"
    assert 'rel="next"' in answer["Link"]
    [issue] = answer.json()
    assert issue["number"] == world["titled"].number
    assert issue["title"] == "港口调度超时"
    assert issue["body"] == "泊位计划在高峰时段失败"
    assert issue["repository"]["full_name"] == "thowner/port"
    assert issue["pull_request"] is None and issue["state"] == "open"
    token = token_create(user=world["reader"], name="t", scope="read").secret
    mine = client.get("/api/v1/repos/issues/search", {"q": "机密"},
                      HTTP_AUTHORIZATION=f"token {token}")  # fmt: skip
    assert [i["title"] for i in mine.json()] == ["港口调度超时（内部）"]
    anonymous = client.get("/api/v1/repos/issues/search", {"q": "机密"})
    assert anonymous.json() == [] and anonymous["X-Total-Count"] == "0"
    bad = client.get("/api/v1/repos/issues/search", {"state": "sideways"})
    assert bad.status_code == 422 and "message" in bad.json()


def test_search_page_issues_tab(world: dict[str, Any], client: Client) -> None:
    page = client.get("/search", {"q": "港口调度超时", "tab": "issues"},
                      HTTP_ACCEPT_LANGUAGE="zh-CN")  # fmt: skip
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-tab="issues" class="active">议题/讨论' in html
    assert "thowner/port #1" in html and "/thowner/port/issues/1" in html
    assert "2 个议题或合并请求" in html
    assert "内部" not in html and "thowner/secret" not in html  # private: no hit, no count
    client.force_login(world["reader"])
    mine = client.get("/search", {"q": "港口调度超时", "tab": "issues"}).content.decode()
    assert "thowner/secret #1" in mine
    closed = client.get("/search", {"q": "港口", "tab": "issues", "state": "closed"})
    assert "thowner/port" not in closed.content.decode()
    bad = client.get("/search", {"q": "港口", "tab": "issues", "type": "wiki"})
    assert bad.status_code == 400
