"""The open standards registry: a standard's status flow with every step recorded, public
comment counted from the repository's issues, versions as tags rendered (sanitised) at that
tag, implementations declared by writers of the implementing repository; drafts visible to
the committee only, private repositories never shown through the pages or the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from nbopen.access.policy import Principal
from nbopen.collab import threads
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.orgs.services import member_set, org_create
from nbopen.standards import selectors, services
from nbopen.standards.errors import InvalidStatus
from tests.incubator.helpers import commit, tag
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db

V1 = (
    "---\nlicense: cc-by-4.0\n---\n# 港口调度接口 v1\n\n第一版正文。[附录](appendix.md)\n\n"
    "<script>alert(1)</script>\n"
)
V2_DRAFT = "# 港口调度接口 v2 草案\n\n尚未发布的修改。\n"


@pytest.fixture
def world() -> dict[str, Any]:
    chair, member, outsider = make_user("chair"), make_user("member"), make_user("outsider")
    vendor, staff = make_user("vendor"), make_user("operator1", admin=True)
    committee = org_create(name="nbos", kind="community", owner=chair)
    member_set(organization=committee, user=member, role="read", actor=chair)
    repo = make_repo(chair, "nbos", "port-scheduling", type="code")
    first = commit(repo, chair, "README.md", V1)
    standard = services.standard_create(
        actor=Principal(user=chair),
        repository=repo,
        number="T/NBOS 001-2026",
        title="港口智能调度 数据接口规范",
        committee=committee,
        industries=["港航物流"],
    )
    impl = make_repo(vendor, "vendor", "berth-app", type="code")
    hidden = make_repo(vendor, "vendor", "hidden-app", type="code", private=True)
    return {
        "chair": chair,
        "member": member,
        "outsider": outsider,
        "vendor": vendor,
        "staff": staff,
        "committee": committee,
        "repo": repo,
        "first": first,
        "standard": standard,
        "impl": impl,
        "hidden": hidden,
    }


def test_the_standard_flow(world: dict[str, Any]) -> None:
    chair = Principal(user=world["chair"])
    standard, repo = world["standard"], world["repo"]
    assert standard.slug == "t-nbos-001-2026"
    # A draft: the committee's members and operators only.
    for who in ("chair", "member", "staff"):
        assert selectors.standard_get(Principal(user=world[who]), standard.slug) == standard
    for who in (Principal.anonymous(), Principal(user=world["outsider"])):
        with pytest.raises(NotFound):
            selectors.standard_get(who, standard.slug)
    assert Client().get("/standards/t-nbos-001-2026").status_code == 404
    assert "T/NBOS" not in Client().get("/standards").content.decode()
    with pytest.raises(PermissionDenied):
        services.standard_transition(
            actor=Principal(user=world["member"]), standard=standard, to="public_comment"
        )
    with pytest.raises(InvalidStatus, match="allowed: public_comment"):
        services.standard_transition(actor=chair, standard=standard, to="published")
    services.standard_transition(actor=chair, standard=standard, to="public_comment")
    # Public comment is the repository's issues: two threads, one closed, three comments.
    a = threads.create_thread(actor=Principal(user=world["outsider"]), repo=repo, title="意见一")
    threads.comment_add(actor=chair, thread=a, body="采纳")
    threads.comment_add(actor=Principal(user=world["outsider"]), thread=a, body="谢谢")
    threads.set_state(actor=chair, thread=a, state="closed")
    b = threads.create_thread(actor=Principal(user=world["vendor"]), repo=repo, title="意见二")
    threads.comment_add(actor=chair, thread=b, body="讨论中")
    counts = selectors.comment_counts(standard)
    assert counts.as_json() == {
        "open_threads": 1,
        "closed_threads": 1,
        "open_comments": 1,
        "closed_comments": 2,
    }
    services.standard_transition(actor=chair, standard=standard, to="approved")
    with pytest.raises(InvalidInput, match="tag"):
        services.standard_transition(actor=chair, standard=standard, to="published", version="v1.0")
    tag(repo, world["chair"], "v1.0", world["first"])
    commit(repo, world["chair"], "README.md", V2_DRAFT)  # the branch moves on after v1.0
    services.standard_transition(actor=chair, standard=standard, to="published", version="v1.0")
    with pytest.raises(AlreadyExists):
        services.standard_transition(actor=chair, standard=standard, to="published", version="v1.0")
    steps = [
        (t.from_status, t.to_status, t.version, t.actor_name) for t in standard.transitions.all()
    ]
    assert steps == [
        ("", "draft", "", "chair"),
        ("draft", "public_comment", "", "chair"),
        ("public_comment", "approved", "", "chair"),
        ("approved", "published", "v1.0", "chair"),
    ]
    # Implementations: by writers of the implementing repository, of a published version.
    with pytest.raises(PermissionDenied):
        services.implementation_declare(
            actor=Principal(user=world["outsider"]),
            standard=standard,
            repository=world["impl"],
            version="v1.0",
        )
    with pytest.raises(InvalidInput, match="not a published version"):
        services.implementation_declare(
            actor=Principal(user=world["vendor"]),
            standard=standard,
            repository=world["impl"],
            version="v2.0",
        )
    for repository in (world["impl"], world["hidden"]):
        services.implementation_declare(
            actor=Principal(user=world["vendor"]),
            standard=standard,
            repository=repository,
            version="v1.0",
        )
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/standards/t-nbos-001-2026")
    html = page.content.decode()
    assert page.status_code == 200
    assert "第一版正文" in html and "尚未发布的修改" not in html and "<script>alert" not in html
    assert 'href="/nbos/port-scheduling/blob/v1.0/appendix.md"' in html
    assert "cc-by-4.0" not in html  # the front matter is metadata, not text
    assert "已发布" in html and "vendor/berth-app" in html and "hidden-app" not in html
    assert "1 个进行中的意见（1 条评论）" in html
    assert "T/NBOS 001-2026" in Client().get("/standards").content.decode()
    owner = Client()
    owner.force_login(world["vendor"])
    assert "vendor/hidden-app" in owner.get("/standards/t-nbos-001-2026").content.decode()
    api = Client().get("/api/v1/standards/t-nbos-001-2026").json()
    assert api["versions"] == ["v1.0"] and api["comments"]["closed_threads"] == 1
    assert [i["repository"] for i in api["implementations"]] == ["vendor/berth-app"]
    document = Client().get("/api/v1/standards/t-nbos-001-2026/document").json()
    assert document["version"] == "v1.0" and "第一版正文" in document["markdown"]
    services.standard_transition(actor=chair, standard=standard, to="withdrawn")
    with pytest.raises(InvalidStatus):
        services.standard_transition(actor=chair, standard=standard, to="published", version="v1.0")


def test_a_private_repository_never_leaks(world: dict[str, Any]) -> None:
    chair = Principal(user=world["chair"])
    secret = make_repo(world["chair"], "nbos", "secret-standard", type="code", private=True)
    commit(secret, world["chair"], "README.md", "# 机密标准\n")
    standard = services.standard_create(
        actor=chair,
        repository=secret,
        number="T/NBOS 002-2026",
        title="机密标准",
        committee=world["committee"],
    )
    with pytest.raises(InvalidStatus, match="public"):
        services.standard_transition(actor=chair, standard=standard, to="public_comment")
    for client in (Client(), _logged_in(world["outsider"])):
        assert client.get("/standards/t-nbos-002-2026").status_code == 404
        assert "机密标准" not in client.get("/standards").content.decode()
        assert client.get("/api/v1/standards/t-nbos-002-2026").status_code == 404
        assert "002-2026" not in client.get("/api/v1/standards").content.decode()
    assert _logged_in(world["member"]).get("/standards/t-nbos-002-2026").status_code == 200


def _logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_api_refuses_bad_input_and_steps_out_of_order(world: dict[str, Any]) -> None:
    chair = _logged_in(world["chair"])
    url = "/api/v1/standards/t-nbos-001-2026/transition"
    out_of_order = chair.post(url, json.dumps({"to": "approved"}), content_type="application/json")
    assert out_of_order.status_code == 409
    assert chair.post(url, b"[", content_type="application/json").status_code == 400
    bad = chair.post(
        "/api/v1/standards",
        json.dumps(
            {
                "repository": "nbos/port-scheduling",
                "number": "001",
                "title": "x",
                "committee": "nbos",
            }
        ),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "T/NBOS 001-2026" in bad.json()["error"]
    other = make_repo(world["chair"], "nbos", "second", type="code")
    created = chair.post(
        "/api/v1/standards",
        json.dumps(
            {
                "repository": "nbos/second",
                "number": "T/NBOS 003-2026",
                "title": "第二项",
                "committee": "nbos",
                "industries": ["港航物流"],
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["status"] == "draft"
    assert other.standard.number == "T/NBOS 003-2026"
    listing = chair.get("/api/v1/standards?limit=1")
    assert listing["X-Total-Count"] == "2" and 'rel="next"' in listing["Link"]
    vendor = _logged_in(world["vendor"])
    assert (
        vendor.post(
            "/api/v1/standards",
            json.dumps(
                {
                    "repository": "vendor/berth-app",
                    "number": "T/NBOS 004-2026",
                    "title": "x",
                    "committee": "nbos",
                }
            ),
            content_type="application/json",
        ).status_code
        == 403
    )
