"""The permission policy.

A principal (anonymous, a signed-in user, or a user acting through a token) has a *level* on
each repository and organization: none < read < write < admin. The level on a repository is the
highest of: public → read; owner or site admin → admin; the role in the owning organization;
a grant on that repository to the user (collaborator) or to a team they belong to. A
read-scoped token caps the level at read.
:func:`decide_repo` turns "level vs. what the action needs" into the answer every channel must
give, so that private repositories look the same from everywhere:

* anonymous and not enough  → ``UNAUTHENTICATED`` (git/LFS answer 401 so clients prompt)
* signed in, cannot read    → ``NOT_FOUND`` (404: a private repo's existence is not revealed)
* signed in, can read only  → ``FORBIDDEN`` (403: the repo is visible, the write is refused)

Gated repositories (``Repository.gated``): :func:`decide_content` is the rule for a file's
*bytes* (resolve, git upload-pack, LFS and Xet downloads, viewer rows, ModelScope files, raw
pages). Metadata stays ``decide_repo(…, READ)``. A public gated repository's contents go to
those with a role or grant on it and to those whose access request was accepted; everyone
else who can read it gets ``GATED`` (anonymous callers included: the Hub answers them 401
``GatedRepo``, git 401 with the challenge).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from nbopen.challenges.models import Competition, Participant
from nbopen.config.env import CONFIG
from nbopen.core.errors import NotFound, PermissionDenied
from nbopen.core.sql import ids_in
from nbopen.orgs.models import Membership, Organization, TeamRepository
from nbopen.repos.models import AccessRequest, Collaborator, Repository

if TYPE_CHECKING:
    from nbopen.accounts.models import AccessToken, User


class Level(enum.IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2
    ADMIN = 3


class Decision(enum.Enum):
    ALLOW = "allow"
    UNAUTHENTICATED = "unauthenticated"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    GATED = "gated"  # signed in, no accepted request: 403
    GATED_ANONYMOUS = "gated_anonymous"  # anonymous on a gated repository: 401

    @property
    def http_status(self) -> int:
        """The status every machine channel answers (the wording is the channel's:
        ``nbopen.hubapi.denials``; web pages redirect to sign-in or show the 404 page)."""
        return _HTTP_STATUS[self]

    @property
    def is_gated(self) -> bool:
        return self in (Decision.GATED, Decision.GATED_ANONYMOUS)


_HTTP_STATUS = {
    Decision.ALLOW: 200,
    Decision.UNAUTHENTICATED: 401,
    Decision.NOT_FOUND: 404,
    Decision.FORBIDDEN: 403,
    Decision.GATED: 403,
    Decision.GATED_ANONYMOUS: 401,
}

ROLE_LEVEL = {
    Membership.Role.OWNER: Level.ADMIN,
    Membership.Role.ADMIN: Level.ADMIN,
    Membership.Role.WRITE: Level.WRITE,
    Membership.Role.READ: Level.READ,
}

# Collaborator and team grants share the role names read / write / admin.
GRANT_LEVEL = {"read": Level.READ, "write": Level.WRITE, "admin": Level.ADMIN}


@dataclass
class Principal:
    """Who is asking. ``scope`` is the token's scope, or None for a full (session) login."""

    user: User | None = None
    scope: str | None = None
    token: AccessToken | None = None
    # Bound to one repository (see the module's docstring); a deploy key has no user and
    # ``deploy_level`` (read or write) on that repository.
    only_repo_id: int | None = None
    deploy_level: Level | None = None
    _org_roles: dict[int, str] | None = field(default=None, repr=False)
    _repo_grants: dict[int, Level] | None = field(default=None, repr=False)

    @classmethod
    def anonymous(cls) -> Principal:
        return cls()

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.user.is_active

    @property
    def is_identified(self) -> bool:
        """Signed in, or a deploy key: refusals say 404/403 rather than asking to sign in."""
        return self.is_authenticated or self.deploy_level is not None

    @property
    def is_site_admin(self) -> bool:
        return self.is_authenticated and bool(self.user and self.user.is_superuser)

    def org_roles(self) -> dict[int, str]:
        """organization id → role, loaded once per principal (one query per request)."""
        if self._org_roles is None:
            if not self.is_authenticated:
                self._org_roles = {}
            else:
                self._org_roles = dict(
                    Membership.objects.filter(user=self.user).values_list("organization_id", "role")
                )
        return self._org_roles

    def repo_grants(self) -> dict[int, Level]:
        """repository id → the best level granted directly (collaborator), through a team, or
        by accepting a competition's terms (read on its datasets), loaded once per principal."""
        if self._repo_grants is None:
            grants: dict[int, Level] = {}
            if self.is_authenticated:
                rows = list(
                    Collaborator.objects.filter(user=self.user).values_list("repository_id", "role")
                ) + list(
                    TeamRepository.objects.filter(team__members__user=self.user).values_list(
                        "repository_id", "role"
                    )
                )
                for repo_id, role in rows:
                    grants[repo_id] = max(grants.get(repo_id, Level.NONE), GRANT_LEVEL[role])
                assert self.user is not None
                for repo_id in competition_datasets(self.user):
                    grants[repo_id] = max(grants.get(repo_id, Level.NONE), Level.READ)
            self._repo_grants = grants
        return self._repo_grants

    def cap(self, level: Level) -> Level:
        if self.scope == "read":
            return min(level, Level.READ)
        return level


