"""The pieces every simulated platform is built from: requests, responses, routes and
the `PlatformSim` base class that platform modules (sim_x.py, ...) extend."""
from __future__ import annotations

import base64
import email.parser
import email.policy
import functools
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

from . import state as st
from .generator import Persona
from .ratelimit import PER_APP, PER_IP, Bucket, Decision

JSON_TYPE = "application/json; charset=utf-8"


# --- requests and responses -----------------------------------------------------


class Request:
    def __init__(self, method: str, path: str, query: str, headers: Any, body: bytes, client_ip: str = ""):
        self.method = method.upper()
        self.path = path  # the whole path (/x/2/...), still percent-encoded
        self.query = parse_qs(query, keep_blank_values=True)
        self.headers = headers  # case-insensitive mapping
        self.body = body
        self.client_ip = client_ip
        self.platform = ""
        self.endpoint = ""
        self.params: dict[str, str] = {}  # path parameters
        self.token: st.Token | None = None
        self.fault = ""  # a page fault (duplicate, out_of_order) the handler applies
        self._form: dict[str, list] | None = None
        self._json: Any = None
        self._json_read = False

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def host_url(self) -> str:
        return "http://" + (self.headers.get("Host") or "127.0.0.1")

    def json(self) -> Any:
        """The JSON body, or None when the body is empty or not JSON."""
        if not self._json_read:
            self._json_read = True
            if self.body and self.content_type in ("application/json", ""):
                try:
                    self._json = json.loads(self.body)
                except ValueError:
                    self._json = None
        return self._json

    def form(self) -> dict[str, list]:
        """Form fields of an urlencoded or multipart body (file parts as bytes)."""
        if self._form is None:
            self._form = {}
            if self.content_type == "application/x-www-form-urlencoded":
                self._form = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
            elif self.content_type == "multipart/form-data":
                self._form = parse_multipart(self.headers.get("Content-Type") or "", self.body)
        return self._form

    def arg(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, else a form field, else a top-level JSON field."""
        values = self.args(name)
        if values:
            return values[0]
        body = self.json()
        if isinstance(body, dict) and name in body and not isinstance(body[name], (dict, list)):
            value = body[name]
            return ("true" if value else "false") if isinstance(value, bool) else str(value)
        return default

    def args(self, name: str) -> list:
        """Every value of a repeated parameter (`name`, `name[]` or a comma list is the caller's job)."""
        found = self.query.get(name) or self.query.get(name + "[]")
        if found:
            return found
        form = self.form()
        return form.get(name) or form.get(name + "[]") or []

    def bearer(self) -> str | None:
        value = self.headers.get("Authorization") or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() in ("bearer", "oauth") and token.strip():
            return token.strip()
        return None


def synthetic_request(platform: str) -> Request:
    """A stand-in request for rendering outside HTTP (bulk pages for benchmarks)."""
    req = Request("GET", f"/{platform}", "", {"Host": "localhost"}, b"")
    req.platform = platform
    return req


def parse_multipart(content_type: str, body: bytes) -> dict[str, list]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    out: dict[str, list] = {}
    if not message.is_multipart():
        return out
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is None and part.get_content_type() in ("text/plain", "application/json"):
            value: Any = payload.decode("utf-8", "replace")
        else:
            value = payload
        out.setdefault(name, []).append(value)
    return out


class Response:
    def __init__(self, status: int = 200, body: bytes = b"", headers: dict | None = None,
                 content_type: str = JSON_TYPE):
        self.status = status
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})
        if body or content_type != JSON_TYPE:
            self.headers.setdefault("Content-Type", content_type)

    @classmethod
    def json(cls, obj: Any, status: int = 200, headers: dict | None = None) -> Response:
        return cls(status, dumps(obj), headers)

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode(), content_type="text/html; charset=utf-8")

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(302, b"", {"Location": location})

    @classmethod
    def empty(cls, status: int = 204, headers: dict | None = None) -> Response:
        return cls(status, b"", headers)


