"""HTTP towards an upstream, refusing private and loopback addresses unless allowed.

Why not a plain client: an upstream URL, or a redirect an upstream answers (the Hub redirects
every LFS download to a CDN), could point the server at its own intranet (SSRF). Every hop is
resolved here, each resolved address is classified, and the connection goes to the checked
address itself (the ``Host`` header and TLS SNI keep the name), so a second DNS answer cannot
swap in another address between the check and the connection. NBOPEN_MIRROR_ALLOW_ADDRESSES
(``loopback``, ``private``) opens the classes an operator's upstreams live in.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3

from nbopen.config.env import CONFIG
from nbopen.core.errors import DomainError

Resolver = Callable[..., Sequence[tuple[Any, ...]]]
REDIRECTS = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
_POOL = urllib3.PoolManager(num_pools=16, maxsize=16)


class UpstreamError(DomainError):
    """The upstream could not be reached or answered something unusable."""


class AddressRefused(UpstreamError):
    """The URL resolves to an address class the operator did not allow."""


def address_class(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """``loopback``, ``private`` (private, link-local, reserved, multicast, unspecified) or
    None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return "private"
    return None


def checked_address(
    host: str, port: int, *, resolver: Resolver | None = None, allowed: frozenset[str] | None = None
) -> str:
    """The address to connect to for ``host``; raises :class:`AddressRefused` if any address
    the name resolves to is of a class not in ``allowed`` (default: the operator's setting)."""
    allowed = CONFIG.mirror_allow_addresses if allowed is None else allowed
    try:
        infos = (resolver or socket.getaddrinfo)(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UpstreamError(f"cannot resolve {host}: {exc}") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise UpstreamError(f"cannot resolve {host}")
    for ip in addresses:
        kind = address_class(ip)
        if kind is not None and kind not in allowed:
            raise AddressRefused(
                f"{host} resolves to the {kind} address {ip}, which upstream fetches may not "
                f"reach (NBOPEN_MIRROR_ALLOW_ADDRESSES={kind} allows it)"
            )
    return str(addresses[0])


def request(
    method: str,
    url: str,
    *,
    token: str | None = None,
    resolver: Resolver | None = None,
    allowed: frozenset[str] | None = None,
    timeout: float | None = None,
) -> urllib3.BaseHTTPResponse:
    """Send ``method url`` following redirects hop by hop, each hop's address checked; the
    token goes only to the first hop's host. The response body is not read (stream it)."""
    first_host = urlsplit(url).hostname
    timeout = CONFIG.mirror_timeout if timeout is None else timeout
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise UpstreamError(f"refusing to fetch {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        ip = checked_address(parts.hostname, port, resolver=resolver, allowed=allowed)
        pool_kw: dict[str, Any] = {}
        if parts.scheme == "https":
            pool_kw = {"server_hostname": parts.hostname, "assert_hostname": parts.hostname}
        pool = _POOL.connection_from_host(ip, port, parts.scheme, pool_kwargs=pool_kw)
        host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        headers = {"Host": host_header, "User-Agent": "nbopen-mirror"}
        if token and parts.hostname == first_host:
            headers["Authorization"] = f"Bearer {token}"
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            response = pool.urlopen(
                method,
                path,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
            )
        except urllib3.exceptions.HTTPError as exc:
            raise UpstreamError(f"{parts.hostname}: {exc}") from exc
        if response.status not in REDIRECTS:
            return response
        location = response.headers.get("location")
        response.drain_conn()
        response.release_conn()
        if not location:
            raise UpstreamError(f"{url}: redirect without a location")
        url = urljoin(url, location)
    raise UpstreamError(f"{url}: too many redirects")
