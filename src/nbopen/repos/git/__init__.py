"""A thin adapter over the real ``git`` binary. No Django in here."""

from nbopen.repos.git.bare import GitError, init_bare, install_hooks, ref_exists, rev_parse

__all__ = ["GitError", "init_bare", "install_hooks", "ref_exists", "rev_parse"]
