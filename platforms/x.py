"""X (Twitter) API v2.

Endpoints:
  mentions  GET /2/users/:id/mentions (the channel's account_id)
  search    GET /2/tweets/search/recent, the watch terms OR-ed into one query

Cursor: {"since_id": newest id already returned} plus, while a backlog is being paged
through, {"pending_newest": newest id of the run, "token": next_token}. X pages
newest first, so since_id only moves to pending_newest once the last page (no
next_token) has been read; until then every call continues from the saved token with
the same since_id.

OAuth 2.0 with PKCE: the code_verifier is Credentials.extra["code_verifier"] when the
caller keeps one there; otherwise it is derived from `state` as
base64url(HMAC-SHA256(client_secret, "x-pkce:" + state)) (the client_id is the key for
public clients, which should keep their own verifier). The caller only has to pass the
same `state` to exchange_code that it passed to authorise_url.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import requests
from oauthlib.oauth2 import InsecureTransportError, OAuth2Error
from requests_oauthlib import OAuth2Session

from .base import (
    KIND_MENTION,
    KIND_REPLY,
    KIND_SEARCH_HIT,
    AuthError,
    Author,
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

TWEET_FIELDS = "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics,entities"
USER_FIELDS = "username,name,public_metrics,verified"
EXPANSIONS = "author_id"
MAX_QUERY_LENGTH = 512
SNOWFLAKE_EPOCH_MS = 1288834974657

# Problem types (the part after ".../2/problems/") that mean the token or app is not allowed.
AUTH_PROBLEMS = frozenset(
    {"not-authorized-for-resource", "client-forbidden", "unsupported-authentication", "oauth1-permissions"}
)
RATE_PROBLEMS = frozenset({"usage-capped", "rate-limit-exceeded"})
TRANSIENT_PROBLEMS = frozenset({"operational-disconnect", "client-disconnected", "streaming-connection"})
# Token endpoint errors (RFC 6749 5.2).
TOKEN_AUTH_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client", "invalid_token"})


def problem_type(problem: Any) -> str:
    if not isinstance(problem, dict):
        return ""
    kind = str(problem.get("type") or "")
    return kind.rsplit("/problems/", 1)[-1] if "/problems/" in kind else kind


def snowflake_time(tweet_id: str) -> datetime | None:
    """Creation time encoded in a tweet id (ids since 2010 are snowflakes)."""
    try:
        value = int(tweet_id)
    except (TypeError, ValueError):
        return None
    if value < (1 << 22):
        return None
    return datetime.fromtimestamp(((value >> 22) + SNOWFLAKE_EPOCH_MS) / 1000, tz=UTC)


def search_query(terms: Iterable[str]) -> str:
    """Watch terms OR-ed together; terms with spaces or operators are quoted."""
    parts = []
    for term in terms:
        term = term.strip()
        if not term:
            continue
        if any(c in term for c in ' ()"') or term.upper() in ("OR", "AND"):
            term = '"' + term.replace('"', "") + '"'
        parts.append(term)
    if len(parts) > 1:
        return "(" + " OR ".join(parts) + ")"
    return parts[0] if parts else ""


class XClient(PlatformClient):
    platform = "x"
    endpoints = ("mentions", "search")
    shared_endpoints = ("search",)
    max_text_length = 280
    default_base_url = "https://api.x.com"
    default_authorize_url = "https://x.com/i/oauth2/authorize"
    default_token_url = "https://api.x.com/2/oauth2/token"
    default_scopes = ("tweet.read", "tweet.write", "users.read", "tweet.moderate.write", "offline.access")
    page_size = 100
    # The project's monthly cap on posts read (developer.x.com "Post cap"): monitoring.budget
    # counts what this client read (posts_read) against the tier the council pays for.
    cap_period = "month"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.posts_read = 0  # posts received from capped endpoints (mentions and search)

    @property
    def cap_spent(self) -> int:
        return self.posts_read

    def cap_cost(self, endpoint: str) -> int:
        """The most posts one fetch can read."""
        return self.page_size

    # --- HTTP -------------------------------------------------------------------

    def _headers(self) -> dict:
        if not self.credentials.access_token:
            raise AuthError("x: the channel has no access token; authorise it")
        return {"Authorization": f"Bearer {self.credentials.access_token}"}

    def request(self, method: str, path: str, **kwargs) -> tuple[Any, requests.Response]:
        kwargs["headers"] = {**self._headers(), **kwargs.get("headers", {})}
        return self.send(method, path, **kwargs)

    def rate_limit_from(self, response: requests.Response) -> RateLimit:
        def number(name: str) -> int | None:
            try:
                return int(response.headers.get(name, ""))
            except ValueError:
                return None

        reset = number("x-rate-limit-reset")
        return RateLimit(
            limit=number("x-rate-limit-limit"),
            remaining=number("x-rate-limit-remaining"),
            reset_at=datetime.fromtimestamp(reset, tz=UTC) if reset is not None else None,
        )

    def error_from(self, response: requests.Response, body: Any) -> PlatformError | None:
        return self._problem(body, status=response.status_code, text=response.text, response=response)

    def _problem(
        self, body: Any, *, status: int, text: str = "", response: requests.Response | None = None
    ) -> PlatformError | None:
        """Map an RFC 7807 problem, an "errors" list or an OAuth error body to an error."""
        if not isinstance(body, dict):
            return None
        text = text or json.dumps(body)
        problems = [body] if body.get("type") or body.get("title") else []
        errors = body.get("errors")
        if isinstance(errors, list):
            problems += [e for e in errors if isinstance(e, dict)]
        types = {problem_type(p) for p in problems}
        detail = next(
            (str(p.get("detail") or p.get("message") or p.get("title")) for p in problems if p), ""
        ) or str(body.get("error_description") or body.get("error") or "")
        message = f"x: {detail}" if detail else f"x: HTTP {status}"
        kw = {"status": status, "body": text}

        if status < 400:
            # Partial errors arrive with 200 next to (or instead of) data. Only a problem
            # with the token or app is an error; anything else leaves zero or more items.
            if "data" not in body and types & AUTH_PROBLEMS:
                return AuthError(message, **kw)
            return None
        if types & RATE_PROBLEMS:
            retry_at = self._retry_at(response) if response is not None else datetime.now(UTC)
            return RateLimited(message, retry_at=retry_at, **kw)
        if status >= 500 or types & TRANSIENT_PROBLEMS:
            return TransientError(message, **kw)
        if status == 401 or types & AUTH_PROBLEMS or body.get("error") in TOKEN_AUTH_ERRORS:
            return AuthError(message, **kw)
        return InvalidRequest(message, **kw)

    # --- reading ----------------------------------------------------------------

    def fetch(self, endpoint: str, cursor: str | None, *, watch_terms: Iterable[str] = ()) -> Page:
        state = decode_cursor(cursor)
        if endpoint == "mentions":
            if not self.credentials.account_id:
                raise AuthError("x: the channel has no account id; re-authorise it")
            path = f"/2/users/{self.credentials.account_id}/mentions"
            token_param = "pagination_token"
            params: dict[str, Any] = {}
        elif endpoint == "search":
            query = search_query(watch_terms)
            if not query:
                return Page(items=[], next_cursor=cursor)
            if len(query) > MAX_QUERY_LENGTH:
                raise InvalidRequest(f"x: search query is longer than {MAX_QUERY_LENGTH} characters")
            # A changed query starts afresh: the old token and since_id belong to the old one.
            if state.get("query") not in (None, query):
                state = {}
            path = "/2/tweets/search/recent"
            token_param = "next_token"
            params = {"query": query}
        else:
            raise InvalidRequest(f"x: unknown endpoint {endpoint!r}")

        params.update(
            {
                "max_results": self.page_size,
                "tweet.fields": TWEET_FIELDS,
                "expansions": EXPANSIONS,
                "user.fields": USER_FIELDS,
            }
        )
        if state.get("since_id"):
            params["since_id"] = state["since_id"]
        if state.get("token"):
            params[token_param] = state["token"]

        body, response = self.request("GET", path, params=params)
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            self.posts_read += len(body["data"])  # every post returned counts, the council's own too
        try:
            items = self._parse(body, endpoint)
        except MalformedPayload as exc:
            raise MalformedPayload(str(exc), status=response.status_code, body=response.text) from None

        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        newest = meta.get("newest_id") or max((i.external_id for i in items), key=int, default=None)
        next_token = meta.get("next_token")
        pending = state.get("pending_newest") or newest
        if next_token and items:
            state.update({"pending_newest": pending, "token": next_token})
        else:
            # Last page of the run: the whole backlog has been read.
            state.pop("token", None)
            state.pop("pending_newest", None)
            if pending:
                state["since_id"] = pending
        if endpoint == "search":
            state["query"] = params["query"]
        own = self.credentials.account_id
        return Page(
            items=[i for i in items if not own or i.author.external_id != own],
            next_cursor=encode_cursor(state),
            has_more=bool(state.get("token")),
            rate_limit=self.rate_limit_from(response),
            raw_body=response.text,
        )

    def parse(self, body: Any, *, endpoint: str | None = None) -> list[Item]:
        """Tweets in a v2 response (list, single-tweet lookup, empty or errors-only).
        Without `endpoint`: a tweet replying to or mentioning the channel's account is a
        reply / mention, others are search hits; with no account known, mentions."""
        return self._parse(body, endpoint)

    def _malformed(self, message: str, body: Any) -> MalformedPayload:
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
        return MalformedPayload(f"x: {message}", body=text)

    def _parse(self, body: Any, endpoint: str | None) -> list[Item]:
        if not isinstance(body, dict):
            raise self._malformed("expected a JSON object", body)
        if "data" not in body:
            if body.get("type") or body.get("title"):
                # A request-level RFC 7807 problem (partial errors come as "errors" only).
                status = body.get("status") if isinstance(body.get("status"), int) else 400
                raise self._problem(body, status=max(status, 400)) or self._malformed("bad problem", body)
            if "meta" in body or "errors" in body:
                error = self._problem(body, status=200)
                if error is not None:
                    raise error
                return []
            raise self._malformed("no data, meta or errors in response", body)
        data = body["data"]
        tweets = [data] if isinstance(data, dict) else data
        if not isinstance(tweets, list) or not all(isinstance(t, dict) for t in tweets):
            raise self._malformed("'data' is not a tweet or a list of tweets", body)
        includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
        users = {
            str(u.get("id")): u for u in includes.get("users") or [] if isinstance(u, dict) and u.get("id")
        }
        return [self._tweet(t, users, endpoint, body) for t in tweets]

    def _tweet(self, tweet: dict, users: dict, endpoint: str | None, body: dict) -> Item:
        tweet_id = tweet.get("id")
        if not isinstance(tweet_id, str) or not tweet_id:
            raise self._malformed("tweet without an id", body)
        text = tweet.get("text")
        if not isinstance(text, str):
            raise self._malformed(f"tweet {tweet_id} without text", body)
        try:
            posted_at = parse_time(tweet.get("created_at")) or snowflake_time(tweet_id)
        except (TypeError, ValueError):
            posted_at = None
        if posted_at is None:
            raise self._malformed(f"tweet {tweet_id} has no usable time", body)

        author_id = str(tweet.get("author_id") or "")
        user = users.get(author_id)
        if user:
            metrics = user.get("public_metrics") if isinstance(user.get("public_metrics"), dict) else {}
            username = str(user.get("username") or "")
            followers = metrics.get("followers_count")
            author = Author(
                external_id=author_id,
                handle=username,
                display_name=str(user.get("name") or ""),
                followers=followers if isinstance(followers, int) else None,
                verified=bool(user.get("verified")),
                profile_url=f"https://x.com/{username}" if username else "",
            )
        else:
            author = Author(external_id=author_id)

        in_reply_to = ""
        for ref in tweet.get("referenced_tweets") or []:
            if isinstance(ref, dict) and ref.get("type") == "replied_to":
                in_reply_to = str(ref.get("id") or "")
        metrics = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}

        def count(name: str) -> int:
            value = metrics.get(name)
            return value if isinstance(value, int) else 0

        url_user = author.handle or "i/web"
        return Item(
            platform=self.platform,
            external_id=tweet_id,
            kind=self._kind(tweet, endpoint),
            text=text,
            posted_at=posted_at,
            author=author,
            url=f"https://x.com/{url_user}/status/{tweet_id}",
            conversation_id=str(tweet.get("conversation_id") or ""),
            in_reply_to_id=in_reply_to,
            likes=count("like_count"),
            replies=count("reply_count"),
            reshares=count("retweet_count") + count("quote_count"),
            raw=tweet,
        )

    def _kind(self, tweet: dict, endpoint: str | None) -> str:
        own_id = self.credentials.account_id
        own_handle = self.credentials.handle.lower().lstrip("@")
        replies_to_us = bool(own_id) and tweet.get("in_reply_to_user_id") == own_id
        if endpoint == "search":
            return KIND_SEARCH_HIT
        if endpoint == "mentions":
            return KIND_REPLY if replies_to_us else KIND_MENTION
        if not own_id and not own_handle:
            return KIND_MENTION
        if replies_to_us:
            return KIND_REPLY
        entities = tweet.get("entities") if isinstance(tweet.get("entities"), dict) else {}
        for mention in entities.get("mentions") or []:
            if isinstance(mention, dict) and (
                (own_id and mention.get("id") == own_id)
                or (own_handle and str(mention.get("username", "")).lower() == own_handle)
            ):
                return KIND_MENTION
        if own_handle and f"@{own_handle}" in str(tweet.get("text", "")).lower():
            return KIND_MENTION
        return KIND_SEARCH_HIT

    # --- writing ----------------------------------------------------------------

    def published_from(self, body: Any) -> Published:
        """Published from a POST /2/tweets response ({"data": {"id", "text"}})."""
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
            raise self._malformed("create response without data.id", body)
        handle = self.credentials.handle.lstrip("@") or "i/web"
        return Published(external_id=data["id"], url=f"https://x.com/{handle}/status/{data['id']}", raw=body)

    def publish(self, text: str, *, link: str = "", images: Iterable[tuple[str, str]] = ()) -> Published:
        if list(images):
            # Images need the media upload endpoints (bytes, not URLs); not implemented.
            raise NotSupported("x: publishing images is not supported yet")
        if link and link not in text:
            text = f"{text} {link}" if text else link
        body, _ = self.request("POST", "/2/tweets", json={"text": text})
        return self.published_from(body)

    def reply(self, in_reply_to: str, text: str) -> Published:
        body, _ = self.request(
            "POST", "/2/tweets", json={"text": text, "reply": {"in_reply_to_tweet_id": in_reply_to}}
        )
        return self.published_from(body)

    def direct_message(self, recipient: str, text: str, *, in_reply_to: str = "") -> Published:
        """A direct message to a user id (POST /2/dm_conversations/with/:participant_id/messages)."""
        body, _ = self.request("POST", f"/2/dm_conversations/with/{recipient}/messages", json={"text": text})
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data.get("dm_event_id"):
            raise self._malformed("direct message response without data.dm_event_id", body)
        return Published(external_id=str(data["dm_event_id"]), url="", raw=body)

    def mute(self, user_id: str) -> None:
        """Mute a user for the channel's account (POST /2/users/:id/muting)."""
        if not self.credentials.account_id:
            raise NotSupported("x: the channel's account id is not known")
        body, _ = self.request("POST", f"/2/users/{self.credentials.account_id}/muting",
                               json={"target_user_id": user_id})
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("muting") is not True:
            raise InvalidRequest("x: the user was not muted", body=json.dumps(body))

    def hide(self, external_id: str, *, hidden: bool = True) -> None:
        """Hide a reply in one of the channel's conversations (PUT /2/tweets/:id/hidden)."""
        body, _ = self.request("PUT", f"/2/tweets/{external_id}/hidden", json={"hidden": hidden})
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("hidden") is not hidden:
            raise InvalidRequest("x: the reply was not hidden", body=json.dumps(body))

    def delete(self, external_id: str) -> None:
        """Delete one of the channel's own posts."""
        body, _ = self.request("DELETE", f"/2/tweets/{external_id}")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("deleted") is not True:
            raise InvalidRequest("x: the post was not deleted", body=json.dumps(body))

    def metrics(self) -> Metrics:
        if not self.credentials.account_id:
            raise AuthError("x: the channel has no account id; re-authorise it")
        body, _ = self.request(
            "GET", f"/2/users/{self.credentials.account_id}", params={"user.fields": "public_metrics"}
        )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise self._malformed("user lookup without data", body)
        metrics = data.get("public_metrics") if isinstance(data.get("public_metrics"), dict) else {}

        def number(name: str) -> int | None:
            value = metrics.get(name)
            return value if isinstance(value, int) else None

        return Metrics(followers=number("followers_count"), posts=number("tweet_count"))

    # --- OAuth 2.0 with PKCE ------------------------------------------------------

    def code_verifier(self, state: str) -> str:
        """The PKCE verifier for `state` (see the module docstring)."""
        kept = self.credentials.extra.get("code_verifier")
        if kept:
            return str(kept)
        key = (self.app.client_secret or self.app.client_id).encode()
        digest = hmac.new(key, f"x-pkce:{state}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    @staticmethod
    def code_challenge(verifier: str) -> str:
        digest = hashlib.sha256(verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def authorise_url(self, *, redirect_uri: str, state: str) -> str:
        oauth = OAuth2Session(
            self.app.client_id, redirect_uri=redirect_uri, scope=list(self.app.scopes or self.default_scopes)
        )
        try:
            url, _ = oauth.authorization_url(
                self.authorize_url,
                state=state,
                code_challenge=self.code_challenge(self.code_verifier(state)),
                code_challenge_method="S256",
            )
        except InsecureTransportError:
            raise self._insecure() from None
        return url

    def _insecure(self) -> InvalidRequest:
        return InvalidRequest("x: OAuth needs https (set OAUTHLIB_INSECURE_TRANSPORT=1 for a local simulator)")

    def _token_hook(self, response: requests.Response) -> requests.Response:
        status, text = response.status_code, response.text
        try:
            body = response.json()
        except ValueError:
            body = None
        if status == 429:
            raise RateLimited("x: rate limited", retry_at=self._retry_at(response), status=status, body=text)
        if status >= 500:
            raise TransientError(f"x: token endpoint HTTP {status}", status=status, body=text)
        if status >= 400:
            # A refused code or refresh token: the user has to authorise again.
            raise AuthError("x: token request refused", status=status, body=text)
        if not isinstance(body, dict):
            raise MalformedPayload("x: token response is not JSON", status=status, body=text)
        return response

    def _token_call(self, call) -> dict:
        try:
            return call()
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise TransientError(f"x: {type(exc).__name__}") from None
        except InsecureTransportError:
            raise self._insecure() from None
        except OAuth2Error as exc:
            raise AuthError(f"x: token response refused: {exc.error}") from None

    def _basic_auth(self):
        if self.app.client_secret:  # confidential client: HTTP Basic with id and secret
            return requests.auth.HTTPBasicAuth(self.app.client_id, self.app.client_secret)
        return None

    def exchange_code(self, *, code: str, redirect_uri: str, state: str = "") -> Credentials:
        oauth = OAuth2Session(self.app.client_id, redirect_uri=redirect_uri)
        oauth.register_compliance_hook("access_token_response", self._token_hook)
        token = self._token_call(
            lambda: oauth.fetch_token(
                self.token_url,
                code=code,
                auth=self._basic_auth(),
                include_client_id=True,
                code_verifier=self.code_verifier(state),
                timeout=self.timeout,
            )
        )
        credentials = self._credentials_from(token, self.credentials)
        # Who authorised: fills account_id and handle.
        me = type(self)(base_url=self.base_url, credentials=credentials, session=self.session, timeout=self.timeout)
        body, _ = me.request("GET", "/2/users/me")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data.get("id"):
            raise self._malformed("/2/users/me without data.id", body)
        credentials.account_id = str(data["id"])
        credentials.handle = str(data.get("username") or "")
        return credentials

    def refresh(self) -> Credentials:
        """New tokens from the refresh token (X rotates refresh tokens: keep the new one)."""
        if not self.credentials.refresh_token:
            raise AuthError("x: no refresh token; re-authorise the channel")
        oauth = OAuth2Session(self.app.client_id)
        oauth.register_compliance_hook("refresh_token_response", self._token_hook)
        token = self._token_call(
            lambda: oauth.refresh_token(
                self.token_url,
                refresh_token=self.credentials.refresh_token,
                auth=self._basic_auth(),
                timeout=self.timeout,
                client_id=self.app.client_id,
            )
        )
        self.credentials = self._credentials_from(token, self.credentials)
        return self.credentials

    @staticmethod
    def _credentials_from(token: dict, previous: Credentials) -> Credentials:
        expires_at = token.get("expires_at")
        extra = {k: v for k, v in previous.extra.items() if k != "code_verifier"}
        if token.get("scope"):
            scope = token["scope"]
            extra["scope"] = " ".join(scope) if isinstance(scope, list) else str(scope)
        return Credentials(
            access_token=str(token["access_token"]),
            refresh_token=str(token.get("refresh_token") or previous.refresh_token),
            expires_at=datetime.fromtimestamp(expires_at, tz=UTC) if expires_at else None,
            account_id=previous.account_id,
            handle=previous.handle,
            extra=extra,
        )
