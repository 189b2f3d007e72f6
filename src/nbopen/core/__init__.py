"""Shared kernel: name rules, domain errors, the event log, and infrastructure interfaces."""
