"""All machine-facing HTTP: git smart HTTP, Git LFS, the Hub-compatible API, our own API.

Defines no models. Views parse, ask the policy and the services, render.
"""
