"""The repository write service: the only code that changes what a repository holds.

Every channel (git push, Hub commits and refs, browser uploads, forks, the Parquet ref, the
demo loader, the Xet bridge) calls these modules instead of running git or linking storage
itself, so "what happens when content changes" has one room:

- :mod:`.commits`: a commit from a list of operations, with compare-and-swap on the parent;
- :mod:`.refs`: branches and tags created, moved, deleted;
- :mod:`.repositories`: a repository's git directory and its first commit, the same for
  every channel; forks;
- :mod:`.objects`: LFS objects published into storage and linked to a repository;
- :mod:`.lfs_rule`: which files are stored through LFS, one rule for every channel;
- :mod:`.after_update`: what follows every ref change (the event, the card, maintenance);
  other apps react through ``core.events.listen``.
"""
