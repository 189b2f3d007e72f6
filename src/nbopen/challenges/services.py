"""Competition writes: create, ground truth and scorer, publish, join (terms and teams),
submit, score, close. Called the same way by the API, the pages and the CLI.

Who may do what: the host organization's admins manage (``org_level`` ADMIN); anyone who may
see a published competition may join it by accepting its terms; only participants submit.
Accepting the terms is what opens the linked datasets: :func:`nbopen.access.policy.repo_grants`
counts a participation in a published, running or finished competition as a read grant on its
datasets, so every channel (Hub, git, LFS, viewer, pages) gives the same answer through the
one policy, and the grant ends when the competition is archived.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import tempfile
import zoneinfo
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from nbopen.access.policy import Level, Principal, org_level, require_repo
from nbopen.challenges import leaderboard, lease, sandbox, vault
from nbopen.challenges.metrics import MAX_CUTOFF, METRICS
from nbopen.challenges.metrics import metric as find_metric
from nbopen.challenges.models import (
    Competition,
    Participant,
    Phase,
    Split,
    Submission,
    Team,
    TeamInvitation,
    TeamMember,
)
from nbopen.challenges.rules import is_host, phase_ended
from nbopen.core import events, tasks
from nbopen.core.errors import AlreadyExists, DomainError, InvalidInput, NotFound, PermissionDenied
from nbopen.core.names import is_well_formed
from nbopen.orgs.models import Organization
from nbopen.repos.services import repo_find

MAX_GROUND_TRUTH = 512 << 20
MAX_SCORER = 1 << 20
ACTIVE = (Submission.State.SUBMITTED, Submission.State.QUEUED, Submission.State.RUNNING)
OPEN_STATES = (
    Competition.State.PUBLISHED,
    Competition.State.RUNNING,
    Competition.State.FINISHED,
)


RESERVED_SLUGS = ("new",)  # /competitions/new is the host's form


class QuotaExceeded(DomainError):
    code = "QuotaExceeded"


# --- reading -------------------------------------------------------------------------------


def visible_competitions(principal: Principal) -> QuerySet[Competition]:
    """Competitions ``principal`` may see: all but drafts, plus drafts of organizations they
    administer (a draft is the host's work in progress)."""
    qs = Competition.objects.select_related("organization").order_by("-created_at")
    if principal.is_site_admin:
        return qs
    admin_orgs = [
        org_id
        for org_id, role in principal.org_roles().items()
        if role in ("owner", "admin") and principal.scope != "read"
    ]
    return qs.exclude(state=Competition.State.DRAFT) | qs.filter(organization_id__in=admin_orgs)


def competition_get(principal: Principal, slug: str) -> Competition:
    found = visible_competitions(principal).filter(slug=slug).first()
    if found is None:
        raise NotFound(f"Competition {slug} not found")
    return found


def effective_state(competition: Competition, now: dt.datetime | None = None) -> str:
    """The state as users see it: a published competition runs from its first phase's start
    and is finished once its last phase has ended (no timer job needed)."""
    if competition.state not in (Competition.State.PUBLISHED, Competition.State.RUNNING):
        return competition.state
    now = now or timezone.now()
    phases = list(competition.phases.all())
    if phases and all(phase_ended(p, now) for p in phases):
        return Competition.State.FINISHED
    if phases and phases[0].start <= now:
        return Competition.State.RUNNING
    return Competition.State.PUBLISHED


def current_phase(competition: Competition, now: dt.datetime | None = None) -> Phase | None:
    """The phase that takes submissions now, if any."""
    now = now or timezone.now()
    for phase in competition.phases.all():
        if phase.start <= now and not phase_ended(phase, now):
            return phase
    return None


def leaderboard_phase(competition: Competition) -> Phase | None:
    """The phase a leaderboard shows by default: the running one, else the last started."""
    now = timezone.now()
    started = [p for p in competition.phases.all() if p.start <= now]
    return current_phase(competition, now) or (started[-1] if started else None)


def team_of(competition: Competition, user: Any) -> Team | None:
    member = (
        TeamMember.objects.filter(competition=competition, user=user).select_related("team").first()
    )
    return member.team if member else None


def has_accepted(principal: Principal, competition: Competition) -> bool:
    return (
        principal.is_authenticated
        and Participant.objects.filter(competition=competition, user=principal.user).exists()
    )


# --- hosting ------------------------------------------------------------------------------


def _require_host(actor: Principal, competition: Competition) -> None:
    if not is_host(actor, competition):
        raise PermissionDenied("Only the host organization's admins may do this")


@transaction.atomic
def competition_create(
    *,
    actor: Principal,
    organization: Organization,
    slug: str,
    title: str,
    datasets: list[str],
    metric: str,
    id_column: str = "id",
    target_column: str = "target",
    public_fraction: float = 0.5,
    daily_quota: int = 5,
    total_quota: int | None = None,
    concurrent_quota: int = 2,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    precision: int = 4,
    higher_is_better: bool | None = None,
    overview: str = "",
    evaluation: str = "",
    rules: str = "",
    terms: str = "",
    max_team_size: int = 5,
    final_submissions: int = 2,
    winners_publish: int = 0,
    team_merge_deadline: dt.datetime | None = None,
    phases: list[dict[str, Any]] | None = None,
) -> Competition:
    """A draft competition of ``organization`` with public/private splits and one phase
    (``start``/``end``/quotas), or the given ``phases`` (``{name, start, end, daily_quota,
    total_quota, concurrent_quota}`` each, in order)."""
    if org_level(actor, organization) < Level.ADMIN:
        raise PermissionDenied("Only the organization's admins may host a competition")
    if not is_well_formed(slug):
        raise InvalidInput("The competition's name may hold letters, digits, '-', '_' and '.'")
    if slug.lower() in RESERVED_SLUGS:
        raise InvalidInput(gettext_noop("The name %(name)s is reserved"), name=slug)
    if Competition.objects.filter(slug=slug).exists():
        raise AlreadyExists(f"A competition named {slug} exists")
    found = _known_metric(metric)
    if found is None and higher_is_better is None:
        raise InvalidInput(
            f"Unknown metric {metric!r} (built in: {', '.join(METRICS)}); a custom scorer's "
            "metric needs higher_is_better"
        )
    if not 0.0 <= public_fraction <= 1.0 or not 0 <= precision <= 10:
        raise InvalidInput("public_fraction is in [0, 1] and precision in 0–10")
    _check_team_options(max_team_size, final_submissions, winners_publish)
    phase_rows = _checked_phases(
        phases
        or [
            {
                "name": "main",
                "start": start or timezone.now(),
                "end": end,
                "daily_quota": daily_quota,
                "total_quota": total_quota,
                "concurrent_quota": concurrent_quota,
            }
        ]
    )
    repos = _dataset_repos(actor, datasets)
    competition = Competition.objects.create(
        organization=organization,
        slug=slug,
        title=title or slug,
        metric=found.name if found is not None else metric,
        higher_is_better=found.higher_is_better
        if found is not None and higher_is_better is None
        else bool(higher_is_better),
        id_column=id_column,
        target_column=target_column,
        public_fraction=public_fraction,
        precision=precision,
        overview=overview,
        evaluation=evaluation,
        rules=rules,
        terms=terms,
        max_team_size=max_team_size,
        final_submissions=final_submissions,
        winners_publish=winners_publish,
        team_merge_deadline=team_merge_deadline,
        created_by=actor.user,
    )
    competition.datasets.set(repos)
    for position, row in enumerate(phase_rows):
        Phase.objects.create(competition=competition, position=position, **row)
    Split.objects.create(competition=competition, name="public", visibility="public")
    Split.objects.create(competition=competition, name="private", visibility="private")
    events.record(
        "competition.create",
        actor=actor.user,
        organization_id=organization.pk,
        payload={"competition": slug},
    )
    return competition


def _known_metric(name: str) -> Any:
    """The built-in metric called ``name`` (``map@K`` / ``ndcg@K`` for any K the scorer
    supports, not only the listed cut-offs), None for another name; a ranking metric with a K
    out of range is refused here rather than read as a custom scorer's metric name."""
    found = find_metric(name)
    family, sep, _cutoff = name.partition("@")
    if found is None and sep and family in ("map", "ndcg"):
        raise InvalidInput(
            gettext_noop("%(name)s: K is a whole number from 1 to %(max)s"),
            name=name[:80],
            max=MAX_CUTOFF,
        )
    return found


def _dataset_repos(actor: Principal, datasets: list[str]) -> list[Any]:
    """The dataset repositories named ``OWNER/NAME``; the host must administer each."""
    repos = []
    for name in datasets:
        owner, _sep, repo_name = name.strip().partition("/")
        repo = repo_find(owner, repo_name, "dataset")
        if repo is None:
            raise NotFound(gettext_noop("Dataset %(name)s not found"), name=name)
        require_repo(actor, repo, Level.ADMIN)
        repos.append(repo)
    return repos


def _check_team_options(max_team_size: int, final_submissions: int, winners: int) -> None:
    if not 1 <= max_team_size <= 100:
        raise InvalidInput(gettext_noop("The maximum team size is between 1 and 100"))
    if not 1 <= final_submissions <= 20:
        raise InvalidInput(gettext_noop("The number of final submissions is between 1 and 20"))
    if not 0 <= winners <= 100:
        raise InvalidInput(gettext_noop("Between 0 and 100 winning teams may be asked to publish"))


PHASE_FIELDS = ("name", "start", "end", "daily_quota", "total_quota", "concurrent_quota")


def _checked_phases(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Phases in order, each starting after the previous one ended; quotas positive."""
    if not rows or len(rows) > 10:
        raise InvalidInput(gettext_noop("A competition has between 1 and 10 phases"))
    checked: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        name = str(row.get("name") or "").strip()[:96] or f"phase-{number}"
        start, end = row.get("start"), row.get("end")
        if not isinstance(start, dt.datetime):
            raise InvalidInput(gettext_noop("Phase %(name)s: a start time is needed"), name=name)
        if end is not None and (not isinstance(end, dt.datetime) or end <= start):
            raise InvalidInput(
                gettext_noop("Phase %(name)s: the end must come after the start"), name=name
            )
        if checked:
            previous = checked[-1]
            if previous["end"] is None or start < previous["end"]:
                raise InvalidInput(
                    gettext_noop("Phase %(name)s must start after the previous phase ends"),
                    name=name,
                )
        daily = int(row.get("daily_quota") or 5)
        concurrent = int(row.get("concurrent_quota") or 2)
        total = row.get("total_quota")
        if daily < 1 or concurrent < 1 or (total is not None and int(total) < 1):
            raise InvalidInput(gettext_noop("Phase %(name)s: quotas are at least 1"), name=name)
        if any(c["name"] == name for c in checked):
            raise InvalidInput(gettext_noop("Two phases are named %(name)s"), name=name)
        checked.append(
            {
                "name": name,
                "start": start,
                "end": end,
                "daily_quota": daily,
                "total_quota": None if total is None else int(total),
                "concurrent_quota": concurrent,
            }
        )
    return checked


# Fields a host may change at any time (texts and team rules); the scoring fields only while
# no submission exists, so every entry of a leaderboard is scored the same way.
EDITABLE = (
    "title",
    "overview",
    "evaluation",
    "rules",
    "terms",
    "max_team_size",
    "final_submissions",
    "winners_publish",
    "team_merge_deadline",
)
SCORING = ("metric", "id_column", "target_column", "public_fraction", "precision")


@transaction.atomic
def competition_update(
    *,
    actor: Principal,
    competition: Competition,
    changes: dict[str, Any],
    datasets: list[str] | None = None,
    phases: list[dict[str, Any]] | None = None,
) -> Competition:
    """The host edits a competition: texts, team rules, datasets; the metric and columns
    before any submission; phases (times and quotas; a phase with submissions stays, in
    place, under the same name)."""
    _require_host(actor, competition)
    unknown = set(changes) - set(EDITABLE) - set(SCORING)
    if unknown:
        names = ", ".join(sorted(unknown))
        raise InvalidInput(gettext_noop("Unknown fields: %(names)s"), names=names)
    submitted = Submission.objects.filter(competition=competition).exists()
    scoring = {k: v for k, v in changes.items() if k in SCORING and getattr(competition, k) != v}
    if scoring and submitted:
        raise InvalidInput(
            gettext_noop(
                "The metric, columns, public fraction and precision cannot change once there are "
                "submissions"
            )
        )
    known = _known_metric(scoring["metric"]) if "metric" in scoring else None
    if "metric" in scoring and known is None and not competition.scorer_oid:
        raise InvalidInput(
            gettext_noop("Unknown metric %(metric)s (built in: %(names)s)"),
            metric=scoring["metric"],
            names=", ".join(METRICS),
        )
    merged = {k: changes.get(k, getattr(competition, k)) for k in (*EDITABLE, *SCORING)}
    fraction, precision = float(merged["public_fraction"]), int(merged["precision"])
    if not 0.0 <= fraction <= 1.0 or not 0 <= precision <= 10:
        raise InvalidInput(gettext_noop("public_fraction is in [0, 1] and precision in 0–10"))
    _check_team_options(
        int(merged["max_team_size"]),
        int(merged["final_submissions"]),
        int(merged["winners_publish"]),
    )
    for key, value in changes.items():
        setattr(competition, key, value)
    if known is not None:
        competition.metric = known.name
        competition.higher_is_better = known.higher_is_better
    competition.title = competition.title or competition.slug
    competition.save()
    if datasets is not None:
        competition.datasets.set(_dataset_repos(actor, datasets))
    if phases is not None:
        _replace_phases(competition, _checked_phases(phases))
    events.record(
        "competition.update",
        actor=actor.user,
        organization_id=competition.organization_id,
        payload={"competition": competition.slug, "fields": sorted(changes)},
    )
    return competition


def _replace_phases(competition: Competition, rows: list[dict[str, Any]]) -> None:
    existing = {p.name: p for p in competition.phases.all()}
    keep = {row["name"] for row in rows}
    for name, phase in existing.items():
        if name not in keep:
            if phase.submissions.exists():
                raise InvalidInput(
                    gettext_noop("Phase %(name)s has submissions and cannot be removed"), name=name
                )
            phase.delete()
    for position, row in enumerate(rows):
        found = existing.get(row["name"])
        if found is None:
            Phase.objects.create(competition=competition, position=position, **row)
            continue
        for key, value in row.items():
            setattr(found, key, value)
        found.position = position
        found.save()


def ground_truth_set(*, actor: Principal, competition: Competition, source: vault.Readable) -> int:
    """Store the hidden ground truth (never in a repository: :mod:`.vault`); its row count."""
    _require_host(actor, competition)
    try:
        oid, _size = vault.put_stream(source, limit=MAX_GROUND_TRUTH)
    except ValueError as exc:
        raise InvalidInput(f"The ground truth is too large: {exc}") from None
    found = find_metric(competition.metric)
    if found is not None and found.kind == "detection":
        rows, names = _coco_splits(oid)
    else:
        rows, names = _ground_truth_splits(oid, competition.split_column)
    with transaction.atomic():
        Competition.objects.filter(pk=competition.pk).update(
            ground_truth_oid=oid, ground_truth_rows=rows
        )
        for name in names:
            Split.objects.get_or_create(
                competition=competition,
                name=name,
                defaults={"visibility": SPLIT_VISIBILITY.get(name.lower(), Split.Visibility.HOST)},
            )
    competition.ground_truth_oid, competition.ground_truth_rows = oid, rows
    return rows


# A split column's usual names: Kaggle's public/private, Tianchi's A榜/B榜 (B is the one that
# counts, revealed at the end). Any other name is the host's only until they change it.
SPLIT_VISIBILITY = {
    "public": Split.Visibility.PUBLIC,
    "a": Split.Visibility.PUBLIC,
    "private": Split.Visibility.PRIVATE,
    "b": Split.Visibility.PRIVATE,
}


def _ground_truth_splits(oid: str, column: str) -> tuple[int, set[str]]:
    """(rows, split names) of a stored ground truth (names only when it has ``column``)."""
    import csv
    import io

    rows, names = 0, set()
    with vault.vault().open(oid) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(text)
        header = next(reader, [])
        where = header.index(column) if column in header else None
        for record in reader:
            rows += 1
            if where is not None and where < len(record) and record[where].strip():
                names.add(record[where].strip()[:64])
    if len(names) > 20:
        raise InvalidInput(f"The {column} column names more than 20 splits")
    return rows, names


def _coco_splits(oid: str) -> tuple[int, set[str]]:
    """(images, split names) of a stored COCO ground truth: a detection competition counts
    images, not lines, and an image's ``split`` field names its split the way the scorer
    (:func:`.detection.score`) reads it; images without one fall on public/private by
    ``public_fraction``, the splits every competition has already."""
    import json

    with vault.vault().open(oid) as raw:
        try:
            data = json.loads(raw.read())
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                gettext_noop("The ground truth is not COCO JSON: %(error)s"), error=str(exc)[:200]
            ) from None
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(images, list) or not all(isinstance(i, dict) and "id" in i for i in images):
        raise InvalidInput(
            gettext_noop("A COCO ground truth needs an 'images' list of objects with an 'id'")
        )
    names = set()
    for image in images:
        given = image.get("split")
        if isinstance(given, str) and given.strip():
            names.add(given.strip()[:64])
    if len(names) > 20:
        raise InvalidInput("The images name more than 20 splits")
    return len(images), names


def scorer_set(*, actor: Principal, competition: Competition, source: vault.Readable) -> None:
    """Store a host's scorer (a Python file defining ``evaluate``); it replaces the metric."""
    _require_host(actor, competition)
    try:
        oid, _size = vault.put_stream(source, limit=MAX_SCORER)
    except ValueError as exc:
        raise InvalidInput(f"The scorer is too large: {exc}") from None
    Competition.objects.filter(pk=competition.pk).update(scorer_oid=oid)
    competition.scorer_oid = oid


def competition_publish(*, actor: Principal, competition: Competition) -> Competition:
    _require_host(actor, competition)
    if not competition.ground_truth_oid:
        raise InvalidInput("Upload the ground truth before publishing")
    if competition.state == Competition.State.DRAFT:
        competition.state = Competition.State.PUBLISHED
        competition.save(update_fields=["state", "updated_at"])
        events.record(
            "competition.publish",
            actor=actor.user,
            organization_id=competition.organization_id,
            payload={"competition": competition.slug},
        )
    return competition


@transaction.atomic
def competition_close(*, actor: Principal, competition: Competition) -> Competition:
    """End the running phase now: the private ranking is revealed, final ranks recorded."""
    _require_host(actor, competition)
    now = timezone.now()
    phase = current_phase(competition, now)
    if phase is not None:
        phase.closed_at = now
        phase.save(update_fields=["closed_at"])
    if all(phase_ended(p, now) for p in competition.phases.all()):
        competition.state = Competition.State.FINISHED
        competition.save(update_fields=["state", "updated_at"])
    if phase is not None:
        leaderboard.record_final_ranks(competition, phase)
    return competition


def rescore(*, actor: Principal, competition: Competition) -> int:
    """Score every finished or failed submission again (after a scorer or ground-truth fix);
    how many were queued. Failed ones that now score start to count against the quota."""
    _require_host(actor, competition)
    with transaction.atomic():
        ids = list(
            Submission.objects.filter(
                competition=competition,
                state__in=(Submission.State.FINISHED, Submission.State.FAILED),
            )
            .exclude(file_oid="")
            .values_list("pk", flat=True)
        )
        Submission.objects.filter(pk__in=ids).update(
            state=Submission.State.QUEUED, reason_code="", reason_detail={}, scores={}, log=""
        )
        for pk in ids:
            tasks.defer(score_submission, pk)
    return len(ids)


def competition_archive(*, actor: Principal, competition: Competition) -> Competition:
    """Archived: pages stay, the terms no longer open the datasets."""
    _require_host(actor, competition)
    competition.state = Competition.State.ARCHIVED
    competition.save(update_fields=["state", "updated_at"])
    return competition


# --- participating ------------------------------------------------------------------------


@transaction.atomic
def join(
    *,
    actor: Principal,
    competition: Competition,
    team_name: str | None = None,
    code: str | None = None,
) -> Team:
    """Accept the terms and be in a team: a new one (``team_name``, default the user's name),
    or the team whose join ``code`` is given. One team per person per competition."""
    if not actor.is_authenticated or actor.user is None or actor.scope == "read":
        raise PermissionDenied("Sign in (with a write token) to join")
    if effective_state(competition) not in (
        Competition.State.PUBLISHED,
        Competition.State.RUNNING,
    ):
        raise InvalidInput("This competition is not open for entries")
    _participant, accepted_now = Participant.objects.get_or_create(
        competition=competition, user=actor.user
    )
    team = team_of(competition, actor.user)
    if code:
        target = (
            Team.objects.select_for_update().filter(competition=competition, join_code=code).first()
        )
        if target is None:
            raise NotFound("No team has this join code")
        if team is not None and team.pk != target.pk:
            raise AlreadyExists(f"You are already in team {team.name}")
        if team is None:
            if target.members.count() >= competition.max_team_size:
                raise InvalidInput("The team is full")
            TeamMember.objects.create(competition=competition, team=target, user=actor.user)
        team = target
    elif team is None:
        name = (team_name or actor.user.username).strip()[:96]
        try:
            with transaction.atomic():
                team = Team.objects.create(
                    competition=competition, name=name, join_code=secrets.token_urlsafe(12)
                )
        except IntegrityError:
            raise AlreadyExists(f"A team named {name} exists; join it with its code") from None
        TeamMember.objects.create(competition=competition, team=team, user=actor.user)
    # Invitations lapse once the user is in a team (one team per person per competition).
    TeamInvitation.objects.filter(team__competition=competition, user=actor.user).delete()
    if accepted_now:
        events.record(
            "competition.join",
            actor=actor.user,
            organization_id=competition.organization_id,
            payload={"competition": competition.slug, "team": team.name},
        )
    return team


def _day_start(competition: Competition, now: dt.datetime) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(competition.timezone)
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def quota_left(competition: Competition, phase: Phase, team: Team) -> dict[str, int | None]:
    """What the team may still submit; every submission that has not failed counts."""
    now = timezone.now()
    counted = Submission.objects.filter(phase=phase, team=team).exclude(
        state=Submission.State.FAILED
    )
    today = counted.filter(created_at__gte=_day_start(competition, now)).count()
    active = counted.filter(state__in=ACTIVE).count()
    total = counted.count()
    return {
        "daily": phase.daily_quota - today,
        "concurrent": phase.concurrent_quota - active,
        "total": None if phase.total_quota is None else phase.total_quota - total,
    }


def submit(
    *,
    actor: Principal,
    competition: Competition,
    source: vault.Readable,
    message: str = "",
) -> Submission:
    """Take a submission file and queue it for scoring (or refuse: quota, phase, size)."""
    if not actor.is_authenticated or actor.user is None or actor.scope == "read":
        raise PermissionDenied("Sign in (with a write token) to submit")
    if not has_accepted(actor, competition):
        raise PermissionDenied("Join the competition (accept its terms) before submitting")
    team = team_of(competition, actor.user)
    phase = current_phase(competition)
    if team is None or phase is None or effective_state(competition) != Competition.State.RUNNING:
        raise InvalidInput("No phase of this competition takes submissions now")
    try:
        oid, size = vault.put_stream(source, limit=phase.max_bytes)
    except ValueError:
        return _failed_upload(actor, competition, phase, team, message, phase.max_bytes)
    with transaction.atomic():
        # The team row is the lock: two submissions of one team never both pass the check.
        Team.objects.select_for_update().filter(pk=team.pk).first()
        left = quota_left(competition, phase, team)
        for kind in ("daily", "total", "concurrent"):
            remaining = left[kind]
            if remaining is not None and remaining <= 0:
                raise QuotaExceeded(_quota_message(kind, phase))
        submission = Submission.objects.create(
            competition=competition,
            phase=phase,
            team=team,
            user=actor.user,
            message=message[:500],
            file_oid=oid,
            size=size,
            state=Submission.State.QUEUED,
        )
        events.record(
            "competition.submission",
            actor=actor.user,
            organization_id=competition.organization_id,
            payload={"competition": competition.slug, "team": team.name, "id": submission.pk},
        )
        tasks.defer(score_submission, submission.pk)
    return submission


def _quota_message(kind: str, phase: Phase) -> str:
    if kind == "daily":
        return f"Daily quota reached: {phase.daily_quota} submissions per day"
    if kind == "total":
        return f"Total quota reached: {phase.total_quota} submissions in this phase"
    return f"{phase.concurrent_quota} submissions are already being scored; wait for one"


def _failed_upload(
    actor: Principal, competition: Competition, phase: Phase, team: Team, message: str, limit: int
) -> Submission:
    """A file over the phase's limit is recorded as failed (it never uses up a quota)."""
    return Submission.objects.create(
        competition=competition,
        phase=phase,
        team=team,
        user=actor.user,
        message=message[:500],
        file_oid="",
        state=Submission.State.FAILED,
        reason_code="too_large",
        reason_detail={"limit": limit},
        finished_at=timezone.now(),
    )


def score_submission(submission_id: int) -> None:
    """The scoring task (idempotent: a finished or failed submission is left alone)."""
    if not lease.claim(submission_id):  # running under a lease: see challenges.recovery
        return
    submission = Submission.objects.select_related("competition", "phase").get(pk=submission_id)
    competition = submission.competition
    work = Path(tempfile.mkdtemp(prefix="nbopen-score-"))
    try:
        vault.copy_to(competition.ground_truth_oid, work / "ground_truth.csv")
        vault.copy_to(submission.file_oid, work / "submission.csv")
        request: dict[str, Any] = {
            "ground_truth": str(work / "ground_truth.csv"),
            "submission": str(work / "submission.csv"),
            "phase": submission.phase.name,
            "id_column": competition.id_column,
            "target_column": competition.target_column,
            "split_column": competition.split_column,
            "metric": competition.metric,
            "public_fraction": competition.public_fraction,
            "data_dir": str(_data_dir()),
        }
        if competition.scorer_oid:
            vault.copy_to(competition.scorer_oid, work / "scorer.py")
            request["scorer"] = str(work / "scorer.py")
        try:
            scores = sandbox.run(request, work_dir=work, limits=_limits())
        except sandbox.ScoringFailed as failed:
            _finish(submission, failed=failed)
            return
        rounded = {
            split: {name: round(value, competition.precision) for name, value in values.items()}
            for split, values in scores.items()
        }
        _finish(submission, scores=rounded)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _limits() -> dict[str, int]:
    from nbopen.config.env import CONFIG

    cpu = CONFIG.score_cpu_seconds
    return {
        "cpu": cpu,
        "wall": 2 * cpu + 5,
        "memory": CONFIG.score_memory_mb << 20,
        "output": 64 << 20,
    }


def _data_dir() -> Path:
    from nbopen.config.env import CONFIG

    return CONFIG.data_dir


def _finish(
    submission: Submission,
    *,
    scores: dict[str, dict[str, float]] | None = None,
    failed: sandbox.ScoringFailed | None = None,
) -> None:
    submission.finished_at = timezone.now()
    if failed is not None:
        submission.state = Submission.State.FAILED
        submission.reason_code = failed.code
        submission.reason_detail = failed.detail
        submission.log = failed.log
    else:
        submission.state = Submission.State.FINISHED
        submission.scores = scores or {}
    submission.save(
        update_fields=["state", "reason_code", "reason_detail", "log", "scores", "finished_at"]
    )
