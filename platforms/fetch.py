"""The one guarded fetcher: every outbound request to an address that a user or a payload
supplied (post images, feeds and web pages, callbacks) goes through `guarded_get` or
`guarded_request`.

- http and https only, no credentials in the URL;
- the host is resolved once, every address it resolves to is checked, and the connection is
  made to that checked address (the Host header, TLS SNI and certificate check keep the
  name), so a second DNS answer cannot point it elsewhere;
- loopback, private, link-local, multicast, reserved, shared and unspecified addresses are
  refused, IPv4 and IPv6 alike (IPv4-mapped, 6to4, Teredo and NAT64 addresses are judged by
  the IPv4 address inside them);
- each redirect is followed by hand and checked again; at most `max_redirects`;
- the body is read up to `max_bytes` and the whole exchange must end within `timeout` seconds;
- an administrator may allow named hosts (`allow_hosts`: "host" or "host:port"), e.g. a lab
  server or the platform simulator; their addresses are not judged, but still pinned.

Plain Python, no Django: the Django side passes `allow_hosts` (settings.FETCH_ALLOWED_HOSTS).
"""

from __future__ import annotations

import ipaddress
import json as jsonlib
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

DEFAULT_TIMEOUT = 15.0
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """The request could not be made or completed: DNS failure, connection error, timeout."""


class FetchRefused(FetchError):
    """The request was refused before or while it was made: scheme, address, redirect, size."""


@dataclass(frozen=True)
class FetchResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str  # the final URL, after redirects
    history: tuple[str, ...] = field(default=())

    @property
    def content(self) -> bytes:
        return self.body

    @property
    def status_code(self) -> int:
        return self.status

    @property
    def text(self) -> str:
        ctype = self.headers.get("Content-Type", "")
        charset = "utf-8"
        for part in ctype.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.body)


# --- addresses ----------------------------------------------------------------------

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    # IPv4-compatible (deprecated ::a.b.c.d)
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip))
    return None


