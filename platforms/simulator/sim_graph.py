"""The Meta Graph API machinery shared by sim_facebook.py and sim_instagram.py: the
version prefix, access tokens, the `fields` language (a,b{c},comments.limit(5).summary(true)),
cursor paging with absolute `next` links, usage headers, error envelopes and OAuth
(dialog, code exchange, long-lived tokens, /me/accounts with Page tokens).

Graph has no 429: a spent budget is an {"error": {"code": 4 | 32 | 80002, ...}} with
HTTP 400, and X-App-Usage / X-Business-Use-Case-Usage say how much is used (percent)
and when access comes back (estimated_time_to_regain_access, minutes).
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from . import oauth
from . import state as st
from .core import PlatformSim, Reply, Request, Response, decode_token, digest, encode_token, parse_when, route
from .ratelimit import PER_APP, Bucket

VERSION_RE = re.compile(r"^/(v\d+\.\d+)(?=/|$)")
DEFAULT_VERSION = "v21.0"
SHORT_LIVED = 5400  # seconds: the user token from a code
LONG_LIVED = 5183944  # about 60 days: after fb_exchange_token


@dataclasses.dataclass
class Field:
    name: str
    mods: dict = dataclasses.field(default_factory=dict)
    sub: list | None = None
    sub_text: str = ""  # the {...} part as written, for nested `next` links

    @property
    def key(self) -> str:
        """The name in the response: the .as(alias) if given."""
        return self.mods["as"] if "as" in self.mods else self.name


class Ref:
    """A field whose value is another node, rendered with the field's {subfields}."""

    def __init__(self, kind: str, obj: Any):
        self.kind = kind
        self.obj = obj


def parse_fields(text: str) -> list[Field]:
    """Graph's field syntax → Field tree; ValueError on a syntax error."""
    fields, pos = _parse_list(text, 0, "")
    if pos != len(text):
        raise ValueError(f"unexpected {text[pos]!r} at {pos}")
    return fields


def _parse_list(text: str, pos: int, end: str) -> tuple[list[Field], int]:
    fields: list[Field] = []
    while pos < len(text) and (not end or text[pos] != end):
        start = pos
        while pos < len(text) and text[pos] not in ".{},()":
            pos += 1
        field = Field(text[start:pos].strip())
        while pos < len(text) and text[pos] == ".":
            open_at = text.index("(", pos)
            close_at = text.index(")", open_at)
            field.mods[text[pos + 1:open_at]] = text[open_at + 1:close_at]
            pos = close_at + 1
        if pos < len(text) and text[pos] == "{":
            sub_start = pos + 1
            field.sub, pos = _parse_list(text, sub_start, "}")
            if pos >= len(text):
                raise ValueError("missing }")
            field.sub_text = text[sub_start:pos]
            pos += 1
        if field.name:
            fields.append(field)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] not in (end or ","):
            raise ValueError(f"unexpected {text[pos]!r} at {pos}")
    return fields, pos


