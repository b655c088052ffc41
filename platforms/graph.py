"""Code shared by the Facebook Pages and Instagram clients (both speak the Meta Graph API).

Polling works as a small job queue kept in the cursor. A run starts with one or more
list requests (page feed, tagged posts, media, tags) which add follow-up requests
(comments of a post, replies of a comment) and next pages. Each `fetch` call sends one
request and returns what it found; `has_more` stays True until the queue is empty.
Only then is the watermark moved on, so a run that stops half way (error, restart)
resumes the same queue and nothing older than the old watermark is dropped.

The watermark is the run's start time less a safety margin, not the newest item seen:
a run reads many lists one after another, and a comment added to a list already read
is newer than the run's start, so the next run still picks it up. Items from the
margin that were already returned are remembered by id in `seen` and not returned
twice.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from oauthlib.oauth2 import InsecureTransportError, OAuth2Error
from requests_oauthlib import OAuth2Session

from .base import (
    AuthError,
    Credentials,
    InvalidRequest,
    Item,
    MalformedPayload,
    Metrics,
    NotSupported,
    Page,
    PlatformClient,
    PlatformError,
    Published,
    RateLimit,
    RateLimited,
    TransientError,
    decode_cursor,
    encode_cursor,
    parse_time,
)

GRAPH_VERSION = "v21.0"

# Graph error codes (developers.facebook.com/docs/graph-api/guides/error-handling).
RATE_LIMIT_CODES = frozenset({4, 9, 17, 32, 341, 613, *range(80001, 80010)})
AUTH_CODES = frozenset({10, 102, 190, *range(200, 300)})
TRANSIENT_CODES = frozenset({1, 2})

USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage")
USAGE_KEYS = ("call_count", "total_cputime", "total_time")

# When a throttling error carries no usage header saying how long to wait.
DEFAULT_THROTTLE = timedelta(minutes=15)


def usage_rate_limit(headers: Any, *, now: float | None = None) -> RateLimit:
    """RateLimit from Graph's usage headers.

    The headers give percentages of the quota used, not request counts, so `limit` is
    100 and `remaining` is the percentage left on the most used counter (an estimate).
    `reset_at` comes from estimated_time_to_regain_access (minutes), set when throttled.
    """
    used: list[float] = []
    regain: list[float] = []

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for key in USAGE_KEYS:
                if isinstance(value.get(key), (int, float)):
                    used.append(float(value[key]))
            wait = value.get("estimated_time_to_regain_access")
            if isinstance(wait, (int, float)):
                regain.append(float(wait))
            for nested in value.values():
                if isinstance(nested, (dict, list)):
                    visit(nested)
        elif isinstance(value, list):
            for nested in value:
                visit(nested)

    found = False
    for name in USAGE_HEADERS:
        raw = headers.get(name) if headers is not None else None
        if not raw:
            continue
        try:
            visit(json.loads(raw))
            found = True
        except ValueError:
            continue
    if not found:
        return RateLimit()
    now = time.time() if now is None else now
    rate = RateLimit(limit=100)
    if used:
        rate.remaining = max(0, 100 - int(round(max(used))))
    if regain and max(regain) > 0:
        rate.reset_at = datetime.fromtimestamp(now + max(regain) * 60, tz=UTC)
    return rate


def graph_error(
    platform: str,
    body: Any,
    *,
    status: int | None = None,
    text: str = "",
    rate_limit: RateLimit | None = None,
) -> PlatformError | None:
    """Map a Graph {"error": {...}} envelope to the matching error, or None."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    error = body["error"]
    code = error.get("code")
    message = str(error.get("message") or error.get("type") or "error")
    text = text or json.dumps(body)
    summary = f"{platform}: Graph error {code}: {message}"
    kw = {"status": status, "body": text}
    if code in RATE_LIMIT_CODES:
        reset = rate_limit.reset_at if rate_limit else None
        retry_at = reset or datetime.now(UTC) + DEFAULT_THROTTLE
        return RateLimited(summary, retry_at=retry_at, **kw)
    if code in AUTH_CODES:
        return AuthError(summary, **kw)
    if code in TRANSIENT_CODES or error.get("is_transient") is True:
        return TransientError(summary, **kw)
    if code == 100:
        # 100 is "invalid parameter", also used for objects hidden by a missing permission.
        if "permission" in message.lower():
            return AuthError(summary, **kw)
        return InvalidRequest(summary, **kw)
    if status is not None and status >= 500:
        return TransientError(summary, **kw)
    if status == 401 or error.get("type") == "OAuthException" and status == 403:
        return AuthError(summary, **kw)
    return InvalidRequest(summary, **kw)