def address_refusal(address: str) -> str | None:
    """Why a connection to `address` is refused, or None if it is a public unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = address_refusal(str(inner))
            return f"{address} carries {inner}: {reason}" if reason else None
    for test, what in (("is_unspecified", "unspecified"), ("is_loopback", "loopback"),
                       ("is_link_local", "link-local"), ("is_multicast", "multicast"),
                       ("is_private", "private"), ("is_reserved", "reserved")):
        if getattr(ip, test):
            return f"{address} is a {what} address"
    if not ip.is_global:
        return f"{address} is not a public address"
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (one DNS lookup). Tests replace this function."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host!r}: {exc}") from None
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    if not addresses:
        raise FetchError(f"{host!r} resolves to no address")
    return addresses


def _allowed(host: str, port: int, allow_hosts: Iterable[str]) -> bool:
    names = {h.strip().lower().rstrip(".") for h in allow_hosts if h and h.strip()}
    return host in names or f"{host}:{port}" in names


def check_url(url: str, allow_hosts: Iterable[str] = frozenset()) -> tuple[str, str, int, str]:
    """Check `url` and resolve its host once: (scheme, host, port, the address to connect to).
    Raises FetchRefused for a URL or an address that is not allowed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchRefused(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(f"only http and https may be fetched, not {scheme or 'a relative URL'!r}")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused("a URL with credentials in it is not fetched")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchRefused("the URL names no host")
    port = port or (443 if scheme == "https" else 80)
    addresses = resolve(host, port)
    if _allowed(host, port, allow_hosts):
        return scheme, host, port, addresses[0]
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            raise FetchRefused(f"{host} refused: {reason}")
    return scheme, host, port, addresses[0]


# --- a connection pinned to the checked address ----------------------------------------


def _pinned_adapter(address: str) -> HTTPAdapter:
    """An adapter whose connections go to `address` whatever the host name says; the name
    still gives the Host header, the TLS SNI and the certificate's expected name."""

    class PinnedHTTP(HTTPConnection):
        def _new_conn(self):
            self._dns_host = address
            return super()._new_conn()

    class PinnedHTTPS(HTTPSConnection):
        def _new_conn(self):
            self._dns_host = address
            return super()._new_conn()

    class HTTPPool(HTTPConnectionPool):
        ConnectionCls = PinnedHTTP

    class HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = PinnedHTTPS

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": HTTPPool, "https": HTTPSPool}

    return Adapter(max_retries=0)


def guarded_request(
    method: str,
    url: str,
    *,
    allow_hosts: Iterable[str] = frozenset(),
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    data: Any = None,
    json: Any = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
) -> FetchResponse:
    """Make one request through the guard; follow redirects, each checked again.
    Returns the final response whatever its status; raises FetchRefused or FetchError."""
    allow_hosts = frozenset(allow_hosts)
    deadline = time.monotonic() + timeout
    method = method.upper()
    history: list[str] = []
    current = url
    while True:
        scheme, host, port, address = check_url(current, allow_hosts)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"fetching {url}: took longer than {timeout:g} s")
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment: the pinned address is the one used
        session.mount(f"{scheme}://", _pinned_adapter(address))
        try:
            response = session.request(method, current, headers=dict(headers or {}), params=params, data=data,
                                       json=json, timeout=remaining, allow_redirects=False, stream=True)
            try:
                body = _read(response, max_bytes=max_bytes, deadline=deadline, url=url, timeout=timeout)
            finally:
                response.close()
        except requests.Timeout:
            raise FetchError(f"fetching {url}: timed out after {timeout:g} s") from None
        except requests.RequestException as exc:
            raise FetchError(f"fetching {url}: {type(exc).__name__}") from None
        finally:
            session.close()
        location = response.headers.get("Location")
        if response.status_code in REDIRECTS and location:
            if len(history) >= max_redirects:
                raise FetchRefused(f"fetching {url}: more than {max_redirects} redirects")
            history.append(current)
            current = urljoin(current, location)
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, data, json, params = "GET", None, None, None
            params = None  # the query string is in the Location already
            continue
        return FetchResponse(status=response.status_code, headers=dict(response.headers), body=body,
                             url=current, history=tuple(history))


def _read(response: requests.Response, *, max_bytes: int, deadline: float, url: str, timeout: float) -> bytes:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise FetchRefused(f"fetching {url}: {length} bytes is more than the limit of {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    # A body that trickles in must not outlast the time limit: at the deadline the socket is shut,
    # which ends a read that is waiting.
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _shut, args=(response,))
    watchdog.daemon = True
    watchdog.start()
    try:
        for chunk in response.iter_content(chunk_size=8192):
            if time.monotonic() > deadline:
                raise FetchError(f"fetching {url}: took longer than {timeout:g} s")
            size += len(chunk)
            if size > max_bytes:
                raise FetchRefused(f"fetching {url}: more than the limit of {max_bytes} bytes")
            chunks.append(chunk)
    except requests.RequestException:
        if time.monotonic() >= deadline:
            raise FetchError(f"fetching {url}: took longer than {timeout:g} s") from None
        raise
    finally:
        watchdog.cancel()
    if time.monotonic() > deadline:
        raise FetchError(f"fetching {url}: took longer than {timeout:g} s")
    return b"".join(chunks)


def _shut(response: requests.Response) -> None:
    # The connection's socket, or (when the server closes after the response and http.client has
    # let go of the connection) the socket under the response's file.
    sockets = [getattr(getattr(response.raw, "_connection", None), "sock", None),
               getattr(getattr(getattr(getattr(response.raw, "_fp", None), "fp", None), "raw", None), "_sock", None)]
    for sock in sockets:
        try:
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def guarded_get(
    url: str,
    *,
    allow_hosts: Iterable[str] = frozenset(),
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
) -> FetchResponse:
    """GET `url` through the guard (see `guarded_request`)."""
    return guarded_request("GET", url, allow_hosts=allow_hosts, headers=headers, params=params, timeout=timeout,
                           max_bytes=max_bytes, max_redirects=max_redirects)
