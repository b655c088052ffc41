"""Facebook Pages over the Graph API (graph.facebook.com/v21.0/...).

The Page has its own posts (seeded, or published with POST /{page}/feed or /photos);
residents comment on them and reply to comments (GET /{post}/comments, filter=stream
for both, newest first with order=reverse_chronological), and tag the Page in their
own posts (GET /{page}/tagged), which are the Page's mentions. Ids are "<page>_<n>"
for posts and "<post n>_<n>" for comments, as on Facebook.
"""
from __future__ import annotations

import json

from . import state as st
from .core import Reply, Response, iso_plus0000, route, synthetic_request
from .generator import OWN_POSTS
from .sim_graph import Field, GraphSim, Ref

ADMIN = {"id": "100000000000001", "name": "Kingsmere Comms Team"}
INSIGHTS = {
    "page_impressions": ("Daily Total Impressions", 5200),
    "page_impressions_unique": ("Daily Total Reach", 3100),
    "page_post_engagements": ("Daily Post Engagements", 640),
    "page_fans": ("Lifetime Total Likes", 21980),
    "page_follows": ("Lifetime Page Followers", 23450),
    "page_daily_follows": ("Daily New Followers", 18),
    "page_views_total": ("Daily Total Views count per Page", 410),
    "page_video_views": ("Daily Total Video Views", 900),
    "page_video_view_time": ("Daily Total Video View Time (in MS)", 5_400_000),
    "page_actions_post_reactions_total": ("Daily total post reactions of a page", 380),
}


