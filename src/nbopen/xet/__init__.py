"""Xet-compatible content-addressed chunk storage (CAS): xorbs, shards, reconstructions.

See docs/xet-protocol.md for the protocol as we implement it and the access rules.
"""
