"""The one interface every platform client implements.

Plain Python: no models and no Django imports. The caller (monitoring, publishing)
passes the base URL, the app's OAuth settings and the channel's credentials, so the
same client talks to the real platform or to the simulator.
"""
from __future__ import annotations

import abc
import dataclasses
import json
import random
import time
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import requests

# --- normalised data -------------------------------------------------------

KIND_MENTION = "mention"
KIND_COMMENT = "comment"
KIND_REPLY = "reply"
KIND_SEARCH_HIT = "search_hit"
KINDS = (KIND_MENTION, KIND_COMMENT, KIND_REPLY, KIND_SEARCH_HIT)


@dataclasses.dataclass(frozen=True)
class Author:
    external_id: str
    handle: str = ""
    display_name: str = ""
    followers: int | None = None
    verified: bool = False
    profile_url: str = ""


@dataclasses.dataclass(frozen=True)
class Item:
    """One mention, comment, reply or search hit, normalised."""

    platform: str
    external_id: str
    kind: str
    text: str  # exactly as received; never cleaned
    posted_at: datetime  # timezone-aware
    author: Author
    url: str = ""
    conversation_id: str = ""
    in_reply_to_id: str = ""
    likes: int = 0
    replies: int = 0
    reshares: int = 0
    raw: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)


@dataclasses.dataclass
class RateLimit:
    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None  # when the window resets (aware, UTC)

    def as_dict(self) -> dict:
        return {
            "limit": self.limit,
            "remaining": self.remaining,
            "reset_at": self.reset_at.isoformat() if self.reset_at else None,
        }


@dataclasses.dataclass
class Page:
    """A page of items and the cursor to store once they are safely written.

    `next_cursor` is opaque to the caller (clients may JSON-encode state in it).
    `has_more` says another page is ready now (poll again at once).
    """

    items: list[Item]
    next_cursor: str | None
    has_more: bool = False
    rate_limit: RateLimit = dataclasses.field(default_factory=RateLimit)
    raw_body: str = ""


@dataclasses.dataclass
class Published:
    external_id: str
    url: str = ""
    raw: dict = dataclasses.field(default_factory=dict, repr=False)


@dataclasses.dataclass
class Metrics:
    followers: int | None = None
    likes: int | None = None
    views: int | None = None
    watch_time_minutes: int | None = None
    posts: int | None = None


@dataclasses.dataclass
class Credentials:
    """A channel's secrets and identity on the platform. Never log this."""

    access_token: str = ""
    refresh_token: str = ""
    expires_at: datetime | None = None
    account_id: str = ""  # platform user / page / channel id
    handle: str = ""
    extra: dict = dataclasses.field(default_factory=dict)

    def __repr__(self) -> str:  # keep tokens out of logs and tracebacks
        return f"Credentials(account_id={self.account_id!r}, handle={self.handle!r})"


@dataclasses.dataclass(frozen=True)
class AppConfig:
    """The council's registered app on the platform (OAuth client)."""

    client_id: str = ""
    client_secret: str = ""
    scopes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"AppConfig(client_id={self.client_id!r})"


# --- errors ----------------------------------------------------------------


