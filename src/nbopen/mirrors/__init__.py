"""Mirrors of other hubs: operator-configured upstreams and the pull-through cache (ADR 0022)."""
