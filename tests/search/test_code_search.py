"""Code search in process: indexing through the write service, line hits, privacy, filters.

Files are committed with the repository write service (``repos.writes.commits.commit``), so
the ``repo.push`` event reaches the listener exactly as a git push's does; deferred jobs run
on commit (``django_capture_on_commit_callbacks``).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from nbopen.access.policy import Principal
from nbopen.accounts.services import token_create
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_delete, repo_update_settings
from nbopen.repos.writes.commits import AddBytes, DeleteFile, commit
from nbopen.search.code_backend import PgShape
from nbopen.search.code_search import highlight, search_code
from nbopen.search.models import CodeFile
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db

PORT_PY = b'''"""Berth planning."""


def from_block(block_id: int) -> str:
    # \xe6\xb8\xaf\xe5\x8f\xa3\xe8\xb0\x83\xe5\xba\xa6: schedule the quay cranes
    return str(block_id)
'''
SECRET_GO = b"package quay\n\n// SecretQuayPlan plans the hidden berth\nfunc SecretQuayPlan() {}\n"


def push(repo: Repository, user: Any, capture: Any, ops: list[Any]) -> None:
    with capture(execute=True):
        commit(repo=repo, actor=user, branch="main", operations=ops, message="files")


@pytest.fixture
def world(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        owner = make_user("codeowner")
        outsider = make_user("codeoutsider")
        public = make_repo(owner, "codeowner", "port-sdk", type="code")
        private = make_repo(owner, "codeowner", "hidden-plan", type="code", private=True)
    push(
        public,
        owner,
        capture,
        [
            AddBytes("port/berth.py", PORT_PY),
            AddBytes("docs/港口说明.md", "# 港口调度\n\n集装箱码头的泊位计划。\n".encode()),
            AddBytes("model.bin", b"\x00\x01from_block\x00"),
            AddBytes("big.lfs", b"version https://git-lfs.github.com/spec/v1\noid sha256:"
                     + b"a" * 64 + b"\nsize 12\n"),
        ],
    )  # fmt: skip
    push(private, owner, capture, [AddBytes("quay/plan.go", SECRET_GO)])
    return {"owner": owner, "outsider": outsider, "public": public, "private": private,
            "capture": capture}  # fmt: skip


def paths(result: Any) -> list[tuple[str, str, int]]:
    return [(h.repo, h.path, h.line) for h in result.hits]


def test_identifier_found_at_file_and_line(world: dict[str, Any]) -> None:
    result = search_code(principal=Principal.anonymous(), q="from_block")
    assert paths(result) == [("codeowner/port-sdk", "port/berth.py", 4)]
    hit = result.hits[0]
    assert "<mark>from_block</mark>" in hit.fragment
    assert hit.language == "python"
    assert hit.web_path == "/codeowner/port-sdk/blob/main/port/berth.py#L-4"
    # Binary files and LFS pointers are not indexed.
    indexed = set(CodeFile.objects.values_list("path", flat=True))
    assert {"port/berth.py", "docs/港口说明.md", "quay/plan.go"} <= indexed
    assert not {"model.bin", "big.lfs"} & indexed


def test_chinese_word_and_pinyin(world: dict[str, Any]) -> None:
    anon = Principal.anonymous()
    zh = search_code(principal=anon, q="港口")
    assert {(h.path, h.line) for h in zh.hits} == {("port/berth.py", 5), ("docs/港口说明.md", 1)}
    assert "<mark>港口</mark>" in zh.hits[0].fragment or "<mark>港口" in zh.hits[1].fragment
    py = search_code(principal=anon, q="gangkou")
    assert {h.path for h in py.hits} == {"port/berth.py", "docs/港口说明.md"}
    # Pinyin of a Chinese file name: 泊位 is only in the text, 说明 (shuoming) only in the path.
    assert [h.path for h in search_code(principal=anon, q="shuoming").hits] == ["docs/港口说明.md"]


def test_language_and_repository_filters(world: dict[str, Any]) -> None:
    anon = Principal.anonymous()
    both = search_code(principal=anon, q="港口")
    assert {f["value"]: f["count"] for f in both.facets["language"]} == {
        "python": 1,
        "markdown": 1,
    }
    only_md = search_code(principal=anon, q="港口", language="markdown")
    assert [h.path for h in only_md.hits] == ["docs/港口说明.md"] and only_md.total == 1
    assert search_code(principal=anon, q="港口", repo="codeowner/other").total == 0


def test_private_code_is_invisible_even_in_counts(world: dict[str, Any]) -> None:
    for who in (Principal.anonymous(), Principal(user=world["outsider"])):
        result = search_code(principal=who, q="SecretQuayPlan")
        assert (result.total, result.hits, result.facets["repo"]) == (0, [], [])
        wide = search_code(principal=who, q="quay")
        assert "codeowner/hidden-plan" not in {f["value"] for f in wide.facets["repo"]}
        assert all(h.repo != "codeowner/hidden-plan" for h in wide.hits)
    mine = search_code(principal=Principal(user=world["owner"]), q="SecretQuayPlan")
    assert paths(mine) == [("codeowner/hidden-plan", "quay/plan.go", 3)]
    # Made public, it is found by everyone; made private again, hidden again.
    actor = Principal(user=world["owner"])
    repo_update_settings(actor=actor, repo=world["private"], private=False)
    assert search_code(principal=Principal.anonymous(), q="SecretQuayPlan").total == 1
    repo_update_settings(actor=actor, repo=world["private"], private=True)
    assert search_code(principal=Principal.anonymous(), q="SecretQuayPlan").total == 0


def test_push_reindexes_changed_paths_and_delete_removes(world: dict[str, Any]) -> None:
    before = dict(CodeFile.objects.values_list("path", "id"))
    push(
        world["public"],
        world["owner"],
        world["capture"],
        [
            AddBytes("port/berth.py", PORT_PY.replace(b"from_block", b"to_block")),
            DeleteFile("docs/港口说明.md"),
        ],
    )
    anon = Principal.anonymous()
    assert search_code(principal=anon, q="from_block").total == 0
    assert paths(search_code(principal=anon, q="to_block")) == [
        ("codeowner/port-sdk", "port/berth.py", 4)
    ]
    assert search_code(principal=anon, q="说明").total == 0
    after = dict(CodeFile.objects.values_list("path", "id"))
    # The untouched private file kept its row: only changed paths were rewritten.
    assert after["quay/plan.go"] == before["quay/plan.go"]
    assert after["port/berth.py"] != before["port/berth.py"]
    with world["capture"](execute=True):
        repo_delete(actor=Principal(user=world["owner"]), repo=world["public"])
    assert search_code(principal=anon, q="to_block").total == 0
    assert not CodeFile.objects.filter(repo_key="codeowner/port-sdk").exists()


def test_fragments_escape_file_content() -> None:
    fragment, found = highlight('<script>alert("x")</script> from_block', {"fromblock"}, ())
    assert found
    assert fragment == ("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>from_block</mark>")


def test_api_shape_and_errors(client: Client, world: dict[str, Any]) -> None:
    data = client.get("/api/v1/search/code", {"q": "from_block", "limit": 5}).json()
    assert data["total"] == 1 and data["limit"] == 5 and data["page"] == 1
    (hit,) = data["results"]
    assert (hit["repo"], hit["path"], hit["line"]) == ("codeowner/port-sdk", "port/berth.py", 4)
    assert "<mark>from_block</mark>" in hit["fragment"]
    secret = token_create(user=world["owner"], scope="read").secret
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get("/api/v1/search/code", {"q": "SecretQuayPlan"}).json()["total"] == 0
    assert client.get("/api/v1/search/code", {"q": "SecretQuayPlan"}, **auth).json()["total"] == 1
    assert client.get("/api/v1/search/code", {"q": "x", "limit": "0"}).status_code == 400


def test_pinyin_finds_a_repository_by_its_chinese_description(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from nbopen.search.services import search

    with django_capture_on_commit_callbacks(execute=True):
        owner = make_user("pyowner")
        make_repo(owner, "pyowner", "berth-ai", description="港口泊位智能分配")
    hits = search(principal=Principal.anonymous(), q="gangkou").hits
    assert [h.id for h in hits] == ["pyowner/berth-ai"]
    assert [h.id for h in search(principal=Principal.anonymous(), q="港口").hits] == [
        "pyowner/berth-ai"
    ]


@pytest.mark.parametrize(
    ("plan", "share", "settings"),
    [
        ("all", 0.0, {"PG_ALL": 10**9}),
        ("walk", 0.9, {"PG_ALL": -1}),
        ("range", 0.3, {"PG_ALL": -1, "PG_WALK": 2.0}),
    ],
)
def test_every_plan_finds_the_same_window(
    world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    plan: str,
    share: float,
    settings: dict[str, Any],
) -> None:
    """PostgreSQL picks one of three plans by the expected number of matches (code_search.
    _pg_window); whichever runs, the window is the newest visible matches, and a private
    file never enters it. A window of 3 over 8 public and 8 private files, pushed in
    alternation so their ids interleave, makes the range plan widen and fall back."""
    for i in range(8):
        for repo in (world["public"], world["private"]):
            body = f"def berth_{i}():\n    return 'crane'  # berth {i}\n".encode()
            push(repo, world["owner"], world["capture"], [AddBytes(f"berth/b{i}.py", body)])
    monkeypatch.setattr("nbopen.search.code_search.WINDOW", 3)
    monkeypatch.setattr("nbopen.search.code_backend._shape", None)
    # The expected share of matching files, as the statistics would give it (a test
    # database has none): 0.3 gives the range plan an id range of a few rows.
    monkeypatch.setattr(PgShape, "expected", lambda self, groups, rows: share * rows)
    for name, value in settings.items():
        monkeypatch.setattr(f"nbopen.search.code_search.{name}", value)
    anon = search_code(principal=Principal.anonymous(), q="crane", limit=10)
    assert [h.path for h in anon.hits] == ["berth/b7.py", "berth/b6.py", "berth/b5.py"], plan
    assert {h.repo for h in anon.hits} == {"codeowner/port-sdk"}
    assert (anon.total, anon.total_relation) == (3, "gte")
    mine = search_code(principal=Principal(user=world["owner"]), q="crane", limit=10)
    assert [(h.repo, h.path) for h in mine.hits] == [
        ("codeowner/hidden-plan", "berth/b7.py"),
        ("codeowner/port-sdk", "berth/b7.py"),
        ("codeowner/hidden-plan", "berth/b6.py"),
    ], plan
    outsider = search_code(principal=Principal(user=world["outsider"]), q="crane 7")
    assert [(h.repo, h.path) for h in outsider.hits] == [("codeowner/port-sdk", "berth/b7.py")]
    assert (outsider.total, outsider.total_relation) == (1, "eq")
