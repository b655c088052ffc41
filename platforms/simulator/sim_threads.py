"""Threads (graph.threads.net/v1.0/...), with the response shapes of Meta's Threads API documentation.

Residents tag the council's account in their posts (GET /{user}/mentions) and reply to its posts
(GET /{media}/conversation and /replies, flattened with root_post and replied_to); any public post
with the words asked for is found by GET /keyword_search. The council posts through containers:
POST /{user}/threads (TEXT, IMAGE with alt_text, CAROUSEL), GET /{container}?fields=status,
POST /{user}/threads_publish; replies carry reply_to_id; POST /{reply}/manage_reply hides one.
OAuth: /oauth/authorize, POST /oauth/access_token, GET /access_token (th_exchange_token) and
GET /refresh_access_token (th_refresh_token).
"""
from __future__ import annotations

from . import oauth
from . import state as st
from .core import Response, iso_plus0000, route
from .generator import OWN_POSTS
from .sim_graph import GraphSim

LONG_LIVED = 5184000  # 60 days
SHORT_LIVED = 3600
PUBLISH_QUOTA = 250  # posts per rolling 24 hours
INSIGHTS = {"followers_count": None, "views": 5200, "likes": 310, "replies": 44, "reposts": 12, "quotes": 3}


class ThreadsSim(GraphSim):
    name = "threads"
    label = "Threads"
    max_text = 500
    buc_type = "threads"
    account_throttle = (4, "(#4) Application request limit reached")
    generated_kinds = (st.KIND_MENTION, st.KIND_MENTION, st.KIND_REPLY, st.KIND_COMMENT)
    default_account = {"id": "26120000000000001", "handle": "kingsmerebc", "name": "Kingsmere Borough Council",
                       "followers": 4200, "following": 90, "posts": 0}
    node_names = {"user": "ThreadsUser", "media": "ThreadsMedia", "container": "ThreadsMediaContainer"}

    def node(self, object_id):
        post = self.state.post(self.name, object_id)
        if post is not None:
            return None if post.deleted else (post.extra.get("node", "media"), post)
        account = self.state.account(self.name, object_id)
        return ("user", account) if account is not None else None

    def make_author(self, persona):
        return st.Account(self.name, str(26_000_000_000_000_000 + persona.key * 7), persona.handle.lower()[:30],
                          persona.name, followers=persona.followers, verified=persona.verified, bio=persona.bio)

    def mention_for(self, account, kind):
        return "@" + account.handle if kind == st.KIND_MENTION else ""

    def seed_council(self, account):
        now = self.state.now()
        for i, text in enumerate(OWN_POSTS[1:4]):
            self.publish(account.id, text, now - 86400 * (3 - i) - 3600, seeded=True)

    def _post(self, account_id, kind, text, author, created_at, node="media", **fields) -> st.Post:
        order, created_at = self.state.new_order(self.name, created_at)
        extra = {"node": node, **fields.pop("extra", {})}
        return st.Post(self.name, str(18_000_000_000_000_000 + st.order_ms(order) * 10 + order % 10), order,
                       account_id, kind, text, author, created_at, extra=extra, **fields)

    def add_item(self, account_id, kind, text, author, created_at, in_reply_to="", **engagement):
        account = self.council(account_id)
        counts = {k: engagement.get(k, 0) for k in ("likes", "replies", "reshares")}
        counts["tau"] = engagement.get("tau", 0.0)
        parent = self.state.post(self.name, in_reply_to) if in_reply_to else None
        if kind == st.KIND_MENTION and parent is None:
            post = self._post(account.id, kind, text, author, created_at, **counts)
            return self.state.add_post(post, [f"mentions:{account.id}", "public"])
        own_thread = parent is not None and (parent.own or (self.state.post(self.name, parent.root_id) or parent).own)
        if not own_thread:  # residents reply under the council's own posts
            found, _ = self.state.index(self.name, f"threads:{account.id}").window(created_at, limit=1)
            if not found:
                found, _ = self.state.index(self.name, f"threads:{account.id}").window(self.state.now(), limit=1)
            parent = found[0]
        root = parent.root_id or parent.id
        reply = self._post(account.id, st.KIND_REPLY, text, author, created_at, in_reply_to=parent.id, root_id=root,
                           **counts)
        parent.children.append(reply.id)
        return self.state.add_post(reply, [f"conversation:{root}", f"replies:{parent.id}", "public"])

    def publish(self, account_id, text, created_at, in_reply_to="", seeded=False, **extra):
        account = self.council(account_id)
        parent = self.state.post(self.name, in_reply_to) if in_reply_to else None
        post = self._post(account.id, st.KIND_POST if parent is None else st.KIND_REPLY, text, account, created_at,
                          extra=extra, in_reply_to=parent.id if parent else "",
                          root_id=(parent.root_id or parent.id) if parent else "")
        post.own = True
        if parent is None:
            self.state.add_post(post, [f"threads:{account.id}", "public"])
        else:
            parent.children.append(post.id)
            self.state.add_post(post, [f"conversation:{post.root_id}", f"replies:{parent.id}", "public"])
        account.posts_count += 1
        if not seeded:
            self.state.record_created(post, "reply" if parent else "post", **extra)
        return post

    def describe(self, post):
        return {"id": post.id, "root_id": post.root_id or post.id, "permalink": self.permalink(post)}

    def permalink(self, post) -> str:
        return f"https://www.threads.net/@{post.author.handle}/post/{post.id[-11:]}"

    # --- rendering ------------------------------------------------------------------------

    def node_fields(self, kind, obj, now, req):
        if kind == "user":
            return {"id": obj.id, "username": obj.handle, "name": obj.name, "threads_biography": obj.bio,
                    "threads_profile_picture_url": f"https://scontent.cdninstagram.com/threads/{obj.handle}.jpg"}
        if kind == "container":
            return {"id": obj.id, "status": obj.extra["status"], "error_message": None}
        images = obj.extra.get("images") or []
        root = obj.root_id or obj.id
        return {"id": obj.id, "text": obj.text, "username": obj.author.handle, "permalink": self.permalink(obj),
                "timestamp": iso_plus0000(obj.created_at), "shortcode": obj.id[-11:],
                "media_type": "TEXT_POST" if not images else "IMAGE" if len(images) == 1 else "CAROUSEL_ALBUM",
                "media_product_type": "THREADS", "is_quote_post": False,
                "is_reply": bool(obj.in_reply_to), "has_replies": bool(obj.children),
                "replied_to": {"id": obj.in_reply_to} if obj.in_reply_to else None,
                "root_post": {"id": root} if obj.in_reply_to else None,
                "hide_status": "HIDDEN" if obj.hidden else "NOT_HUSHED",
                "alt_text": obj.extra.get("alt_text") if images else None,
                "owner": {"id": obj.author.id} if obj.own else None}

    def default_fields(self, kind):
        return ["id"]

    def account_of(self, req) -> st.Account:
        from .core import Reply

        object_id = req.params["id"]
        if object_id == "me":
            object_id = req.token.account_id
        found = self.node(object_id)
        if found is None or found[0] != "user":
            raise Reply(self.missing(req.params["id"]))
        return found[1]

    def media_of(self, req) -> st.Post:
        from .core import Reply

        found = self.node(req.params["id"])
        if found is None or found[0] != "media":
            raise Reply(self.missing(req.params["id"]))
        return found[1]

    def listing(self, req, object_id, edge, index_name, newest_first=True, where=None):
        return Response.json(self.edge_page(req, object_id=object_id, edge=edge,
                                            index=self.state.index(self.name, index_name), kind="media",
                                            fields=self.requested(req), limit=self.limit_of(req),
                                            newest_first=newest_first, where=where))

    # --- reads ----------------------------------------------------------------------------

    @route("GET", "/:id/mentions", buckets=GraphSim.READ, listing=True)
    def mentions(self, req):
        account = self.account_of(req)
        return self.listing(req, account.id, "mentions", f"mentions:{account.id}")

    @route("GET", "/:id/threads", buckets=GraphSim.READ, listing=True)
    def user_threads(self, req):
        account = self.account_of(req)
        return self.listing(req, account.id, "threads", f"threads:{account.id}")

    @route("GET", "/:id/conversation", buckets=GraphSim.READ, listing=True)
    def conversation(self, req):
        media = self.media_of(req)
        newest_first = (req.arg("reverse") or "true").lower() != "false"
        return self.listing(req, media.id, "conversation", f"conversation:{media.root_id or media.id}",
                            newest_first=newest_first)

    @route("GET", "/:id/replies", buckets=GraphSim.READ, listing=True)
    def replies(self, req):
        media = self.media_of(req)
        newest_first = (req.arg("reverse") or "true").lower() != "false"
        return self.listing(req, media.id, "replies", f"replies:{media.id}", newest_first=newest_first)

    @route("GET", "/keyword_search", buckets=GraphSim.READ, listing=True)
    def keyword_search(self, req):
        words = (req.arg("q") or "").lower()
        if not words.strip():
            return self.error(100, "(#100) The parameter q is required")
        if (req.arg("search_type") or "TOP").upper() not in ("TOP", "RECENT"):
            return self.error(100, "(#100) search_type must be TOP or RECENT")
        return self.listing(req, "keyword_search", "keyword_search", "public",
                            where=lambda post: words in post.text.lower() and not post.hidden)

    @route("GET", "/:id/threads_insights", buckets=GraphSim.READ)
    def insights(self, req):
        account = self.account_of(req)
        names = [m for raw in req.args("metric") for m in raw.split(",") if m]
        if not names or any(m not in INSIGHTS for m in names):
            return self.error(100, "(#100) metric must be one of: " + ", ".join(INSIGHTS))
        out = []
        for m in names:
            value = account.followers if m == "followers_count" else INSIGHTS[m]
            out.append({"name": m, "period": "lifetime" if m == "followers_count" else "day", "title": m,
                        "description": m, "id": f"{account.id}/insights/{m}/lifetime",
                        "total_value": {"value": value}})
        return Response.json({"data": out})

    @route("GET", "/:id/threads_publishing_limit", buckets=GraphSim.READ)
    def publishing_limit(self, req):
        account = self.account_of(req)
        now = self.state.now()
        used = sum(1 for e in self.state.created if e["platform"] == self.name and e["account_id"] == account.id
                   and e.get("created_at", now) > now - 86400)
        return Response.json({"data": [{"quota_usage": used, "config": {"quota_total": PUBLISH_QUOTA,
                                                                        "quota_duration": 86400}}]})

    # --- writes -----------------------------------------------------------------------------

    @route("POST", "/:id/threads", buckets=GraphSim.READ)
    def create_container(self, req):
        account = self.account_of(req)
        if req.token.account_id != account.id:
            return self.error(10, "(#10) Application does not have permission for this action", status=403)
        media_type = (req.arg("media_type") or "").upper()
        text = req.arg("text") or ""
        if len(text) > self.max_text:
            return self.error(100, f"(#100) The text is longer than {self.max_text} characters")
        images: list[str] = []
        if media_type == "CAROUSEL":
            children = [c for c in (req.arg("children") or "").split(",") if c]
            if not 2 <= len(children) <= 20:
                return self.error(100, "(#100) A carousel needs between 2 and 20 children")
            for child_id in children:
                child = self.state.post(self.name, child_id)
                if child is None or child.extra.get("node") != "container":
                    return self.error(100, f"(#100) Invalid carousel child {child_id}")
                images += child.extra["images"]
        elif media_type == "IMAGE":
            if not req.arg("image_url"):
                return self.error(100, "(#100) image_url is required for an IMAGE")
            images = [req.arg("image_url")]
        elif media_type != "TEXT" or not text:
            return self.error(100, "(#100) media_type must be TEXT (with text), IMAGE or CAROUSEL")
        reply_to = req.arg("reply_to_id") or ""
        if reply_to and self.node(reply_to) is None:
            return self.missing(reply_to)
        container = self._post(account.id, "container", text, account, self.state.now(), node="container",
                               extra={"status": "FINISHED", "images": images, "alt_text": req.arg("alt_text") or "",
                                      "reply_to": reply_to})
        self.state.add_post(container, [])
        return Response.json({"id": container.id})

    @route("POST", "/:id/threads_publish", buckets=GraphSim.READ)
    def threads_publish(self, req):
        account = self.account_of(req)
        container = self.state.post(self.name, req.arg("creation_id") or "")
        if container is None or container.extra.get("node") != "container" or container.account_id != account.id:
            return self.error(100, "(#100) Invalid creation_id")
        if container.extra["status"] == "PUBLISHED":
            return self.error(100, "(#100) The media container has already been published")
        extra = {k: container.extra[k] for k in ("images", "alt_text") if container.extra.get(k)}
        post = self.publish(account.id, container.text, self.state.now(), in_reply_to=container.extra["reply_to"],
                            **extra)
        container.extra["status"] = "PUBLISHED"
        return Response.json({"id": post.id})

    @route("POST", "/:id/manage_reply", buckets=GraphSim.READ)
    def manage_reply(self, req):
        reply = self.media_of(req)
        if not reply.in_reply_to or req.arg("hide") is None:
            return self.error(100, "(#100) Only replies can be hidden (hide=true|false)")
        root = self.state.post(self.name, reply.root_id)
        if root is None or req.token.account_id != root.author.id:
            return self.error(10, "(#10) Only the author of the root post can hide its replies", status=403)
        reply.hidden = req.arg("hide").lower() == "true"
        return Response.json({"success": True})

    @route("DELETE", "/:id", buckets=GraphSim.READ)
    def delete_media(self, req):
        media = self.media_of(req)
        if req.token.account_id != media.author.id:
            return self.error(10, "(#10) Only the author can delete a post", status=403)
        media.deleted = True
        return Response.json({"success": True})

    # --- OAuth --------------------------------------------------------------------------

    @route("GET", "/oauth/authorize", auth=False)
    def authorize(self, req):
        return oauth.authorise(self, req, label=self.label)

    @route("POST", "/oauth/access_token", auth=False)
    def code_for_token(self, req):
        client_id, _ = oauth.client_credentials(req)
        grant = oauth.redeem(self, req.arg("code"), req.arg("redirect_uri"), None)
        if isinstance(grant, str):
            return self.error(100, "Invalid verification code format.", subcode=36007)
        token = self.user_token(grant.account_id, client_id or grant.client_id, grant.scope, SHORT_LIVED)
        return Response.json({"access_token": token.value, "user_id": grant.account_id})

    def _exchange(self, req, grant_type: str):
        if req.arg("grant_type") != grant_type:
            return self.error(100, f"(#100) grant_type must be {grant_type}")
        old = self.state.tokens.get(req.arg("access_token") or "")
        if old is None or old.platform != self.name or old.revoked or (
                old.expires_at is not None and old.expires_at <= self.state.now()):
            return self.auth_error(req, "invalid" if old is None else "revoked" if old.revoked else "expired")
        token = self.user_token(old.account_id, old.client_id, old.scope, LONG_LIVED)
        return Response.json({"access_token": token.value, "token_type": "bearer", "expires_in": LONG_LIVED})

    @route("GET", "/access_token", auth=False)
    def long_lived(self, req):
        return self._exchange(req, "th_exchange_token")

    @route("GET", "/refresh_access_token", auth=False)
    def refresh_token(self, req):
        return self._exchange(req, "th_refresh_token")

    @route("GET", "/me", buckets=GraphSim.READ)
    def me(self, req):
        return Response.json(self.render("user", self.council(req.token.account_id), self.requested(req), req,
                                         self.state.now()))
