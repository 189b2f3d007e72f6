"""``python -m nbopen.hubapi.gitssh --host H --port N``: the SSH server process.

``nbopen serve`` starts it beside granian when an SSH port is configured: its own process,
so granian's workers are forked from a parent with no asyncio loop and no database
connection, and a crash of either leaves the other serving.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys


async def _main(host: str, port: int) -> None:
    from nbopen.hubapi.gitssh.server import start

    acceptor = await start(host, port)
    print(f"NBopen git over SSH on {host}:{port}", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    parent = os.getppid()
    while not stop.is_set():
        # `nbopen serve` killed outright (SIGKILL, OOM) cannot stop us: notice being orphaned.
        if os.getppid() != parent:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=2)
    acceptor.close()
    await acceptor.wait_closed()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nbopen.hubapi.gitssh")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nbopen.config.settings")
    import django

    django.setup()
    asyncio.run(_main(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