def competition_datasets(user: User) -> list[int]:
    """Datasets opened to ``user`` by the terms they accepted: those of the competitions in
    which they participate while it is published, running or finished (archiving closes
    them). A grant like a collaborator's, so gated contents open too (:func:`_gate`)."""
    open_states = (
        Competition.State.PUBLISHED,
        Competition.State.RUNNING,
        Competition.State.FINISHED,
    )
    competitions = Participant.objects.filter(user=user, competition__state__in=open_states).values(
        "competition_id"
    )
    return list(
        Competition.datasets.through.objects.filter(competition_id__in=competitions).values_list(
            "repository_id", flat=True
        )
    )


def repo_level(principal: Principal, repo: Repository) -> Level:
    return max(
        Level.NONE if repo.private else principal.cap(Level.READ), _role_level(principal, repo)
    )


def _role_level(principal: Principal, repo: Repository) -> Level:
    """The level from who the principal is (owner, site admin, organization role, grants),
    not from the repository being public."""
    level = Level.NONE
    if principal.only_repo_id is not None and principal.only_repo_id != repo.pk:
        return level
    if principal.deploy_level is not None:
        return principal.cap(principal.deploy_level)
    if principal.is_authenticated:
        assert principal.user is not None
        if principal.is_site_admin or repo.owner.user_id == principal.user.pk:
            level = Level.ADMIN
        elif repo.owner.organization_id is not None:
            role = principal.org_roles().get(repo.owner.organization_id)
            if role is not None:
                level = max(level, ROLE_LEVEL[Membership.Role(role)])
        level = max(level, principal.repo_grants().get(repo.pk, Level.NONE))
    return principal.cap(level)


def decide_repo(
    principal: Principal, repo: Repository | None, need: Level, *, content: bool = False
) -> Decision:
    """What the channel must answer when ``principal`` wants ``need`` on ``repo``.

    ``repo`` may be None (it does not exist): the answer is then indistinguishable from a
    private repository the principal cannot read. ``content``: the caller serves file
    contents, so a gated repository's gate applies to a read (:func:`decide_content`).
    """
    have = repo_level(principal, repo) if repo is not None else Level.NONE
    if have >= need:
        if content and need == Level.READ and repo is not None and repo.gated:
            return _gate(principal, repo)
        return Decision.ALLOW
    if not principal.is_identified:
        return Decision.UNAUTHENTICATED
    return Decision.NOT_FOUND if have == Level.NONE else Decision.FORBIDDEN


def decide_content(principal: Principal, repo: Repository | None) -> Decision:
    """What the channel must answer when ``principal`` wants a file's contents of ``repo``:
    :func:`decide_repo` with READ, then the gate (see the module's docstring)."""
    return decide_repo(principal, repo, Level.READ, content=True)


def _gate(principal: Principal, repo: Repository) -> Decision:
    if _role_level(principal, repo) >= Level.READ or has_accepted_request(principal, repo):
        return Decision.ALLOW
    return Decision.GATED if principal.is_authenticated else Decision.GATED_ANONYMOUS


