"""The Hugging Face Hub–compatible API (see docs/hub-compat.md).

Revisions arrive percent-encoded (``feature%2Fx``) but Django sees decoded paths, so routes
whose revision is the last segment take the whole remainder (``<rev>`` may hold ``/``).
File downloads (``/resolve/``) and commits (``/commit/{rev}``) are raw ASGI
(:mod:`.resolve`, :mod:`.commit_asgi`), dispatched by hubapi/router.py before Django.
"""

from django.urls import URLPattern, URLResolver, re_path

from . import info, misc, modelscope, refs, tree, write, xet_token

_REPO = r"^api/(?P<type_plural>models|datasets)/(?P<owner>[^/]+)/(?P<name>[^/]+)"
_MS = r"^api/v1/(?P<type_plural>models|datasets)/(?P<owner>[^/]+)/(?P<name>[^/]+)/repo"

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^api/agent-harnesses\Z", misc.agent_harnesses),
    re_path(r"^api/validate-yaml\Z", misc.validate_yaml),
    re_path(r"^api/(?P<type_plural>models|datasets)\Z", info.list_repos),
    re_path(_REPO + r"\Z", info.repo_info),
    re_path(_REPO + r"/revision/(?P<rev>.+)\Z", info.repo_info),
    re_path(_REPO + r"/tree/(?P<rest>.+)\Z", tree.tree),
    re_path(_REPO + r"/paths-info/(?P<rev>.+)\Z", tree.paths_info),
    re_path(_REPO + r"/refs\Z", refs.refs),
    re_path(_REPO + r"/commits/(?P<rev>.+)\Z", refs.commits),
    re_path(_REPO + r"/branch/(?P<branch>.+)\Z", refs.branch),
    re_path(_REPO + r"/tag/(?P<rev>.+)\Z", refs.tag),
    re_path(_REPO + r"/preupload/(?P<rev>.+)\Z", write.preupload),
    re_path(_REPO + r"/xet-(?P<kind>read|write)-token(?:/(?P<rev>.+))?\Z", xet_token.xet_token),
    re_path(_REPO + r"/auth-check(?P<write>/write)?\Z", misc.auth_check),
    re_path(_REPO + r"/like\Z", misc.like),
    re_path(r"^api/users/(?P<username>[^/]+)/likes\Z", misc.user_likes),
    # ModelScope SDK downloads (HF_COMPAT.md §12)
    re_path(_MS + r"/files\Z", modelscope.repo_files),
    re_path(_MS + r"/tree\Z", modelscope.repo_tree),
    re_path(_MS + r"\Z", modelscope.repo_file),
]
