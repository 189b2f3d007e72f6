"""Commit list (paginated), a single commit with its diff, branches and tags."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from nbopen.repos import git_cache
from nbopen.repos.git import read
from nbopen.repos.git.diff import commit_diff
from nbopen.web.views.base import page, repo_access
from nbopen.web.views.browse import repo_context
from nbopen.web.views.threads import commit_checks

PER_PAGE = 30


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 100_000))
    except ValueError:
        return 1


def commits(request: HttpRequest, owner: str, name: str, rest: str = "") -> HttpResponse:
    access = repo_access(request, owner, name)
    repo = access.repo
    rest = rest or repo.default_branch
    split = access.split(rest)
    if split is None:
        if not rest or read.is_empty(repo.git_path):
            ctx = repo_context(access, rev=repo.default_branch, sha=None, tab="commits")
            return page(request, "web/repo_empty.html", ctx)
        raise Http404("no such revision")
    rev, sha, path = split
    number = _page_number(request)
    git_cache.ensure_commit_graph(repo)
    rows = git_cache.log(repo, sha, path=path, skip=(number - 1) * PER_PAGE, limit=PER_PAGE + 1)
    ctx = repo_context(access, rev=rev, sha=sha, tab="commits")
    ctx.update(
        {
            "path": path,
            "commits": rows[:PER_PAGE],
            "page": number,
            "has_next": len(rows) > PER_PAGE,
            "has_prev": number > 1,
            "total": git_cache.count_commits(repo, sha) if not path else None,
        }
    )
    return page(request, "web/repo_commits.html", ctx)


def commit(request: HttpRequest, owner: str, name: str, sha: str) -> HttpResponse:
    access = repo_access(request, owner, name)
    repo = access.repo
    full = read.resolve(repo.git_path, sha) if 4 <= len(sha) <= 40 else None
    if full is None or not full.startswith(sha.lower()):
        raise Http404("no such commit")
    info = git_cache.commit(repo, full)
    if info is None:
        raise Http404("no such commit")
    diff = commit_diff(repo.git_path, full, info.parents[0] if info.parents else None)
    ctx = repo_context(access, rev=full, sha=full, tab="commits")
    ctx.update(
        {
            "commit": info,
            "diff": diff,
            "additions": sum(f.additions for f in diff.files),
            "deletions": sum(f.deletions for f in diff.files),
            **commit_checks(repo, full),
        }
    )
    return page(request, "web/repo_commit.html", ctx)


def refs(request: HttpRequest, owner: str, name: str, kind: str) -> HttpResponse:
    access = repo_access(request, owner, name)
    ctx = repo_context(access, rev=access.repo.default_branch, sha=None, tab=kind)
    items = ctx["branches"] if kind == "branches" else ctx["tags"]
    rows = []
    for ref in items[:100]:
        rows.append({"ref": ref, "commit": git_cache.commit(access.repo, ref.target)})
    ctx.update({"rows": rows, "kind": kind, "more": max(0, len(items) - 100)})
    return page(request, "web/repo_refs.html", ctx)
