"""The endpoint the help pages and the "Use this" box put into commands."""

from __future__ import annotations

from django.test import RequestFactory

from nbopen.web import snippets

LOOPBACK = "http://127.0.0.1:8000"
PUBLIC = "https://hub.example.org"


def _request(host: str, secure: bool = False) -> object:
    return RequestFactory().get("/docs", HTTP_HOST=host, secure=secure)


def test_a_configured_public_url_always_wins() -> None:
    for host in ("evil.example", "10.0.0.5:8000", "127.0.0.1:8000"):
        assert snippets.endpoint(_request(host), PUBLIC) == PUBLIC  # type: ignore[arg-type]


def test_the_loopback_default_gives_way_to_the_address_the_visitor_used() -> None:
    assert snippets.endpoint(_request("10.0.0.5:8000"), LOOPBACK) == "http://10.0.0.5:8000"  # type: ignore[arg-type]
    assert (
        snippets.endpoint(_request("nbopen.lan", secure=True), LOOPBACK)  # type: ignore[arg-type]
        == "https://nbopen.lan"
    )
    assert snippets.endpoint(_request("localhost:8000"), LOOPBACK) == LOOPBACK  # type: ignore[arg-type]
    assert snippets.endpoint(None, LOOPBACK) == LOOPBACK


def test_repository_snippets_per_type() -> None:
    ids = {
        kind: [s.id for s in snippets.repository("o/n", kind, PUBLIC)]
        for kind in ("model", "dataset", "code")
    }
    assert ids == {
        "model": ["use-git", "use-hf", "use-modelscope", "use-cli"],
        "dataset": ["use-git", "use-hf", "use-datasets", "use-cli"],
        "code": ["use-git"],
    }
    dataset = {s.id: s.code for s in snippets.repository("o/n", "dataset", PUBLIC)}
    assert f"git clone {PUBLIC}/datasets/o/n.git" in dataset["use-git"]
    assert 'snapshot_download("o/n", repo_type="dataset")' in dataset["use-hf"]
    assert "--repo-type dataset" in dataset["use-cli"]
