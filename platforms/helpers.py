"""Helpers shared by the platform clients: newest-first polling state, OAuth 2 token
calls through requests-oauthlib, and fetching images to upload.

Plain Python, no Django.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from oauthlib.oauth2.rfc6749.errors import InsecureTransportError, MissingTokenError, OAuth2Error
from requests_oauthlib import OAuth2Session

from platforms.base import (
    AuthError,
    Credentials,
    InvalidRequest,
    MalformedPayload,
    Page,
    PlatformClient,
    RateLimited,
    TransientError,
)
from platforms.fetch import FetchError, FetchRefused, guarded_get

# --- time ---------------------------------------------------------------------


def epoch(dt: datetime) -> float:
    return dt.timestamp()


def iso_z(seconds: float) -> str:
    """Epoch seconds → RFC 3339 UTC with milliseconds and a Z, as the APIs expect."""
    dt = datetime.fromtimestamp(seconds, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def now() -> datetime:
    return datetime.now(UTC)


# --- newest-first polling -------------------------------------------------------


class Backlog:
    """Polling state for a listing that returns the newest items first and pages back.

    A walk starts at the newest page and follows the platform's page token back until it
    reaches items older than `floor` (the newest time a completed walk saw, minus
    `overlap`). `since` is promoted to the newest time of the walk only when the walk
    ends, so an interrupted walk resumes from its page token and the older part of a
    backlog is never skipped. `overlap` re-reads a short window below `since` to catch
    items that reach the listing late (search indexing, federation); `seen` holds the
    ids already returned inside that window so they are not returned twice.

    Keys are epoch seconds.
    """

    # bound on remembered ids; only items inside the overlap window are kept anyway
    max_seen = 2000

    def __init__(self, state: dict | None, *, first_floor: float | None, overlap: float = 0.0):
        state = state or {}
        self.since: float | None = state.get("since")
        self.seen: dict[str, float] = dict(state.get("seen") or {})
        self.page: Any = state.get("page")
        self.top: float | None = state.get("top")
        self.fresh: dict[str, float] = dict(state.get("fresh") or {})
        self.first_floor = first_floor
        self.overlap = overlap

    @property
    def walking(self) -> bool:
        return self.page is not None

    @property
    def floor(self) -> float:
        """Items older than this were handled by an earlier walk."""
        if self.since is not None:
            return self.since - self.overlap
        return self.first_floor if self.first_floor is not None else float("-inf")

    def admit(self, item_id: str, key: float) -> bool:
        """Note an item of the current page; True if it is new and should be returned."""
        self.top = key if self.top is None else max(self.top, key)
        if key < self.floor or item_id in self.seen or item_id in self.fresh:
            return False
        self.fresh[item_id] = key
        return True

    def note(self, key: float) -> None:
        """Note the time of an item that is not returned (e.g. a like notification)."""
        self.top = key if self.top is None else max(self.top, key)

    def reached(self, oldest: float | None, walk_floor: float | None = None) -> bool:
        """True when the page's oldest item is below the floor, so the walk is done."""
        if oldest is None:
            return True
        floor = self.floor if walk_floor is None else min(self.floor, walk_floor)
        return oldest < floor

    def advance(self, page: Any, oldest: float | None, *, walk_floor: float | None = None) -> bool:
        """After a page: keep walking to `page` (True) or finish the walk (False)."""
        if page is not None and page != "" and not self.reached(oldest, walk_floor):
            self.page = page
            if self.top is not None:  # keep only what can survive promotion
                keep = self.top - self.overlap
                self.fresh = {k: v for k, v in self.fresh.items() if v >= keep}
            return True
        self.finish()
        return False

    def finish(self) -> None:
        if self.top is not None:
            self.since = self.top if self.since is None else max(self.since, self.top)
        elif self.since is None and self.first_floor is not None:
            self.since = self.first_floor  # remember where monitoring started
        merged = {**self.seen, **self.fresh}
        if self.since is not None:
            keep = self.since - self.overlap
            merged = {k: v for k, v in merged.items() if v >= keep}
        if len(merged) > self.max_seen:
            merged = dict(sorted(merged.items(), key=lambda kv: kv[1])[-self.max_seen :])
        self.seen = merged
        self.page = None
        self.top = None
        self.fresh = {}

    def state(self) -> dict:
        out: dict[str, Any] = {}
        if self.since is not None:
            out["since"] = self.since
        if self.seen:
            out["seen"] = self.seen
        if self.page is not None:
            out["page"] = self.page
            if self.top is not None:
                out["top"] = self.top
            if self.fresh:
                out["fresh"] = self.fresh
        return out


def first_floor(lookback: timedelta | None) -> float | None:
    return epoch(now() - lookback) if lookback is not None else None


def clean_terms(watch_terms) -> list[str]:
    out: list[str] = []
    for term in watch_terms:
        term = (term or "").strip()
        if term and term not in out:
            out.append(term)
    return out


def poll_terms(state: dict, watch_terms, poll: Callable[[str, dict | None], tuple[Page, dict]]) -> Page:
    """One page for one watch term per call, round-robin: `poll(term, term_state)` returns
    the page and the term's new state. `has_more` stays True until every term has been
    polled this round (and any backlog walk it started is finished)."""
    terms = clean_terms(watch_terms)
    queue = [t for t in state.get("queue") or [] if t in terms] or list(terms)
    if not queue:
        state.pop("queue", None)
        return Page(items=[], next_cursor=None)
    term = queue[0]
    per_term = state.get("terms") or {}
    page, per_term[term] = poll(term, per_term.get(term))
    if not page.has_more:
        queue.pop(0)
    state["terms"] = {t: per_term[t] for t in terms if t in per_term}
    state["queue"] = queue
    page.has_more = bool(queue)
    return page


