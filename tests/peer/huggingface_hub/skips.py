"""Which vendored huggingface_hub tests are skipped, and why (docs/hub-compat.md lists them).

Keys are test ids relative to this directory: a file, a class or a test (parametrized ids
included). A key names every test under it.
"""

from __future__ import annotations

COLLABORATION = (
    "pending: Discussions and pull requests come with the collaboration issue (create_pr → 400)"
)
HUB_ONLY = "huggingface.co only: "
NOT_IN_NBOPEN = "not in NBopen: "

SKIPS: dict[str, str] = {
    # Pull requests and discussions.
    "test_hf_api.py::TestHfApiDiscussions": COLLABORATION,
    "test_hf_api.py::TestListGitCommits": COLLABORATION,  # its set-up opens a pull request
    "test_hf_api.py::TestSquashHistory::test_super_squash_history_on_special_ref": COLLABORATION,
    "test_hf_api.py::TestCommitApi::test_upload_file_create_pr": COLLABORATION,
    "test_hf_api.py::TestCommitApi::test_upload_folder_create_pr": COLLABORATION,
    "test_hf_api.py::TestCommitApi::test_create_commit_create_pr": COLLABORATION,
    "test_hf_api.py::TestCommitApi::test_create_commit_create_pr_against_branch": COLLABORATION,
    "test_hf_api.py::TestCommitApi::test_create_commit_create_pr_on_foreign_repo": COLLABORATION,
    "test_hf_api.py::TestCommitApi::test_empty_commit_on_pr": COLLABORATION,
    "test_hf_api.py::TestHfApiTagEndpoint::test_create_tag_on_pr": COLLABORATION,
    # Fixtures and products that exist only on huggingface.co.
    "test_hf_api.py::TestCommitApi::test_create_repo_private_by_default": HUB_ONLY
    + "an enterprise organisation whose repositories are private by default",
    "test_hf_api.py::TestHfApiInferenceCatalog": HUB_ONLY + "the inference catalog",
    # NBopen refuses on purpose what the test needs the server to store.
    "test_file_download.py::TestHfHubDownloadRelativePaths": (
        "NBopen refuses on purpose: its set-up uploads `folder/..\\..\\..\\file`, a path that "
        "escapes on Windows; NBopen answers 422 at preupload (the client-side check it tests "
        "cannot be reached)"
    ),
    # Hub features NBopen does not have (docs/hub-compat.md, "Not implemented").
    "test_hf_api.py::TestCollectionAPI": NOT_IN_NBOPEN + "collections",
    "test_hf_api.py::TestWebhookApi": NOT_IN_NBOPEN + "webhooks (/api/settings/webhooks)",
}


def skip_reason(test_id: str) -> str | None:
    """The reason ``test_id`` is skipped, from its most specific key."""
    parts = test_id.split("::")
    candidates = ["::".join(parts[:n]) for n in range(len(parts), 0, -1)]
    if "[" in test_id:
        candidates.insert(1, test_id.split("[", 1)[0])
    for key in candidates:
        if key in SKIPS:
            return SKIPS[key]
    return None
