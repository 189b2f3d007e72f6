"""Page URLs, in the conventions users know from GitHub, Gitee and the Hugging Face Hub.

Included last by the root URLconf, so ``/{owner}/{name}`` never shadows the API or git.
``rest`` is ``{rev}/{path}``; revisions may contain slashes and are split the way GitHub does
(longest prefix that names a branch or tag).
"""

from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView

from nbopen.web.views import (
    account,
    auth,
    browse,
    dataset_viewer,
    discover,
    docs,
    fork,
    gated,
    history,
    home,
    insights,
    libraries,
    members,
    owners,
    raw,
    repo_new,
    repo_settings,
    signals,
    static,
    teams,
    threads,
    upload,
)

_SECTION = r"(?P<section>discussions|issues|pulls)"
repo_patterns: list[URLPattern | URLResolver] = [
    path("", browse.repo_home),
    path("tree/<path:rest>", browse.tree),
    path("blob/<path:rest>", browse.blob),
    path("raw/<path:rest>", raw.raw),
    path("commits", history.commits),
    path("commits/<path:rest>", history.commits),
    path("commit/<str:sha>", history.commit),
    path("branches", history.refs, {"kind": "branches"}),
    path("tags", history.refs, {"kind": "tags"}),
    path("fork", fork.fork),
    path("settings", repo_settings.settings),
    path("settings/delete", repo_settings.delete),
    path("viewer", dataset_viewer.dataset_viewer),
    path("versions", dataset_viewer.dataset_versions),
    path("settings/collaborators", repo_settings.collaborator_add),
    path("ask-access", gated.ask_access),
    path("settings/access-requests", gated.access_requests_page),
    path("settings/collaborators/remove", repo_settings.collaborator_delete),
    path("upload", upload.upload),
    path("watch", signals.watch),
    path("like", signals.like),
    path("insights", insights.repository),
    re_path(rf"^{_SECTION}\Z", threads.thread_list),
    re_path(rf"^{_SECTION}/new\Z", threads.thread_new),
    re_path(rf"^{_SECTION}/(?P<num>[1-9][0-9]{{0,8}})\Z", threads.thread_page),
    re_path(rf"^{_SECTION}/(?P<num>[1-9][0-9]{{0,8}})/act\Z", threads.thread_act),
    path("upload/<path:branch>", upload.upload),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("", home.home),
    path("static/<path:path>", static.static),
    path("favicon.ico", RedirectView.as_view(url="/static/web/img/logo.svg")),
    path("login", auth.login),
    path("signup", auth.signup),
    path("logout", auth.logout),
    path("new", repo_new.repo_new),
    path("organizations/new", owners.org_new),
    path("search", home.search),
    path("models", discover.explore, {"kind": "model"}),
    path("datasets", discover.explore, {"kind": "dataset"}),
    path("code", discover.explore, {"kind": "code"}),
    path("organizations", discover.explore, {"kind": "org"}),
    path("libraries", libraries.library_list),
    path("libraries/new", libraries.library_new),
    path("libraries/<slug:slug>", libraries.library_page),
    path("libraries/<slug:slug>/edit", libraries.library_edit),
    path("settings/tokens", account.tokens),
    path("settings/tokens/<int:token_id>/revoke", account.token_revoke_view),
    path("settings/password", auth.password_change),
    path("settings/language", account.set_language),
    path("datasets/<str:owner>/<str:name>/", include(repo_patterns)),
    path("datasets/<str:owner>/<str:name>", browse.repo_home),
    path("docs", docs.docs_page),
    path("docs/<slug:slug>", docs.docs_page),
    path("help", RedirectView.as_view(url="/docs")),
    path("help/<path:rest>", RedirectView.as_view(url="/docs")),
    path("insights", insights.city),
    path("insights/network", insights.network),
    path("insights/methods", insights.methods),
    path("insights/registry", insights.registry),
    path("<str:owner>", owners.owner),
    # "members" and "follow" are reserved repository names, so these never shadow a repository.
    path("<str:owner>/members", members.member_add),
    path("<str:owner>/follow", signals.follow),
    path("<str:owner>/members/remove", members.member_delete),
    # "teams" is a reserved repository name too.
    path("<str:owner>/teams", teams.team_create),
    path("<str:owner>/teams/<str:team>", teams.team_page),
    path("<str:owner>/teams/<str:team>/members", teams.member_add),
    path("<str:owner>/teams/<str:team>/members/remove", teams.member_remove),
    path("<str:owner>/teams/<str:team>/repos", teams.repo_set),
    path("<str:owner>/teams/<str:team>/repos/remove", teams.repo_remove),
    path("<str:owner>/teams/<str:team>/delete", teams.team_delete, name="team-delete"),
    # An organization's insights; a repository named "insights" keeps its page (the view
    # hands over to it).
    path("<str:owner>/insights", insights.organization),
    path("<str:owner>/<str:name>", browse.repo_home),
    path("<str:owner>/<str:name>/", include(repo_patterns)),
]
