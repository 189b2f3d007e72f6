"""Issue templates read from the default branch: ``.nbopen/ISSUE_TEMPLATE/`` first, then
Gitea's ``.gitea/`` and GitHub's ``.github/`` folders (as Gitea reads them), so a project
moved from either forge keeps its templates.

A Markdown template has YAML front matter (``name``, ``about``, ``title``, ``labels``,
``assignees``) and a body; a YAML issue form (``name``, ``description``, ``body`` of
markdown/textarea/input/dropdown/checkboxes fields) is turned into Markdown headings, so the
plain text box of the new-issue page can hold it. Files are read through git with size caps;
a broken file is reported as such, never a 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from nbopen.access.policy import Level, Principal, repo_level, require_repo
from nbopen.accounts.models import User
from nbopen.collab import labels, threads
from nbopen.collab.models import Thread
from nbopen.repos.cards import CardTooLarge, load_yaml
from nbopen.repos.git import read
from nbopen.repos.models import Repository

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
FOLDERS = (".nbopen/ISSUE_TEMPLATE", ".gitea/ISSUE_TEMPLATE", ".github/ISSUE_TEMPLATE")
MAX_FILE = 64 * 1024
MAX_TEMPLATES = 50


@dataclass
class IssueTemplate:
    """One template as Gitea's ``IssueTemplate`` (``content``: the body to start from)."""

    file_name: str
    name: str
    about: str = ""
    title: str = ""
    content: str = ""
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    ref: str = ""
    error: str = ""

    @property
    def slug(self) -> str:
        return self.file_name.rsplit("/", 1)[-1]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if isinstance(v, str | int) and str(v).strip()]
    return []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _title(value: Any) -> str:
    """A title prefix keeps its trailing space (``"[Bug] "``): the reporter types after it."""
    return value.lstrip()[:256] if isinstance(value, str) else ""


def _markdown(path: str, text: str) -> IssueTemplate:
    text = text.removeprefix("\ufeff")
    match = FRONT_MATTER.match(text)
    meta = load_yaml(match.group(1)) if match else {}
    if not isinstance(meta, dict):
        meta = {}
    body = text[match.end() :].lstrip("\n") if match else text
    return IssueTemplate(
        file_name=path,
        name=_text(meta.get("name")) or path.rsplit("/", 1)[-1],
        about=_text(meta.get("about")),
        title=_title(meta.get("title")),
        content=body,
        labels=_strings(meta.get("labels")),
        assignees=_strings(meta.get("assignees")),
    )


def _form_field(item: Any) -> str:
    """One issue-form field as Markdown: a heading with the label, then its placeholder or
    value (markdown blocks as they are, checkboxes as task items)."""
    if not isinstance(item, dict):
        return ""
    found = item.get("attributes")
    attrs: dict[str, Any] = found if isinstance(found, dict) else {}
    kind = item.get("type")
    if kind == "markdown":
        return _text(attrs.get("value"))
    label = _text(attrs.get("label")) or _text(item.get("id"))
    lines = [f"### {label}"] if label else []
    if kind == "checkboxes":
        options = attrs.get("options")
        for option in options if isinstance(options, list) else []:
            if isinstance(option, dict) and _text(option.get("label")):
                lines.append(f"- [ ] {_text(option.get('label'))}")
    elif kind == "dropdown":
        lines += [f"- {o}" for o in _strings(attrs.get("options"))]
    else:
        default = _text(attrs.get("value")) or _text(attrs.get("placeholder"))
        if default:
            lines.append(default)
    return "\n\n".join(lines) if kind != "checkboxes" else "\n".join(lines)


