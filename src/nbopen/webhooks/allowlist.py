"""Which addresses a webhook may reach (SSRF protection), like Gitea's ``ALLOWED_HOST_LIST``.

``NBOPEN_WEBHOOK_ALLOWED_HOSTS`` is a comma-separated list of ``loopback``, ``private``,
``external`` (public unicast addresses), ``*`` (anything), host names (``ci.example.org``,
``*.corp.example``) and CIDRs (``10.1.0.0/16``). The default, ``external``, keeps a hook from
reaching the server itself, the intranet or a cloud metadata address. The host is resolved once
and the connection goes to that resolved address, so a second DNS answer cannot redirect it.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import socket
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT = "external"


class Refused(Exception):
    """The target is not on the operator's allow-list (or cannot be resolved)."""


@dataclass(frozen=True)
class AllowList:
    keywords: frozenset[str]
    hosts: tuple[str, ...]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def parse(cls, text: str) -> AllowList:
        keywords: set[str] = set()
        hosts: list[str] = []
        networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for raw in text.split(","):
            item = raw.strip().lower()
            if not item:
                continue
            if item in {"loopback", "private", "external", "*"}:
                keywords.add(item)
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.append(item)
        return cls(frozenset(keywords), tuple(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return "*" in self.keywords or any(fnmatch.fnmatchcase(host, p) for p in self.hosts)

    def allows_ip(self, ip: IPAddress) -> bool:
        if "*" in self.keywords or any(ip in net for net in self.networks):
            return True
        if ip.is_loopback:
            return "loopback" in self.keywords
        if is_private(ip):
            return "private" in self.keywords
        return "external" in self.keywords and ip.is_global


def is_private(ip: IPAddress) -> bool:
    """RFC 1918 / unique-local addresses (link-local, e.g. metadata services, is never
    "private" here: only an explicit CIDR or ``*`` reaches it)."""
    return ip.is_private and not ip.is_loopback and not ip.is_link_local and ip.is_global is False


def current() -> AllowList:
    return AllowList.parse(os.environ.get("NBOPEN_WEBHOOK_ALLOWED_HOSTS") or DEFAULT)


def resolve(host: str, port: int, allow: AllowList | None = None) -> str:
    """The one address to connect to for ``host``; :class:`Refused` when any address the name
    resolves to is not allowed (a name that mixes public and private answers is refused)."""
    allow = allow or current()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host}: {exc}") from exc
    addresses = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]
        addresses.append(ipaddress.ip_address(addr))
    if not addresses:
        raise Refused(f"cannot resolve {host}")
    if not allow.allows_host(host):
        denied = [str(ip) for ip in addresses if not allow.allows_ip(ip)]
        if denied:
            raise Refused(
                f"{host} resolves to {', '.join(denied)}, which NBOPEN_WEBHOOK_ALLOWED_HOSTS"
                " does not allow"
            )
    return str(addresses[0])
