"""Who may do what: the one permission policy every channel calls.

Web pages, the Hub API, our own API, git smart HTTP, LFS, search, previews and analytics all
ask :mod:`nbopen.access.policy`; none of them decides on its own.
"""

from nbopen.access.policy import (
    Decision,
    Level,
    Principal,
    decide_repo,
    org_level,
    repo_level,
    visible_repositories,
)

__all__ = [
    "Decision",
    "Level",
    "Principal",
    "decide_repo",
    "org_level",
    "repo_level",
    "visible_repositories",
]