def has_accepted_request(principal: Principal, repo: Repository) -> bool:
    if not principal.is_authenticated:
        return False
    return AccessRequest.objects.filter(
        repository=repo, user=principal.user, status=AccessRequest.Status.ACCEPTED
    ).exists()


# One sentence per level, so the level reads in the page's language too.
_NEEDS = {
    Level.READ: gettext_noop("You need read access to %(repo)s"),
    Level.WRITE: gettext_noop("You need write access to %(repo)s"),
    Level.ADMIN: gettext_noop("You need admin access to %(repo)s"),
}


def require_repo(principal: Principal, repo: Repository, need: Level) -> None:
    """The decision as domain services answer it (no HTTP): nothing if allowed, else
    :class:`~nbopen.core.errors.PermissionDenied` for a principal who can read ``repo`` and
    :class:`~nbopen.core.errors.NotFound` otherwise — anonymous callers included, so a service
    never confirms that a private repository exists. Interfaces map those errors to their
    channel (``hubapi.errors.domain_error``, the web's error pages)."""
    decision = decide_repo(principal, repo, need)
    if decision is Decision.ALLOW:
        return
    if decision is Decision.FORBIDDEN:
        raise PermissionDenied(_NEEDS.get(need, _NEEDS[Level.ADMIN]), repo=repo.full_name)
    raise NotFound(gettext_noop("Repository %(repo)s not found"), repo=repo.full_name)


def org_level(principal: Principal, org: Organization) -> Level:
    """Organizations are public pages; members get their role's level."""
    level = Level.READ
    if principal.is_site_admin:
        level = Level.ADMIN
    elif principal.is_authenticated:
        role = principal.org_roles().get(org.pk)
        if role is not None:
            level = ROLE_LEVEL[Membership.Role(role)]
    return principal.cap(level)


def may_create_repo_under(
    principal: Principal, owner_user_id: int | None, owner_org_id: int | None
) -> bool:
    """Users create under their own name; org members need write (as on GitHub by default)."""
    if not principal.is_authenticated or principal.scope == "read":
        return False
    assert principal.user is not None
    if principal.is_site_admin:
        return True
    if owner_user_id is not None:
        return owner_user_id == principal.user.pk
    role = principal.org_roles().get(owner_org_id or -1)
    return role is not None and ROLE_LEVEL[Membership.Role(role)] >= Level.WRITE


def may_transfer(principal: Principal, repo: Repository) -> bool:
    """Moving a repository to another owner takes it away from its owner, so it needs the
    owner's authority: the user who owns it, an admin of the organization that owns it, or
    a site admin; a collaborator with admin on the repository alone may rename it but not
    carry it off (as on GitHub)."""
    if not principal.is_authenticated or principal.scope == "read" or principal.user is None:
        return False
    if principal.is_site_admin:
        return True
    owner = repo.owner
    if owner.user_id is not None:
        return bool(owner.user_id == principal.user.pk)
    role = principal.org_roles().get(owner.organization_id or -1)
    return role is not None and ROLE_LEVEL[Membership.Role(role)] >= Level.ADMIN


def is_operator(principal: Principal) -> bool:
    """Site operators (staff or superusers) curate platform-wide things such as the domains of
    the vertical data libraries. A read-scoped token never acts as an operator."""
    if not principal.is_authenticated or principal.scope == "read":
        return False
    assert principal.user is not None
    return bool(principal.user.is_superuser or principal.user.is_staff)


def may_manage_call(principal: Principal, org: Organization) -> bool:
    """An open call (``nbopen.programs``) speaks for its organization, so editing it, moving
    it along its states and deciding on applications take an admin of that organization (or
    an operator); a read-scoped token never does."""
    if principal.scope == "read":
        return False
    return is_operator(principal) or org_level(principal, org) >= Level.ADMIN


def may_read_call(principal: Principal, org: Organization, *, public: bool) -> bool:
    """A published call is public (its timeline is the 结果公示). Before that, a draft or a
    call in review is the organization's own business and the operators' who review it:
    everyone else is answered as if it did not exist (404), like a private repository."""
    if public or is_operator(principal) or principal.is_site_admin:
        return True
    return principal.is_authenticated and org.pk in principal.org_roles()