class Reply(Exception):
    """Raised by a handler to answer at once (usually with an error envelope)."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- small helpers shared by the platform modules ---------------------------------


@functools.lru_cache(maxsize=8192)
def _day(days: int) -> str:
    return datetime.fromtimestamp(days * 86400, tz=UTC).strftime("%Y-%m-%d")


def _clock(ts: float) -> tuple[str, int, int, int, int]:
    days, ms = divmod(int(round(ts * 1000)), 86_400_000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    seconds, ms = divmod(ms, 1000)
    return _day(days), hours, minutes, seconds, ms


def iso_ms(ts: float) -> str:
    """2024-01-02T03:04:05.678Z (X, Mastodon, Bluesky)."""
    day, h, m, s, ms = _clock(ts)
    return f"{day}T{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z"


def iso_seconds(ts: float) -> str:
    """2024-01-02T03:04:05Z (YouTube)."""
    day, h, m, s, _ = _clock(ts)
    return f"{day}T{h:02d}:{m:02d}:{s:02d}Z"


def iso_plus0000(ts: float) -> str:
    """2024-01-02T03:04:05+0000 (Facebook and Instagram)."""
    day, h, m, s, _ = _clock(ts)
    return f"{day}T{h:02d}:{m:02d}:{s:02d}+0000"


def parse_when(value: str | None) -> float | None:
    """Epoch seconds or an ISO 8601 time → epoch seconds; None if absent or unreadable."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        pass
    text = value.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def encode_token(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None) -> dict | None:
    """The dict inside a cursor made by encode_token, or None if it is not one."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def digest(*parts: Any, length: int = 16) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:length]


def random_token(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def with_query(url: str, params: dict) -> str:
    params = {k: v for k, v in params.items() if v is not None}
    return url + ("?" + urlencode(params, doseq=True) if params else "")


def int_arg(req: Request, name: str, default: int, lo: int, hi: int, fail: Callable[[str], Response]) -> int:
    raw = req.arg(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Reply(fail(f"The `{name}` parameter value [{raw}] is not a number")) from None
    if not lo <= value <= hi:
        raise Reply(fail(f"The `{name}` query parameter value [{raw}] is not between {lo} and {hi}"))
    return value


# --- routes -------------------------------------------------------------------------


class Route:
    def __init__(self, method: str, pattern: str, handler: Callable, *, buckets: tuple = (), auth: bool = True,
                 listing: bool = False):
        self.method = method
        self.pattern = pattern
        self.handler = handler
        self.name = f"{method} {pattern}"  # the endpoint in stats and fault scopes
        self.buckets = buckets  # (bucket name, cost) pairs
        self.auth = auth
        self.listing = listing  # page faults (duplicate, out_of_order) apply
        regex = re.sub(r":(\w+)", lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(pattern).replace("\\:", ":"))
        self.regex = re.compile(regex + "$")

    def match(self, method: str, path: str) -> dict | None:
        if method != self.method:
            return None
        found = self.regex.match(path)
        if found is None:
            return None
        return {k: unquote(v) for k, v in found.groupdict().items()}


def route(method: str, pattern: str, *, buckets: tuple = (), auth: bool = True, listing: bool = False):
    """Declare a handler method of a PlatformSim: `pattern` is the real API's path with
    :name placeholders, `buckets` the rate-limit buckets it charges as (name, cost)."""

    def deco(fn):
        fn.__dict__.setdefault("_routes", []).append(
            dict(method=method, pattern=pattern, buckets=buckets, auth=auth, listing=listing)
        )
        return fn

    return deco


# --- the base of every platform ---------------------------------------------------


class PlatformSim:
    """One platform: its routes, error envelopes, rate-limit headers and wire formats.

    Handlers are called as handler(req) with the state lock held and return a Response
    or raise Reply. Subclasses set `name`, `buckets` and `default_account`.
    """

    name = ""
    buckets: dict[str, Bucket] = {}
    default_account: dict = {}  # the demo council account (id, handle, name, followers)
    demo_token = ""
    generated_kinds: tuple[str, ...] = (st.KIND_MENTION,)  # what generated items are here
    max_text: int | None = None  # the platform's post length limit
    token_lifetime: float | None = None  # seconds an access token lives (None: until revoked)
    refresh_tokens = True  # the platform issues refresh tokens

    def __init__(self, sim):
        self.sim = sim
        self.state: st.State = sim.state
        self.routes: list[Route] = []
        for attr in dir(type(self)):
            fn = getattr(type(self), attr, None)
            for spec in getattr(fn, "_routes", ()):
                self.routes.append(Route(handler=getattr(self, attr), **spec))
        # Exact paths first so "/:id" never shadows "/me/accounts".
        self.routes.sort(key=lambda r: r.pattern.count(":"))
        self.demo_token = f"demo-{self.name}"
        self.author_cache: dict[Persona, st.Account] = {}  # generated persona → registered author

    # --- routing and auth hooks ---------------------------------------------------

    def route_path(self, path: str) -> str:
        """The path routes are matched on (Graph drops its version prefix)."""
        return path

    def find_route(self, method: str, path: str) -> tuple[Route, dict] | tuple[None, None]:
        for candidate in self.routes:
            params = candidate.match(method, path)
            if params is not None:
                return candidate, params
        return None, None

    def token_value(self, req: Request) -> str | None:
        return req.bearer()

    def authenticate(self, req: Request) -> st.Token:
        """The request's valid token, or Reply with the platform's auth error."""
        value = self.token_value(req)
        if not value:
            raise Reply(self.auth_error(req, "missing"))
        token = self.state.tokens.get(value)
        if token is None or token.platform != self.name or token.kind != "access":
            raise Reply(self.auth_error(req, "invalid"))
        if token.revoked:
            raise Reply(self.auth_error(req, "revoked"))
        if token.expires_at is not None and token.expires_at <= self.state.now():
            raise Reply(self.auth_error(req, "expired"))
        return token

    def charges(self, req: Request, route_: Route) -> list[tuple[Bucket, int, str]]:
        out = []
        for bucket_name, cost in route_.buckets:
            bucket = self.bucket_for(req, bucket_name)
            if bucket.per == PER_IP:
                who = req.client_ip
            elif bucket.per == PER_APP:
                who = req.token.client_id if req.token else "app"
            else:
                who = req.token.account_id if req.token else req.client_ip
            out.append((bucket, cost, who))
        return out

    def bucket_for(self, req: Request, name: str) -> Bucket:
        return self.buckets[name]

    # --- envelopes (override per platform) -----------------------------------------

    def auth_error(self, req: Request, reason: str) -> Response:
        return Response.json({"error": "unauthorized", "reason": reason}, 401)

    def throttled(self, req: Request, decision: Decision) -> Response:
        return Response.json({"error": "Too Many Requests"}, 429, self.rate_headers(req, decision))

    def rate_headers(self, req: Request, decision: Decision) -> dict:
        return {}

    def server_error(self, req: Request, status: int) -> Response:
        return Response.json({"error": "server error"}, status)

    def not_found(self, req: Request, what: str = "") -> Response:
        return Response.json({"error": "not found"}, 404)

    def invalid(self, req: Request, message: str) -> Response:
        return Response.json({"error": message}, 400)

    # --- content ------------------------------------------------------------------

    def issue_demo_token(self, account: st.Account) -> None:
        """Accept demo-<platform> for the demo account, so the demo can poll at once."""
        self.state.tokens[self.demo_token] = st.Token(self.demo_token, self.name, account.id, client_id="demo",
                                                      scope="*")

    def issue_tokens(self, account_id: str, *, expires_in: float | None = None) -> tuple[st.Token, st.Token | None]:
        """Tokens for an account without the OAuth flow (control API)."""
        from .oauth import issue

        return issue(self, account_id, client_id="control", scope="*",
                     expires_in=expires_in or self.token_lifetime, refresh=self.refresh_tokens)

    def council(self, account_id: str | None = None) -> st.Account:
        """The council account with this id (the demo account by default), created on first use."""
        account_id = account_id or self.default_account["id"]
        found = self.state.account(self.name, account_id)
        if found is None:
            found = self.state.add_account(self.new_council(account_id))
            self.seed_council(found)
        return found

    def new_council(self, account_id: str) -> st.Account:
        base = self.default_account
        if account_id == base["id"]:
            return st.Account(self.name, account_id, base["handle"], base["name"],
                              followers=base.get("followers", 0), following=base.get("following", 0),
                              posts_count=base.get("posts", 0), verified=True, extra={"council": True})
        return st.Account(self.name, account_id, f"council{digest(account_id, length=6)}",
                          f"Council account {account_id}", followers=1000, verified=False, extra={"council": True})

    def seed_council(self, account: st.Account) -> None:
        """Give a new council account whatever its items hang on (posts, videos)."""

    def mention_for(self, account: st.Account, kind: str) -> str:
        """How an item of this kind @mentions the account ("" where comments need none)."""
        return "@" + account.handle

    def add_generated(self, account_id: str, item, threads: dict[int, str], created_at: float | None = None) -> st.Post:
        """Store a generator.Generated item (at `created_at` instead of its own time if
        given); `threads` maps generated seq → post id so replies land in their thread."""
        account = self.council(account_id)
        author = self.author_cache.get(item.author)
        if author is None or self.state.account(self.name, author.id) is not author:
            author = self.author_cache[item.author] = self.register_author(self.make_author(item.author))
        parent = threads.get(item.thread, "") if item.thread else ""
        kind = item.kind if item.kind != st.KIND_REPLY or parent else st.KIND_MENTION
        text = item.text_for(self.mention_for(account, kind))
        if self.max_text and len(text) > self.max_text:
            text = text[: self.max_text]
        post = self.add_item(account.id, kind, text, author, item.created_at if created_at is None else created_at,
                             in_reply_to=parent, likes=item.likes, replies=item.replies, reshares=item.reshares,
                             tau=item.tau)
        post.extra["topic"] = item.topic  # ground truth for triage tests and benchmarks
        post.extra["tags"] = list(item.tags)
        threads[item.seq] = post.id
        return post

    def add_item(self, account_id: str, kind: str, text: str, author: st.Account,
                 created_at: float, in_reply_to: str = "", **engagement) -> st.Post:
        """Store a mention, comment or reply addressed to the council account."""
        raise NotImplementedError

    def publish(self, account_id: str, text: str, created_at: float, in_reply_to: str = "",
                **extra) -> st.Post:
        raise NotImplementedError

    def describe(self, post: st.Post) -> dict:
        """The ids a test needs to find this post through the API."""
        return {"id": post.id}

    def bulk_page(self, posts: list[st.Post], account_id: str, now: float, more: bool, start: int = 0) -> Any:
        """A listing body with these posts (newest first, `start` items into the listing),
        as the main read endpoint returns it, with a cursor to the next page if `more`."""
        raise NotImplementedError

    def make_author(self, persona: Persona) -> st.Account:
        """An Account for a generated author, with this platform's id and handle forms."""
        raise NotImplementedError

    def author_from(self, handle: str, name: str = "", followers: int = 0, verified: bool = False,
                    author_id: str = "") -> st.Account:
        """An author given by handle (for injected posts); the same handle gives the same id."""
        handle = handle.lstrip("@") or "resident"
        key = 10_000_000 + int(digest(self.name, handle.lower(), length=12), 16) % 10**9
        account = self.make_author(Persona(key, "resident", handle, name or handle, followers, 0, verified, "",
                                           1_500_000_000.0, 0))
        if author_id:
            account.id = author_id
        existing = self.state.account(self.name, account.id)
        if existing is not None:
            existing.name, existing.followers, existing.verified = account.name, followers, verified
            return existing
        return self.state.add_account(account)

    def register_author(self, author: st.Account) -> st.Account:
        found = self.state.account(self.name, author.id)
        return found if found is not None else self.state.add_account(author)

    # --- page faults ----------------------------------------------------------------

    def apply_page_fault(self, req: Request, items: list, earlier: Any = None) -> list:
        """Repeat the item before this page (duplicate) or shuffle the page (out_of_order)."""
        if req.fault == "duplicate" and earlier is not None:
            return [earlier] + list(items)
        if req.fault == "out_of_order" and len(items) > 1:
            shuffled = list(items)
            self.sim.fault_rng.shuffle(shuffled)
            if shuffled == list(items):
                shuffled.reverse()
            return shuffled
        return items