# --- OAuth 2 through requests-oauthlib --------------------------------------------


def _oauth_session(client: PlatformClient, redirect_uri: str = "", scopes=None) -> OAuth2Session:
    session = OAuth2Session(
        client.app.client_id, redirect_uri=redirect_uri or None, scope=list(scopes) if scopes else None
    )
    for prefix, adapter in client.session.adapters.items():  # same transport as the client
        session.mount(prefix, adapter)
    return session


def _insecure(client: PlatformClient) -> InvalidRequest:
    return InvalidRequest(
        f"{client.platform}: OAuth URLs must use https "
        "(set OAUTHLIB_INSECURE_TRANSPORT=1 to use a local http simulator)"
    )


def oauth_authorise_url(client: PlatformClient, *, redirect_uri: str, state: str, scopes, **params) -> str:
    session = _oauth_session(client, redirect_uri, scopes)
    try:
        url, _ = session.authorization_url(client.authorize_url, state=state, **params)
    except InsecureTransportError:
        raise _insecure(client) from None
    return url


def _check_token_response(client: PlatformClient, response: requests.Response) -> requests.Response:
    status, text = response.status_code, response.text
    if status == 429:
        raise RateLimited(
            f"{client.platform}: token endpoint rate limited",
            retry_at=client._retry_at(response),
            status=status,
            body=text,
        )
    if status >= 500:
        raise TransientError(f"{client.platform}: token endpoint HTTP {status}", status=status, body=text)
    if status >= 400:
        # invalid_grant, invalid_client, expired code or refresh token: authorise again
        try:
            code = response.json().get("error", "")
        except (ValueError, AttributeError):
            code = ""
        raise AuthError(
            f"{client.platform}: token request refused ({code or status})", status=status, body=text
        )
    try:
        response.json()
    except ValueError:
        raise MalformedPayload(
            f"{client.platform}: token response is not JSON", status=status, body=text
        ) from None
    return response


def oauth_token(
    client: PlatformClient,
    *,
    code: str = "",
    redirect_uri: str = "",
    refresh_token: str = "",
    **params,
) -> dict:
    """Exchange an authorisation code (or, with refresh_token, refresh) at client.token_url.
    The client id and secret go in the form body, which all four platforms accept."""
    session = _oauth_session(client, redirect_uri)
    hook = lambda r: _check_token_response(client, r)  # noqa: E731
    session.register_compliance_hook("access_token_response", hook)
    session.register_compliance_hook("refresh_token_response", hook)
    try:
        if refresh_token:
            return dict(
                session.refresh_token(
                    client.token_url,
                    refresh_token=refresh_token,
                    timeout=client.timeout,
                    client_id=client.app.client_id,
                    client_secret=client.app.client_secret,
                    **params,
                )
            )
        return dict(
            session.fetch_token(
                client.token_url,
                code=code,
                include_client_id=True,
                client_secret=client.app.client_secret,
                timeout=client.timeout,
                **params,
            )
        )
    except InsecureTransportError:
        raise _insecure(client) from None
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TransientError(f"{client.platform}: token endpoint {type(exc).__name__}") from None
    except MissingTokenError:
        raise MalformedPayload(f"{client.platform}: token response has no access_token") from None
    except OAuth2Error as exc:
        raise AuthError(f"{client.platform}: token request refused ({exc.error})") from None


def credentials_from_token(token: dict, previous: Credentials) -> Credentials:
    """A token response → Credentials, keeping what the response does not carry."""
    expires_at = None
    if token.get("expires_at"):
        expires_at = datetime.fromtimestamp(float(token["expires_at"]), tz=UTC)
    extra = dict(previous.extra)
    scope = token.get("scope")
    if scope:
        extra["scope"] = " ".join(scope) if isinstance(scope, list) else str(scope)
    return Credentials(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token") or previous.refresh_token,
        expires_at=expires_at,
        account_id=previous.account_id,
        handle=previous.handle,
        extra=extra,
    )


# --- media -----------------------------------------------------------------------

MAX_IMAGE_BYTES = 20 * 1024 * 1024


def download(client: PlatformClient, url: str) -> tuple[bytes, str, str]:
    """Fetch an image to upload: (bytes, content type, file name), through the guarded fetcher
    (the URL comes from a post); the hosts an administrator allowed are the client's."""
    try:
        response = guarded_get(url, allow_hosts=client.allow_hosts, timeout=client.timeout,
                               max_bytes=MAX_IMAGE_BYTES)
    except FetchRefused as exc:
        raise InvalidRequest(f"{client.platform}: image {url} not fetched: {exc}") from None
    except FetchError as exc:
        raise TransientError(f"{client.platform}: {exc}") from None
    if response.status_code >= 500:
        raise TransientError(f"{client.platform}: fetching {url}: HTTP {response.status_code}")
    if response.status_code >= 400:
        raise InvalidRequest(f"{client.platform}: could not fetch image {url}: HTTP {response.status_code}")
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "image"
    ctype = (response.headers.get("Content-Type") or "").split(";")[0].strip()
    if not ctype.startswith("image/"):
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return response.content, ctype, name
