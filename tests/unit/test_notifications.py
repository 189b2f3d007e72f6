"""Notifications from real thread activity: the author of a pull request hears of its review
and merge, @mentions and assignments reach people, watch levels, privacy at read time, and
email to a local SMTP sink (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import TestCase

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.collab import pulls, threads, watches
from nbopen.notifications import services as notes
from nbopen.notifications.models import Notification
from nbopen.repos.collaborators import collaborator_remove, collaborator_set
from nbopen.repos.models import Repository
from nbopen.repos.writes import commits, refs
from tests.search.helpers import make_user
from tests.support.repos import code_repo

pytestmark = pytest.mark.django_db
_user = make_user


def _repo(user: User, name: str = "hooked", private: bool = False) -> Repository:
    return code_repo(user, name, private=private)


def _inbox(user: User, **kw: Any) -> list[Notification]:
    return list(notes.inbox(Principal(user=user), **kw))


def test_pull_author_hears_of_review_and_merge_and_mentions_reach(db: None) -> None:
    owner, author, named = _user("nowner"), _user("nauthor"), _user("Named")
    repo = _repo(owner, "n-pulls")
    refs.create_branch(repo=repo, actor=owner, branch="f", target=refs.branch_head(repo, "main"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        commits.commit(
            repo=repo,
            actor=owner,
            branch="f",
            operations=[commits.AddBytes("f.txt", b"f\n")],
            message="f",
        )
        pull = pulls.open_pull(
            actor=Principal(user=author),
            repo=repo,
            title="Feature",
            body="cc @named, not mail@named.org",
            head_branch="f",
        )
    [mention] = _inbox(named)
    assert (mention.thread_id, mention.reason, mention.status) == (pull.pk, "mention", "unread")
    assert _inbox(author) == []  # one's own actions notify no one
    with TestCase.captureOnCommitCallbacks(execute=True):
        pulls.review(actor=Principal(user=owner), thread=pull, state="approved", body="ok")
    [note] = _inbox(author)
    assert (note.reason, note.last_kind, note.last_actor) == ("author", "pull.review", "nowner")
    notes.mark(Principal(user=author), to_status="read")
    assert _inbox(author) == [] and notes.unread_count(Principal(user=author)) == 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        pulls.merge_pull(actor=Principal(user=owner), thread=pull, strategy=pulls.Strategy("merge"))
    [again] = _inbox(author)
    assert again.pk == note.pk and again.last_kind == "pull.merge" and again.status == "unread"


def test_assignment_review_request_and_watch_levels(db: None) -> None:
    owner, helper, fan, quiet = _user("aowner"), _user("ahelper"), _user("afan"), _user("aquiet")
    repo = _repo(owner, "n-watch")
    collaborator_set(actor=Principal(user=owner), repo=repo, user=helper, role="write")
    watches.watch_level_set(actor=Principal(user=fan), repo=repo, level="all")
    watches.watch_level_set(actor=Principal(user=quiet), repo=repo, level="ignore")
    with TestCase.captureOnCommitCallbacks(execute=True):
        issue = threads.create_thread(
            actor=Principal(user=owner), repo=repo, title="Plan", body="@aquiet look"
        )
        threads.set_assignees(actor=Principal(user=owner), thread=issue, usernames=["ahelper"])
    assert [(n.thread_id, n.reason) for n in _inbox(fan)] == [(issue.pk, "watching")]
    assert [n.reason for n in _inbox(helper)] == ["assign"]
    assert _inbox(quiet) == []  # "ignore" silences even mentions
    refs.create_branch(repo=repo, actor=owner, branch="g", target=refs.branch_head(repo, "main"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        pull = pulls.open_pull(actor=Principal(user=owner), repo=repo, title="G", head_branch="g")
        pulls.request_review(actor=Principal(user=owner), thread=pull, usernames=["ahelper"])
    reasons = {n.thread_id: n.reason for n in _inbox(helper)}
    assert reasons[pull.pk] == "review_requested"


def test_private_thread_disappears_when_access_is_lost(db: None) -> None:
    owner, member = _user("powner"), _user("pmember")
    repo = _repo(owner, "n-secret", private=True)
    collaborator_set(actor=Principal(user=owner), repo=repo, user=member, role="read")
    with TestCase.captureOnCommitCallbacks(execute=True):
        issue = threads.create_thread(
            actor=Principal(user=owner), repo=repo, title="Secret", body="@pmember see"
        )
    [row] = _inbox(member)
    collaborator_remove(actor=Principal(user=owner), repo=repo, user=member)
    assert _inbox(member) == [] and notes.unread_count(Principal(user=member)) == 0
    with pytest.raises(notes.NotFound):
        notes.get(Principal(user=member), row.pk)
    assert issue.pk == row.thread_id


class _Sink:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Sink]:
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("NBOPEN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NBOPEN_SMTP_PORT", str(port))
    monkeypatch.setenv("NBOPEN_SMTP_FROM", "forge@example.org")
    yield sink
    controller.stop()


def test_email_goes_to_a_configured_smtp_server(db: None, smtp: _Sink) -> None:
    owner = _user("mowner")
    _user("mnamed")
    repo = _repo(owner, "n-mail")
    with TestCase.captureOnCommitCallbacks(execute=True):
        threads.create_thread(actor=Principal(user=owner), repo=repo, title="Mail", body="@mnamed")
    [envelope] = smtp.messages
    assert envelope.rcpt_tos == ["mnamed@example.org"]
    assert envelope.mail_from == "forge@example.org"
    text = envelope.content.decode()
    assert "[mowner/n-mail] Mail (#1)" in text and "/mowner/n-mail/issues/1" in text


def test_no_email_without_smtp(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NBOPEN_SMTP_HOST", raising=False)
    assert not notes.smtp_configured()


def test_gitea_notifications_api_shapes(db: None, client: Any) -> None:
    """Gitea's routes and shapes, checked against the OpenAPI document they are declared in."""
    from nbopen.accounts.services import token_create
    from nbopen.hubapi.openapi import document
    from tests.e2e.test_openapi import _check

    owner, reader = _user("gowner"), _user("greader")
    repo = _repo(owner, "n-api")
    with TestCase.captureOnCommitCallbacks(execute=True):
        for n in range(3):
            threads.create_thread(actor=Principal(user=owner), repo=repo, title=f"T{n} @greader")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=reader).secret}"}
    doc = document()
    new = client.get("/api/v1/notifications/new", **auth)
    _check(doc, new, "get", "/api/v1/notifications/new")
    assert new.json() == {"new": 3}
    page = client.get("/api/v1/notifications?limit=2", **auth)
    _check(doc, page, "get", "/api/v1/notifications")
    assert page["X-Total-Count"] == "3" and 'rel="next"' in page["Link"]
    first = page.json()[0]
    assert first["subject"]["type"] == "Issue" and first["subject"]["state"] == "open"
    assert first["subject"]["title"] == "T2 @greader" and first["unread"] is True
    assert first["repository"]["full_name"] == repo.full_name
    one = f"/api/v1/notifications/threads/{first['id']}"
    got = client.get(one, **auth)
    _check(doc, got, "get", one)
    marked = client.patch(f"{one}?to-status=read", **auth)
    assert marked.status_code == 205 and marked.json()["unread"] is False
    _check(doc, marked, "patch", one)
    assert client.get("/api/v1/notifications/new", **auth).json() == {"new": 2}
    everything = client.get("/api/v1/notifications?all=true", **auth).json()
    assert len(everything) == 3
    read_only = client.get("/api/v1/notifications?status-types=read", **auth).json()
    assert [n["id"] for n in read_only] == [first["id"]]
    # Offsets and years Python parses but PostgreSQL refuses: normalized to UTC, or a 400.
    odd = client.put("/api/v1/notifications?last_read_at=1999-09-27T00:01:35%2B22:03", **auth)
    assert odd.status_code == 205 and odd.json() == [], odd.content
    bad = client.put("/api/v1/notifications?last_read_at=2020-13-45T00:00:00Z", **auth)
    assert bad.status_code == 400, bad.content
    put = client.put("/api/v1/notifications", **auth)
    _check(doc, put, "put", "/api/v1/notifications")
    assert put.status_code == 205 and len(put.json()) == 2
    assert client.get("/api/v1/notifications/new", **auth).json() == {"new": 0}
    # Someone else's notification is not found; without credentials, 401.
    other = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=owner).secret}"}
    assert client.get(one, **other).status_code == 404
    assert client.get("/api/v1/notifications").status_code == 401