class PlatformError(Exception):
    """Base of every error a client raises."""

    def __init__(self, message: str, *, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.status = status
        self.body = body


class AuthError(PlatformError):
    """Token revoked, expired or lacking permission: the channel needs re-authorising."""


class RateLimited(PlatformError):
    """429 or quota exhausted: make no request to this endpoint before `retry_at`."""

    def __init__(self, message: str, *, retry_at: datetime, **kw):
        super().__init__(message, **kw)
        self.retry_at = retry_at


class TransientError(PlatformError):
    """5xx, timeout, connection error: retry with backoff."""


class MalformedPayload(PlatformError):
    """The body could not be parsed: quarantine `body`, do not retry."""


class InvalidRequest(PlatformError):
    """The platform refused the request itself (4xx validation): tell the user."""


class NotSupported(PlatformError):
    """The platform does not offer this action."""


# --- helpers shared by clients ---------------------------------------------


def parse_time(value: str | int | float | None) -> datetime | None:
    """ISO 8601 (with Z, offsets, Facebook's +0000) or epoch seconds → aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":  # +0000 → +00:00
        text = text[:-2] + ":" + text[-2:]
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _arrived(exc: BaseException, encoding: str) -> bytes:
    """The bytes of a body cut short that arrived before the connection ended: the `partial` of
    http.client's IncompleteRead, which urllib3 and requests wrap. Decompressed as far as they go
    when the body was gzip or deflate."""
    pending, seen = [exc], set()
    data = b""
    while pending:
        error = pending.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(getattr(error, "partial", None), bytes):
            data = error.partial
            break
        pending += [a for a in error.args if isinstance(a, BaseException)]
        pending += [e for e in (error.__cause__, error.__context__) if e is not None]
    if data and encoding.strip().lower() in ("gzip", "x-gzip", "deflate"):
        try:
            data = zlib.decompressobj(zlib.MAX_WBITS | 32).decompress(data)
        except zlib.error:
            pass
    return data


def backoff_seconds(attempt: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter."""
    return random.uniform(0, min(cap, base * (2**attempt)))


def encode_cursor(state: dict | None) -> str | None:
    return json.dumps(state, sort_keys=True, separators=(",", ":")) if state else None


def decode_cursor(cursor: str | None) -> dict:
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def simulator_urls(client_cls: type, simulator_root: str) -> dict[str, str]:
    """The base, authorise and token URLs of a client pointed at the simulator:
    SIMULATOR/<platform> + the path of the real URL."""
    from urllib.parse import urlsplit

    root = simulator_root.rstrip("/") + "/" + client_cls.platform
    out = {}
    for key, real in (
        ("base_url", client_cls.default_base_url),
        ("authorize_url", client_cls.default_authorize_url),
        ("token_url", client_cls.default_token_url),
    ):
        out[key] = root + urlsplit(real).path if real else ""
    return out


# --- the interface ----------------------------------------------------------


class PlatformClient(abc.ABC):
    """One platform. Subclasses set `platform`, `endpoints` and implement the methods.

    `endpoints` names what can be polled (e.g. "mentions", "search", "comments");
    monitoring runs one poll task per channel and endpoint.
    """

    platform: str = ""
    endpoints: tuple[str, ...] = ()
    max_text_length: int | None = None
    # The real service's URLs. The simulator serves each platform under
    # SIMULATOR/<platform> followed by the real URL's path (see simulator_urls).
    default_base_url: str = ""
    default_authorize_url: str = ""
    default_token_url: str = ""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        authorize_url: str | None = None,
        token_url: str | None = None,
        credentials: Credentials | None = None,
        app: AppConfig | None = None,
        session: requests.Session | None = None,
        timeout: float = 15.0,
        allow_hosts: Iterable[str] = (),
    ):
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.authorize_url = authorize_url or self.default_authorize_url
        self.token_url = token_url or self.default_token_url
        self.credentials = credentials or Credentials()
        self.app = app or AppConfig()
        self.session = session or requests.Session()
        self.timeout = timeout
        # Hosts an administrator allowed the guarded fetcher to reach whatever their address
        # (platforms/fetch.py), e.g. the platform simulator or the site's own uploads.
        self.allow_hosts = frozenset(allow_hosts)

    # reading
    @abc.abstractmethod
    def fetch(self, endpoint: str, cursor: str | None, *, watch_terms: Iterable[str] = ()) -> Page:
        """The next page of items on `endpoint` since `cursor`."""

    @abc.abstractmethod
    def parse(self, body: Any, *, endpoint: str | None = None) -> list[Item]:
        """Normalise a decoded response body. Pure: no HTTP. Guess the endpoint from the
        body's shape when `endpoint` is None (used by ingest_file). Raises MalformedPayload."""

    # writing
    @abc.abstractmethod
    def publish(self, text: str, *, link: str = "", images: Iterable[tuple[str, str]] = ()) -> Published:
        """Publish a post. `images` are (url, alt text) pairs."""

    @abc.abstractmethod
    def reply(self, in_reply_to: str, text: str) -> Published:
        """Reply to the item with this external id."""

    def hide(self, external_id: str, *, hidden: bool = True) -> None:
        raise NotSupported(f"{self.platform} does not allow hiding comments")

    def delete(self, external_id: str) -> None:
        raise NotSupported(f"{self.platform} does not allow deleting this item")

    @abc.abstractmethod
    def metrics(self) -> Metrics:
        """The channel's followers, likes, views and watch time where given."""

    # OAuth
    @abc.abstractmethod
    def authorise_url(self, *, redirect_uri: str, state: str) -> str: ...

    @abc.abstractmethod
    def exchange_code(self, *, code: str, redirect_uri: str, state: str = "") -> Credentials: ...

    def refresh(self) -> Credentials:
        """New credentials from the refresh token. AuthError if it cannot refresh."""
        raise AuthError(f"{self.platform} tokens cannot be refreshed; re-authorise the channel")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url}>"

    # HTTP: one way to send and map errors, shared by every client ---------------

    def rate_limit_from(self, response: requests.Response) -> RateLimit:
        """Read the platform's rate-limit signals. Override per platform."""
        return RateLimit()

    def error_from(self, response: requests.Response, body: Any) -> PlatformError | None:
        """Map a platform-specific error body (even on HTTP 200) to an error, or None."""
        return None

    def send(self, method: str, path_or_url: str, **kwargs) -> tuple[Any, requests.Response]:
        """Send a request and return (decoded JSON body, response), or raise a PlatformError.

        401 → AuthError; 429 → RateLimited (Retry-After or the reset time); 5xx,
        timeouts and connection errors → TransientError; a body that is not JSON →
        MalformedPayload; other 4xx → InvalidRequest; `error_from` may refine any of these.
        """
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        kwargs.setdefault("timeout", self.timeout)
        kwargs["stream"] = True
        try:
            response = self.session.request(method, url, **kwargs)
        except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:  # no body arrived at all
            raise TransientError(f"{self.platform}: {type(exc).__name__}") from None
        chunks = []
        try:
            # Read as it arrives (None): a body cut short then raises with the bytes that came.
            for chunk in response.iter_content(None):
                chunks.append(chunk)
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError,
                requests.ConnectionError, requests.Timeout) as exc:
            # The body stopped part way: keep what arrived for quarantine; the caller retries
            # from the same cursor, so nothing is lost.
            chunks.append(_arrived(exc, response.headers.get("Content-Encoding", "")))
            partial = b"".join(chunks).decode(response.encoding or "utf-8", "replace")
            raise MalformedPayload(f"{self.platform}: truncated body ({type(exc).__name__})",
                                   status=response.status_code, body=partial) from None
        finally:
            response.close()
        response._content = b"".join(chunks)
        text = response.text
        status = response.status_code
        if status == 429:
            raise RateLimited(
                f"{self.platform}: rate limited",
                retry_at=self._retry_at(response),
                status=status,
                body=text,
            )
        body: Any = None
        if text.strip():
            try:
                body = response.json()
            except ValueError:
                body = None
                if status < 400:
                    raise MalformedPayload(
                        f"{self.platform}: response is not valid JSON", status=status, body=text
                    ) from None
        mapped = self.error_from(response, body) if body is not None else None
        if mapped is not None:
            raise mapped
        if status >= 500:
            raise TransientError(f"{self.platform}: HTTP {status}", status=status, body=text)
        if status == 401:
            raise AuthError(f"{self.platform}: token rejected", status=status, body=text)
        if status >= 400:
            raise InvalidRequest(f"{self.platform}: HTTP {status}", status=status, body=text)
        return body, response

    def _retry_at(self, response: requests.Response) -> datetime:
        retry_after = response.headers.get("Retry-After")
        now = time.time()
        if retry_after:
            try:
                return datetime.fromtimestamp(now + float(retry_after), tz=UTC)
            except ValueError:
                from email.utils import parsedate_to_datetime

                try:
                    return parsedate_to_datetime(retry_after).astimezone(UTC)
                except (TypeError, ValueError):
                    pass
        reset = self.rate_limit_from(response).reset_at
        if reset:
            return reset
        return datetime.fromtimestamp(now + 60, tz=UTC)
