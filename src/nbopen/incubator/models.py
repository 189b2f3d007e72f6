"""Incubation (孵化): projects that apply, are accepted with mentors, report, and graduate or
retire by a recorded vote, measured against the Apache project maturity model."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Project(models.Model):
    """A project in incubation: one or more repositories, optionally an organization.

    Its maturity is not stored: ``incubator.maturity`` measures it from the repositories each
    time (over what the reader may read); only mentors' overrides are rows.
    """

    class State(models.TextChoices):
        APPLIED = "applied", _("Applied")
        INCUBATING = "incubating", _("Incubating")
        GRADUATED = "graduated", _("Graduated")
        RETIRED = "retired", _("Retired")
        REJECTED = "rejected", _("Not accepted")

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)  # Markdown
    organization = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incubator_projects",
    )
    repositories = models.ManyToManyField(
        "repos.Repository", blank=True, related_name="incubator_projects"
    )
    # Besides listed repositories, a project may be a whole organization (every repository it
    # owns, today and later) or a group (the repositories granted to one of its teams).
    whole_organization = models.BooleanField(default=False)
    team = models.ForeignKey(
        "orgs.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mentors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    state = models.CharField(max_length=12, choices=State.choices, default=State.APPLIED)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.slug


class ProjectTransition(models.Model):
    """One step of a project's life (applied → incubating → graduated/retired), with who."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    actor_name = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.from_state}->{self.to_state}"


class Report(models.Model):
    """A periodic (quarterly) report in Markdown; one per project and quarter."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    period = models.CharField(max_length=7)  # "2026-Q4"
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(fields=["project", "period"], name="incubator_report_period")
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.period}"


class ItemOverride(models.Model):
    """A mentor's judgement on one maturity item, which wins over the measurement."""

    class Status(models.TextChoices):
        MET = "met", _("Met")
        NOT_MET = "not_met", _("Not met")
        UNKNOWN = "unknown", _("Unknown")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="overrides")
    item = models.CharField(max_length=8)  # "CD10"
    status = models.CharField(max_length=8, choices=Status.choices)
    note = models.TextField()
    mentor_name = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "item"], name="incubator_override_item")
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.item}={self.status}"


class Ballot(models.Model):
    """A vote on graduating or retiring a project; the result is computed when it closes."""

    class Kind(models.TextChoices):
        GRADUATE = "graduate", _("Graduation")
        RETIRE = "retire", _("Retirement")

    class Result(models.TextChoices):
        OPEN = "open", _("Open")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ballots")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    opened_by = models.CharField(max_length=150)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=8, choices=Result.choices, default=Result.OPEN)
    yes = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    abstain = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["opened_at", "id"]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.kind}:{self.result}"


class Vote(models.Model):
    """One binding vote (+1, 0, -1) of a mentor or operator; changing it replaces the row."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value = models.SmallIntegerField()  # +1, 0, -1
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "voter"], name="incubator_one_vote"),
            models.CheckConstraint(condition=models.Q(value__in=[-1, 0, 1]), name="vote_value"),
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id}:{self.voter_id}={self.value}"
