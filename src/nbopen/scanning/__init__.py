"""Upload scanning: pickle imports, secrets and (optionally) viruses in pushed files.

Every channel that changes content ends in the write service's ``after_update``, which
records ``repo.push``; :func:`.services.connect` listens to it and defers a scan of the
files at the new commits. Results are stored per content hash (:class:`.models.ScanResult`)
and shown where the Hub shows them (``securityFileStatus`` in ``/tree`` and ``paths-info``
with ``expand``) and on the web file page. The "block pushes that contain secrets" owner
setting is checked *before* a commit, by :mod:`.gate` (Hub commits, browser uploads) and by
the git ``pre-receive`` hook (:mod:`.prereceive`).
"""