class FacebookSim(GraphSim):
    name = "facebook"
    max_text = 63206
    generated_kinds = (st.KIND_COMMENT, st.KIND_COMMENT, st.KIND_MENTION)
    default_account = {"id": "108123456789012", "handle": "KingsmereBC", "name": "Kingsmere Borough Council",
                       "followers": 23450, "posts": 3120}
    node_names = {"page": "Page", "post": "Post", "comment": "Comment", "user": "User", "admin": "User",
                  "managed_page": "Page", "photo": "Photo"}

    # --- ids and nodes --------------------------------------------------------------

    @staticmethod
    def local(order: int) -> str:
        return f"{st.order_ms(order)}{order % 100:02d}"

    def node(self, object_id):
        post = self.state.post(self.name, object_id)
        if post is not None:
            return (post.extra.get("node", "post"), post) if not post.deleted else None
        account = self.state.account(self.name, object_id)
        if account is not None:
            return ("page" if account.extra.get("council") else "user"), account
        if object_id == ADMIN["id"]:
            return "admin", self.council()
        return None

    def make_author(self, persona):
        return st.Account(self.name, str(100_000_000_000_000 + persona.key * 7), persona.handle, persona.name,
                          followers=persona.followers, verified=persona.verified, bio=persona.bio)

    def mention_for(self, account, kind):
        return account.name if kind == st.KIND_MENTION else ""

    def seed_council(self, account):
        now = self.state.now()
        for i, text in enumerate(OWN_POSTS[:5]):
            self.publish(account.id, text, now - 86400 * (5 - i) - 3600, seeded=True)

    def permalink(self, post: st.Post) -> str:
        if post.extra.get("node") == "comment":
            root = self.state.post(self.name, post.root_id)
            owner, post_n = root.id.split("_", 1)
            url = f"https://www.facebook.com/{owner}/posts/{post_n}/?comment_id="
            if post.kind == st.KIND_REPLY:
                return url + f"{post.in_reply_to.split('_')[-1]}&reply_comment_id={post.id.split('_')[-1]}"
            return url + post.id.split("_")[-1]
        owner, post_n = post.id.split("_", 1)
        return f"https://www.facebook.com/{owner}/posts/{post_n}/"

    # --- adding items -----------------------------------------------------------------

    def _post(self, account_id, kind, text, author, created_at, **fields) -> st.Post:
        order, created_at = self.state.new_order(self.name, created_at)
        extra = fields.pop("extra", {})
        return st.Post(self.name, "", order, account_id, kind, text, author, created_at, extra=extra, **fields)

    def latest_own(self, account_id: str, before: float) -> st.Post | None:
        found, _ = self.state.index(self.name, f"posts:{account_id}").window(before, limit=1)
        return found[0] if found else None

    def add_item(self, account_id, kind, text, author, created_at, in_reply_to="", **engagement):
        page = self.council(account_id)
        counts = {k: engagement.get(k, 0) for k in ("likes", "replies", "reshares")}
        counts["tau"] = engagement.get("tau", 0.0)
        parent = self.state.post(self.name, in_reply_to) if in_reply_to else None
        if kind == st.KIND_MENTION and parent is None:
            post = self._post(page.id, kind, text, author, created_at, extra={"node": "post", "tagged": True},
                              **counts)
            post.id = f"{author.id}_{self.local(post.order)}"
            return self.state.add_post(post, [f"tagged:{page.id}"])
        if parent is not None and parent.extra.get("node") == "comment":
            if parent.kind == st.KIND_REPLY:  # Facebook threads are two levels deep
                parent = self.state.post(self.name, parent.in_reply_to)
            return self.add_comment(page.id, parent.root_id, text, author, created_at, parent_id=parent.id,
                                    **counts)
        if parent is None or parent.extra.get("tagged"):
            parent = self.latest_own(page.id, created_at) or self.latest_own(page.id, self.state.now())
        return self.add_comment(page.id, parent.id, text, author, created_at, **counts)

    def add_comment(self, page_id: str, post_id: str, text: str, author: st.Account, created_at: float,
                    parent_id: str = "", **counts) -> st.Post:
        kind = st.KIND_REPLY if parent_id else st.KIND_COMMENT
        post = self._post(page_id, kind, text, author, created_at, in_reply_to=parent_id or post_id,
                          root_id=post_id, extra={"node": "comment"}, **counts)
        post.id = f"{post_id.split('_', 1)[1]}_{self.local(post.order)}"
        indexes = [f"comments:{post_id}"] + ([f"replies:{parent_id}"] if parent_id else [])
        return self.state.add_post(post, indexes)

    def publish(self, account_id, text, created_at, in_reply_to="", seeded=False, **extra):
        page = self.council(account_id)
        post = self._post(page.id, st.KIND_POST, text, page, created_at, extra={"node": "post", **extra})
        post.id = f"{page.id}_{self.local(post.order)}"
        post.own = True
        self.state.add_post(post, [f"posts:{page.id}", f"feed:{page.id}"])
        page.posts_count += 1
        if not seeded:
            self.state.record_created(post, "post", **{k: v for k, v in extra.items() if k != "node"})
        return post

    def describe(self, post):
        return {"id": post.id, "post_id": post.root_id or post.id, "permalink_url": self.permalink(post)}

    # --- rendering ------------------------------------------------------------------

    def node_fields(self, kind, obj, now, req):
        if kind in ("page", "managed_page"):
            account, token = obj if kind == "managed_page" else (obj, None)
            return {
                "id": account.id, "name": account.name, "username": account.handle,
                "fan_count": int(account.followers * 0.94), "followers_count": account.followers,
                "about": "Official page of Kingsmere Borough Council. Report issues online 24/7.",
                "category": "Local government", "link": f"https://www.facebook.com/{account.handle}",
                "category_list": [{"id": "2235", "name": "Government Organization"}],
                "verification_status": "blue_verified", "talking_about_count": 412, "were_here_count": 0,
                "access_token": token.value if token else None,
                "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"] if token else None,
                "instagram_business_account": None,
            }
        if kind == "admin":
            return dict(ADMIN)
        if kind == "user":
            return {"id": obj.id, "name": obj.name}
        if kind == "photo":
            return {"id": obj.id, "name": obj.text, "created_time": iso_plus0000(obj.created_at),
                    "images": [{"source": obj.extra.get("url", ""), "height": 720, "width": 720}]}
        likes, replies, shares = obj.engagement(now)
        author = Ref("page" if obj.author.extra.get("council") else "user", obj.author)
        common = {"id": obj.id, "message": obj.text or None, "created_time": iso_plus0000(obj.created_at),
                  "from": author, "permalink_url": self.permalink(obj), "is_hidden": obj.hidden}
        if kind == "comment":
            parent = self.state.post(self.name, obj.in_reply_to) if obj.kind == st.KIND_REPLY else None
            return {**common, "like_count": likes,
                    "comment_count": len(self.state.visible_children(obj, now)),
                    "parent": Ref("comment", parent) if parent else None, "can_hide": not obj.own,
                    "can_remove": True, "can_comment": obj.kind != st.KIND_REPLY, "can_reply_privately": not obj.own,
                    "user_likes": False, "message_tags": [], "attachment": None,
                    "object": Ref("post", self.state.post(self.name, obj.root_id))}
        comments, _ = self.state.index(self.name, f"comments:{obj.id}").window(now, limit=1)
        updated = max(obj.created_at, comments[0].created_at) if comments else obj.created_at
        tags = []
        if obj.extra.get("tagged"):
            page = self.council(obj.account_id)
            offset = obj.text.find(page.name)
            tags = [{"id": page.id, "name": page.name, "type": "page", "offset": max(0, offset),
                     "length": len(page.name)}]
        images = obj.extra.get("images") or []
        return {**common, "updated_time": iso_plus0000(updated), "is_published": True,
                "status_type": "added_photos" if images else (
                    "shared_story" if obj.extra.get("link") else "mobile_status_update"),
                "shares": {"count": shares} if shares else None,
                "full_picture": images[0] if images else None, "picture": images[0] if images else None,
                "message_tags": tags, "tagged_time": iso_plus0000(obj.created_at) if obj.extra.get("tagged") else None,
                "story": None, "privacy": {"value": "EVERYONE", "description": "Public", "friends": "",
                                           "allow": "", "deny": ""},
                "attachments": {"data": [{"media_type": "photo", "type": "photo",
                                          "media": {"image": {"src": url, "height": 720, "width": 720}}}
                                         for url in images]} if images else None,
                "link": obj.extra.get("link")}

    def default_fields(self, kind):
        return {"post": ["created_time", "message", "id"], "comment": ["created_time", "from", "message", "id"],
                "page": ["name", "id"], "user": ["name", "id"], "admin": ["name", "id"]}.get(kind, ["id"])

    def node_edges(self, kind):
        if kind in ("post", "comment"):
            return {"comments": self.comments_edge, "reactions": self.reactions_edge, "likes": self.likes_edge}
        return {}

    def comments_params(self, obj: st.Post, modifiers: dict) -> dict:
        if obj.extra.get("node") == "comment":
            index = self.state.index(self.name, f"replies:{obj.id}")
            where = None
        else:
            index = self.state.index(self.name, f"comments:{obj.id}")
            stream = modifiers.get("filter") == "stream"
            where = None if stream else (lambda p: p.kind == st.KIND_COMMENT)
        order = modifiers.get("order") or "chronological"
        if order not in ("chronological", "reverse_chronological", "ranked"):
            raise Reply(self.error(100, f"(#100) order must be one of chronological, reverse_chronological, "
                                        f"ranked: {order}"))
        return {"index": index, "where": where, "newest_first": order == "reverse_chronological", "order": order}

    def comments_edge(self, obj, field: Field, req, now):
        spec = self.comments_params(obj, field.mods)
        summary = None
        if field.mods.get("summary") in ("true", "1", "total_count"):
            summary = {"order": spec["order"], "total_count": spec["index"].count(now, where=spec["where"]),
                       "can_comment": True}
        return self.edge_page(req, object_id=obj.id, edge="comments", index=spec["index"], kind="comment",
                              fields=field.sub, limit=self.limit_of(req, 25, field), newest_first=spec["newest_first"],
                              where=spec["where"], params={}, nested_fields=field.sub_text, summary=summary)

    def reactions_edge(self, obj, field, req, now):
        return {"data": [], "summary": {"total_count": obj.engagement(now)[0], "viewer_reaction": "NONE"}}

    def likes_edge(self, obj, field, req, now):
        return {"data": [], "summary": {"total_count": obj.engagement(now)[0], "can_like": True, "has_liked": False}}

    # --- reads ----------------------------------------------------------------------

    def page_of(self, req) -> st.Account:
        found = self.node(req.params["id"])
        if found is None or found[0] != "page":
            raise Reply(self.missing(req.params["id"]))
        return found[1]

    def list_posts(self, req, index_name: str):
        page = self.page_of(req)
        return Response.json(self.edge_page(
            req, object_id=page.id, edge=req.endpoint.rsplit("/", 1)[-1],
            index=self.state.index(self.name, f"{index_name}:{page.id}"), kind="post", fields=self.requested(req),
            limit=self.limit_of(req)))

    @route("GET", "/:id/feed", buckets=GraphSim.READ, listing=True)
    def feed(self, req):
        return self.list_posts(req, "feed")

    @route("GET", "/:id/posts", buckets=GraphSim.READ, listing=True)
    def posts(self, req):
        return self.list_posts(req, "posts")

    @route("GET", "/:id/published_posts", buckets=GraphSim.READ, listing=True)
    def published_posts(self, req):
        return self.list_posts(req, "posts")

    @route("GET", "/:id/tagged", buckets=GraphSim.READ, listing=True)
    def tagged(self, req):
        return self.list_posts(req, "tagged")

    @route("GET", "/:id/comments", buckets=GraphSim.READ, listing=True)
    def comments(self, req):
        found = self.node(req.params["id"])
        if found is None or found[0] not in ("post", "comment"):
            return self.missing(req.params["id"])
        obj = found[1]
        spec = self.comments_params(obj, {k: v[0] for k, v in req.query.items()})
        summary = None
        if req.arg("summary") in ("true", "1"):
            summary = {"order": spec["order"], "total_count": spec["index"].count(self.state.now(), where=spec["where"]),
                       "can_comment": True}
        return Response.json(self.edge_page(req, object_id=obj.id, edge="comments", index=spec["index"],
                                            kind="comment", fields=self.requested(req), limit=self.limit_of(req),
                                            newest_first=spec["newest_first"], where=spec["where"], summary=summary))

    @route("GET", "/:id/insights", buckets=GraphSim.READ)
    def insights(self, req):
        page = self.page_of(req)
        names = [m for raw in req.args("metric") for m in raw.split(",") if m]
        unknown = [m for m in names if m not in INSIGHTS]
        if unknown or not names:
            return self.error(100, "(#100) The value must be a valid insights metric")
        period = req.arg("period") or "day"
        now = self.state.now()
        data = []
        for name in names:
            title, base = INSIGHTS[name]
            values = []
            for days_ago in (2, 1):
                end = (int(now // 86400) - days_ago + 1) * 86400 + 8 * 3600
                values.append({"value": base + int(now // 86400 - days_ago) % 37 * (base // 50 or 1),
                               "end_time": iso_plus0000(end)})
            data.append({"name": name, "period": period, "values": values, "title": title,
                         "description": title, "id": f"{page.id}/insights/{name}/{period}"})
        return Response.json({"data": data})

    # --- writes ---------------------------------------------------------------------

    def require_page_token(self, req, page: st.Account) -> None:
        if req.token.extra.get("user") or req.token.account_id != page.id:
            raise Reply(self.error(200, "(#200) If posting to a page, requires both pages_read_engagement and "
                                        "pages_manage_posts as an admin with sufficient administrative permission",
                                   type_="OAuthException", status=403))

    @route("POST", "/:id/feed", buckets=GraphSim.READ)
    def post_feed(self, req):
        page = self.page_of(req)
        self.require_page_token(req, page)
        message = req.arg("message") or ""
        link = req.arg("link") or ""
        images = []
        for i in range(10):
            raw = req.arg(f"attached_media[{i}]")
            if raw is None:
                break
            try:
                photo = self.state.post(self.name, str(json.loads(raw)["media_fbid"]))
            except (ValueError, KeyError, TypeError):
                photo = None
            if photo is None or photo.extra.get("node") != "photo":
                return self.error(100, f"(#100) attached_media[{i}] is not a valid photo")
            images.append(photo.extra["url"])
        if not message and not link and not images:
            return self.error(100, "(#100) Requires one of the params: message, link, attached_media")
        extra = {}
        if link:
            extra["link"] = link
        if images:
            extra["images"] = images
        post = self.publish(page.id, message, self.state.now(), **extra)
        return Response.json({"id": post.id})

    @route("POST", "/:id/photos", buckets=GraphSim.READ)
    def post_photo(self, req):
        page = self.page_of(req)
        self.require_page_token(req, page)
        url = req.arg("url")
        if not url and not req.args("source"):
            return self.error(324, "(#324) Requires upload file")
        caption = req.arg("caption") or req.arg("message") or ""
        now = self.state.now()
        photo = self._post(page.id, "photo", caption, page, now, extra={"node": "photo", "url": url or ""})
        photo.id = self.local(photo.order)
        self.state.add_post(photo, [])
        if (req.arg("published") or "true").lower() == "false":
            return Response.json({"id": photo.id})
        post = self.publish(page.id, caption, now, images=[url or ""])
        return Response.json({"id": photo.id, "post_id": post.id})

    @route("POST", "/:id/comments", buckets=GraphSim.READ)
    def post_comment(self, req):
        found = self.node(req.params["id"])
        if found is None or found[0] not in ("post", "comment"):
            return self.missing(req.params["id"])
        obj = found[1]
        page = self.council(obj.account_id)
        self.require_page_token(req, page)
        message = req.arg("message") or ""
        if not message and not req.arg("attachment_url"):
            return self.error(100, "(#100) Missing message or attachment")
        if obj.extra.get("node") == "comment":
            parent = self.state.post(self.name, obj.in_reply_to) if obj.kind == st.KIND_REPLY else obj
            post = self.add_comment(page.id, parent.root_id, message, page, self.state.now(), parent_id=parent.id)
        else:
            post = self.add_comment(page.id, obj.id, message, page, self.state.now())
        post.own = True
        self.state.record_created(post, "reply", target=obj.id)
        out = {"id": post.id}
        fields = self.requested(req)
        if fields:
            out = self.render("comment", post, fields, req, self.state.now())
        return Response.json(out)

    @route("POST", "/:id", buckets=GraphSim.READ)
    def update_node(self, req):
        found = self.node(req.params["id"])
        if found is None:
            return self.missing(req.params["id"])
        kind, obj = found
        hidden = req.arg("is_hidden")
        if hidden is None or kind not in ("comment", "post"):
            return self.error(100, "(#100) No supported field to update was given (is_hidden)")
        self.require_page_token(req, self.council(obj.account_id))
        if obj.own:
            return self.error(100, "(#100) A Page cannot hide its own comments or posts")
        obj.hidden = hidden.lower() == "true"
        return Response.json({"success": True})

    @route("DELETE", "/:id", buckets=GraphSim.READ)
    def delete_node(self, req):
        found = self.node(req.params["id"])
        if found is None or found[0] not in ("comment", "post", "photo"):
            return self.missing(req.params["id"])
        obj = found[1]
        self.require_page_token(req, self.council(obj.account_id))
        if found[0] == "post" and not obj.own:
            return self.error(200, "(#200) Permissions error: a Page can delete only its own posts")
        obj.deleted = True
        return Response.json({"success": True})

    # --- bulk pages ---------------------------------------------------------------------

    def bulk_page(self, posts, account_id, now, more, start=0):
        fields = [Field("id"), Field("message"), Field("created_time"), Field("from", sub=[Field("id"), Field("name")]),
                  Field("permalink_url"), Field("like_count"), Field("comment_count"), Field("parent", sub=[Field("id")])]

        req = synthetic_request(self.name)
        data = []
        for post in posts:
            kind = post.extra.get("node", "post")
            wanted = fields if kind == "comment" else [Field("id"), Field("message"), Field("created_time"),
                                                       Field("tagged_time"), Field("from", sub=[Field("id"),
                                                                                              Field("name")]),
                                                       Field("permalink_url")]
            data.append(self.render(kind, post, wanted, req, now))
        body: dict = {"data": data}
        if posts:
            body["paging"] = {"cursors": {"before": self.cursor(posts[0]), "after": self.cursor(posts[-1])}}
            if more:
                body["paging"]["next"] = (f"https://graph.facebook.com/v21.0/{account_id}/feed?limit={len(posts)}"
                                          f"&after={self.cursor(posts[-1])}")
        return body
