"""A counting, fault-injecting HTTP proxy on loopback, standing between a mirror and its
upstream: it counts requests per path and can cut a response body short or flip one byte of
it (for paths containing ``fault_path``). Redirects are rewritten to come back through it."""

from __future__ import annotations

import collections
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class FaultProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.counts: collections.Counter[str] = collections.Counter()
        self.fault: str | None = None  # "cut" | "corrupt" | None
        self.fault_path = ""
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._forward(head=True)

            def do_GET(self) -> None:
                self._forward(head=False)

            def _forward(self, *, head: bool) -> None:
                with proxy._lock:
                    proxy.counts[f"{self.command} {self.path.split('?')[0]}"] += 1
                parts = urlsplit(proxy.target)
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                headers["Host"] = parts.netloc
                try:
                    conn.request(self.command, self.path, headers=headers)
                    upstream = conn.getresponse()
                except OSError:
                    self.send_error(502)
                    return
                body = b"" if head else upstream.read()
                fault = proxy.fault if proxy.fault_path and proxy.fault_path in self.path else None
                self.send_response(upstream.status)
                for key, value in upstream.getheaders():
                    if key.lower() in HOP or key.lower() == "content-length":
                        continue
                    if key.lower() == "location":
                        value = value.replace(proxy.target, proxy.url)
                    self.send_header(key, value)
                length = upstream.getheader("content-length") if head else str(len(body))
                self.send_header("Content-Length", length or "0")
                self.send_header("Connection", "close")
                self.end_headers()
                conn.close()
                if head:
                    return
                if fault == "cut":
                    body = body[: len(body) // 2]
                elif fault == "corrupt" and body:
                    middle = len(body) // 2
                    body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :]
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self, method: str, path_suffix: str) -> int:
        with self._lock:
            return sum(
                n
                for key, n in self.counts.items()
                if key.startswith(method + " ") and key.endswith(path_suffix)
            )
