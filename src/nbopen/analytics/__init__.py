"""Ecosystem analytics: event store, OpenDigger/CHAOSS metrics, OpenRank, COCOMO value."""
