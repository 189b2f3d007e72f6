"""Operating a deployment: backup and restore (``backup.py``, ``restore.py``) and removing
the files crashes leave behind (``cleanup.py``).

These modules work on the data directory, the database and the blob storage as a whole; they
call no web or API code and are driven by ``nbopen backup|restore|gc`` (``cli/backup.py``).
"""
