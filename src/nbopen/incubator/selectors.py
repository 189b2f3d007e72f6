"""Reads of the incubator with visibility in one place.

An application (and a declined one) is the applicant's, the named organization's members',
and the operators' business; accepted, graduated and retired projects are public. A
project's repositories, and so its measured maturity, are only those the reader may read:
a private repository of a public project neither appears nor counts.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from nbopen.access.policy import Principal, is_operator, visible_repositories
from nbopen.core.errors import NotFound
from nbopen.incubator import maturity, services
from nbopen.incubator.models import Project
from nbopen.incubator.services import PUBLIC_STATES
from nbopen.repos.models import Repository


def visible_projects(principal: Principal) -> QuerySet[Project]:
    qs = Project.objects.select_related("organization")
    if is_operator(principal) or principal.is_site_admin:
        return qs
    public = Q(state__in=PUBLIC_STATES)
    if not principal.is_authenticated or principal.user is None:
        return qs.filter(public)
    return qs.filter(
        public
        | Q(applicant_id=principal.user.pk)
        | Q(organization_id__in=list(principal.org_roles()))
        | Q(mentors=principal.user)
    ).distinct()


def project_get(principal: Principal, slug: str) -> Project:
    project = visible_projects(principal).filter(slug=slug).first()
    if project is None:
        raise NotFound(gettext_noop("Project not found"))
    return project


def readable_repositories(principal: Principal, project: Project) -> list[Repository]:
    ids = services.project_repositories(project).values("pk")
    return list(visible_repositories(principal).filter(pk__in=ids).order_by("owner__name", "name"))


def maturity_of(
    principal: Principal, project: Project
) -> tuple[maturity.Evidence, list[maturity.Item]]:
    """The project's evidence and items, measured over what ``principal`` may read."""
    evidence = maturity.measure(readable_repositories(principal, project))
    overrides = {o.item: (o.status, o.note, o.mentor_name) for o in project.overrides.all()}
    return evidence, maturity.evaluate(evidence, overrides)
