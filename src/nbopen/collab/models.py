"""Signals between people and things: likes and watches of repositories, follows of owners."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Like(models.Model):
    """A user likes (stars) a repository. The count is derived, never stored here."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="likes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "user"], name="one_like_per_user")
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="collab_like_user_recent")]

    def __str__(self) -> str:
        return f"{self.user_id}♥{self.repository_id}"


class Follow(models.Model):
    """A user follows an owner: another user or an organization (one namespace holds both).

    Following is public, as on GitHub: who follows whom is shown on profile pages.
    """

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    target = models.ForeignKey(
        "accounts.Namespace", on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "target"], name="one_follow_per_pair")
        ]
        indexes = [models.Index(fields=["target", "-created_at"], name="collab_follow_target")]

    def __str__(self) -> str:
        return f"{self.follower_id}→{self.target_id}"


class Watch(models.Model):
    """A user watches a repository: its activity appears in the user's dashboard feed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watching"
    )
    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="watches"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Level(models.TextChoices):
        """What the watcher is notified of: threads they take part in, every new thread and
        its activity, or nothing at all (not even mentions), as on GitHub."""

        PARTICIPATING = "participating"
        ALL = "all"
        IGNORE = "ignore"

    level = models.CharField(max_length=16, choices=Level.choices, default=Level.ALL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "user"], name="one_watch_per_user")
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="collab_watch_user_recent")]

    def __str__(self) -> str:
        return f"{self.user_id}👁{self.repository_id}"


# --- Threads: issues, pull requests and the Hub's discussions (one numbered sequence) ---


class ThreadCounter(models.Model):
    """The last number given to a thread of a repository.

    Why a row and not ``MAX(number) + 1``: incrementing it with ``UPDATE … SET last = last + 1``
    takes the row's write lock (PostgreSQL) or the database's (SQLite, immediate
    transactions) until the transaction ends, so two threads opened at once never get the
    same number; the unique constraint on :class:`Thread` is the safety net.
    """

    repository = models.OneToOneField(
        "repos.Repository", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.repository_id}: {self.last}"


class Label(models.Model):
    """A repository's label, or an organization's (``organization`` set, ``repository``
    null): an org-wide label applies to every repository of the organization, as Gitea's.
    Names are unique per owner (repository or organization), case-insensitively."""

    repository = models.ForeignKey(
        "repos.Repository", null=True, blank=True, on_delete=models.CASCADE, related_name="labels"
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="labels",
    )
    name = models.CharField(max_length=64)
    name_lower = models.CharField(max_length=64)
    color = models.CharField(max_length=7, default="#6e7781")
    description = models.CharField(max_length=256, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "name_lower"], name="one_label_name"),
            models.UniqueConstraint(
                fields=["organization", "name_lower"], name="one_org_label_name"
            ),
            models.CheckConstraint(
                condition=models.Q(repository__isnull=False, organization__isnull=True)
                | models.Q(repository__isnull=True, organization__isnull=False),
                name="label_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    """A repository's milestone: a title, a due date and the threads (issues and pull
    requests) assigned to it. Progress is derived (closed / total threads), never stored,
    so it cannot drift from the threads' states."""

    class State(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(max_length=128)
    title_lower = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    due_on = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "title_lower"], name="one_milestone_title"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Thread(models.Model):
    """An issue or a pull request (on model and dataset repositories: a Hub discussion or
    pull request). Numbers are shared by both kinds, per repository, as on GitHub and the Hub.

    The opening text is the first :class:`Comment` (``opening=True``), as on the Hub, so the
    body has the same edit history as any comment.
    """

    class Kind(models.TextChoices):
        ISSUE = "issue"
        PULL = "pull"

    class State(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"
        MERGED = "merged"

    class Reason(models.TextChoices):
        NONE = ""
        COMPLETED = "completed"
        NOT_PLANNED = "not_planned"

    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="threads"
    )
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    title = models.CharField(max_length=256)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    state_reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    locked = models.BooleanField(default=False)
    pinned = models.BooleanField(default=False)
    labels = models.ManyToManyField(Label, blank=True, related_name="threads")
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Pull requests only. The head lives in ``head_repository`` (this one, or a fork) at
    # ``head_ref`` (a branch, or ``refs/pr/N`` for the Hub's PRs); the base repository keeps
    # ``refs/pull/N/head`` pointing at ``head_sha``.
    base_branch = models.CharField(max_length=255, blank=True)
    head_repository = models.ForeignKey(
        "repos.Repository", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    head_ref = models.CharField(max_length=255, blank=True)
    head_sha = models.CharField(max_length=40, blank=True)
    merge_commit = models.CharField(max_length=40, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "number"], name="one_thread_number")
        ]
        indexes = [
            models.Index(fields=["repository", "kind", "state", "-number"], name="thread_list"),
            # The list's order (pinned first, newest first) over all states: page N of a
            # 50,000-issue repository walks this index instead of sorting every row.
            models.Index(
                fields=["repository", "kind", "-pinned", "-number"], name="thread_list_pinned"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}#{self.number}"

    @property
    def is_pull(self) -> bool:
        return self.kind == self.Kind.PULL


class Comment(models.Model):
    """A comment on a thread (``opening``: the thread's description)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    opening = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.thread_id}"


class CommentEdit(models.Model):
    """A previous version of a comment's text, kept when it is edited or hidden."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="edits")
    body = models.TextField()
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"edit {self.pk} of {self.comment_id}"


class Reaction(models.Model):
    """A user's reaction (one of Gitea's and GitHub's eight) to a thread (``comment`` null)
    or to one of its comments; one of each kind per user and target."""

    CONTENTS = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reactions")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="reactions"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    content = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "user", "content"],
                condition=models.Q(comment__isnull=True),
                name="one_thread_reaction",
            ),
            models.UniqueConstraint(
                fields=["comment", "user", "content"],
                condition=models.Q(comment__isnull=False),
                name="one_comment_reaction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content} by {self.user_id} on {self.thread_id}/{self.comment_id}"


class TimelineEntry(models.Model):
    """Something that happened to a thread other than a comment: a status change, a rename,
    a commit pushed to a pull request, a label, an assignment, a lock, a cross-reference."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.thread_id}"


class Review(models.Model):
    """A review of a pull request at one of its commits."""

    class State(models.TextChoices):
        COMMENTED = "commented"
        APPROVED = "approved"
        CHANGES_REQUESTED = "changes_requested"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=20, choices=State.choices)
    body = models.TextField(blank=True)
    commit_sha = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.state} review on {self.thread_id}"


class ReviewComment(models.Model):
    """A comment anchored to ``line`` of ``path`` as it is in ``commit_sha`` (the new side).

    ``line_text`` is that line's content when the comment was made: the comment becomes
    "outdated" (never lost) once the pull request's head no longer has it at that line.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="comments")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="review_comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    commit_sha = models.CharField(max_length=40)
    path = models.CharField(max_length=1024)
    line = models.PositiveIntegerField()
    line_text = models.TextField(blank=True)
    body = models.TextField()
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.path}:{self.line} on {self.thread_id}"


