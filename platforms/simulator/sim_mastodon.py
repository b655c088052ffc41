"""Mastodon REST API (an instance such as mastodon.social) and its OAuth provider.

Mentions arrive as notifications (GET /api/v1/notifications?types[]=mention, newest
first, paged with the Link header: rel="next" max_id=, rel="prev" min_id=; since_id and
min_id read newer items). Statuses are also found by hashtag timeline and by
/api/v2/search (offset paging). Posting honours Idempotency-Key. Every response carries
X-RateLimit-Limit/-Remaining/-Reset (an ISO 8601 time) for the tightest bucket: 300 calls
per 5 minutes per account, and 300 statuses per 3 hours.
"""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import urlencode

from . import oauth
from . import state as st
from .core import PlatformSim, Reply, Response, digest, iso_ms, random_token, route
from .generator import OWN_POSTS
from .ratelimit import Bucket

HOST = "mastodon.social"
REMOTE = ["mastodon.online", "mas.to", "toot.community", "social.coop", "hachyderm.io", "mastodon.scot"]
MENTION_RE = re.compile(r"(?<![\w@/])@(\w+)(?:@([\w.-]+\w))?")
TAG_RE = re.compile(r"(?<![\w#&])#(\w+)")
URL_RE = re.compile(r"https?://[^\s<]+")
API = (("api", 1),)


def _today(ts: float) -> str:
    return iso_ms(ts)[:10]


