"""The audit log: who did what to whom, from where — for organization owners and operators.

The event log (:mod:`nbopen.core.events`) says what happened to content and feeds pages and
search; the audit log is the security record: sign-ins and failed ones, tokens used from new
addresses, permission and settings changes, deletions, refused accesses (sampled) and admin
commands. Append-only, pruned only by retention (``NBOPEN_AUDIT_RETENTION_DAYS``).
"""
