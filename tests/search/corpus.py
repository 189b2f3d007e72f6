"""Build the bilingual fixture corpus (corpus.yaml) through the real services and real git."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.accounts.services import user_create
from nbopen.orgs.models import Organization
from nbopen.orgs.services import org_create
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create
from nbopen.repos.writes.after_update import RefUpdate, after_update

DATA = yaml.safe_load((Path(__file__).with_name("corpus.yaml")).read_text(encoding="utf-8"))
PASSWORD = "corpus-password-1"


def _git(path: Path, *args: str, stdin: bytes | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=path, input=stdin, capture_output=True, check=True)
    return out.stdout.decode().strip()


def push_readme(repo: Repository, actor: User, text: str) -> None:
    """Commit README.md on the default branch with git plumbing, then record the push."""
    path = repo.git_path
    blob = _git(path, "hash-object", "-w", "--stdin", stdin=text.encode())
    tree = _git(path, "mktree", stdin=f"100644 blob {blob}\tREADME.md\n".encode())
    parent = (
        _git(path, "rev-parse", "--verify", "-q", repo.default_branch + "^{commit}")
        if (repo.pushed_at)
        else ""
    )
    args = ["commit-tree", tree, "-m", "README"] + (["-p", parent] if parent else [])
    commit = _git(path, *args)
    ref = f"refs/heads/{repo.default_branch}"
    _git(path, "update-ref", ref, commit)
    after_update(repo_id=repo.pk, actor=actor, updates=[RefUpdate(parent or "0" * 40, commit, ref)])


def readme_for(card: dict[str, Any] | None, title: str, body: str) -> str:
    front = f"---\n{yaml.safe_dump(card, allow_unicode=True)}---\n" if card else ""
    return f"{front}# {title}\n\n{body}\n"


def build(prefix: str = "") -> dict[str, Any]:
    """Create everything in corpus.yaml; ``prefix`` keeps names unique when built twice."""
    users: dict[str, User] = {}
    for u in DATA["users"]:
        name = prefix + u["name"]
        users[u["name"]] = user_create(
            username=name,
            email=f"{name}@example.org",
            password=PASSWORD,
            display_name=u.get("display", ""),
        )
    org_owner: dict[str, User] = {}
    for o in DATA["orgs"]:
        org_create(
            name=prefix + o["name"],
            kind=o["kind"],
            owner=users[o["owner"]],
            display_name=o.get("display", ""),
            description=o.get("description", ""),
        )
        org_owner[o["name"]] = users[o["owner"]]
    repos: dict[str, Repository] = {}
    for r in DATA["repos"]:
        actor = users.get(r["owner"]) or org_owner[r["owner"]]
        repo = repo_create(
            actor=Principal(user=actor),
            owner=prefix + r["owner"],
            name=r["name"],
            type=r["type"],
            private=bool(r.get("private", False)),
            description=r.get("description", ""),
        )
        if r.get("card") or r.get("readme"):
            push_readme(repo, actor, readme_for(r.get("card"), r["name"], r.get("readme", "")))
        repos[f"{r['owner']}/{r['name']}"] = repo
    return {"users": users, "repos": repos}


def destroy(prefix: str = "") -> None:
    names = [prefix + u["name"] for u in DATA["users"]]
    orgs = [prefix + o["name"] for o in DATA["orgs"]]
    Repository.objects.filter(owner__name__in=names + orgs).delete()
    Organization.objects.filter(name__in=orgs).delete()
    User.objects.filter(username__in=names).delete()