def test_inbox_page_header_count_and_watch_level(db: None) -> None:
    """The Chinese inbox: the header's unread count, mark read, done, and the watch level."""
    from django.test import Client

    client = Client(raise_request_exception=False)
    owner, fan = _user("wowner"), _user("wfan")
    repo = _repo(owner, "n-web")
    assert client.get("/notifications").status_code == 302  # sign in first
    client.force_login(fan)
    client.post(f"{repo.web_path}/watch", {"action": "watch"})
    client.post(f"{repo.web_path}/watch", {"level": "participating"})
    with TestCase.captureOnCommitCallbacks(execute=True):
        threads.create_thread(actor=Principal(user=owner), repo=repo, title="Quiet")
    assert _inbox(fan) == []  # participating: a new thread is not news
    client.post(f"{repo.web_path}/watch", {"level": "all"})
    with TestCase.captureOnCommitCallbacks(execute=True):
        issue = threads.create_thread(actor=Principal(user=owner), repo=repo, title="Loud")
    html = client.get("/notifications").content.decode()
    assert 'id="unread-count">1<' in html and "Loud" in html and "关注中" in html
    assert "Quiet" not in html and "selected>所有动态" in client.get(repo.web_path).content.decode()
    [row] = _inbox(fan)
    client.post("/notifications", {"id": row.pk, "to": "read"})
    html = client.get("/notifications").content.decode()
    assert "unread-count" not in html and "没有通知" in html
    client.post("/notifications", {"id": row.pk, "to": "done"})
    assert "Loud" in client.get("/notifications?filter=done").content.decode()
    assert issue.number == 2
