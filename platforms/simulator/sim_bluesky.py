"""Bluesky: XRPC on the account's PDS (bsky.social/xrpc/...).

Sessions come from com.atproto.server.createSession (identifier + app password) as
accessJwt / refreshJwt; refreshSession rotates them. Mentions, replies and quotes arrive
as notifications (app.bsky.notification.listNotifications), paged backwards in time with
an opaque cursor (the indexedAt of the last item); app.bsky.feed.searchPosts pages with an
offset cursor. Responses carry RateLimit-Limit/-Remaining/-Reset/-Policy (3000 requests
per 5 minutes). Errors are {"error": Name, "message": ...}; a bad or revoked token is
400 InvalidToken / ExpiredToken, as the real PDS answers.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time

from . import oauth
from . import state as st
from .core import PlatformSim, Reply, Response, digest, iso_ms, parse_when, random_token, route
from .generator import OWN_POSTS
from .ratelimit import PER_IP, Bucket

POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"
B32 = "234567abcdefghijklmnopqrstuvwxyz"
ACCESS_LIFETIME = 7200
REFRESH_LIFETIME = 60 * 86400
SECRET = b"council-social-simulator"
MENTION_RE = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9.-]*\.[a-z]+)", re.I)
URL_RE = re.compile(r"https?://[^\s<>\"']+")
TAG_RE = re.compile(r"(?<![\w#])#(\w{1,64})")
READ = (("global", 1),)


def xrpc_error(status: int, name: str, message: str, headers: dict | None = None) -> Response:
    return Response.json({"error": name, "message": message}, status, headers)


def b32(data: bytes, length: int) -> str:
    """Lowercase RFC 4648 base32, as CIDs and did:plc identifiers use."""
    return base64.b32encode(data).decode().lower()[:length]


def tid(order: int) -> str:
    """A record key: 13 base32-sortable characters of microseconds << 10 | clock id."""
    micros = st.order_ms(order) * 1000 + order % 1000
    value = (micros << 10) | (order % 1024)
    return "".join(B32[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


_HEX_TO_B32 = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def cid(*parts) -> str:
    """A CID-looking content id (bafyrei + 52 base32 characters) from a hash of `parts`."""
    return "bafyrei" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:52].translate(_HEX_TO_B32)


def jwt(claims: dict) -> str:
    def enc(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")

    head = enc({"typ": "at+jwt" if claims["scope"] == "com.atproto.access" else "refresh+jwt", "alg": "HS256"})
    body = enc(claims)
    sig = base64.urlsafe_b64encode(hmac.new(SECRET, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig.decode().rstrip('=')}"


class BlueskySim(PlatformSim):
    name = "bluesky"
    max_text = 300
    token_lifetime = ACCESS_LIFETIME
    default_account = {"id": "did:plc:kingsmereboroughcouncil2", "handle": "kingsmere.bsky.social",
                       "name": "Kingsmere Borough Council", "followers": 2710, "following": 140, "posts": 610}
    buckets = {
        "global": Bucket("global", 3000, 300, per=PER_IP),
        "session": Bucket("session", 30, 300, per=PER_IP),
        "writes": Bucket("writes", 5000, 3600),
    }

    # --- envelopes -----------------------------------------------------------------------

    def authenticate(self, req):
        value = req.bearer()
        if not value:
            raise Reply(xrpc_error(401, "AuthMissing", "Authentication Required"))
        token = self.state.tokens.get(value)
        if token is None or token.platform != self.name or token.kind != "access":
            raise Reply(xrpc_error(400, "InvalidToken", "Token could not be verified"))
        if token.revoked:
            raise Reply(xrpc_error(400, "ExpiredToken", "Token has been revoked"))
        if token.expires_at is not None and token.expires_at <= self.state.now():
            raise Reply(xrpc_error(400, "ExpiredToken", "Token has expired"))
        return token

    def auth_error(self, req, reason):
        return xrpc_error(400, "InvalidToken", "Token could not be verified")

    def throttled(self, req, decision):
        return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", self.rate_headers(req, decision))

    def rate_headers(self, req, decision):
        window = max(1, int(round(decision.window)))
        return {"RateLimit-Limit": str(decision.limit), "RateLimit-Remaining": str(decision.remaining),
                "RateLimit-Reset": str(int(-(-decision.reset // 1))), "RateLimit-Policy": f"{decision.limit};w={window}"}

    def server_error(self, req, status):
        name = {500: "InternalServerError", 502: "UpstreamFailure", 503: "NotEnoughResources"}.get(status,
                                                                                                   "InternalServerError")
        return xrpc_error(status, name, name)

    def not_found(self, req, what=""):
        return xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")

    def invalid(self, req, message):
        return xrpc_error(400, "InvalidRequest", message)

    # --- content ---------------------------------------------------------------------------

    def __init__(self, sim):
        super().__init__(sim)
        self._facets: dict[str, list] = {}

    def make_author(self, persona):
        handle = re.sub(r"[^a-z0-9-]", "-", persona.handle.lower()).strip("-")[:40] or f"user{persona.key}"
        did = "did:plc:" + b32(hashlib.sha256(f"did{persona.key}".encode()).digest(), 24)
        return st.Account(self.name, did, f"{handle}.bsky.social", persona.name, followers=persona.followers,
                          following=persona.following, posts_count=persona.posts_count, verified=persona.verified,
                          bio=persona.bio, created_at=persona.created_at)

    def new_council(self, account_id):
        account = super().new_council(account_id)
        if account_id != self.default_account["id"]:
            account.handle = f"council-{digest(account_id, length=6)}.bsky.social"
        return account

    def mention_for(self, account, kind):
        return "@" + account.handle

    def seed_council(self, account):
        now = self.state.now()
        for i, text in enumerate(OWN_POSTS[:4]):
            self.publish(account.id, text, now - 86400 * (4 - i) - 900, seeded=True)

    def facets(self, text: str) -> list[dict]:
        """Mention, link and tag facets with UTF-8 byte offsets (kept per text)."""
        found = self._facets.get(text)
        if found is None:
            if len(self._facets) > 50_000:
                self._facets.clear()
            found = self._facets[text] = self._make_facets(text)
        return found

    def _make_facets(self, text: str) -> list[dict]:
        def span(start: int, end: int) -> dict:
            return {"byteStart": len(text[:start].encode()), "byteEnd": len(text[:end].encode())}

        out = []
        for m in MENTION_RE.finditer(text):
            account = self.state.find_account(self.name, m.group(1))
            if account is not None:
                out.append({"$type": "app.bsky.richtext.facet", "index": span(m.start(), m.end()),
                            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": account.id}]})
        for m in URL_RE.finditer(text):
            out.append({"index": span(m.start(), m.end()),
                        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": m.group(0)}]})
        for m in TAG_RE.finditer(text):
            out.append({"index": span(m.start(), m.end()),
                        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": m.group(1)}]})
        return out

    def _post(self, account_id, kind, text, author, created_at, parent: st.Post | None, record: dict | None = None,
              **fields) -> st.Post:
        order, created_at = self.state.new_order(self.name, created_at)
        uri = f"at://{author.id}/{POST}/{tid(order)}"
        root = self.state.post(self.name, parent.root_id) if parent is not None and parent.root_id else parent
        value = dict(record or {})
        value.update({"$type": POST, "text": text, "createdAt": iso_ms(created_at), "langs": ["en"]})
        if "facets" not in value:
            facets = self.facets(text)
            if facets:
                value["facets"] = facets
        if parent is not None:
            value["reply"] = {"root": {"cid": root.extra["cid"], "uri": root.id},
                              "parent": {"cid": parent.extra["cid"], "uri": parent.id}}
        post = st.Post(self.name, uri, order, account_id, kind, text, author, created_at,
                       in_reply_to=parent.id if parent else "", root_id=root.id if root else "",
                       extra={"cid": cid(uri, text), "record": value}, **fields)
        return post

    def add_item(self, account_id, kind, text, author, created_at, in_reply_to="", **engagement):
        council = self.council(account_id)
        counts = {k: engagement.get(k, 0) for k in ("likes", "replies", "reshares", "tau")}
        parent = self.state.post(self.name, in_reply_to) if in_reply_to else None
        if parent is None and kind in (st.KIND_COMMENT, st.KIND_REPLY):
            own, _ = self.state.index(self.name, f"own:{council.id}").window(max(created_at, self.state.now()),
                                                                             limit=1)
            parent = own[0] if own else None
        if parent is not None and parent.author.id != council.id and "@" + council.handle in parent.text:
            if "@" + council.handle not in text:  # keep the council in a thread that named it
                text = f"@{council.handle} {text}"
        post = self._post(council.id, st.KIND_REPLY if parent else kind, text, author, created_at, parent, **counts)
        if parent is not None and parent.author.id == council.id:
            post.extra["reason"] = "reply"
            post.extra["subject"] = parent.id
        elif "@" + council.handle in text:
            post.extra["reason"] = "mention"
        indexes = ["all"] + ([f"notifications:{council.id}"] if "reason" in post.extra else [])
        return self.state.add_post(post, indexes)

    def publish(self, account_id, text, created_at, in_reply_to="", seeded=False, record=None, **extra):
        council = self.council(account_id)
        parent = self.state.post(self.name, in_reply_to) if in_reply_to else None
        post = self._post(council.id, st.KIND_REPLY if parent else st.KIND_POST, text, council, created_at, parent,
                          record=record)
        post.own = True
        self.state.add_post(post, ["all", f"own:{council.id}"])
        council.posts_count += 1
        if not seeded:
            self.state.record_created(post, "reply" if parent else "post", **extra)
        return post

    def describe(self, post):
        return {"id": post.id, "uri": post.id, "cid": post.extra["cid"],
                "url": f"https://bsky.app/profile/{post.author.handle}/post/{post.id.rsplit('/', 1)[-1]}"}

    # --- rendering --------------------------------------------------------------------------

    def profile(self, account: st.Account, detailed: bool = False) -> dict:
        out = {"did": account.id, "handle": account.handle, "displayName": account.name,
               "avatar": f"https://cdn.bsky.app/img/avatar/plain/{account.id}/{cid(account.id)[:20]}@jpeg",
               "associated": {"chat": {"allowIncoming": "following"}},
               "viewer": {"muted": False, "blockedBy": False}, "labels": [], "createdAt": iso_ms(account.created_at)}
        if account.verified:
            out["verification"] = {"verifications": [], "verifiedStatus": "valid", "trustedVerifierStatus": "none"}
        if detailed:
            out.update({"description": account.bio, "indexedAt": iso_ms(account.created_at),
                        "followersCount": account.followers, "followsCount": account.following,
                        "postsCount": account.posts_count})
        return out

    def post_view(self, post: st.Post, now: float) -> dict:
        likes, replies, reposts = post.engagement(now)
        replies = max(replies, len(self.state.visible_children(post, now)))
        view = {"uri": post.id, "cid": post.extra["cid"], "author": self.profile(post.author),
                "record": post.extra["record"], "replyCount": replies, "repostCount": reposts, "likeCount": likes,
                "quoteCount": reposts // 5, "indexedAt": iso_ms(post.created_at),
                "viewer": {"threadMuted": False, "embeddingDisabled": False}, "labels": []}
        if post.extra.get("embed"):
            view["embed"] = post.extra["embed"]
        return view

    def notification(self, post: st.Post, now: float) -> dict:
        out = {"uri": post.id, "cid": post.extra["cid"], "author": self.profile(post.author, detailed=False),
               "reason": post.extra["reason"]}
        if post.extra.get("subject"):
            out["reasonSubject"] = post.extra["subject"]
        out.update({"record": post.extra["record"], "isRead": False, "indexedAt": iso_ms(post.created_at),
                    "labels": []})
        return out

    # --- reads ---------------------------------------------------------------------------------

    def limit(self, req, default: int) -> int:
        raw = req.arg("limit")
        try:
            value = default if raw in (None, "") else int(raw)
        except ValueError:
            value = -1
        if not 1 <= value <= 100:
            raise Reply(self.invalid(req, "limit must be between 1 and 100"))
        return value

    @route("GET", "/xrpc/app.bsky.notification.listNotifications", buckets=READ, listing=True)
    def list_notifications(self, req):
        limit = self.limit(req, 50)
        reasons = set(req.args("reasons"))
        before = None
        if req.arg("cursor"):
            when = parse_when(req.arg("cursor"))
            if when is None:
                return self.invalid(req, "Malformed cursor")
            before = int(round(when * 1000)) << st.ORDER_BITS
        now = self.state.now()
        index = self.state.index(self.name, f"notifications:{req.token.account_id}")

        def wanted(p: st.Post) -> bool:
            return not reasons or p.extra["reason"] in reasons

        items, more = index.window(now, limit=limit, before=before, where=wanted)
        if before is not None and items:
            items = self.apply_page_fault(req, items, index.neighbour(now, items[0].order, newer=True, where=wanted))
        else:
            items = self.apply_page_fault(req, items)
        body = {"notifications": [self.notification(p, now) for p in items]}
        if more and items:
            body["cursor"] = iso_ms(min(p.created_at for p in items))
        body["priority"] = False
        body["seenAt"] = iso_ms(now - 3600)
        return Response.json(body)

    @route("GET", "/xrpc/app.bsky.feed.searchPosts", buckets=READ, listing=True)
    def search_posts(self, req):
        query = (req.arg("q") or "").strip()
        if not query:
            return self.invalid(req, "Params must have the property \"q\"")
        limit = self.limit(req, 25)
        try:
            offset = int(req.arg("cursor") or 0)
        except ValueError:
            return self.invalid(req, "Malformed cursor")
        since, until = parse_when(req.arg("since")), parse_when(req.arg("until"))
        author = (req.arg("author") or "").lower()
        mentions = (req.arg("mentions") or "").lower()
        terms = [t.lower() for t in query.split() if ":" not in t]

        def matches(p: st.Post) -> bool:
            text = p.text.lower()
            if since is not None and p.created_at < since or until is not None and p.created_at >= until:
                return False
            if author and author not in (p.author.id.lower(), p.author.handle.lower()):
                return False
            if mentions and "@" + mentions.removeprefix("@") not in text and mentions not in json.dumps(
                    p.extra["record"].get("facets", [])).lower():
                return False
            return all(t in text for t in terms)

        now = self.state.now()
        found, more = self.state.index(self.name, "all").window(now, limit=offset + limit, where=matches)
        page = self.apply_page_fault(req, found[offset:])
        body: dict = {"posts": [self.post_view(p, now) for p in page]}
        if more:
            body = {"cursor": str(offset + limit), **body}
        return Response.json(body)

    def thread(self, post: st.Post, now: float, depth: int, parents: int) -> dict:
        out: dict = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self.post_view(post, now)}
        parent = self.state.post(self.name, post.in_reply_to) if post.in_reply_to else None
        if parents > 0 and parent is not None and parent.visible(now):
            out["parent"] = self.thread(parent, now, 0, parents - 1)
        if depth > 0:
            out["replies"] = [self.thread(c, now, depth - 1, 0) for c in self.state.visible_children(post, now)
                              if not c.hidden]
        else:
            out["replies"] = []
        out["threadContext"] = {}
        return out

    def record_post(self, uri: str) -> st.Post | None:
        post = self.state.post(self.name, uri)
        return post if post is not None and post.visible(self.state.now()) else None

    @route("GET", "/xrpc/app.bsky.feed.getPostThread", buckets=READ)
    def get_post_thread(self, req):
        post = self.record_post(req.arg("uri") or "")
        if post is None:
            return xrpc_error(400, "NotFound", f"Post not found: {req.arg('uri')}")
        try:
            depth = int(req.arg("depth") or 6)
            parents = int(req.arg("parentHeight") or 80)
        except ValueError:
            return self.invalid(req, "depth and parentHeight must be integers")
        return Response.json({"thread": self.thread(post, self.state.now(), depth, parents)})

    @route("GET", "/xrpc/app.bsky.feed.getPosts", buckets=READ)
    def get_posts(self, req):
        now = self.state.now()
        return Response.json({"posts": [self.post_view(p, now) for u in req.args("uris")
                                        if (p := self.record_post(u)) is not None]})

    @route("GET", "/xrpc/app.bsky.actor.getProfile", buckets=READ)
    def get_profile(self, req):
        actor = req.arg("actor") or ""
        account = self.state.account(self.name, actor) or self.state.find_account(self.name, actor)
        if account is None:
            return self.invalid(req, "Profile not found")
        return Response.json(self.profile(account, detailed=True))

    @route("GET", "/xrpc/com.atproto.repo.getRecord", buckets=READ, auth=False)
    def get_record(self, req):
        repo = self.resolve(req.arg("repo") or "")
        uri = f"at://{repo}/{req.arg('collection')}/{req.arg('rkey')}"
        post = self.state.post(self.name, uri)
        if post is None or post.deleted:
            return xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return Response.json({"uri": uri, "cid": post.extra["cid"], "value": post.extra["record"]})

    def resolve(self, actor: str) -> str:
        account = self.state.find_account(self.name, actor)
        return account.id if account is not None else actor

    # --- writes ----------------------------------------------------------------------------------

    def own_repo(self, req, body: dict) -> str:
        repo = self.resolve(str(body.get("repo") or ""))
        if repo != req.token.account_id:
            raise Reply(self.invalid(req, "Input/repo must be the authenticated account"))
        return repo

    def commit(self, *parts) -> dict:
        return {"cid": cid("commit", *parts), "rev": tid(int(time.time() * 1000) << st.ORDER_BITS)}

    @route("POST", "/xrpc/com.atproto.repo.createRecord", buckets=(("global", 1), ("writes", 3)))
    def create_record(self, req):
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("record"), dict):
            return self.invalid(req, "Input must have the property \"record\"")
        repo = self.own_repo(req, body)
        record = body["record"]
        if body.get("collection") != POST:
            return self.invalid(req, f"Unsupported collection {body.get('collection')!r} in the simulator")
        text = record.get("text")
        if not isinstance(text, str):
            return self.invalid(req, "Invalid app.bsky.feed.post record: Record must have the property \"text\"")
        if len(text) > self.max_text:
            return self.invalid(req, "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 "
                                     "graphemes")
        parent_uri = ((record.get("reply") or {}).get("parent") or {}).get("uri", "")
        if parent_uri and self.record_post(parent_uri) is None:
            return self.invalid(req, f"Could not find reply parent {parent_uri}")
        post = self.publish(repo, text, self.state.now(), in_reply_to=parent_uri, record=record)
        if record.get("embed"):
            post.extra["embed"] = record["embed"]
        return Response.json({"uri": post.id, "cid": post.extra["cid"], "commit": self.commit(post.id),
                              "validationStatus": "valid"})

    @route("POST", "/xrpc/com.atproto.repo.putRecord", buckets=(("global", 1), ("writes", 2)))
    def put_record(self, req):
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("record"), dict):
            return self.invalid(req, "Input must have the property \"record\"")
        repo = self.own_repo(req, body)
        collection, rkey = body.get("collection"), body.get("rkey")
        if collection != THREADGATE:
            return self.invalid(req, f"Unsupported collection {collection!r} in the simulator")
        uri = f"at://{repo}/{collection}/{rkey}"
        existing = self.state.post(self.name, uri)
        if body.get("swapRecord") and (existing is None or existing.extra["cid"] != body["swapRecord"]):
            return xrpc_error(400, "InvalidSwap", f"Record was at {existing.extra['cid'] if existing else 'null'}")
        root_uri = f"at://{repo}/{POST}/{rkey}"
        root = self.state.post(self.name, root_uri)
        if root is None:
            return self.invalid(req, f"Could not find the post {root_uri} to gate")
        record = body["record"]
        hidden = set(record.get("hiddenReplies") or [])
        queue = list(root.children)
        while queue:
            reply = self.state.post(self.name, queue.pop())
            if reply is not None:
                reply.hidden = reply.id in hidden
                queue.extend(reply.children)
        value_cid = cid(uri, json.dumps(record, sort_keys=True))
        if existing is None:
            existing = st.Post(self.name, uri, 0, repo, "record", "", root.author, self.state.now())
            self.state.add_post(existing, [])
        existing.extra = {"cid": value_cid, "record": record}
        return Response.json({"uri": uri, "cid": value_cid, "commit": self.commit(uri, value_cid),
                              "validationStatus": "valid"})

    @route("POST", "/xrpc/com.atproto.repo.deleteRecord", buckets=(("global", 1), ("writes", 1)))
    def delete_record(self, req):
        body = req.json()
        if not isinstance(body, dict):
            return self.invalid(req, "Input must be an object")
        repo = self.own_repo(req, body)
        uri = f"at://{repo}/{body.get('collection')}/{body.get('rkey')}"
        post = self.state.post(self.name, uri)
        if post is not None:
            post.deleted = True
        return Response.json({"commit": self.commit(uri, "delete")})

    @route("POST", "/xrpc/com.atproto.repo.uploadBlob", buckets=(("global", 1),))
    def upload_blob(self, req):
        if not req.body:
            return self.invalid(req, "Request body is empty")
        mime = req.headers.get("Content-Type") or "application/octet-stream"
        return Response.json({"blob": {"$type": "blob", "ref": {"$link": cid("blob", digest(req.body))},
                                       "mimeType": mime, "size": len(req.body)}})

    # --- sessions ----------------------------------------------------------------------------------

    def issue_tokens(self, account_id, *, expires_in=None):
        return self.new_session(account_id, expires_in or ACCESS_LIFETIME)

    def new_session(self, did: str, lifetime: float = ACCESS_LIFETIME) -> tuple[st.Token, st.Token]:
        now = int(self.state.now())
        access = jwt({"scope": "com.atproto.access", "sub": did, "iat": now, "exp": int(now + lifetime),
                      "aud": "did:web:bsky.social", "jti": random_token(nbytes=8)})
        refresh = jwt({"scope": "com.atproto.refresh", "sub": did, "aud": "did:web:bsky.social",
                       "jti": random_token(nbytes=16), "iat": now, "exp": now + REFRESH_LIFETIME})
        return oauth.issue(self, did, client_id="app-password", scope="com.atproto.access", expires_in=lifetime,
                           refresh_expires_in=REFRESH_LIFETIME, access_value=access, refresh_value=refresh)

    def session_body(self, req, account: st.Account, access: st.Token, refresh: st.Token) -> dict:
        return {"did": account.id, "handle": account.handle, "email": f"comms@{account.handle}",
                "emailConfirmed": True, "emailAuthFactor": False, "accessJwt": access.value,
                "refreshJwt": refresh.value, "active": True,
                "didDoc": {"@context": ["https://www.w3.org/ns/did/v1"], "id": account.id,
                           "alsoKnownAs": [f"at://{account.handle}"],
                           "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                                        "serviceEndpoint": f"{req.host_url}/{self.name}"}]}}

    @route("POST", "/xrpc/com.atproto.server.createSession", auth=False, buckets=(("session", 1),))
    def create_session(self, req):
        body = req.json() if isinstance(req.json(), dict) else {}
        identifier = str(body.get("identifier") or "")
        account = self.state.account(self.name, identifier) or self.state.find_account(self.name, identifier)
        if account is None or not account.extra.get("council") or not body.get("password"):
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        access, refresh = self.new_session(account.id)
        return Response.json(self.session_body(req, account, access, refresh))

    @route("POST", "/xrpc/com.atproto.server.refreshSession", auth=False, buckets=READ)
    def refresh_session(self, req):
        value = req.bearer() or ""
        token = self.state.tokens.get(value)
        if token is None or token.platform != self.name or token.kind != "refresh":
            return xrpc_error(400, "InvalidToken", "Token could not be verified")
        if token.revoked:
            return xrpc_error(400, "ExpiredToken", "Token has been revoked")
        if token.expires_at is not None and token.expires_at <= self.state.now():
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        oauth.revoke(self, value)
        account = self.council(token.account_id)
        access, refresh = self.new_session(account.id)
        return Response.json(self.session_body(req, account, access, refresh))

    @route("POST", "/xrpc/com.atproto.server.deleteSession", auth=False, buckets=READ)
    def delete_session(self, req):
        oauth.revoke(self, req.bearer() or "")
        return Response.empty(200)

    # --- bulk pages ----------------------------------------------------------------------------------

    def bulk_page(self, posts, account_id, now, more, start=0):
        body: dict = {"notifications": [self.notification(p, now) for p in posts]}
        if more and posts:
            body["cursor"] = iso_ms(posts[-1].created_at)
        body["priority"] = False
        body["seenAt"] = iso_ms(now - 3600)
        return body
