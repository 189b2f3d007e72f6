"""Collaboration signals: likes (stars) on repositories."""
