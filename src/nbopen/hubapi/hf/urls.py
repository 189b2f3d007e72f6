"""The Hugging Face Hub–compatible API (see docs/hub-compat.md).

Revisions arrive percent-encoded (``feature%2Fx``) but Django sees decoded paths, so routes
whose revision is the last segment take the whole remainder (``<rev>`` may hold ``/``).
File downloads (``/resolve/``) and commits (``/commit/{rev}``) are raw ASGI
(:mod:`.resolve`, :mod:`.commit_asgi`), dispatched by hubapi/router.py before Django.
"""

from django.urls import URLPattern, URLResolver

from nbopen.hubapi.denials import Channel
from nbopen.hubapi.routes import route

from . import gated, info, manage, misc, modelscope, refs, tree, write, xet_token

_REPO = r"^api/(?P<type_plural>models|datasets)/(?P<owner>[^/]+)/(?P<name>[^/]+)"
_MS = r"^api/v1/(?P<type_plural>models|datasets)/(?P<owner>[^/]+)/(?P<name>[^/]+)/repo"

GET = ("GET", "HEAD")
POST = ("POST",)
POST_DELETE = ("POST", "DELETE")
ANY = ("GET", "HEAD", "POST", "PUT", "DELETE")


def hub(pattern: str, view: object, methods: tuple[str, ...] = GET) -> URLPattern:
    """A Hub-compatible route: the Hub's error shapes; documented in docs/hub-compat.md."""
    return route(pattern, view, methods=methods, channel=Channel.HUB)  # type: ignore[arg-type]


urlpatterns: list[URLPattern | URLResolver] = [
    hub(r"^api/agent-harnesses\Z", misc.agent_harnesses),
    hub(r"^api/validate-yaml\Z", misc.validate_yaml, POST),
    hub(r"^api/(?P<type_plural>models|datasets)\Z", info.list_repos),
    hub(_REPO + r"\Z", misc.repo_root, ANY),
    hub(_REPO + r"/revision/(?P<rev>.+)\Z", info.repo_info),
    hub(_REPO + r"/tree/(?P<rest>.+)\Z", tree.tree),
    hub(_REPO + r"/paths-info/(?P<rev>.+)\Z", tree.paths_info, POST),
    hub(_REPO + r"/refs\Z", refs.refs),
    hub(_REPO + r"/commits/(?P<rev>.+)\Z", refs.commits),
    hub(_REPO + r"/branch/(?P<branch>.+)\Z", refs.branch, POST_DELETE),
    hub(_REPO + r"/tag/(?P<rev>.+)\Z", refs.tag, POST_DELETE),
    hub(_REPO + r"/preupload/(?P<rev>.+)\Z", write.preupload, POST),
    hub(_REPO + r"/xet-(?P<kind>read|write)-token(?:/(?P<rev>.+))?\Z", xet_token.xet_token),
    hub(_REPO + r"/auth-check(?P<write>/write)?\Z", misc.auth_check),
    hub(_REPO + r"/like\Z", misc.like, POST_DELETE),
    hub(_REPO + r"/duplicate\Z", manage.duplicate, POST),
    hub(_REPO + r"/super-squash/(?P<branch>.+)\Z", manage.super_squash, POST),
    hub(_REPO + r"/lfs-files\Z", manage.lfs_list),
    hub(_REPO + r"/lfs-files/batch\Z", manage.lfs_delete, POST),
    hub(_REPO + r"/user-access-request/(?P<status>pending|accepted|rejected)\Z", gated.requests),
    hub(_REPO + r"/user-access-request/handle\Z", gated.handle, POST),
    hub(_REPO + r"/user-access-request/grant\Z", gated.grant, POST),
    hub(_REPO + r"/user-access-request/ask\Z", gated.ask, POST),
    hub(r"^api/users/(?P<username>[^/]+)/likes\Z", misc.user_likes),
    hub(r"^api/settings/repositories\Z", misc.settings_repositories),
    hub(r"^api/organizations/(?P<org>[^/]+)/settings/repositories\Z", misc.settings_repositories),
    # Namespace-less ids (``gpt2``): after every ``{owner}/{name}`` route, so only paths that
    # no repository route took get here.
    hub(
        r"^api/(?P<type_plural>models|datasets)/(?P<name>[^/]+)"
        rf"(?:/(?P<rest>(?:{misc.NAMESPACELESS_SUBROUTES})(?:/.*)?))?\Z",
        misc.namespaceless,
        ANY,
    ),
    # ModelScope SDK downloads (HF_COMPAT.md §12)
    hub(r"^api/v1/datasets/(?P<owner>[^/]+)/(?P<name>[^/]+)\Z", modelscope.dataset_info),
    hub(r"^api/v1/datasets/(?P<dataset_id>\d+)/repo/tree\Z", modelscope.dataset_tree_by_id),
    hub(_MS + r"/files\Z", modelscope.repo_files),
    hub(_MS + r"/tree\Z", modelscope.repo_tree),
    hub(_MS + r"\Z", modelscope.repo_file),
]
