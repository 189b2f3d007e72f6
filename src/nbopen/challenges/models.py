"""Competitions, their phases and splits, teams, terms acceptances and submissions.

The ground truth and a host's scorer are *not* here nor in any repository: only their storage
keys (sha256) are, and the bytes live in the private key space of :mod:`.vault`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from nbopen.orgs.models import Organization
from nbopen.repos.models import Repository


class Competition(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"
        RUNNING = "running"
        FINISHED = "finished"
        ARCHIVED = "archived"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="competitions"
    )
    slug = models.CharField(max_length=96, unique=True)
    title = models.CharField(max_length=200)
    overview = models.TextField(blank=True)
    evaluation = models.TextField(blank=True)
    rules = models.TextField(blank=True)
    terms = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    timezone = models.CharField(max_length=64, default="Asia/Shanghai")
    datasets = models.ManyToManyField(Repository, related_name="competitions", blank=True)
    id_column = models.CharField(max_length=128, default="id")
    target_column = models.CharField(max_length=128, default="target")
    split_column = models.CharField(max_length=128, default="split")
    metric = models.CharField(max_length=64, default="accuracy")
    higher_is_better = models.BooleanField(default=True)
    precision = models.PositiveSmallIntegerField(default=4)
    public_fraction = models.FloatField(default=0.5)
    max_team_size = models.PositiveSmallIntegerField(default=5)
    final_submissions = models.PositiveSmallIntegerField(default=2)
    # Teams may merge until then (None: until the last phase ends), under the quota rule.
    team_merge_deadline = models.DateTimeField(null=True, blank=True)
    # The top-k teams of the final ranking must link their code and model repositories (0: no).
    winners_publish = models.PositiveSmallIntegerField(default=0)
    ground_truth_oid = models.CharField(max_length=64, blank=True)
    ground_truth_rows = models.PositiveIntegerField(default=0)
    scorer_oid = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.slug


class Phase(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(max_length=96)
    position = models.PositiveSmallIntegerField(default=0)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    daily_quota = models.PositiveIntegerField(default=5)
    total_quota = models.PositiveIntegerField(null=True, blank=True)
    concurrent_quota = models.PositiveIntegerField(default=2)
    max_bytes = models.PositiveBigIntegerField(default=50 << 20)
    # Set when the host closes the phase early; the phase has ended at min(end, closed_at).
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the final ranks of this phase became events (once, at or after its end).
    ranks_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class Split(models.Model):
    """A part of the hidden ground truth and who may see its scores."""

    class Visibility(models.TextChoices):
        PUBLIC = "public"  # shown while the phase runs
        PRIVATE = "private"  # shown after the phase ends
        HOST = "host"  # the host's only

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="splits")
    name = models.CharField(max_length=64)
    visibility = models.CharField(max_length=8, choices=Visibility.choices)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "name"], name="challenges_split_once")
        ]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    """A user who accepted the competition's terms: they may download its data and submit."""

    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="competition_entries"
    )
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "user"], name="challenges_participant_once"
            )
        ]

    def __str__(self) -> str:
        return str(self.user_id)


class Team(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=96)
    join_code = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["competition", "name"], name="challenges_team_name")
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    # ``competition`` repeated here so the database enforces one team per person per competition.
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "user"], name="challenges_one_team_per_person"
            )
        ]

    def __str__(self) -> str:
        return str(self.user_id)


class Submission(models.Model):
    class State(models.TextChoices):
        SUBMITTED = "submitted"
        QUEUED = "queued"
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"

    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="submissions"
    )
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="submissions")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="submissions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=500, blank=True)
    file_oid = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    state = models.CharField(max_length=16, choices=State.choices, default=State.SUBMITTED)
    reason_code = models.CharField(max_length=32, blank=True)
    reason_detail = models.JSONField(default=dict, blank=True)
    # {split: {metric: value}}, every value already rounded to the competition's precision.
    scores = models.JSONField(default=dict, blank=True)
    log = models.TextField(blank=True)  # the scorer's stdout/stderr, for the host
    # Chosen by the team for the private ranking (at most ``final_submissions`` per phase).
    is_final = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phase", "team", "state"], name="challenges_sub_quota")]

    def __str__(self) -> str:
        return str(self.pk)


class TeamInvitation(models.Model):
    """A member's invitation of a user into their team; the user accepts (or ignores) it."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="challenges_invite_once")
        ]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.user_id}"


class WinnerRepository(models.Model):
    """A repository a winning team published its code or model in, linked from its entry."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="repositories")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["team", "repository"], name="challenges_winner_repo")
        ]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.repository_id}"
