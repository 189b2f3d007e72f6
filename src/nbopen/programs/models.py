"""Open calls (揭榜挂帅), their public timeline, and the applications to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Call(models.Model):
    """A hard problem an organization publishes so that whoever can solve it takes it on.

    Structured fields (KPIs, deliverables, milestones, eligibility) are JSON lists validated by
    ``programs.services``: they are read and written whole with the call, never queried.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")
        APPLICATIONS = "applications", _("Taking applications")
        SHORTLIST = "shortlist", _("Shortlist")
        NEGOTIATION = "negotiation", _("Negotiation")
        CONTRACTED = "contracted", _("Contracted")
        IN_PROGRESS = "in_progress", _("In progress")
        ACCEPTANCE = "acceptance", _("Acceptance")
        CLOSED = "closed", _("Closed")

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="calls"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)  # background and pain point (Markdown)
    kpis = models.JSONField(default=list, blank=True)  # [{"name", "baseline", "target"}]
    deliverables = models.JSONField(default=list, blank=True)  # ["report", "model", …]
    budget = models.BigIntegerField(default=0)  # total, in yuan
    milestones = models.JSONField(default=list, blank=True)  # [{"name", "amount", "due"}]
    publish_date = models.DateField(null=True, blank=True)
    deadline = models.DateField(null=True, blank=True)  # applications close
    execution_start = models.DateField(null=True, blank=True)
    execution_end = models.DateField(null=True, blank=True)
    # Who may apply: organization kinds and/or "individual"; empty means anyone.
    eligibility = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    # Automatic acceptance: a competition on the platform whose results judge the work.
    competition = models.ForeignKey(
        "challenges.Competition",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    # The review panel's scoring form: [{"name", "weight"}], weights positive numbers.
    review_criteria = models.JSONField(default=list, blank=True)
    # Scores and reviewer names reach applicants only once the organization publishes them.
    reviews_published = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self) -> str:
        return f"{self.pk}:{self.title}"


class CallTransition(models.Model):
    """One step of a call's public timeline (结果公示): who moved it, from where to where, when."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text so the timeline still names who acted after an account is deleted.
    actor_name = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.call_id}:{self.from_state}->{self.to_state}"


class Application(models.Model):
    """A proposal (揭榜) to solve a call, by a user or by an organization."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        SHORTLISTED = "shortlisted", _("Shortlisted")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="applications")
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="call_applications",
    )
    applicant_org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="call_applications",
    )
    proposal = models.TextField()  # Markdown
    budget_plan = models.JSONField(default=list, blank=True)  # [{"item", "amount"}]
    # Repository ids on this platform; shown to each reader only where they may read them.
    evidence = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    decision_reasons = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(applicant_user__isnull=False, applicant_org__isnull=True)
                | models.Q(applicant_user__isnull=True, applicant_org__isnull=False),
                name="application_one_applicant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.call_id}:{self.pk}"

    @property
    def applicant_name(self) -> str:
        if self.applicant_org_id is not None:
            return self.applicant_org.name  # type: ignore[union-attr]
        return self.applicant_user.username  # type: ignore[union-attr]


class Reviewer(models.Model):
    """A member of a call's review panel, named by the issuing organization (may be an
    outside expert: no membership is required)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="reviewers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="call_reviews"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["call", "user"], name="programs_reviewer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.call_id}:{self.user_id}"


class ConflictDeclaration(models.Model):
    """A reviewer's own declaration of a conflict of interest with one application.

    Automatic conflicts (same organization, recent co-authorship) are computed when read,
    from the platform's current data, and never stored: they cannot go stale."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="conflict_declarations"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="programs_conflict_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.reviewer_id}"


class Review(models.Model):
    """One reviewer's scoring form for one application: a 1–5 score per criterion of the
    call, a comment, and the weighted total (kept so lists sort without recomputing)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    scores = models.JSONField(default=dict)  # {criterion name: 1..5}
    comment = models.TextField(blank=True)
    total = models.FloatField(default=0.0)  # weighted mean, 1..5
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="programs_review_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.reviewer_id}={self.total}"