def may_read_application(
    principal: Principal,
    org: Organization,
    *,
    applicant_user_id: int | None,
    applicant_org_id: int | None,
    reviewer: bool = False,
    conflicted: bool = False,
) -> bool:
    """An application to a call shows its proposal, budget and evidence: the applicant (the
    user, or a member of the applying organization), the call's reviewers, the issuing
    organization's admins and operators read it; nobody else learns it exists. A reviewer
    with a conflict of interest (``conflicted``, computed by ``programs.reviews``) is
    recused from it entirely, whatever else would let them read it."""
    if not principal.is_authenticated or principal.user is None or conflicted:
        return False
    if reviewer:
        return True
    if is_operator(principal) or principal.is_site_admin:
        return True
    if applicant_user_id is not None and applicant_user_id == principal.user.pk:
        return True
    if applicant_org_id is not None and applicant_org_id in principal.org_roles():
        return True
    role = principal.org_roles().get(org.pk)
    return role is not None and ROLE_LEVEL[Membership.Role(role)] >= Level.ADMIN


def may_read_audit(principal: Principal, org: Organization | None) -> bool:
    """The audit log: operators (staff, superusers) read all of it, an organization's owners
    their organization's (``org``; None asks for the whole log). Reading the log is a read,
    so a read-scoped token of an owner or operator may."""
    if not principal.is_authenticated:
        return False
    assert principal.user is not None
    if principal.user.is_superuser or principal.user.is_staff:
        return True
    if org is None:
        return False
    return principal.org_roles().get(org.pk) == Membership.Role.OWNER


def may_fetch_upstream(principal: Principal) -> bool:
    """Whether this caller's request for a repository this server lacks may make it fetch
    from the upstream hubs (NBOPEN_MIRROR_USERS). Fetching costs the operator bandwidth and
    storage, so anonymous visitors never trigger it unless the operator says ``anonymous``;
    ``orgs:a,b`` limits it to members of those organizations; ``off`` turns it off. A mirror
    already made is read like any public repository, whoever asks."""
    rule = CONFIG.mirror_users
    if rule == "anonymous":
        return True
    if rule == "off" or not principal.is_authenticated:
        return False
    if rule == "signed-in":
        return True
    if rule.startswith("orgs:"):
        names = [n.strip().lower() for n in rule.removeprefix("orgs:").split(",") if n.strip()]
        return any(
            org.lower() in names
            for org in Membership.objects.filter(user=principal.user).values_list(
                "organization__name", flat=True
            )
        )
    return False


def readable_among(principal: Principal, repository_ids: Sequence[int]) -> set[int]:
    """Which of ``repository_ids`` the principal may read: :func:`visible_repositories`
    restricted to them, with the ids bound as one parameter (search checks a thousand ids
    per query; see ``nbopen.core.sql.ids_in``)."""
    if not repository_ids:
        return set()
    sql, params = ids_in("repos_repository.id", repository_ids)
    rows = visible_repositories(principal).extra(where=[sql], params=params)  # noqa: S610
    return set(rows.values_list("pk", flat=True))


def public_repositories() -> QuerySet[Repository]:
    """Repositories everyone may read: for figures that are the same for every caller
    (fork counts, city-wide analytics, an organization's public list). What anonymous
    visitors see, by definition, so it can never disagree with :func:`visible_repositories`."""
    return visible_repositories(Principal.anonymous())


def visible_repositories(principal: Principal) -> QuerySet[Repository]:
    """Every repository the principal may read, as a query (so counts and pages stay right)."""
    qs = Repository.objects.select_related("owner")
    if principal.is_site_admin:
        return qs
    if not principal.is_authenticated:
        return qs.filter(private=False)
    assert principal.user is not None
    return qs.filter(
        Q(private=False)
        | Q(owner__user_id=principal.user.pk)
        | Q(owner__organization_id__in=list(principal.org_roles()))
        | Q(pk__in=list(principal.repo_grants()))
    )


def may_manage_ssh_keys(principal: Principal, *, write: bool) -> bool:
    """A user's own SSH keys: listed by the user (any token of theirs), added or removed by a
    full sign-in or a write token. A key grants git access as the user, so nothing bound to
    one repository (a deploy key, an SSH-issued LFS token) may touch them."""
    if not principal.is_authenticated or principal.only_repo_id is not None:
        return False
    return not (write and principal.scope == "read")
