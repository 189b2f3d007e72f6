"""Collaboration signals: likes (stars), watches, follows, and the activity feeds they drive."""
