"""Webhooks, delivered for real to a receiver on 127.0.0.1: Gitea's payloads and signature
headers, retries with backoff and their log, and the allow-list refusing private addresses
(checked with a stub resolver, so no traffic leaves loopback)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import TestCase

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.collab import threads
from nbopen.core.errors import NotFound, PermissionDenied
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create
from nbopen.repos.writes import commits
from nbopen.webhooks import allowlist, services
from nbopen.webhooks.models import Delivery
from tests.search.helpers import make_user
from tests.support.repos import code_repo

pytestmark = pytest.mark.django_db
_user = make_user


def _repo(user: User, name: str = "hooked", private: bool = False) -> Repository:
    return code_repo(user, name, private=private)


class Receiver:
    """A local HTTP endpoint answering 500 to the first ``fail`` requests, then 200."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append(({k: v for k, v in self.headers.items()}, body))
                failing = len(receiver.requests) <= receiver.fail
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"nope" if failing else b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("NBOPEN_WEBHOOK_ALLOWED_HOSTS", "loopback")
    monkeypatch.setenv("NBOPEN_WEBHOOK_BACKOFF", "0.01")
    r = Receiver()
    yield r
    r.close()


def test_issue_event_is_signed_in_giteas_shape(receiver: Receiver) -> None:
    owner = _user("hookowner")
    repo = _repo(owner)
    hook = services.hook_create(
        actor=Principal(user=owner),
        repo=repo,
        fields={"url": receiver.url, "secret": "s3cret", "events": ["issues", "issue_comment"]},
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        thread = threads.create_thread(
            actor=Principal(user=owner), repo=repo, title="Broken", body="it fails"
        )
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={expected}"
    assert headers["X-Gitea-Signature"] == expected
    assert headers["X-Gitea-Event"] == headers["X-GitHub-Event"] == "issues"
    payload = json.loads(body)
    assert payload["action"] == "opened"
    assert payload["number"] == thread.number
    assert payload["issue"]["title"] == "Broken" and payload["issue"]["body"] == "it fails"
    assert payload["repository"]["full_name"] == repo.full_name
    assert payload["sender"]["login"] == "hookowner"
    log = Delivery.objects.get(hook=hook)
    assert log.succeeded and log.response_status == 200 and log.response_body == "ok"
    assert log.request_headers["X-Gitea-Delivery"] == headers["X-Gitea-Delivery"]


def test_push_payload_lists_commits(receiver: Receiver) -> None:
    owner = _user("pusher")
    repo = _repo(owner)
    services.hook_create(
        actor=Principal(user=owner), repo=repo, fields={"url": receiver.url, "events": ["push"]}
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        sha, _ = commits.commit(
            repo=repo,
            actor=owner,
            branch="main",
            operations=[commits.AddBytes("b.txt", b"two\n")],
            message="second",
        )
    pushes = [json.loads(b) for h, b in receiver.requests if h["X-Gitea-Event"] == "push"]
    assert len(pushes) == 1
    push = pushes[0]
    assert push["ref"] == "refs/heads/main" and push["after"] == sha
    assert [c["id"] for c in push["commits"]] == [sha]
    assert push["head_commit"]["message"].strip() == "second"
    assert push["pusher"]["login"] == "pusher"


def test_failing_receiver_gets_the_third_attempt_and_the_log_shows_all(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver.fail = 2
    owner = _user("retrier")
    repo = _repo(owner)
    hook = services.hook_create(
        actor=Principal(user=owner), repo=repo, fields={"url": receiver.url, "events": ["issues"]}
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        threads.create_thread(actor=Principal(user=owner), repo=repo, title="Again")
    assert len(receiver.requests) == 3
    log = list(Delivery.objects.filter(hook=hook).order_by("attempt"))
    assert [(d.attempt, d.response_status, d.succeeded) for d in log] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert len({d.guid for d in log}) == 1
    assert {h["X-Gitea-Delivery"] for h, _ in receiver.requests} == {log[0].guid}
    # Redeliver sends the logged request again, under a new delivery id.
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.redeliver(actor=Principal(user=owner), delivery_row=log[0])
    assert len(receiver.requests) == 4
    assert json.loads(receiver.requests[3][1]) == json.loads(receiver.requests[0][1])


def test_private_address_refused_by_default(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NBOPEN_WEBHOOK_ALLOWED_HOSTS")
    real = socket.getaddrinfo

    def stub(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "ci.intranet.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", stub)
    owner = _user("ssrf")
    repo = _repo(owner)
    hook = services.hook_create(
        actor=Principal(user=owner),
        repo=repo,
        fields={"url": "http://ci.intranet.example/hook", "events": ["issues"]},
    )
    loop = services.hook_create(
        actor=Principal(user=owner), repo=repo, fields={"url": receiver.url, "events": ["issues"]}
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        threads.create_thread(actor=Principal(user=owner), repo=repo, title="x")
    refused = Delivery.objects.get(hook=hook)
    assert refused.response_status is None and "10.1.2.3" in refused.error
    assert refused.error.startswith("refused")
    # Loopback is refused too by the default ``external``; neither is retried.
    assert Delivery.objects.get(hook=loop).error.startswith("refused")
    assert receiver.requests == []


def test_allow_list_grammar() -> None:
    import ipaddress as ip

    allow = allowlist.AllowList.parse("private, *.ci.example, 192.0.2.0/24")
    assert allow.allows_ip(ip.ip_address("10.0.0.1"))
    assert allow.allows_ip(ip.ip_address("192.0.2.7"))
    assert not allow.allows_ip(ip.ip_address("127.0.0.1"))
    assert not allow.allows_ip(ip.ip_address("8.8.8.8"))
    assert not allow.allows_ip(ip.ip_address("169.254.169.254"))
    assert allow.allows_host("build.ci.example") and not allow.allows_host("ci.example.org")
    default = allowlist.AllowList.parse("external")
    assert default.allows_ip(ip.ip_address("8.8.8.8"))
    for addr in ("127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254", "::1", "fd00::1"):
        assert not default.allows_ip(ip.ip_address(addr)), addr


def test_private_repo_events_stay_with_its_own_hooks(receiver: Receiver) -> None:
    owner, stranger = _user("secretive"), _user("nosy")
    private = _repo(owner, "hidden", private=True)
    other = _repo(stranger, "public")
    services.hook_create(
        actor=Principal(user=stranger),
        repo=other,
        fields={"url": receiver.url, "events": ["issues"]},
    )
    with pytest.raises((NotFound, PermissionDenied)):
        services.hook_create(
            actor=Principal(user=stranger), repo=private, fields={"url": receiver.url}
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        threads.create_thread(actor=Principal(user=owner), repo=private, title="secret")
    assert receiver.requests == []


def test_gitea_hook_api_round_trip(receiver: Receiver, client: Any) -> None:
    """Gitea's ``/hooks`` routes, checked against the OpenAPI document they are declared in."""
    from nbopen.accounts.services import token_create
    from nbopen.hubapi.openapi import document
    from tests.e2e.test_openapi import _check

    owner, reader = _user("apiowner"), _user("apireader")
    repo = _repo(owner, "api-hooked")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=owner).secret}"}
    doc = document()
    base = f"/api/v1/repos/{repo.full_name}/hooks"
    body = {
        "type": "gitea",
        "config": {"url": receiver.url, "content_type": "json", "secret": "k"},
        "events": ["push", "issues"],
        "active": True,
    }
    created = client.post(base, body, content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    _check(doc, created, "post", base)
    hook = created.json()
    assert hook["config"] == {"url": receiver.url, "content_type": "json"}  # no secret
    assert hook["events"] == ["push", "issues"]
    listed = client.get(base, **auth)
    _check(doc, listed, "get", base)
    assert [h["id"] for h in listed.json()] == [hook["id"]]
    one = f"{base}/{hook['id']}"
    patched = client.patch(one, {"events": ["issues"], "active": False}, "application/json", **auth)
    _check(doc, patched, "patch", one)
    assert patched.json()["events"] == ["issues"] and patched.json()["active"] is False
    client.patch(one, {"active": True}, "application/json", **auth)
    with TestCase.captureOnCommitCallbacks(execute=True):
        tested = client.post(f"{one}/tests", **auth)
    assert tested.status_code == 204
    headers, sent = receiver.requests[-1]
    assert headers["X-Gitea-Event"] == "push"
    assert json.loads(sent)["repository"]["full_name"] == repo.full_name
    # Readers and strangers cannot see hooks; bad input is a 400.
    other = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=reader).secret}"}
    assert client.get(base, **other).status_code == 403
    assert client.get(base).status_code == 401
    bad = dict(body, config={"url": "file:///etc/passwd"})
    assert client.post(base, bad, content_type="application/json", **auth).status_code == 400
    assert client.delete(one, **auth).status_code == 204
    assert client.get(one, **auth).status_code == 404


def test_settings_page_adds_tests_and_redelivers(receiver: Receiver) -> None:
    """The bilingual settings page (Chinese by default): add, test, the log, redeliver."""
    from django.test import Client

    client = Client(raise_request_exception=False)
    owner, reader = _user("pageowner"), _user("pagereader")
    repo = _repo(owner, "paged")
    base = f"{repo.web_path}/settings/hooks"
    client.force_login(reader)
    assert client.get(base).status_code in {403, 404}
    client.force_login(owner)
    listing = client.get(base)
    assert listing.status_code == 200
    assert "Web 钩子" in listing.content.decode()
    added = client.post(
        base, {"url": receiver.url, "secret": "x", "events": ["push"], "active": "on"}
    )
    assert added.status_code == 302
    hook_page = added["Location"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(hook_page, {"action": "test"})
    assert len(receiver.requests) == 1
    page = client.get(hook_page).content.decode()
    assert "X-Gitea-Event: push" in page and "重新投递" in page
    row = Delivery.objects.get()
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(hook_page, {"action": "redeliver", "delivery": row.pk})
    assert len(receiver.requests) == 2
    client.post(hook_page, {"action": "delete"})
    assert client.get(hook_page).status_code == 404


def test_org_hook_hears_its_private_repositories(receiver: Receiver) -> None:
    """An organization's hook gets the events of all its repositories, private ones too, and
    the organization's settings page lists it for admins only."""
    from django.test import Client

    from nbopen.orgs.services import org_create

    admin, outsider = _user("orgadmin"), _user("orgoutsider")
    org = org_create(name="hookorg", kind="university", owner=admin)
    private = repo_create(
        actor=Principal(user=admin), owner="hookorg", name="inside", type="code", private=True
    )
    services.hook_create(
        actor=Principal(user=admin), org=org, fields={"url": receiver.url, "events": ["issues"]}
    )
    with pytest.raises(PermissionDenied):
        services.hook_create(actor=Principal(user=outsider), org=org, fields={"url": receiver.url})
    with TestCase.captureOnCommitCallbacks(execute=True):
        threads.create_thread(actor=Principal(user=admin), repo=private, title="internal")
    [(_, body)] = receiver.requests
    assert json.loads(body)["repository"]["full_name"] == "hookorg/inside"
    assert json.loads(body)["repository"]["private"] is True
    client = Client(raise_request_exception=False)
    client.force_login(outsider)
    assert client.get("/hookorg/settings/hooks").status_code == 403
    client.force_login(admin)
    page = client.get("/hookorg/settings/hooks").content.decode()
    assert receiver.url in page and 'id="org-hooks-link"' in client.get("/hookorg").content.decode()


def test_pull_request_and_review_events(receiver: Receiver) -> None:
    from nbopen.collab import pulls
    from nbopen.repos.writes import refs

    owner, helper = _user("prowner"), _user("prhelper")
    repo = _repo(owner, "pr-hooked")
    services.hook_create(
        actor=Principal(user=owner),
        repo=repo,
        fields={"url": receiver.url, "events": ["pull_request", "pull_request_review"]},
    )
    refs.create_branch(repo=repo, actor=owner, branch="f", target=refs.branch_head(repo, "main"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        pull = pulls.open_pull(actor=Principal(user=helper), repo=repo, title="PR", head_branch="f")
        pulls.request_review(actor=Principal(user=helper), thread=pull, usernames=["prowner"])
        pulls.review(actor=Principal(user=owner), thread=pull, state="approved", body="lgtm")
    sent = [(h["X-Gitea-Event"], h["X-GitHub-Event"], json.loads(b)) for h, b in receiver.requests]
    assert [(g, gh, p["action"]) for g, gh, p in sent] == [
        ("pull_request", "pull_request", "opened"),
        ("pull_request", "pull_request", "review_requested"),
        ("pull_request_review_approved", "pull_request_review", "reviewed"),
    ]
    opened = sent[0][2]
    assert opened["pull_request"]["head"]["ref"] == "f" and opened["pull_request"]["base"]["ref"]
    assert sent[1][2]["requested_reviewer"]["login"] == "prowner"
    assert sent[2][2]["review"] == {"type": "pull_request_review_approved", "content": "lgtm"}


def test_form_content_type_and_its_redelivery(receiver: Receiver) -> None:
    from urllib.parse import parse_qs

    owner = _user("formowner")
    repo = _repo(owner, "form-hooked")
    hook = services.hook_create(
        actor=Principal(user=owner),
        repo=repo,
        fields={"url": receiver.url, "events": ["issues"], "content_type": "form", "secret": "f"},
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        threads.create_thread(actor=Principal(user=owner), repo=repo, title="Form")
    headers, body = receiver.requests[0]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["X-Gitea-Signature"] == hmac.new(b"f", body, hashlib.sha256).hexdigest()
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["issue"]["title"] == "Form"
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.redeliver(
            actor=Principal(user=owner), delivery_row=Delivery.objects.get(hook=hook)
        )
    assert receiver.requests[1][1] == body