def malformed(platform: str, message: str, body: Any) -> MalformedPayload:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
    return MalformedPayload(f"{platform}: {message}", body=text)


def paging_params(body: dict) -> dict | None:
    """The query of `paging.next` (cursor or time based), without the token, or None
    on the last page. Requests are re-sent to our own base URL with these parameters,
    never to the host named in the link."""
    paging = body.get("paging")
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    params = {
        k: v
        for k, v in parse_qsl(urlsplit(str(paging["next"])).query, keep_blank_values=True)
        if k not in ("access_token", "appsecret_proof", "pretty")
    }
    if not params:
        after = (paging.get("cursors") or {}).get("after")
        params = {"after": after} if after else {}
    return params or None


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())


class GraphClient(PlatformClient):
    """Facebook Pages / Instagram over the Graph API. Subclasses add the platform's
    endpoints, item shapes and publishing."""

    default_base_url = f"https://graph.facebook.com/{GRAPH_VERSION}"
    default_authorize_url = f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth"
    default_token_url = f"https://graph.facebook.com/{GRAPH_VERSION}/oauth/access_token"
    default_scopes: tuple[str, ...] = ()

    page_size = 50
    # Posts / media created this long before the watermark are still checked for new
    # comments (on the first run: this long before now).
    lookback = timedelta(days=30)
    # Overlap between runs, to absorb clock differences and late-indexed items.
    margin = timedelta(minutes=5)

    # --- HTTP -----------------------------------------------------------------

    def _params(self, params: dict | None = None, token: str | None = None) -> dict:
        token = self.credentials.access_token if token is None else token
        out = dict(params or {})
        if token:
            out["access_token"] = token
            if self.app.client_secret:
                # Required when the app enables "Require App Secret"; harmless otherwise.
                out["appsecret_proof"] = hmac.new(
                    self.app.client_secret.encode(), token.encode(), hashlib.sha256
                ).hexdigest()
        return out

    def get(self, path: str, params: dict | None = None, *, token: str | None = None):
        return self.send("GET", path, params=self._params(params, token))

    def post(self, path: str, data: dict | None = None):
        return self.send("POST", path, params=self._params(), data=data or {})

    def rate_limit_from(self, response: requests.Response) -> RateLimit:
        return usage_rate_limit(response.headers)

    def error_from(self, response: requests.Response, body: Any) -> PlatformError | None:
        return graph_error(
            self.platform,
            body,
            status=response.status_code,
            text=response.text,
            rate_limit=self.rate_limit_from(response),
        )

    def _now(self) -> float:
        return time.time()

    def _require_account(self) -> str:
        if not self.credentials.account_id:
            raise AuthError(f"{self.platform}: the channel has no account id; re-authorise it")
        return self.credentials.account_id

    def _is_own(self, item: Item) -> bool:
        own_id = self.credentials.account_id
        own_handle = self.credentials.handle.lower()
        author = item.author
        return bool(
            (own_id and author.external_id == own_id)
            or (own_handle and author.handle and author.handle.lower() == own_handle)
        )

    # --- parsing helpers ------------------------------------------------------

    def _check_body(self, body: Any) -> dict:
        if not isinstance(body, dict):
            raise malformed(self.platform, "expected a JSON object", body)
        error = graph_error(self.platform, body)
        if error is not None:
            raise error
        return body

    def _webhook_changes(self, body: Any) -> list[tuple[str, dict]]:
        """(field, value) of every change in a Webhooks delivery {"object", "entry": [{"changes": [...]}]}."""
        entries = body.get("entry") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            raise malformed(self.platform, "webhook without entries", body)
        out = []
        for entry in entries:
            changes = entry.get("changes", []) if isinstance(entry, dict) else None
            if not isinstance(changes, list):
                raise malformed(self.platform, "webhook entry without changes", body)
            for change in changes:
                value = change.get("value") if isinstance(change, dict) else None
                if not isinstance(value, dict):
                    raise malformed(self.platform, "webhook change without value", body)
                out.append((str(change.get("field") or ""), value))
        return out

    @staticmethod
    def _keyed_by_id(body: dict) -> bool:
        """A multiple-id lookup (GET /?ids=a,b): an object per id asked for, keyed by that id."""
        return bool(body) and all(isinstance(v, dict) and str(v.get("id", "")) == k for k, v in body.items())

    def _data_list(self, body: dict) -> list[dict]:
        data = body.get("data", [])
        if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
            raise malformed(self.platform, "'data' is not a list of objects", body)
        return data

    def _time(self, value: Any, body: Any) -> datetime:
        try:
            when = parse_time(value)
        except (TypeError, ValueError):
            when = None
        if when is None:
            raise malformed(self.platform, f"bad or missing time {value!r}", body)
        return when

    def _text(self, value: Any, body: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise malformed(self.platform, "text is not a string", body)
        return value

    def _id(self, value: Any, body: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            raise malformed(self.platform, "object without an id", body)
        return str(value)

    @staticmethod
    def _count(value: Any) -> int:
        if isinstance(value, dict):  # {"summary": {"total_count": n}} or {"count": n}
            summary = value.get("summary")
            if isinstance(summary, dict):
                value = summary.get("total_count")
            else:
                value = value.get("count")
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    # --- polling: the job queue described at the top ----------------------------

    def start_tasks(self, endpoint: str, state: dict) -> list[dict]:
        """The first requests of a run on `endpoint`."""
        raise NotImplementedError

    def request_for(self, task: dict) -> tuple[str, dict]:
        """(path, params) of a queued task."""
        raise NotImplementedError

    def handle(self, task: dict, body: dict, state: dict, run: dict) -> tuple[list[Item], list[dict]]:
        """Items found in a task's response and the tasks it adds (next page first)."""
        raise NotImplementedError

    def fetch(self, endpoint: str, cursor: str | None, *, watch_terms: Iterable[str] = ()) -> Page:
        if endpoint not in self.endpoints:
            raise InvalidRequest(f"{self.platform}: unknown endpoint {endpoint!r}")
        state = decode_cursor(cursor)
        since = state.get("since")
        seen = state.get("seen") or {}
        run = state.get("run")
        if not run or not run.get("tasks"):
            run = {"start": int(self._now()), "tasks": self.start_tasks(endpoint, state), "recent": {}}
            if not run["tasks"]:
                return Page(items=[], next_cursor=cursor)

        task = run["tasks"][0]
        path, params = self.request_for(task)
        body, response = self.get(path, {**params, **task.get("page", {})})
        try:
            items, follow = self.handle(task, self._check_body(body), state, run)
        except MalformedPayload as exc:
            raise MalformedPayload(str(exc), status=response.status_code, body=response.text) from None

        recent_from = run["start"] - int(self.margin.total_seconds())
        new: list[Item] = []
        for item in items:
            t = epoch(item.posted_at)
            if since is not None and (t < since or item.external_id in seen):
                continue
            if item.external_id in run["recent"] or self._is_own(item):
                continue
            if t >= recent_from:
                run["recent"][item.external_id] = t
            new.append(item)

        run["tasks"] = follow + run["tasks"][1:]
        if run["tasks"]:
            state["run"] = run
        else:
            state.pop("run", None)
            new_since = max(since or 0, recent_from)
            merged = {**seen, **run["recent"]}
            state["since"] = new_since
            state["seen"] = {k: v for k, v in merged.items() if v >= new_since}
            self.promote(state, run)
        return Page(
            items=new,
            next_cursor=encode_cursor(state),
            has_more=bool(run["tasks"]),
            rate_limit=self.rate_limit_from(response),
            raw_body=response.text,
        )

    def promote(self, state: dict, run: dict) -> None:
        """Move per-run bookkeeping into the saved state once the run has finished."""

    def window_start(self, state: dict) -> int:
        """Oldest creation time of posts / media still checked for new comments."""
        base = state.get("since") or int(self._now())
        return base - int(self.lookback.total_seconds())

    @staticmethod
    def next_task(task: dict, body: dict) -> dict | None:
        params = paging_params(body)
        if params is None:
            return None
        return {**task, "page": params}

    def newest_first_next(self, task: dict, body: dict, items: list[Item], since: int | None) -> list[dict]:
        """Next page of a newest-first list, unless this page already reached the watermark."""
        nxt = self.next_task(task, body)
        if nxt is None:
            return []
        if since is not None and items and min(epoch(i.posted_at) for i in items) < since:
            return []
        return [nxt]

    # --- writing ----------------------------------------------------------------

    def _success(self, body: Any, action: str) -> None:
        if isinstance(body, dict) and body.get("success") is False:
            raise InvalidRequest(f"{self.platform}: {action} was refused", body=json.dumps(body))

    def delete(self, external_id: str) -> None:
        body, _ = self.send("DELETE", f"/{external_id}", params=self._params())
        self._success(body, "delete")

    def direct_message(self, recipient: str, text: str, *, in_reply_to: str = "") -> Published:
        """A private reply: a message to the person who wrote the comment `in_reply_to`, in
        their inbox (the Messenger and Instagram private replies API). Without a comment to
        answer, the platform allows no message to someone who has not written first."""
        if not in_reply_to:
            raise NotSupported(f"{self.platform}: a private reply needs the comment it answers")
        body, _ = self.post(f"/{self._require_account()}/messages", {
            "recipient": json.dumps({"comment_id": in_reply_to}), "message": json.dumps({"text": text})})
        if not isinstance(body, dict) or not body.get("message_id"):
            raise malformed(self.platform, "private reply response without message_id", body)
        return Published(external_id=str(body["message_id"]), url="", raw=body)

    def published_from(self, body: Any) -> Published:
        """Published from a create response ({"id"} or {"id", "post_id"} for photos)."""
        if not isinstance(body, dict):
            raise malformed(self.platform, "publish response is not an object", body)
        error = graph_error(self.platform, body)
        if error is not None:
            raise error
        external_id = body.get("post_id") or body.get("id")
        external_id = self._id(external_id, body)
        url = body.get("permalink_url") or body.get("permalink") or ""
        return Published(external_id=external_id, url=str(url), raw=body)

    def _metrics(self, fields: str) -> dict:
        account = self._require_account()
        body, _ = self.get(f"/{account}", {"fields": fields})
        if not isinstance(body, dict):
            raise malformed(self.platform, "metrics response is not an object", body)
        return body

    @staticmethod
    def _int_or_none(value: Any) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def metrics(self) -> Metrics:  # pragma: no cover - overridden
        raise NotImplementedError

    # --- OAuth --------------------------------------------------------------------
    # Graph has no refresh tokens: the code gives a short-lived user token, which is
    # swapped for a long-lived one (about 60 days); Page tokens obtained with a
    # long-lived user token do not expire. `refresh` repeats the swap.

    def authorise_url(self, *, redirect_uri: str, state: str) -> str:
        scopes = list(self.app.scopes or self.default_scopes)
        oauth = OAuth2Session(self.app.client_id, redirect_uri=redirect_uri, scope=scopes)
        try:
            url, _ = oauth.authorization_url(self.authorize_url, state=state)
        except InsecureTransportError:
            raise InvalidRequest(
                f"{self.platform}: OAuth needs https (set OAUTHLIB_INSECURE_TRANSPORT=1 for a local simulator)"
            ) from None
        return url

    def _token_hook(self, response: requests.Response) -> requests.Response:
        status = response.status_code
        text = response.text
        try:
            body = response.json()
        except ValueError:
            body = None
        if status == 429:
            raise RateLimited(f"{self.platform}: rate limited", retry_at=self._retry_at(response), status=status, body=text)
        mapped = graph_error(self.platform, body, status=status, text=text, rate_limit=self.rate_limit_from(response))
        if isinstance(mapped, (RateLimited, TransientError)):
            raise mapped
        if status >= 500:
            raise TransientError(f"{self.platform}: token endpoint HTTP {status}", status=status, body=text)
        if status >= 400 or mapped is not None:
            # A refused code or token means the user has to go through the dialog again.
            raise AuthError(f"{self.platform}: token request refused", status=status, body=text)
        if not isinstance(body, dict):
            raise MalformedPayload(f"{self.platform}: token response is not JSON", status=status, body=text)
        return response

    def exchange_code(self, *, code: str, redirect_uri: str, state: str = "") -> Credentials:
        oauth = OAuth2Session(self.app.client_id, redirect_uri=redirect_uri)
        oauth.register_compliance_hook("access_token_response", self._token_hook)
        try:
            # Graph documents a GET with client_id, client_secret, redirect_uri and code.
            token = oauth.fetch_token(
                self.token_url,
                code=code,
                method="GET",
                include_client_id=True,
                client_secret=self.app.client_secret,
                timeout=self.timeout,
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise TransientError(f"{self.platform}: {type(exc).__name__}") from None
        except InsecureTransportError:
            raise InvalidRequest(
                f"{self.platform}: OAuth needs https (set OAUTHLIB_INSECURE_TRANSPORT=1 for a local simulator)"
            ) from None
        except OAuth2Error as exc:
            raise AuthError(f"{self.platform}: token response refused: {exc.error}") from None
        return self._credentials_from_user_token(self._long_lived(token["access_token"]))

    def refresh(self) -> Credentials:
        user_token = self.credentials.extra.get("user_access_token") or self.credentials.access_token
        if not user_token:
            raise AuthError(f"{self.platform}: no token to refresh; re-authorise the channel")
        self.credentials = self._credentials_from_user_token(self._long_lived(user_token))
        return self.credentials

    def _long_lived(self, user_token: str) -> dict:
        body, _ = self.send(
            "GET",
            self.token_url,
            params={
                "grant_type": "fb_exchange_token",
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret,
                "fb_exchange_token": user_token,
            },
        )
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise malformed(self.platform, "token response without access_token", body)
        return body

    def _credentials_from_user_token(self, token: dict) -> Credentials:  # pragma: no cover
        raise NotImplementedError

    def _pages(self, user_token: str) -> list[dict]:
        """The Pages the user manages, with their Page tokens and linked IG accounts."""
        body, _ = self.get(
            "/me/accounts",
            {"fields": "id,name,access_token,instagram_business_account{id,username}", "limit": 100},
            token=user_token,
        )
        if not isinstance(body, dict):
            raise malformed(self.platform, "/me/accounts response is not an object", body)
        return self._data_list(body)

    def _token_expiry(self, token: dict) -> datetime | None:
        expires_in = token.get("expires_in")
        if isinstance(expires_in, (int, float)) and expires_in > 0:
            return datetime.fromtimestamp(self._now() + expires_in, tz=UTC)
        return None
