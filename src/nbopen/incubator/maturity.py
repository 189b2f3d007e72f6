"""The Apache project maturity model, and the part of it the platform measures itself.

The items keep Apache's ids (CD10 … IN20) so a mentor can cite them; their texts here are our
own short wording. :func:`measure` reads real platform data for a project's repositories —
commit authors and their organizations (git history on the default branch, authors matched to
accounts by e-mail), tags and their dates, the licence (card or LICENSE file), issue threads
and their first answers — and :func:`evaluate` turns that evidence into met / not met /
unknown per item; a mentor's override wins and keeps its note. Only repositories the reader
may read are measured (``selectors``), so a private repository never shows through its
numbers.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models.functions import Lower
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from nbopen.accounts.models import User
from nbopen.analytics import formulas, queries
from nbopen.collab.models import Comment, Thread
from nbopen.incubator import licences
from nbopen.orgs.models import Membership
from nbopen.repos.git import read as gitread
from nbopen.repos.models import Repository

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"
MAX_COMMITS = 5000  # per repository: enough for any incubating project's history
RECENT_DAYS = 90
RELEASE_WINDOW_DAYS = 365
RESPONSE_TARGET_DAYS = 7.0

AREAS: tuple[tuple[str, Promise], ...] = (
    ("CD", _("Code")),
    ("LC", _("Licences and copyright")),
    ("RE", _("Releases")),
    ("QU", _("Quality")),
    ("CO", _("Community")),
    ("CS", _("Consensus building")),
    ("IN", _("Independence")),
)

# id → our wording of the item. The measured ones are named in :data:`MEASURED`.
ITEMS: dict[str, Promise] = {
    "CD10": _("The project's software is open source and free of charge for anyone."),
    "CD20": _("Anyone can find the code and read it without asking."),
    "CD30": _("The code builds reproducibly with common, freely available tools."),
    "CD40": _("Version control keeps the whole history, so every release can be rebuilt."),
    "CD50": _(
        "Version control shows reliably who wrote each change, from an authenticated account."
    ),
    "LC10": _("The released code carries an OSI-approved open-source licence."),
    "LC20": _("Required dependencies add no restrictions beyond the project's licence."),
    "LC30": _("Those required dependencies are themselves open source."),
    "LC40": _(
        "Committers have agreed to terms that say what they may commit and how to mark "
        "others' code."
    ),
    "LC50": _("Who owns the copyright of everything the project produces is written down."),
    "RE10": _("Releases are source code in standard, long-lived archive formats."),
    "RE20": _("The project's decision makers approve each release."),
    "RE30": _("Releases come with signatures or digests anyone can check."),
    "RE40": _("Convenience binaries may ship beside the source, without guarantees."),
    "RE50": _("The release process is written down so a newcomer can repeat it."),
    "QU10": _("The project is honest about the quality of each part of its code."),
    "QU20": _("Producing secure software is a top priority."),
    "QU30": _("There is a documented private channel for reporting security problems."),
    "QU40": _(
        "Backwards compatibility matters; breaking changes are documented with a way through."
    ),
    "QU50": _("Bug reports get a timely answer."),
    "CO10": _("A well-known home page points to everything needed to take part."),
    "CO20": _("Contributions from anyone acting in good faith are welcome."),
    "CO30": _("Code, documentation, bug reports and discussion all count as contributions."),
    "CO40": _(
        "People who add value over time gain rights and responsibilities; the work does "
        "not hang on one person."
    ),
    "CO50": _("How contributors gain more rights is documented and the same for everyone."),
    "CO60": _("Decisions are made by consensus of the members who hold decision power."),
    "CO70": _("Users' questions get a timely answer."),
    "CS10": _("The people with decision power are listed publicly."),
    "CS20": _("Decisions need consensus and are recorded on the main communication channel."),
    "CS30": _("Documented voting rules settle what discussion cannot."),
    "CS40": _("Vetoes apply only to code changes and come with a technical reason."),
    "CS50": _("Important discussions happen in writing, asynchronously, in the open."),
    "IN10": _("No single company or organization controls the project."),
    "IN20": _("Contributors act as themselves, not as representatives of their employer."),
}


@dataclass
class Evidence:
    """What the platform measured for a set of repositories (all counts over readable ones)."""

    repositories: int = 0
    public_repositories: int = 0
    commits: int = 0
    identified_commits: int = 0  # authored by an account of this platform
    contributors: int = 0  # distinct commit authors (by e-mail)
    recent_commits: int = 0  # last RECENT_DAYS days
    recent_contributors: int = 0
    bus_factor: int = 0  # CHAOSS: fewest authors holding half the commits
    organizations: dict[str, int] = field(default_factory=dict)  # org name → commits
    elephant_factor: int = 0  # CHAOSS: fewest organizations holding half the commits
    licences: dict[str, str] = field(default_factory=dict)  # repo full name → SPDX or ""
    tags: list[dict[str, str]] = field(default_factory=list)  # {"repository", "name", "date"}
    median_days_between_releases: float | None = None
    issues: int = 0
    answered_issues: int = 0
    median_response_days: float | None = None
    # The monthly analytics job's figures (OpenDigger activity, OpenRank) for the latest
    # computed month, per repository, when the job has run.
    metrics_month: str | None = None
    computed: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def licences_ok(self) -> bool:
        return bool(self.licences) and all(
            spdx and licences.is_osi_approved(spdx) for spdx in self.licences.values()
        )

    @property
    def recent_releases(self) -> int:
        cutoff = (datetime.now(UTC) - timedelta(days=RELEASE_WINDOW_DAYS)).date().isoformat()
        return sum(1 for t in self.tags if t["date"] >= cutoff)

    def as_json(self) -> dict[str, Any]:
        return {
            "repositories": self.repositories,
            "public_repositories": self.public_repositories,
            "commits": self.commits,
            "identified_commits": self.identified_commits,
            "contributors": self.contributors,
            "recent_commits": self.recent_commits,
            "recent_contributors": self.recent_contributors,
            "bus_factor": self.bus_factor,
            "organizations": self.organizations,
            "elephant_factor": self.elephant_factor,
            "licences": self.licences,
            "tags": self.tags,
            "recent_releases": self.recent_releases,
            "median_days_between_releases": self.median_days_between_releases,
            "issues": self.issues,
            "answered_issues": self.answered_issues,
            "median_response_days": self.median_response_days,
            "metrics_month": self.metrics_month,
            "computed": self.computed,
        }


@dataclass(frozen=True)
class Item:
    id: str
    area: str
    text: str
    status: str
    measured: bool
    evidence: str  # what the platform measured, in the reader's language ("" if nothing)
    override_note: str = ""
    override_by: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "area": self.area,
            "text": self.text,
            "status": self.status,
            "measured": self.measured,
            "evidence": self.evidence,
            "override": {"note": self.override_note, "mentor": self.override_by}
            if self.override_by
            else None,
        }


# --- measuring -----------------------------------------------------------------------------


def _licence_of(repo: Repository, head: str | None) -> str:
    if repo.license:
        return repo.license.strip().lower()
    if head is None:
        return ""
    for name in licences.LICENCE_FILES:
        entry = gitread.entry_at(repo.git_path, head, name)
        if entry is not None and entry.type == "blob":
            text = gitread.read_blob(repo.git_path, entry.oid, limit=64 * 1024)
            return licences.identify(text.decode("utf-8", "replace"))
    return ""


def _org_names_by_user(user_ids: Iterable[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    rows = Membership.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "organization__name"
    )
    for user_id, org in rows.order_by("organization__name"):
        out[user_id].append(org)
    return out


def _response_days(repos: Sequence[Repository]) -> tuple[int, int, float | None]:
    """(issues, answered issues, median days to the first answer by someone else)."""
    threads = list(
        Thread.objects.filter(repository__in=repos, kind=Thread.Kind.ISSUE).values_list(
            "pk", "author_id", "created_at"
        )
    )
    if not threads:
        return 0, 0, None
    first: dict[int, datetime] = {}
    comments = Comment.objects.filter(
        thread_id__in=[t[0] for t in threads], opening=False, hidden=False
    ).values_list("thread_id", "author_id", "created_at")
    authors = {pk: author for pk, author, _ in threads}
    for thread_id, author_id, at in comments.order_by("created_at"):
        if author_id != authors[thread_id] and thread_id not in first:
            first[thread_id] = at
    days = [
        (first[pk] - created).total_seconds() / 86400 for pk, _, created in threads if pk in first
    ]
    return len(threads), len(days), round(statistics.median(days), 2) if days else None


def measure(repos: Sequence[Repository], *, now: datetime | None = None) -> Evidence:
    """The evidence over ``repos`` (the caller passes only repositories the reader may read)."""
    now = now or datetime.now(UTC)
    ev = Evidence(repositories=len(repos), public_repositories=sum(not r.private for r in repos))
    by_email: dict[str, int] = defaultdict(int)
    recent_emails: set[str] = set()
    for repo in repos:
        head = (
            gitread.resolve(repo.git_path, repo.default_branch) if repo.git_path.exists() else None
        )
        ev.licences[repo.full_name] = _licence_of(repo, head)
        if head is None:
            continue
        for c in gitread.log(repo.git_path, head, limit=MAX_COMMITS):
            email = c.author_email.strip().lower()
            by_email[email] += 1
            ev.commits += 1
            if now - c.authored_at <= timedelta(days=RECENT_DAYS):
                ev.recent_commits += 1
                recent_emails.add(email)
        _, tags = gitread.list_refs(repo.git_path)
        for tag in tags:
            commit = gitread.commit(repo.git_path, tag.target)
            if commit is not None:
                ev.tags.append(
                    {
                        "repository": repo.full_name,
                        "name": tag.name,
                        "date": commit.committed_at.date().isoformat(),
                    }
                )
    ev.tags.sort(key=lambda t: (t["date"], t["repository"], t["name"]))
    ev.contributors = len(by_email)
    ev.recent_contributors = len(recent_emails)
    ev.bus_factor = formulas.bus_factor(by_email)
    users = dict(
        User.objects.annotate(lower_email=Lower("email"))
        .filter(lower_email__in=[e for e in by_email if e])
        .values_list("lower_email", "pk")
    )
    orgs_of = _org_names_by_user(users.values())
    by_org: dict[str, float] = defaultdict(float)
    for email, count in by_email.items():
        user_id = users.get(email)
        if user_id is None:
            continue
        ev.identified_commits += count
        names = orgs_of.get(user_id, [])
        for name in names:  # a member of several organizations shares the credit
            by_org[name] += count / len(names)
    ev.organizations = {k: round(v) for k, v in sorted(by_org.items(), key=lambda kv: -kv[1])}
    ev.elephant_factor = formulas.elephant_factor(by_org)
    dates = sorted({t["date"] for t in ev.tags})
    if len(dates) >= 2:
        gaps = [
            (datetime.fromisoformat(b) - datetime.fromisoformat(a)).days
            for a, b in itertools.pairwise(dates)
        ]
        ev.median_days_between_releases = float(statistics.median(gaps))
    ev.issues, ev.answered_issues, ev.median_response_days = _response_days(repos)
    ev.metrics_month, ev.computed = _computed(repos)
    return ev


def _computed(repos: Sequence[Repository]) -> tuple[str | None, dict[str, dict[str, float]]]:
    """activity and OpenRank of the latest month ``nbopen analytics compute`` produced (the
    repositories are the reader's readable ones, so their private figures may be included)."""
    months = queries.months()
    if not months or not repos:
        return None, {}
    month = months[-1]
    values = queries.latest_values(
        entity_type="repo",
        entity_ids=[str(r.pk) for r in repos],
        month=month,
        metrics=["activity", "openrank"],
        private_ids=[str(r.pk) for r in repos if r.private],
    )
    found = {r.full_name: values[str(r.pk)] for r in repos if str(r.pk) in values}
    return month, found


# --- evaluating ----------------------------------------------------------------------------


def _judge(ev: Evidence) -> dict[str, tuple[str, str]]:
    """item id → (status, evidence text) for the items the platform measures."""
    fmt = str
    out: dict[str, tuple[str, str]] = {}
    if ev.repositories == 0:
        return out
    public_all = ev.public_repositories == ev.repositories
    out["CD10"] = (
        MET if public_all and ev.licences_ok else NOT_MET,
        fmt(_("%(public)d of %(total)d repositories public; licences: %(licences)s"))
        % {
            "public": ev.public_repositories,
            "total": ev.repositories,
            "licences": ", ".join(f"{k} {v or '—'}" for k, v in ev.licences.items()),
        },
    )
    out["CD20"] = (
        MET if ev.public_repositories else NOT_MET,
        fmt(_("%(public)d public repositories")) % {"public": ev.public_repositories},
    )
    out["CD40"] = (
        MET if ev.commits else UNKNOWN,
        fmt(_("%(commits)d commits in git history")) % {"commits": ev.commits},
    )
    if ev.commits:
        share = ev.identified_commits / ev.commits
        out["CD50"] = (
            MET if share >= 0.8 else NOT_MET,
            fmt(_("%(share)d%% of commits authored by platform accounts"))
            % {"share": round(share * 100)},
        )
    out["LC10"] = (
        MET if ev.licences_ok else NOT_MET,
        fmt(_("Licences: %(licences)s"))
        % {"licences": ", ".join(f"{k} {v or '—'}" for k, v in ev.licences.items())},
    )
    out["RE10"] = (
        MET if ev.recent_releases else (NOT_MET if ev.commits else UNKNOWN),
        fmt(_("%(tags)d tags, %(recent)d in the last year; median %(gap)s days between releases"))
        % {
            "tags": len(ev.tags),
            "recent": ev.recent_releases,
            "gap": "—"
            if ev.median_days_between_releases is None
            else f"{ev.median_days_between_releases:g}",
        },
    )
    response = fmt(
        _("%(answered)d of %(issues)d issues answered; median first answer %(days)s days")
    ) % {
        "answered": ev.answered_issues,
        "issues": ev.issues,
        "days": "—" if ev.median_response_days is None else f"{ev.median_response_days:g}",
    }
    if ev.issues:
        timely = (
            ev.median_response_days is not None
            and ev.median_response_days <= RESPONSE_TARGET_DAYS
            and ev.answered_issues * 2 >= ev.issues
        )
        out["QU50"] = (MET if timely else NOT_MET, response)
        out["CO70"] = (MET if timely else NOT_MET, response)
    else:
        out["QU50"] = (UNKNOWN, response)
        out["CO70"] = (UNKNOWN, response)
    out["CO20"] = (
        MET if ev.contributors >= 3 and ev.recent_contributors >= 2 else NOT_MET,
        fmt(
            _(
                "%(contributors)d contributors; in the last 90 days %(recent)d contributors "
                "and %(commits)d commits"
            )
        )
        % {
            "contributors": ev.contributors,
            "recent": ev.recent_contributors,
            "commits": ev.recent_commits,
        },
    )
    if ev.computed:
        activity = sum(v.get("activity", 0.0) for v in ev.computed.values())
        openrank = sum(v.get("openrank", 0.0) for v in ev.computed.values())
        status, text = out["CO20"]
        text += "; " + fmt(_("%(month)s: activity %(activity)s, OpenRank %(openrank)s")) % {
            "month": ev.metrics_month,
            "activity": f"{activity:.2f}",
            "openrank": f"{openrank:.2f}",
        }
        out["CO20"] = (status, text)
    out["CO40"] = (
        MET if ev.bus_factor >= 2 else NOT_MET,
        fmt(_("Bus factor %(bus)d")) % {"bus": ev.bus_factor},
    )
    orgs = ", ".join(f"{k} {v}" for k, v in ev.organizations.items()) or "—"
    out["IN10"] = (
        MET if len(ev.organizations) >= 2 and ev.elephant_factor >= 2 else NOT_MET,
        fmt(_("Commits by organization: %(orgs)s; elephant factor %(elephant)d"))
        % {"orgs": orgs, "elephant": ev.elephant_factor},
    )
    return out


def evaluate(ev: Evidence, overrides: Mapping[str, tuple[str, str, str]]) -> list[Item]:
    """Every item, in the model's order: measured where the platform can, else unknown; a
    mentor's override (id → (status, note, mentor)) wins over both."""
    judged = _judge(ev)
    items = []
    for item_id, text in ITEMS.items():
        status, evidence = judged.get(item_id, (UNKNOWN, ""))
        note = by = ""
        if item_id in overrides:
            status, note, by = overrides[item_id]
        items.append(
            Item(
                id=item_id,
                area=item_id[:2],
                text=str(text),
                status=status,
                measured=item_id in judged,
                evidence=evidence,
                override_note=note,
                override_by=by,
            )
        )
    return items
