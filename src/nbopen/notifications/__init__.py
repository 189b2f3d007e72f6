"""Notifications: a per-user inbox of thread activity (mentions, assignments, review requests,
participation, watched repositories), with optional email."""