class GraphSim(PlatformSim):
    token_lifetime = LONG_LIVED
    refresh_tokens = False  # Graph has none: long-lived tokens are swapped for new ones
    buc_type = "pages"
    label = "Facebook"
    account_throttle = (32, "(#32) Page request limit reached")
    node_names: dict[str, str] = {}
    buckets = {
        # App-level platform limit (200 calls per user per hour, times the app's users) and
        # the Business Use Case limit of the Page or Instagram account (rolling 24 hours).
        "app": Bucket("app", 20000, 3600, per=PER_APP),
        "account": Bucket("account", 48000, 86400),
    }
    READ = (("app", 1), ("account", 1))

    def route_path(self, path: str) -> str:
        return VERSION_RE.sub("", path) or "/"

    def version(self, req: Request) -> str:
        found = re.match(r"^/[^/]+/(v\d+\.\d+)(?=/|$)", req.path)
        return found.group(1) if found else DEFAULT_VERSION

    def token_value(self, req: Request) -> str | None:
        return req.arg("access_token") or req.bearer()

    # --- envelopes ----------------------------------------------------------------

    def error(self, code: int, message: str, *, status: int = 400, subcode: int | None = None,
              type_: str = "OAuthException", transient: bool | None = None, headers: dict | None = None) -> Response:
        body: dict = {"message": message, "type": type_, "code": code}
        if subcode is not None:
            body["error_subcode"] = subcode
        if transient is not None:
            body["is_transient"] = transient
        body["fbtrace_id"] = "A" + digest(message, self.state.now(), length=22)
        return Response.json({"error": body}, status, headers)

    def auth_error(self, req, reason):
        if reason == "missing":
            return self.error(2500, "An active access token must be used to query information about the current user.")
        message, subcode = {
            "invalid": ("Invalid OAuth access token - Cannot parse access token", None),
            "revoked": ("Error validating access token: The session has been invalidated because the user changed "
                        "their password or Facebook has changed the session for security reasons.", 460),
            "expired": ("Error validating access token: Session has expired.", 463),
        }[reason]
        return self.error(190, message, subcode=subcode,
                          headers={"WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_token" "{message}"'})

    def throttled(self, req, decision):
        if decision.bucket is not None and decision.bucket.name == "account":
            user = req.token is not None and req.token.extra.get("user")
            code, message = (17, "(#17) User request limit reached") if user else self.account_throttle
        else:
            code, message = 4, "(#4) Application request limit reached"
        return self.error(code, message, transient=True, headers=self.usage_headers(req, decision.reset))

    def rate_headers(self, req, decision):
        return self.usage_headers(req, None)

    def usage_headers(self, req: Request, blocked_until: float | None) -> dict:
        limiter = self.sim.limiter
        now = self.state.now()
        token = req.token

        def percent(bucket_name: str, who: str) -> tuple[int, float]:
            bucket = self.buckets[bucket_name]
            window = limiter._windows.get((self.name, bucket_name, who))
            limit = limiter.limit_of(self.name, bucket)
            if window is None or now >= window[0]:
                return 0, 0.0
            return min(100, int(math.ceil(100 * window[1] / max(1, limit)))), window[0]

        app_pct, _ = percent("app", token.client_id if token else "app")
        acct_pct, reset = percent("account", token.account_id if token else req.client_ip)
        regain = 0.0
        if blocked_until is not None:
            minutes = max(0.0, blocked_until - now) / 60
            # whole minutes, as Graph sends them, unless time is compressed
            regain = math.ceil(minutes) if limiter.scale == 1 else round(minutes, 3)
        app = {"call_count": app_pct, "total_cputime": app_pct // 3, "total_time": app_pct // 2}
        account_id = token.account_id if token else ""
        buc = {account_id: [{"type": self.buc_type, "call_count": acct_pct, "total_cputime": acct_pct // 3,
                             "total_time": acct_pct // 2, "estimated_time_to_regain_access": regain}]}
        return {"X-App-Usage": json.dumps(app), "X-Business-Use-Case-Usage": json.dumps(buc)}

    def server_error(self, req, status):
        if status == 503:
            return self.error(2, "Service temporarily unavailable", status=503, transient=True)
        return self.error(1, "An unknown error occurred", status=status, transient=True)

    def not_found(self, req, what=""):
        return self.error(2500, f"Unknown path components: {what}", type_="OAuthException")

    def invalid(self, req, message):
        return self.error(100, f"(#100) {message}")

    def missing(self, object_id: str) -> Response:
        return self.error(100, f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
                               "loaded due to missing permissions, or does not support this operation. Please read "
                               "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
                          type_="GraphMethodException", subcode=33)

    # --- fields and nodes -----------------------------------------------------------

    def requested(self, req: Request) -> list[Field] | None:
        raw = req.arg("fields")
        if not raw:
            return None
        try:
            return parse_fields(raw)
        except ValueError as exc:
            raise Reply(self.error(2500, f"Syntax error \"{exc}\" in fields")) from None

    def node_fields(self, kind: str, obj: Any, now: float, req: Request) -> dict:
        raise NotImplementedError

    def node_edges(self, kind: str) -> dict[str, Callable]:
        return {}

    def default_fields(self, kind: str) -> list[str]:
        return ["id"]

    def render(self, kind: str, obj: Any, fields: list[Field] | None, req: Request, now: float) -> dict:
        if fields is None:
            fields = [Field(name) for name in self.default_fields(kind)]
        values = self.node_fields(kind, obj, now, req)
        edges = self.node_edges(kind)
        out: dict = {}
        for field in fields:
            if field.name in edges:
                out[field.key] = edges[field.name](obj, field, req, now)
                continue
            if field.name not in values:
                raise Reply(self.error(100, f"(#100) Tried accessing nonexisting field ({field.name}) on node "
                                            f"type ({self.node_names.get(kind, kind)})"))
            value = values[field.name]
            if value is None:
                continue
            if isinstance(value, Ref):
                value = self.render(value.kind, value.obj, field.sub, req, now)
            out[field.key] = value
        if "id" in values and "id" not in out:
            out["id"] = values["id"]
        return out

    def node(self, object_id: str) -> tuple[str, Any] | None:
        """(kind, object) for an id, or None."""
        raise NotImplementedError

    # --- paging -------------------------------------------------------------------------

    def cursor(self, post: st.Post) -> str:
        return encode_token({"o": post.order})

    def edge_page(self, req: Request, *, object_id: str, edge: str, index: st.Index, kind: str,
                  fields: list[Field] | None, limit: int, newest_first: bool = True, where=None,
                  params: dict | None = None, nested_fields: str | None = None, summary: dict | None = None,
                  time_field: Callable[[st.Post], float] | None = None) -> dict:
        """One page of an edge. `params` are the paging parameters (after/before/since/until);
        `nested_fields` is set when the edge is expanded inside another node."""
        now = self.state.now()
        params = params if params is not None else {k: v[0] for k, v in req.query.items()}
        after = before = None
        since = parse_when(params.get("since"))
        until = parse_when(params.get("until"))
        if since is not None:
            after = (int(since * 1000) << st.ORDER_BITS) - 1
        if until is not None:
            before = (int(until * 1000) + 1000) << st.ORDER_BITS
        forward = True  # towards older items when newest_first, else towards newer
        cursor_given = False
        for name in ("after", "before"):
            if params.get(name):
                token = decode_token(params[name])
                if token is None or "o" not in token:
                    raise Reply(self.error(100, f"(#100) The parameter {name} is not a valid cursor"))
                cursor_given = True
                forward = name == "after"
                boundary = token["o"]
                if forward == newest_first:
                    before = boundary if before is None else min(before, boundary)
                else:
                    after = boundary if after is None else max(after, boundary)
        oldest_first = newest_first != forward
        if limit == 0:
            items, more = [], False
        else:
            items, more = index.window(now, limit=limit, after=after, before=before, oldest_first=oldest_first,
                                       where=where)
        if not forward:
            items.reverse()
        rendered = [self.render(kind, p, fields, req, now) for p in items]
        if rendered and cursor_given and req.fault == "duplicate" and nested_fields is None:
            edge_start = items[0]
            earlier = index.neighbour(now, edge_start.order, newer=newest_first, where=where)
            if earlier is not None:
                rendered = [self.render(kind, earlier, fields, req, now)] + rendered
        elif nested_fields is None:
            rendered = self.apply_page_fault(req, rendered)
        body: dict = {"data": rendered}
        if items:
            paging: dict = {"cursors": {"before": self.cursor(items[0]), "after": self.cursor(items[-1])}}
            if more or not forward:
                paging["next"] = self.link(req, object_id, edge, params, nested_fields, "after", paging["cursors"]["after"])
            if cursor_given and (forward or more):
                paging["previous"] = self.link(req, object_id, edge, params, nested_fields, "before",
                                               paging["cursors"]["before"])
            if self.keep_paging(paging):
                body["paging"] = paging
        if summary is not None:
            body["summary"] = summary
        return body

    def keep_paging(self, paging: dict) -> bool:
        return True

    def link(self, req: Request, object_id: str, edge: str, params: dict, nested_fields: str | None,
             direction: str, cursor: str) -> str:
        query = {k: v for k, v in params.items() if k not in ("after", "before", "__paging_token")}
        if nested_fields is not None:
            query = {"access_token": self.token_value(req) or "", "limit": params.get("limit", "25")}
            if nested_fields:
                query["fields"] = nested_fields
        query[direction] = cursor
        return f"{req.host_url}/{self.name}/{self.version(req)}/{object_id}/{edge}?{urlencode(query)}"

    def limit_of(self, req: Request, default: int = 25, field: Field | None = None) -> int:
        raw = field.mods.get("limit") if field is not None else req.arg("limit")
        if raw in (None, ""):
            return default
        try:
            return max(0, min(100, int(raw)))
        except ValueError:
            raise Reply(self.error(100, f"(#100) The parameter limit must be a number, got {raw}")) from None

    # --- node reads and writes ------------------------------------------------------

    @route("GET", "/:id", buckets=READ)
    def get_node(self, req):
        found = self.node(req.params["id"])
        if found is None:
            return self.missing(req.params["id"])
        kind, obj = found
        return Response.json(self.render(kind, obj, self.requested(req), req, self.state.now()))

    # --- OAuth --------------------------------------------------------------------------

    @route("GET", "/dialog/oauth", auth=False)
    def dialog(self, req):
        return oauth.authorise(self, req, label=self.label)

    @route("GET", "/oauth/access_token", auth=False)
    def access_token(self, req):
        client_id, _ = oauth.client_credentials(req)
        grant_type = req.arg("grant_type")
        if grant_type == "fb_exchange_token":
            old = self.state.tokens.get(req.arg("fb_exchange_token") or "")
            if old is None or old.platform != self.name or old.revoked or (
                    old.expires_at is not None and old.expires_at <= self.state.now()):
                return self.auth_error(req, "invalid" if old is None else "revoked" if old.revoked else "expired")
            token = self.user_token(old.account_id, client_id or old.client_id, old.scope, LONG_LIVED)
            return Response.json({"access_token": token.value, "token_type": "bearer", "expires_in": LONG_LIVED})
        if grant_type == "client_credentials":
            return Response.json({"access_token": f"{client_id}|{digest(client_id, length=27)}",
                                  "token_type": "bearer"})
        grant = oauth.redeem(self, req.arg("code"), req.arg("redirect_uri"), None)
        if isinstance(grant, str):
            return self.error(100, "Invalid verification code format.", subcode=36007)
        token = self.user_token(grant.account_id, client_id or grant.client_id, grant.scope, SHORT_LIVED)
        return Response.json({"access_token": token.value, "token_type": "bearer", "expires_in": SHORT_LIVED})

    def user_token(self, account_id: str, client_id: str, scope: str, lifetime: float) -> st.Token:
        token, _ = oauth.issue(self, account_id, client_id=client_id, scope=scope, expires_in=lifetime,
                               refresh=False, access_prefix="EAAG")
        token.extra["user"] = True
        return token

    def page_token(self, user: st.Token) -> st.Token:
        """The Page token a user token gets from /me/accounts (the same one every time)."""
        value = "EAAGpage" + digest(user.value, self.name, length=40)
        found = self.state.tokens.get(value)
        if found is None:
            found, _ = oauth.issue(self, user.account_id, client_id=user.client_id, scope=user.scope,
                                   refresh=False, access_value=value)
            found.partner = user.value
        return found

    def issue_tokens(self, account_id, *, expires_in=None):
        return oauth.issue(self, account_id, client_id="control", scope="*", expires_in=expires_in, refresh=False,
                           access_prefix="EAAG")

    @route("GET", "/me", buckets=READ)
    def me(self, req):
        if req.token.extra.get("user"):
            kind, obj = "admin", self.council(req.token.account_id)
        else:
            kind, obj = self.node(req.token.account_id) or ("admin", self.council(req.token.account_id))
        return Response.json(self.render(kind, obj, self.requested(req), req, self.state.now()))

    @route("GET", "/me/accounts", buckets=READ)
    def me_accounts(self, req):
        page = self.render("managed_page", (self.council(req.token.account_id), self.page_token(req.token)),
                           self.requested(req) or [Field(n) for n in ("access_token", "category", "category_list",
                                                                       "name", "id", "tasks")],
                           req, self.state.now())
        return Response.json({"data": [page], "paging": {"cursors": {"before": encode_token({"o": 0}),
                                                                     "after": encode_token({"o": 0})}}})

    @route("GET", "/debug_token", buckets=READ)
    def debug_token(self, req):
        token = self.state.tokens.get(req.arg("input_token") or "")
        now = self.state.now()
        valid = token is not None and not token.revoked and (token.expires_at is None or token.expires_at > now)
        data: dict = {"is_valid": valid}
        if token is not None:
            data.update({"app_id": token.client_id, "type": "USER" if token.extra.get("user") else "PAGE",
                         "application": "Council Social", "expires_at": int(token.expires_at or 0),
                         "data_access_expires_at": int(now + 90 * 86400), "scopes": token.scope.split(),
                         "user_id": token.account_id})
        return Response.json({"data": data})
