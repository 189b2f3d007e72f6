"""Small builders for search tests (through the services, as everywhere)."""

from __future__ import annotations

from typing import Any

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.accounts.services import user_create
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create
from nbopen.search.services import SearchResult, search
from tests.search.corpus import push_readme, readme_for


def make_user(name: str, *, admin: bool = False) -> User:
    return user_create(
        username=name, email=f"{name}@example.org", password="test-password-1", is_admin=admin
    )


def make_repo(
    actor: User,
    owner: str,
    name: str,
    *,
    private: bool = False,
    type: str = "model",
    description: str = "",
    card: dict[str, Any] | None = None,
) -> Repository:
    repo = repo_create(
        actor=Principal(user=actor),
        owner=owner,
        name=name,
        type=type,
        private=private,
        description=description,
    )
    if card:
        push_readme(repo, actor, readme_for(card, name, ""))
        repo.refresh_from_db()
    return repo


def ids(result: SearchResult) -> set[str]:
    return {h.id for h in result.hits}


def as_user(user: User | None, **kw: Any) -> SearchResult:
    principal = Principal(user=user) if user else Principal.anonymous()
    kw.setdefault("per_page", 100)
    return search(principal=principal, **kw)


def facet(result: SearchResult, name: str) -> dict[str, int]:
    return {f["value"]: f["count"] for f in result.facets[name]}
