"""Who could solve a call, and which calls fit a user: ``ranking`` fed from the platform.

Hard filters come first (the issuing organization is no candidate; eligibility by
organization kind or ``individual``; for a user's list, only calls taking applications whose
deadline has not passed). Evidence is drawn from :func:`~nbopen.access.policy
.visible_repositories` of the *reader*: a private repository can only raise a candidate, or
show up in a reason, for someone who may read that repository anyway.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from nbopen.access.policy import Principal, visible_repositories
from nbopen.accounts.models import User
from nbopen.challenges.services import visible_competitions
from nbopen.core.models import Event
from nbopen.orgs.models import Membership, Organization
from nbopen.programs.models import Call
from nbopen.programs.ranking import Doc, Evidence, Ranked, Result, rank
from nbopen.programs.selectors import visible_calls
from nbopen.programs.services import OPEN_FOR_APPLICATIONS
from nbopen.repos.models import Repository, RepositoryDownloadDay


@dataclass
class Match:
    kind: str  # "org" | "user" | "call"
    name: str
    score: float
    reasons: list[dict[str, Any]]
    call: Call | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "candidate": {"type": self.kind, "name": self.name},
            "score": self.score,
            "reasons": self.reasons,
        }


def _card_text(repo: Repository) -> str:
    card = repo.card_data if isinstance(repo.card_data, dict) else {}
    parts = [str(card.get(k, "")) for k in ("pipeline_tag", "pretty_name", "language", "task")]
    return " ".join(p for p in parts if p)


def _evidence_by_owner(principal: Principal) -> dict[int, list[Evidence]]:
    """Namespace id → the repositories ``principal`` may read, as evidence records."""
    repos = list(visible_repositories(principal).only(*_REPO_FIELDS))
    downloads = dict(
        RepositoryDownloadDay.objects.filter(repository_id__in=[r.pk for r in repos])
        .values("repository_id")
        .annotate(n=Sum("count"))
        .values_list("repository_id", "n")
    )
    out: dict[int, list[Evidence]] = defaultdict(list)
    for r in repos:
        tags = tuple(str(t) for t in (r.tags or []) if isinstance(t, str))
        out[r.owner_id].append(
            Evidence(
                name=r.full_name,
                text=f"{r.description} {_card_text(r)}",
                tags=tags,
                downloads=int(downloads.get(r.pk) or 0),
            )
        )
    return out


_REPO_FIELDS = (
    "id",
    "name",
    "type",
    "description",
    "tags",
    "card_data",
    "owner__id",
    "owner__name",
    "owner__kind",
)


def _results_by_user(principal: Principal, linked: int | None) -> dict[str, list[Result]]:
    """Username → final ranks (``competition.final_rank`` events) in the competitions
    ``principal`` may see; a draft competition's results explain nothing to outsiders."""
    seen = {c.slug: c for c in visible_competitions(principal).exclude(state="draft")}
    if not seen:
        return {}
    out: dict[str, list[Result]] = defaultdict(list)
    rows = (
        Event.objects.filter(kind="competition.final_rank")
        .order_by("id")
        .values_list("payload", flat=True)
    )
    for payload in rows:
        comp = seen.get(str(payload.get("competition", "")))
        rank_ = payload.get("rank")
        if comp is None or not isinstance(rank_, int):
            continue
        result = Result(
            competition=comp.slug,
            text=f"{comp.title} {comp.overview}",
            rank=rank_,
            linked=comp.pk == linked,
        )
        for name in payload.get("members") or []:
            out[str(name)].append(result)
    return out


def _org_doc(
    org: Organization,
    evidence: dict[int, list[Evidence]],
    results: dict[str, list[Result]] | None = None,
    members: dict[int, list[str]] | None = None,
) -> Doc:
    ns = getattr(org, "namespace", None)
    found = [r for u in (members or {}).get(org.pk, []) for r in (results or {}).get(u, [])]
    return Doc(
        kind="org",
        name=org.name,
        text=f"{org.display_name} {org.description}",
        tags=tuple(str(t) for t in (org.industry_tags or [])),
        evidence=tuple(evidence.get(ns.pk, []) if ns else ()),
        results=tuple(found),
    )