def iso_micro(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class MastodonSim(PlatformSim):
    name = "mastodon"
    max_text = 500
    refresh_tokens = False  # Mastodon tokens do not expire and have no refresh token
    default_account = {"id": "110000000000000001", "handle": "kingsmere", "name": "Kingsmere Borough Council",
                       "followers": 3140, "following": 220, "posts": 1840}
    buckets = {
        "api": Bucket("api", 300, 300, aligned=True),
        "statuses": Bucket("statuses", 300, 3 * 3600, aligned=True),
        "media": Bucket("media", 30, 1800, aligned=True),
        "deletes": Bucket("deletes", 30, 1800, aligned=True),
    }

    # --- envelopes ----------------------------------------------------------------------

    def auth_error(self, req, reason):
        message = {"missing": "This method requires an authenticated user",
                   "invalid": "The access token is invalid", "revoked": "The access token was revoked",
                   "expired": "The access token expired"}[reason]
        headers = {}
        if reason != "missing":
            headers["WWW-Authenticate"] = (f'Bearer realm="Doorkeeper", error="invalid_token", '
                                           f'error_description="{message}"')
        return Response.json({"error": message}, 401, headers)

    def throttled(self, req, decision):
        return Response.json({"error": "Too many requests"}, 429, self.rate_headers(req, decision))

    def rate_headers(self, req, decision):
        return {"X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": str(decision.remaining),
                "X-RateLimit-Reset": iso_micro(decision.reset)}

    def server_error(self, req, status):
        if status == 502:  # nginx in front of the instance
            return Response.html("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
                                 "Gateway</h1></center><hr><center>nginx</center></body></html>", 502)
        return Response.json({"error": "We're sorry, but something went wrong on our end."}, status)

    def not_found(self, req, what=""):
        return Response.json({"error": "Record not found"}, 404)

    def invalid(self, req, message):
        return Response.json({"error": message}, 422)

    # --- content --------------------------------------------------------------------------

    def __init__(self, sim):
        super().__init__(sim)
        self._accounts: dict[tuple, dict] = {}  # rendered accounts; the key holds every input
        self._contents: dict[str, tuple] = {}

    def make_author(self, persona):
        username = re.sub(r"\W", "", persona.handle)[:30] or f"user{persona.key}"
        remote = REMOTE[persona.key % len(REMOTE)] if persona.key % 3 else ""
        account = st.Account(self.name, str(109_000_000_000_000_000 + persona.key * 1009), username, persona.name,
                             followers=persona.followers, following=persona.following,
                             posts_count=persona.posts_count, verified=persona.verified, bio=persona.bio,
                             created_at=persona.created_at)
        account.extra["domain"] = remote
        return account

    def acct(self, account: st.Account) -> str:
        domain = account.extra.get("domain")
        return f"{account.handle}@{domain}" if domain else account.handle

    def mention_for(self, account, kind):
        return "@" + account.handle

    def seed_council(self, account):
        now = self.state.now()
        for i, text in enumerate(OWN_POSTS[:4]):
            self.publish(account.id, text, now - 86400 * (4 - i) - 1800, seeded=True)

    @staticmethod
    def status_id(order: int) -> str:
        return str((st.order_ms(order) << 16) | (order & 0xFFFF))

    @staticmethod
    def notification_id(order: int) -> str:
        return str(st.order_ms(order) * 1000 + order % 1000)

    def _status(self, account_id, kind, text, author, created_at, in_reply_to="", **fields) -> st.Post:
        order, created_at = self.state.new_order(self.name, created_at)
        parent = self.state.post(self.name, in_reply_to) if in_reply_to else None
        return st.Post(self.name, self.status_id(order), order, account_id, kind, text, author, created_at,
                       in_reply_to=parent.id if parent else "",
                       root_id=(parent.root_id or parent.id) if parent else "", **fields)

    def add_item(self, account_id, kind, text, author, created_at, in_reply_to="", **engagement):
        council = self.council(account_id)
        counts = {k: engagement.get(k, 0) for k in ("likes", "replies", "reshares", "tau")}
        parent = self.state.post(self.name, in_reply_to) if in_reply_to else None
        if parent is None and kind in (st.KIND_COMMENT, st.KIND_REPLY):
            own, _ = self.state.index(self.name, f"own:{council.id}").window(max(created_at, self.state.now()), limit=1)
            parent = own[0] if own else None
        if parent is not None:
            # Replying mentions the author replied to and everyone mentioned in the post.
            lead = ["@" + self.acct(parent.author)]
            if "@" + council.handle in parent.text or parent.author.id == council.id:
                lead.append("@" + council.handle)
            lead = [m for m in lead if m not in text]
            text = " ".join(lead) + (" " if lead else "") + text
        status = self._status(council.id, kind if parent is None else st.KIND_REPLY, text, author, created_at,
                              parent.id if parent else "", **counts)
        status.extra["notification"] = self.notification_id(status.order)
        indexes = ["all"]
        if "@" + council.handle in text:
            indexes.append(f"notifications:{council.id}")
        return self.state.add_post(status, indexes)

    def publish(self, account_id, text, created_at, in_reply_to="", seeded=False, **extra):
        council = self.council(account_id)
        status = self._status(council.id, st.KIND_REPLY if in_reply_to else st.KIND_POST, text, council, created_at,
                              in_reply_to)
        status.own = True
        status.extra.update(extra)
        self.state.add_post(status, ["all", f"own:{council.id}"])
        council.posts_count += 1
        if not seeded:
            self.state.record_created(status, "reply" if in_reply_to else "post",
                                      **{k: v for k, v in extra.items() if k != "visibility"})
        return status

    def describe(self, post):
        return {"id": post.id, "notification_id": post.extra.get("notification", ""), "url": self.status_url(post)}

    # --- rendering ----------------------------------------------------------------------------

    def status_url(self, post: st.Post) -> str:
        domain = post.author.extra.get("domain") or HOST
        return f"https://{domain}/@{post.author.handle}/{post.id}"

    def account_json(self, account: st.Account) -> dict:
        today = _today(self.state.now())
        key = (account.id, account.name, account.followers, account.following, account.posts_count,
               account.verified, account.bio, today)
        found = self._accounts.get(key)
        if found is None:
            if len(self._accounts) > 50_000:
                self._accounts.clear()
            found = self._accounts[key] = self._account_json(account, today)
        return found

    def _account_json(self, account: st.Account, today: str) -> dict:
        domain = account.extra.get("domain") or HOST
        url = f"https://{domain}/@{account.handle}"
        avatar = f"https://files.{HOST}/accounts/avatars/{account.id}/original/{digest(account.id, length=16)}.png"
        fields = []
        if account.verified:
            fields.append({"name": "Website", "value": f'<a href="https://{domain}/about" rel="me">{domain}</a>',
                           "verified_at": iso_ms(account.created_at + 86400)})
        return {
            "id": account.id, "username": account.handle, "acct": self.acct(account),
            "display_name": account.name, "locked": False, "bot": False, "discoverable": True, "indexable": True,
            "group": False, "created_at": iso_ms(account.created_at // 86400 * 86400),
            "note": f"<p>{html.escape(account.bio)}</p>" if account.bio else "", "url": url,
            "uri": f"https://{domain}/users/{account.handle}", "avatar": avatar, "avatar_static": avatar,
            "header": f"https://{HOST}/headers/original/missing.png",
            "header_static": f"https://{HOST}/headers/original/missing.png",
            "followers_count": account.followers, "following_count": account.following,
            "statuses_count": account.posts_count,
            "last_status_at": today,
            "hide_collections": None, "noindex": False, "emojis": [], "roles": [], "fields": fields,
        }

    def content(self, text: str) -> tuple[str, list[dict], list[dict]]:
        """Mastodon's HTML for a status text, with its mentions and tags (kept per text)."""
        found = self._contents.get(text)
        if found is None:
            if len(self._contents) > 50_000:
                self._contents.clear()
            found = self._contents[text] = self._content(text)
        return found

    def _content(self, text: str) -> tuple[str, list[dict], list[dict]]:
        mentions, tags = [], []

        def render_line(line: str) -> str:
            if "@" not in line and "#" not in line and "http" not in line:
                return html.escape(line, quote=False)
            out, pos = [], 0
            tokens = sorted([(m.start(), m.end(), "mention", m) for m in MENTION_RE.finditer(line)]
                            + [(m.start(), m.end(), "tag", m) for m in TAG_RE.finditer(line)]
                            + [(m.start(), m.end(), "url", m) for m in URL_RE.finditer(line)], key=lambda t: t[0])
            for start, end, kind, m in tokens:
                if start < pos:
                    continue
                out.append(html.escape(line[pos:start], quote=False))
                if kind == "mention":
                    username, domain = m.group(1), m.group(2)
                    account = self.state.find_account(self.name, username)
                    if account is not None and (account.extra.get("domain") or None) == domain:
                        url = f"https://{domain or HOST}/@{username}"
                        mentions.append({"id": account.id, "username": username, "url": url,
                                         "acct": self.acct(account)})
                        out.append(f'<span class="h-card" translate="no"><a href="{url}" class="u-url mention">'
                                   f'@<span>{html.escape(username)}</span></a></span>')
                    else:
                        out.append(html.escape(m.group(0), quote=False))
                elif kind == "tag":
                    name = m.group(1)
                    tags.append({"name": name.lower(), "url": f"https://{HOST}/tags/{name.lower()}"})
                    out.append(f'<a href="https://{HOST}/tags/{name.lower()}" class="mention hashtag" rel="tag">'
                               f'#<span>{html.escape(name)}</span></a>')
                else:
                    url = html.escape(m.group(0))
                    out.append(f'<a href="{url}" target="_blank" rel="nofollow noopener" translate="no">{url}</a>')
                pos = end
            out.append(html.escape(line[pos:], quote=False))
            return "".join(out)

        paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p]
        body = "".join("<p>" + "<br />".join(render_line(line) for line in p.split("\n")) + "</p>"
                       for p in paragraphs)
        return body, mentions, tags

    def status_json(self, post: st.Post, now: float) -> dict:
        likes, replies, reblogs = post.engagement(now)
        replies = max(replies, len(self.state.visible_children(post, now)))
        content, mentions, tags = self.content(post.text)
        parent = self.state.post(self.name, post.in_reply_to) if post.in_reply_to else None
        media = [self.media_json(m) for m in post.extra.get("media", [])]
        out = {
            "id": post.id, "created_at": iso_ms(post.created_at), "in_reply_to_id": post.in_reply_to or None,
            "in_reply_to_account_id": parent.author.id if parent else None, "sensitive": False,
            "spoiler_text": "", "visibility": post.extra.get("visibility", "public"), "language": "en",
            "uri": f"https://{post.author.extra.get('domain') or HOST}/users/{post.author.handle}/statuses/{post.id}",
            "url": self.status_url(post), "replies_count": replies, "reblogs_count": reblogs,
            "favourites_count": likes, "quotes_count": 0, "edited_at": None, "favourited": False,
            "reblogged": False, "muted": False, "bookmarked": False, "content": content, "filtered": [],
            "reblog": None, "account": self.account_json(post.author), "media_attachments": media,
            "mentions": mentions, "tags": tags, "emojis": [], "quote": None, "card": None, "poll": None,
        }
        if post.own:
            out["application"] = {"name": "Council Social", "website": None}
            out["pinned"] = False
        return out

    def notification_json(self, post: st.Post, now: float) -> dict:
        notification_id = post.extra["notification"]
        return {"id": notification_id, "type": "mention", "created_at": iso_ms(post.created_at),
                "group_key": f"ungrouped-{notification_id}", "account": self.account_json(post.author),
                "status": self.status_json(post, now)}

    def media_json(self, media: dict) -> dict:
        return {"id": media["id"], "type": "image", "url": media["url"], "preview_url": media["url"],
                "remote_url": None, "preview_remote_url": None, "text_url": None,
                "meta": {"original": {"width": 1200, "height": 800, "size": "1200x800", "aspect": 1.5}},
                "description": media.get("description") or None, "blurhash": "UFBWY:8_0Jxv4nof"}

    # --- paging ---------------------------------------------------------------------------

    @staticmethod
    def id_ms(value: str, notification: bool) -> int | None:
        if not value.isdigit():
            return None
        return int(value) // 1000 if notification else int(value) >> 16

    def id_window(self, req, index: st.Index, *, notification: bool, default: int, hi: int, where=None,
                  path: str):
        """Statuses or notifications with Mastodon's max_id / since_id / min_id and a Link header."""
        try:
            limit = max(1, min(hi, int(req.arg("limit") or default)))
        except ValueError:
            limit = default
        now = self.state.now()
        after = before = None
        for name in ("max_id", "since_id", "min_id"):
            raw = req.arg(name)
            if raw:
                ms = self.id_ms(raw, notification)
                if ms is None:
                    raise Reply(Response.json({"error": "Record not found"}, 404))
                if name == "max_id":
                    before = ms << st.ORDER_BITS
                else:
                    after = max(after or 0, st.max_order(ms))
        oldest_first = bool(req.arg("min_id")) and not req.arg("max_id")
        items, _ = index.window(now, limit=limit, after=after, before=before, oldest_first=oldest_first, where=where)
        if oldest_first:
            items.reverse()
        ids = [p.extra["notification"] if notification else p.id for p in items]
        if req.arg("max_id") and items:
            earlier = index.neighbour(now, items[0].order, newer=True, where=where)
            items = self.apply_page_fault(req, items, earlier)
        else:
            items = self.apply_page_fault(req, items)
        headers = {}
        if ids:
            keep = [(k, v) for k, values in req.query.items() if k not in ("max_id", "min_id", "since_id")
                    for v in values]
            base = f"{req.host_url}/{self.name}{path}"
            headers["Link"] = (f'<{base}?{urlencode(keep + [("max_id", ids[-1])])}>; rel="next", '
                               f'<{base}?{urlencode(keep + [("min_id", ids[0])])}>; rel="prev"')
        return items, headers

    # --- reads ------------------------------------------------------------------------------

    @route("GET", "/api/v1/notifications", buckets=API, listing=True)
    def notifications(self, req):
        types = set(req.args("types"))
        excluded = set(req.args("exclude_types"))
        if (types and "mention" not in types) or "mention" in excluded:
            return Response.json([])
        council = self.council(req.token.account_id)
        index = self.state.index(self.name, f"notifications:{council.id}")
        items, headers = self.id_window(req, index, notification=True, default=40, hi=80,
                                        path="/api/v1/notifications")
        now = self.state.now()
        return Response.json([self.notification_json(p, now) for p in items], headers=headers)

    @route("GET", "/api/v1/timelines/tag/:hashtag", buckets=API, listing=True)
    def tag_timeline(self, req):
        tag = req.params["hashtag"].lower().lstrip("#")

        def has_tag(post: st.Post) -> bool:
            return any(m.lower() == tag for m in TAG_RE.findall(post.text))

        items, headers = self.id_window(req, self.state.index(self.name, "all"), notification=False, default=20, hi=40,
                                        where=has_tag, path=f"/api/v1/timelines/tag/{req.params['hashtag']}")
        now = self.state.now()
        return Response.json([self.status_json(p, now) for p in items], headers=headers)

    @route("GET", "/api/v2/search", buckets=API, listing=True)
    def search(self, req):
        query = (req.arg("q") or "").strip()
        kind = req.arg("type")
        if not query:
            return Response.json({"accounts": [], "statuses": [], "hashtags": []})
        terms = [t.lower() for t in query.split()]
        try:
            limit = max(1, min(40, int(req.arg("limit") or 20)))
            offset = max(0, int(req.arg("offset") or 0))
        except ValueError:
            return self.invalid(req, "limit and offset must be numbers")
        now = self.state.now()
        statuses: list = []
        if kind in (None, "", "statuses"):
            found, _ = self.state.index(self.name, "all").window(
                now, limit=offset + limit, where=lambda p: all(t in p.text.lower() for t in terms))
            statuses = self.apply_page_fault(req, found[offset:])
        accounts = []
        if kind in (None, "", "accounts") and not offset:
            account = self.state.find_account(self.name, query.lstrip("@").split("@")[0])
            accounts = [self.account_json(account)] if account else []
        hashtags = []
        if kind in (None, "", "hashtags") and query.startswith("#"):
            hashtags = [{"name": query[1:].lower(), "url": f"https://{HOST}/tags/{query[1:].lower()}", "history": []}]
        return Response.json({"accounts": accounts, "statuses": [self.status_json(p, now) for p in statuses],
                              "hashtags": hashtags})

    def status_or_404(self, req) -> st.Post:
        post = self.state.post(self.name, req.params["id"])
        if post is None or not post.visible(self.state.now()):
            raise Reply(self.not_found(req))
        return post

    @route("GET", "/api/v1/statuses/:id", buckets=API)
    def get_status(self, req):
        return Response.json(self.status_json(self.status_or_404(req), self.state.now()))

    @route("GET", "/api/v1/statuses/:id/context", buckets=API)
    def context(self, req):
        post = self.status_or_404(req)
        now = self.state.now()
        ancestors, parent_id = [], post.in_reply_to
        while parent_id:
            parent = self.state.post(self.name, parent_id)
            if parent is None:
                break
            if parent.visible(now):
                ancestors.insert(0, parent)
            parent_id = parent.in_reply_to
        descendants, queue = [], list(self.state.visible_children(post, now))
        while queue:
            child = queue.pop(0)
            descendants.append(child)
            queue.extend(self.state.visible_children(child, now))
        return Response.json({"ancestors": [self.status_json(p, now) for p in ancestors],
                              "descendants": [self.status_json(p, now) for p in descendants]})

    @route("GET", "/api/v1/accounts/verify_credentials", buckets=API)
    def verify_credentials(self, req):
        account = self.council(req.token.account_id)
        body = self.account_json(account)
        body["source"] = {"privacy": "public", "sensitive": False, "language": "en", "note": account.bio,
                          "fields": [], "follow_requests_count": 0}
        return Response.json(body)

    @route("GET", "/api/v1/accounts/:id", buckets=API)
    def get_account(self, req):
        account = self.state.account(self.name, req.params["id"])
        if account is None:
            return self.not_found(req)
        return Response.json(self.account_json(account))

    # --- writes ---------------------------------------------------------------------------------

    @route("POST", "/api/v1/statuses", buckets=(("api", 1), ("statuses", 1)))
    def post_status(self, req):
        account = self.council(req.token.account_id)
        key = req.headers.get("Idempotency-Key")
        if key:
            known = self.state.idempotency.get((self.name, account.id, key))
            if known is not None:
                return Response.json(self.status_json(self.state.post(self.name, known), self.state.now()))
        body = req.json() if isinstance(req.json(), dict) else {}
        text = body.get("status") if body else req.arg("status")
        media_ids = body.get("media_ids") if body else req.args("media_ids")
        media_ids = [str(m) for m in media_ids or []]
        text = text or ""
        if not text.strip() and not media_ids:
            return self.invalid(req, "Validation failed: Text can't be blank")
        if len(text) > self.max_text:
            return self.invalid(req, f"Validation failed: Text character limit of {self.max_text} exceeded")
        reply_to = str((body.get("in_reply_to_id") if body else req.arg("in_reply_to_id")) or "")
        if reply_to and self.state.post(self.name, reply_to) is None:
            return self.not_found(req)
        media = []
        for media_id in media_ids:
            found = self.state.post(self.name, f"media:{media_id}")
            if found is None:
                return self.invalid(req, "Validation failed: Media attachment is invalid")
            media.append(found.extra)
        visibility = (body.get("visibility") if body else req.arg("visibility")) or "public"
        extra = {"visibility": visibility}
        if media:
            extra["media"] = media
        status = self.publish(account.id, text, self.state.now(), in_reply_to=reply_to, **extra)
        if key:
            self.state.idempotency[(self.name, account.id, key)] = status.id
        return Response.json(self.status_json(status, self.state.now()))

    @route("DELETE", "/api/v1/statuses/:id", buckets=(("api", 1), ("deletes", 1)))
    def delete_status(self, req):
        post = self.status_or_404(req)
        if post.author.id != req.token.account_id:
            return self.not_found(req)
        body = self.status_json(post, self.state.now())
        body["text"] = post.text
        post.deleted = True
        return Response.json(body)

    @route("POST", "/api/v2/media", buckets=(("api", 1), ("media", 1)))
    def upload_media(self, req):
        files = req.form().get("file")
        if not files:
            return self.invalid(req, "Validation failed: File can't be blank")
        order, _ = self.state.new_order(self.name + ":media", self.state.now())
        media_id = str(order >> 4)
        media = {"id": media_id, "url": f"https://files.{HOST}/media_attachments/{media_id}/original.png",
                 "description": (req.form().get("description") or [""])[0]}
        holder = st.Post(self.name, f"media:{media_id}", order, req.token.account_id, "media", "", self.council(
            req.token.account_id), self.state.now(), extra=media)
        self.state.add_post(holder, [])
        return Response.json(self.media_json(media))

    @route("GET", "/api/v1/media/:id", buckets=API)
    def get_media(self, req):
        holder = self.state.post(self.name, f"media:{req.params['id']}")
        if holder is None:
            return self.not_found(req)
        return Response.json(self.media_json(holder.extra))

    # --- OAuth ---------------------------------------------------------------------------------

    @route("POST", "/api/v1/apps", auth=False)
    def register_app(self, req):
        name = req.arg("client_name") or "app"
        return Response.json({"id": digest(name, length=6), "name": name, "website": req.arg("website"),
                              "redirect_uri": req.arg("redirect_uris") or "urn:ietf:wg:oauth:2.0:oob",
                              "redirect_uris": [req.arg("redirect_uris") or "urn:ietf:wg:oauth:2.0:oob"],
                              "client_id": random_token(nbytes=32), "client_secret": random_token(nbytes=32),
                              "vapid_key": random_token(nbytes=48), "scopes": (req.arg("scopes") or "read").split()})

    @route("GET", "/oauth/authorize", auth=False)
    def authorize(self, req):
        return oauth.authorise(self, req, label="Mastodon")

    @route("POST", "/oauth/token", auth=False)
    def token(self, req):
        client_id, _ = oauth.client_credentials(req)
        grant_type = req.arg("grant_type")
        if grant_type == "authorization_code":
            grant = oauth.redeem(self, req.arg("code"), req.arg("redirect_uri"), req.arg("code_verifier"))
            if isinstance(grant, str):
                return Response.json({"error": "invalid_grant", "error_description": "The provided authorization "
                                      "grant is invalid, expired, revoked, does not match the redirection URI used "
                                      "in the authorization request, or was issued to another client."}, 400)
            account_id, scope = grant.account_id, req.arg("scope") or grant.scope or "read"
        elif grant_type == "client_credentials":
            account_id, scope = self.default_account["id"], req.arg("scope") or "read"
        else:
            return Response.json({"error": "unsupported_grant_type", "error_description": "The authorization grant "
                                  "type is not supported by the authorization server."}, 400)
        access, _ = oauth.issue(self, account_id, client_id=client_id, scope=scope, refresh=False)
        return Response.json({"access_token": access.value, "token_type": "Bearer", "scope": scope,
                              "created_at": int(self.state.now())})

    @route("POST", "/oauth/revoke", auth=False)
    def revoke(self, req):
        oauth.revoke(self, req.arg("token") or "")
        return Response.json({})

    # --- bulk pages -----------------------------------------------------------------------------

    def bulk_page(self, posts, account_id, now, more, start=0):
        return [self.notification_json(p, now) for p in posts]