def _form(path: str, text: str) -> IssueTemplate:
    data = load_yaml(text)
    if not isinstance(data, dict):
        raise ValueError("an issue form must be a YAML mapping")
    fields = data.get("body")
    body: list[Any] = fields if isinstance(fields, list) else []
    parts = [p for p in (_form_field(item) for item in body) if p]
    return IssueTemplate(
        file_name=path,
        name=_text(data.get("name")) or path.rsplit("/", 1)[-1],
        about=_text(data.get("description")) or _text(data.get("about")),
        title=_title(data.get("title")),
        content="\n\n".join(parts) + ("\n" if parts else ""),
        labels=_strings(data.get("labels")),
        assignees=_strings(data.get("assignees")),
    )


def _parse(path: str, raw: bytes) -> IssueTemplate:
    try:
        text = raw.decode("utf-8")
        if path.endswith((".yaml", ".yml")):
            return _form(path, text)
        return _markdown(path, text)
    except (UnicodeDecodeError, yaml.YAMLError, CardTooLarge, ValueError) as exc:
        return IssueTemplate(file_name=path, name=path.rsplit("/", 1)[-1], error=str(exc)[:200])


def from_repository(repo: Repository) -> list[IssueTemplate]:
    """The templates of the first folder of :data:`FOLDERS` that has any, on the default
    branch (``config.yml`` is the chooser's settings, not a template)."""
    head = read.resolve(repo.git_path, repo.default_branch)
    if head is None:
        return []
    for folder in FOLDERS:
        try:
            entries = read.ls_tree(repo.git_path, head, folder)
        except FileNotFoundError:
            continue
        files = sorted(
            (
                e
                for e in entries
                if e.type == "blob"
                and e.path.lower().endswith((".md", ".yaml", ".yml"))
                and e.path.rsplit("/", 1)[-1].lower() not in {"config.yml", "config.yaml"}
            ),
            key=lambda e: e.path,
        )[:MAX_TEMPLATES]
        found = []
        for entry in files:
            if entry.size is not None and entry.size > MAX_FILE:
                found.append(
                    IssueTemplate(
                        file_name=entry.path,
                        name=entry.path.rsplit("/", 1)[-1],
                        error=f"larger than {MAX_FILE // 1024} KiB",
                    )
                )
                continue
            template = _parse(entry.path, read.read_blob(repo.git_path, entry.oid))
            template.ref = f"refs/heads/{repo.default_branch}"
            found.append(template)
        if found:
            return found
    return []


def templates(*, actor: Principal, repo: Repository) -> list[IssueTemplate]:
    """``repo``'s issue templates, for whoever can read it (errors included: Gitea lists a
    broken template too, so its author sees why it is not offered)."""
    require_repo(actor, repo, Level.READ)
    return from_repository(repo)


def usable(*, actor: Principal, repo: Repository) -> list[IssueTemplate]:
    """The templates the new-issue page offers (those that parsed)."""
    return [t for t in templates(actor=actor, repo=repo) if not t.error]


def find(*, actor: Principal, repo: Repository, slug: str) -> IssueTemplate | None:
    """The usable template whose file name is ``slug`` (the chooser's link), or None."""
    return next((t for t in usable(actor=actor, repo=repo) if t.slug == slug), None)


def apply_defaults(*, thread: Thread, template: IssueTemplate) -> None:
    """Give a new issue the template's labels and assignees, read from the repository
    (never from the form), as GitHub and Gitea do for anyone filing through a template:
    the maintainers chose them by committing the template. Labels the repository (or its
    organization) lacks and assignees who cannot read it are skipped."""
    repo = thread.repository
    wanted = {n.lower() for n in template.labels}
    found = [lab for lab in labels.available(repo) if lab.name_lower in wanted]
    if found:
        thread.labels.add(*found)
        threads.timeline(thread, "labels", thread.author, added=sorted(x.name for x in found))
    people = [
        u
        for name in template.assignees[:10]
        if (u := User.objects.filter(username__iexact=name).first()) is not None
        and repo_level(Principal(user=u), repo) >= Level.READ
    ]
    if people:
        thread.assignees.add(*people)
        threads.timeline(
            thread, "assignees", thread.author, assignees=sorted(u.username for u in people)
        )