def _user_doc(
    user: User, evidence: dict[int, list[Evidence]], results: dict[str, list[Result]] | None = None
) -> Doc:
    ns = getattr(user, "namespace", None)
    return Doc(
        kind="user",
        name=user.username,
        text=f"{user.display_name} {user.bio} {user.affiliation}",
        evidence=tuple(evidence.get(ns.pk, []) if ns else ()),
        results=tuple((results or {}).get(user.username, [])),
    )


def call_text(call: Call) -> str:
    kpis = " ".join(str(k.get("name", "")) for k in call.kpis if isinstance(k, dict))
    return " ".join([call.title, call.title, call.description, kpis, " ".join(call.deliverables)])


def _to_matches(ranked: Iterable[Ranked]) -> list[Match]:
    return [Match(r.doc.kind, r.doc.name, r.score, r.reasons) for r in ranked]


def call_matches(
    principal: Principal, call: Call, *, limit: int = 20, rankers: tuple[str, ...] | None = None
) -> list[Match]:
    """Organizations and users most likely to solve ``call``, best first, with reasons."""
    evidence = _evidence_by_owner(principal)
    eligible = set(call.eligibility)
    docs: list[Doc] = []
    orgs = Organization.objects.exclude(pk=call.organization_id).select_related("namespace")
    if eligible:
        orgs = orgs.filter(kind__in=eligible)
    results = _results_by_user(principal, call.competition_id)
    members: dict[int, list[str]] = defaultdict(list)
    for org_id, username in Membership.objects.values_list("organization_id", "user__username"):
        members[org_id].append(username)
    docs += [_org_doc(o, evidence, results, members) for o in orgs.order_by("name")]
    if not eligible or "individual" in eligible:
        # Members of the issuing organization are not candidates for its own call.
        insiders = Membership.objects.filter(organization_id=call.organization_id).values("user_id")
        users = User.objects.filter(is_active=True).exclude(pk__in=insiders)
        docs += [
            _user_doc(u, evidence, results)
            for u in users.select_related("namespace").order_by("pk")
        ]
    docs = [d for d in docs if d.evidence or d.text.strip() or d.tags or d.results]
    kwargs: dict[str, Any] = {"limit": limit}
    if rankers:
        kwargs["rankers"] = rankers
    return _to_matches(rank(call_text(call), call.tags, docs, **kwargs))


def user_matched_calls(principal: Principal, user: User, *, limit: int = 20) -> list[Match]:
    """Open calls that fit ``user`` (their profile and the repositories ``principal`` may
    read), best first, with the shared keywords and tags, and the closeness in meaning of
    their profile to the call, as reasons."""
    evidence = _evidence_by_owner(principal)
    me = _user_doc(user, evidence)
    kinds = {"individual"} | set(
        Organization.objects.filter(memberships__user=user).values_list("kind", flat=True)
    )
    today = timezone.localdate()
    calls = [
        c
        for c in visible_calls(principal).filter(state__in=OPEN_FOR_APPLICATIONS)
        if (c.deadline is None or c.deadline >= today)
        and (not c.eligibility or kinds & set(c.eligibility))
    ]
    docs = [Doc("call", str(c.pk), call_text(c), tuple(c.tags)) for c in calls]
    query = " ".join([me.text, *(f"{e.name} {e.text}" for e in me.evidence)])
    tags = [t for e in me.evidence for t in e.tags]
    by_id = {str(c.pk): c for c in calls}
    out = []
    for r in rank(query, tags, docs, rankers=("bm25", "tags", "embedding"), limit=limit):
        out.append(Match("call", r.doc.name, r.score, r.reasons, call=by_id[r.doc.name]))
    return out
