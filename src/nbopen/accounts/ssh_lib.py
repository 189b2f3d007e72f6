"""asyncssh, imported without cryptography's DSA deprecation warnings.

cryptography 51 deprecates DSA, and asyncssh imports its DSA classes to offer DSA keys, so
every process printed five warnings at start. NBopen never accepts DSA keys
(:data:`nbopen.accounts.sshkeys` lists the algorithms it does), so the warnings tell an
operator nothing. Import asyncssh from here, never directly.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="DSA is deprecated")
    import asyncssh

__all__ = ["asyncssh"]
