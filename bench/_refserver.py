"""The reference git server: nginx + fcgiwrap + ``git http-backend`` from Debian packages.

Why this reference: it is how a sysadmin serves git over HTTP without a forge, every byte is
handled by C programs, and PERFORMANCE.md's anchors were measured on it. Everything runs as the
current user from a temporary directory (own pid file, logs, temp paths, FastCGI socket and a
free loopback port), so the benchmark never touches a system service or port 80. nginx keeps
its stock buffering (request bodies spooled before FastCGI, responses buffered), as a default
install would.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

NGINX = "/usr/sbin/nginx"
FCGIWRAP = "/usr/sbin/fcgiwrap"
HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
INSTALL_HINT = "apt-get install -y nginx-light fcgiwrap git"

NGINX_CONF = """\
{user}
daemon off;
master_process on;
worker_processes auto;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {run}/client_body;
    fastcgi_temp_path {run}/fastcgi;
    proxy_temp_path {run}/proxy;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 0;
        location ~ ^/(.+\\.git/(info/refs|git-upload-pack|git-receive-pack))$ {{
            fastcgi_pass unix:{run}/fcgiwrap.sock;
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME {backend};
            fastcgi_param GIT_PROJECT_ROOT {root};
            fastcgi_param GIT_HTTP_EXPORT_ALL "";
            fastcgi_param PATH_INFO /$1;
            fastcgi_param HOME {run};
            fastcgi_read_timeout 600s;
            fastcgi_send_timeout 600s;
        }}
    }}
}}
"""


# fcgiwrap ignores SIGCHLD, so the CPU time of the CGI and its git children is discarded by the
# kernel instead of landing in anyone's cutime. This wrapper restores default SIGCHLD handling,
# runs git http-backend, and appends the CPU seconds of that whole subtree to a log. Cost: one
# small perl start per request (~3 ms), the same for every operation.
CGI_WRAPPER = """\
#!/usr/bin/perl
$SIG{{CHLD}} = 'DEFAULT';
my $rc = system {{ '{backend}' }} '{backend}';
my @t = times;
open(my $fh, '>>', '{log}') or die;
printf $fh "%.2f\\n", $t[2] + $t[3];
close $fh;
exit($rc >> 8);
"""


def _user_directive() -> str:
    """Workers run as the current user; a root master would otherwise switch them to nobody."""
    if os.geteuid() != 0:
        return ""
    return f"user {pwd.getpwuid(0).pw_name} {grp.getgrgid(0).gr_name};"


def missing_tools() -> list[str]:
    return [tool for tool in (NGINX, FCGIWRAP, HTTP_BACKEND) if not Path(tool).exists()]


class ReferenceServer:
    """nginx in front of fcgiwrap in front of ``git http-backend``, serving ``root``."""

    def __init__(self, run_dir: Path, root: Path, port: int, fcgi_children: int = 4) -> None:
        self.run_dir = run_dir
        self.root = root
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.fcgi_children = fcgi_children
        self.nginx: subprocess.Popen[bytes] | None = None
        self.fcgiwrap: subprocess.Popen[bytes] | None = None
        self.cgi_log = run_dir / "cgi-cpu.log"

    def start(self) -> ReferenceServer:
        missing = missing_tools()
        if missing:
            raise RuntimeError(f"missing {', '.join(missing)}; install with: {INSTALL_HINT}")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)
        sock = self.run_dir / "fcgiwrap.sock"
        sock.unlink(missing_ok=True)
        wrapper = self.run_dir / "git-http-backend-timed"
        wrapper.write_text(CGI_WRAPPER.format(backend=HTTP_BACKEND, log=self.cgi_log))
        wrapper.chmod(0o755)
        conf = self.run_dir / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                user=_user_directive(),
                run=self.run_dir,
                port=self.port,
                root=self.root,
                backend=wrapper,
            )
        )
        log = open(self.run_dir / "server.log", "ab")  # noqa: SIM115 - lives with the server
        self.fcgiwrap = subprocess.Popen(
            [FCGIWRAP, "-c", str(self.fcgi_children), "-s", f"unix:{sock}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # stop() ends its forked children (-c N) with it
        )
        deadline = time.monotonic() + 10
        while not sock.exists():
            if self.fcgiwrap.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"fcgiwrap did not start; see {self.run_dir}/server.log")
            time.sleep(0.05)
        self.nginx = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(self.run_dir),
                "-c",
                str(conf),
                "-e",
                str(self.run_dir / "error.log"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            if self.nginx.poll() is not None:
                raise RuntimeError(f"nginx exited; see {self.run_dir}/error.log")
            try:
                urllib.request.urlopen(self.url + "/", timeout=1).close()
            except urllib.error.HTTPError:
                return self  # nginx answers (404 for /): it is up
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not come up") from None
                time.sleep(0.1)
            else:
                return self

    def cgi_cpu(self) -> float:
        """CPU seconds of every finished http-backend request so far (see CGI_WRAPPER)."""
        if not self.cgi_log.exists():
            return 0.0
        return sum(float(line) for line in self.cgi_log.read_text().split())

    def root_pids(self) -> list[int]:
        return [p.pid for p in (self.nginx, self.fcgiwrap) if p is not None]

    def stop(self) -> None:
        if self.fcgiwrap is not None and self.fcgiwrap.poll() is None:
            os.killpg(self.fcgiwrap.pid, signal.SIGTERM)
        for proc in (self.nginx, self.fcgiwrap):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def create_repo(self, name: str, config: dict[str, str]) -> str:
        """An empty bare repository accepting pushes; returns its clone URL."""
        path = self.root / f"{name}.git"
        if path.exists():
            shutil.rmtree(path)
        subprocess.run(
            ["git", "init", "-q", "--bare", "--initial-branch=main", str(path)], check=True
        )
        for key, value in {**config, "http.receivepack": "true"}.items():
            subprocess.run(["git", "-C", str(path), "config", key, value], check=True)
        return f"{self.url}/{name}.git"