class ProtectedBranch(models.Model):
    """A protection rule for the branches whose names match ``rule_name`` (a glob, as
    Gitea's: ``main``, ``release/*``). Field names are Gitea's, so its API maps one to one.

    A protected branch is never deleted nor force-pushed; direct pushes (git, Hub commits,
    web edits) are refused unless ``enable_push`` (then, with ``enable_push_whitelist``, only
    the listed users and teams may push). Merges need ``required_approvals`` approvals, the
    ``status_check_contexts`` green, and, with ``enable_merge_whitelist``, a listed merger.
    """

    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="protected_branches"
    )
    rule_name = models.CharField(max_length=255)
    priority = models.IntegerField(default=0)
    enable_push = models.BooleanField(default=False)
    enable_push_whitelist = models.BooleanField(default=False)
    push_whitelist_usernames = models.JSONField(default=list, blank=True)
    push_whitelist_teams = models.JSONField(default=list, blank=True)
    enable_force_push = models.BooleanField(default=False)
    enable_merge_whitelist = models.BooleanField(default=False)
    merge_whitelist_usernames = models.JSONField(default=list, blank=True)
    merge_whitelist_teams = models.JSONField(default=list, blank=True)
    required_approvals = models.PositiveIntegerField(default=0)
    enable_status_check = models.BooleanField(default=False)
    status_check_contexts = models.JSONField(default=list, blank=True)
    block_on_rejected_reviews = models.BooleanField(default=False)
    block_on_outdated_branch = models.BooleanField(default=False)
    dismiss_stale_approvals = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "rule_name"], name="one_rule_per_name")
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.rule_name}"


class CommitStatus(models.Model):
    """A CI result for one commit under one ``context`` (``ci/build``), as Gitea and GitHub
    keep them: every post is kept, the latest per context counts."""

    class State(models.TextChoices):
        PENDING = "pending"
        SUCCESS = "success"
        ERROR = "error"
        FAILURE = "failure"
        WARNING = "warning"

    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="commit_statuses"
    )
    sha = models.CharField(max_length=40)
    state = models.CharField(max_length=10, choices=State.choices)
    context = models.CharField(max_length=255, default="default")
    target_url = models.URLField(max_length=2000, blank=True)
    description = models.CharField(max_length=1000, blank=True)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["repository", "sha"], name="collab_status_commit")]

    def __str__(self) -> str:
        return f"{self.sha[:8]} {self.context}={self.state}"
