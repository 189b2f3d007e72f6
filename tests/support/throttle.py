"""A loopback TCP proxy that can slow uploads down, so a test can act *during* a write.

Crash tests kill the server while it is receiving a body. Sleeping a guessed time races the
client; instead the proxy passes request bytes at a set rate while ``slow`` is on, counts
what it has forwarded, and the test waits until the server has received part of the body
(:meth:`Throttle.wait_forwarded`, or a staged file growing in the data dir). Responses pass
at full speed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class Throttle:
    def __init__(self, upstream_port: int, *, rate: int = 2 << 20) -> None:
        self.upstream_port = upstream_port
        self.rate = rate  # bytes per second while slow
        self.slow = False
        self.forwarded = 0  # request bytes passed on, all connections
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    def wait_forwarded(self, at_least: int, timeout: float = 60) -> None:
        """Return once ``at_least`` request bytes have been forwarded since the last reset."""
        deadline = time.monotonic() + timeout
        while self.forwarded < at_least:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {self.forwarded} bytes forwarded")
            time.sleep(0.02)

    def reset(self) -> None:
        with self._lock:
            self.forwarded = 0

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, upload: bool) -> None:
        try:
            while True:
                data = source.recv(16384 if upload and self.slow else 1 << 20)
                if not data:
                    break
                sink.sendall(data)
                if upload:
                    with self._lock:
                        self.forwarded += len(data)
                    if self.slow:
                        time.sleep(len(data) / self.rate)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()
