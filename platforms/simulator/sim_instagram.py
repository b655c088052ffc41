"""Instagram business accounts over the Graph API (graph.facebook.com/v21.0/...).

The account has its own media; residents comment on it and reply to comments
(GET /{media}/comments with nested replies{...}, GET /{comment}/replies), and tag the
account in their own media (GET /{ig-user}/tags), which are its mentions (also readable
one by one with ?fields=mentioned_media.media_id(ID){...}). Publishing goes through
containers: POST /{ig-user}/media, GET /{container}?fields=status_code,
POST /{ig-user}/media_publish.
"""
from __future__ import annotations

import base64
import zlib

from . import state as st
from .core import Reply, Response, iso_plus0000, route, synthetic_request
from .generator import OWN_POSTS
from .sim_graph import Field, GraphSim, Ref

PAGE = {"id": "108123456789012", "name": "Kingsmere Borough Council"}
PUBLISH_QUOTA = 100  # posts per rolling 24 hours
INSIGHTS = {"reach": 1800, "impressions": 4200, "profile_views": 140, "follower_count": 12, "website_clicks": 9,
            "accounts_engaged": 260, "total_interactions": 410}


class InstagramSim(GraphSim):
    name = "instagram"
    label = "Instagram"
    max_text = 2200
    buc_type = "instagram"
    account_throttle = (80002, "(#80002) There have been too many calls to this Instagram account. "
                               "Wait a bit and try again.")
    generated_kinds = (st.KIND_COMMENT, st.KIND_COMMENT, st.KIND_MENTION)
    default_account = {"id": "17841400000000001", "handle": "kingsmerebc", "name": "Kingsmere Borough Council",
                       "followers": 9120, "following": 310, "posts": 0}
    node_names = {"ig_user": "IGUser", "media": "IGMedia", "comment": "IGComment", "container": "ShadowIGMedia",
                  "user": "IGUser", "managed_page": "Page", "admin": "User"}

    # --- ids and nodes ----------------------------------------------------------------

    @staticmethod
    def ig_id(base: int, order: int) -> str:
        return str(base + st.order_ms(order) * 10 + order % 10)

    def node(self, object_id):
        post = self.state.post(self.name, object_id)
        if post is not None:
            return None if post.deleted else (post.extra["node"], post)
        account = self.state.account(self.name, object_id)
        if account is not None:
            return ("ig_user" if account.extra.get("council") else "user"), account
        return None

    def make_author(self, persona):
        handle = persona.handle.lower()[:30]
        return st.Account(self.name, str(17_841_000_000_000_000 + persona.key * 13), handle, persona.name,
                          followers=persona.followers, verified=persona.verified, bio=persona.bio)

    def mention_for(self, account, kind):
        return "@" + account.handle if kind == st.KIND_MENTION else ""

    def seed_council(self, account):
        now = self.state.now()
        for i, text in enumerate(OWN_POSTS[1:5]):
            self.publish(account.id, text, now - 86400 * (4 - i) - 7200, seeded=True,
                         images=[f"https://scontent.cdninstagram.com/kingsmere/{i}.jpg"])

    @staticmethod
    def shortcode(post: st.Post) -> str:
        return base64.urlsafe_b64encode(post.order.to_bytes(8, "big")).decode().rstrip("=")[:11]

    # --- adding items -------------------------------------------------------------------

    def _post(self, account_id, kind, text, author, created_at, base, node, **fields) -> st.Post:
        order, created_at = self.state.new_order(self.name, created_at)
        extra = {"node": node, **fields.pop("extra", {})}
        return st.Post(self.name, self.ig_id(base, order), order, account_id, kind, text, author, created_at,
                       extra=extra, **fields)

    def add_item(self, account_id, kind, text, author, created_at, in_reply_to="", **engagement):
        account = self.council(account_id)
        counts = {k: engagement.get(k, 0) for k in ("likes", "replies", "reshares")}
        counts["tau"] = engagement.get("tau", 0.0)
        parent = self.state.post(self.name, in_reply_to) if in_reply_to else None
        if kind == st.KIND_MENTION and parent is None:
            media = self._post(account.id, kind, text, author, created_at, 17_900_000_000_000_000, "media",
                               extra={"images": [f"https://scontent.cdninstagram.com/u/{author.handle}.jpg"]},
                               **counts)
            return self.state.add_post(media, [f"tags:{account.id}"])
        if parent is not None and parent.extra["node"] == "comment":
            top = parent if parent.kind == st.KIND_COMMENT else self.state.post(self.name, parent.in_reply_to)
            return self.add_comment(account.id, top.root_id, text, author, created_at, parent_id=top.id, **counts)
        if parent is None or not parent.own:
            found, _ = self.state.index(self.name, f"media:{account.id}").window(created_at, limit=1)
            if not found:
                found, _ = self.state.index(self.name, f"media:{account.id}").window(self.state.now(), limit=1)
            parent = found[0]
        return self.add_comment(account.id, parent.id, text, author, created_at, **counts)

    def add_comment(self, account_id, media_id, text, author, created_at, parent_id="", **counts) -> st.Post:
        kind = st.KIND_REPLY if parent_id else st.KIND_COMMENT
        comment = self._post(account_id, kind, text, author, created_at, 17_850_000_000_000_000, "comment",
                             in_reply_to=parent_id or media_id, root_id=media_id, **counts)
        indexes = [f"all_comments:{media_id}", f"replies:{parent_id}" if parent_id else f"comments:{media_id}"]
        return self.state.add_post(comment, indexes)

    def publish(self, account_id, text, created_at, in_reply_to="", seeded=False, **extra):
        account = self.council(account_id)
        media = self._post(account.id, st.KIND_POST, text, account, created_at, 17_900_000_000_000_000, "media",
                           extra=extra)
        media.own = True
        self.state.add_post(media, [f"media:{account.id}"])
        account.posts_count += 1
        if not seeded:
            self.state.record_created(media, "post", **extra)
        return media

    def describe(self, post):
        out = {"id": post.id}
        if post.extra["node"] == "comment":
            out["media_id"] = post.root_id
        else:
            out["permalink"] = f"https://www.instagram.com/p/{self.shortcode(post)}/"
        return out

    # --- rendering ------------------------------------------------------------------------

    def node_fields(self, kind, obj, now, req):
        if kind in ("ig_user", "user"):
            return {"id": obj.id, "username": obj.handle, "name": obj.name, "biography": obj.bio,
                    "followers_count": obj.followers, "follows_count": obj.following,
                    "media_count": obj.posts_count, "ig_id": int(obj.id) % 10**10,
                    "profile_picture_url": f"https://scontent.cdninstagram.com/profile/{obj.handle}.jpg",
                    "website": "https://www.kingsmere.gov.example" if kind == "ig_user" else None}
        if kind == "managed_page":
            account, token = obj
            return {"id": PAGE["id"], "name": PAGE["name"], "access_token": token.value, "category": "Local government",
                    "category_list": [{"id": "2235", "name": "Government Organization"}],
                    "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
                    "instagram_business_account": Ref("ig_user", account)}
        if kind == "admin":
            return {"id": "100000000000001", "name": "Kingsmere Comms Team"}
        if kind == "container":
            return {"id": obj.id, "status_code": obj.extra["status_code"],
                    "status": "Finished: Media has been uploaded and it is ready to be published."}
        likes, _, _ = obj.engagement(now)
        if kind == "comment":
            return {"id": obj.id, "text": obj.text, "timestamp": iso_plus0000(obj.created_at),
                    "username": obj.author.handle, "like_count": likes, "hidden": obj.hidden,
                    "from": {"id": obj.author.id, "username": obj.author.handle},
                    "media": {"id": obj.root_id}, "parent_id": obj.in_reply_to if obj.kind == st.KIND_REPLY else None,
                    "user": {"id": obj.author.id} if obj.author.extra.get("council") else None}
        images = obj.extra.get("images") or [""]
        return {"id": obj.id, "caption": obj.text, "timestamp": iso_plus0000(obj.created_at),
                "permalink": f"https://www.instagram.com/p/{self.shortcode(obj)}/",
                "shortcode": self.shortcode(obj),
                "comments_count": self.state.index(self.name, f"all_comments:{obj.id}").count(now),
                "like_count": likes, "media_type": "CAROUSEL_ALBUM" if len(images) > 1 else "IMAGE",
                "media_product_type": "FEED", "media_url": images[0], "username": obj.author.handle,
                "owner": {"id": obj.author.id} if obj.own else None, "is_comment_enabled": True}

    def default_fields(self, kind):
        return {"comment": ["timestamp", "text", "id"]}.get(kind, ["id"])

    def node_edges(self, kind):
        if kind == "ig_user":
            return {"mentioned_media": self.mentioned_media, "mentioned_comment": self.mentioned_comment}
        if kind == "comment":
            return {"replies": self.replies_edge}
        return {}

    def keep_paging(self, paging):
        return "next" in paging or "previous" in paging

    def replies_edge(self, obj, field, req, now):
        return self.edge_page(req, object_id=obj.id, edge="replies", index=self.state.index(self.name, f"replies:{obj.id}"),
                              kind="comment", fields=field.sub, limit=self.limit_of(req, 25, field), newest_first=False,
                              params={}, nested_fields=field.sub_text)

    def mentioned_media(self, obj, field, req, now):
        media = self.state.post(self.name, field.mods.get("media_id", ""))
        if media is None or media.deleted or media.extra["node"] != "media" or not media.visible(now):
            raise Reply(self.error(100, "(#100) Invalid media id or the account is not mentioned in it"))
        return self.render("media", media, field.sub, req, now)

    def mentioned_comment(self, obj, field, req, now):
        comment = self.state.post(self.name, field.mods.get("comment_id", ""))
        if comment is None or comment.deleted or comment.extra["node"] != "comment" or not comment.visible(now):
            raise Reply(self.error(100, "(#100) Invalid comment id or the account is not mentioned in it"))
        return self.render("comment", comment, field.sub, req, now)

    # --- reads ----------------------------------------------------------------------------

    def account_of(self, req) -> st.Account:
        found = self.node(req.params["id"])
        if found is None or found[0] != "ig_user":
            raise Reply(self.missing(req.params["id"]))
        return found[1]

    def media_list(self, req, index_name: str):
        account = self.account_of(req)
        return Response.json(self.edge_page(
            req, object_id=account.id, edge=index_name, index=self.state.index(self.name, f"{index_name}:{account.id}"),
            kind="media", fields=self.requested(req), limit=self.limit_of(req)))

    @route("GET", "/:id/media", buckets=GraphSim.READ, listing=True)
    def media(self, req):
        return self.media_list(req, "media")

    @route("GET", "/:id/tags", buckets=GraphSim.READ, listing=True)
    def tags(self, req):
        return self.media_list(req, "tags")

    # Hashtag search: a hashtag's id, then its recent media (here the media tagging the account
    # named by user_id, as the simulator's residents tag the council with its hashtags).
    @route("GET", "/ig_hashtag_search", buckets=GraphSim.READ)
    def hashtag_search(self, req):
        tag = (req.arg("q") or "").lower()
        if not tag:
            return self.missing("ig_hashtag_search")
        return Response.json({"data": [{"id": str(17_843_000_000_000_000 + zlib.crc32(tag.encode()))}]})

    @route("GET", "/:id/recent_media", buckets=GraphSim.READ, listing=True)
    def hashtag_recent_media(self, req):
        found = self.node(req.arg("user_id") or "")
        if found is None or found[0] != "ig_user":
            return self.missing(req.arg("user_id") or "user_id")
        account = found[1]
        return Response.json(self.edge_page(
            req, object_id=req.params["id"], edge="recent_media", index=self.state.index(self.name, f"tags:{account.id}"),
            kind="media", fields=self.requested(req), limit=self.limit_of(req)))

    @route("GET", "/:id/comments", buckets=GraphSim.READ, listing=True)
    def comments(self, req):
        found = self.node(req.params["id"])
        if found is None or found[0] != "media":
            return self.missing(req.params["id"])
        media = found[1]
        return Response.json(self.edge_page(req, object_id=media.id, edge="comments",
                                            index=self.state.index(self.name, f"comments:{media.id}"), kind="comment",
                                            fields=self.requested(req), limit=self.limit_of(req)))

    @route("GET", "/:id/replies", buckets=GraphSim.READ, listing=True)
    def replies(self, req):
        found = self.node(req.params["id"])
        if found is None or found[0] != "comment":
            return self.missing(req.params["id"])
        comment = found[1]
        return Response.json(self.edge_page(req, object_id=comment.id, edge="replies",
                                            index=self.state.index(self.name, f"replies:{comment.id}"),
                                            kind="comment", fields=self.requested(req), limit=self.limit_of(req),
                                            newest_first=False))

    def published_today(self, account_id: str, now: float) -> int:
        return sum(1 for e in self.state.created if e["platform"] == self.name and e["account_id"] == account_id
                   and e["action"] == "post" and now - e["created_at"] < 86400)

    @route("GET", "/:id/content_publishing_limit", buckets=GraphSim.READ)
    def publishing_limit(self, req):
        account = self.account_of(req)
        usage = self.published_today(account.id, self.state.now())
        return Response.json({"data": [{"config": {"quota_total": PUBLISH_QUOTA, "quota_duration": 86400},
                                        "quota_usage": usage}]})

    @route("GET", "/:id/insights", buckets=GraphSim.READ)
    def insights(self, req):
        account = self.account_of(req)
        names = [m for raw in req.args("metric") for m in raw.split(",") if m]
        if not names or any(m not in INSIGHTS for m in names):
            return self.error(100, "(#100) metric[0] must be one of the following values: " + ", ".join(INSIGHTS))
        period = req.arg("period") or "day"
        now = self.state.now()
        end = int(now // 86400) * 86400 + 7 * 3600
        return Response.json({"data": [{"name": m, "period": period, "title": m.replace("_", " ").title(),
                                        "description": m, "id": f"{account.id}/insights/{m}/{period}",
                                        "values": [{"value": INSIGHTS[m], "end_time": iso_plus0000(end)}]}
                                       for m in names]})

    # --- writes -----------------------------------------------------------------------------

    def require_account_token(self, req, account: st.Account) -> None:
        if req.token.account_id != account.id:
            raise Reply(self.error(10, "(#10) Application does not have permission for this action", status=403))

    @route("POST", "/:id/media", buckets=GraphSim.READ)
    def create_container(self, req):
        account = self.account_of(req)
        self.require_account_token(req, account)
        media_type = (req.arg("media_type") or "").upper()
        images: list[str] = []
        if media_type == "CAROUSEL":
            children = [c for c in (req.arg("children") or "").split(",") if c]
            if not 2 <= len(children) <= 10:
                return self.error(100, "(#100) A carousel needs between 2 and 10 children")
            for child_id in children:
                child = self.state.post(self.name, child_id)
                if child is None or child.extra.get("node") != "container" or not child.extra.get("carousel_item"):
                    return self.error(100, f"(#100) Invalid carousel child {child_id}")
                images += child.extra["images"]
        elif req.arg("image_url"):
            images = [req.arg("image_url")]
        elif req.arg("video_url"):
            images = [req.arg("video_url")]
        else:
            return self.error(9004, "Only photo or video can be accepted as media type.", subcode=2207052)
        container = self._post(account.id, "container", req.arg("caption") or "", account, self.state.now(),
                               17_880_000_000_000_000, "container",
                               extra={"status_code": "FINISHED", "images": images,
                                      "carousel_item": (req.arg("is_carousel_item") or "").lower() == "true"})
        self.state.add_post(container, [])
        return Response.json({"id": container.id})

    @route("POST", "/:id/media_publish", buckets=GraphSim.READ)
    def media_publish(self, req):
        account = self.account_of(req)
        self.require_account_token(req, account)
        container = self.state.post(self.name, req.arg("creation_id") or "")
        if container is None or container.extra.get("node") != "container" or container.extra.get("carousel_item"):
            return self.error(100, "(#100) The parameter creation_id is required and must be a media container")
        if container.extra.get("published"):
            return self.error(9007, "Media ID is not available", subcode=2207027, status=400)
        now = self.state.now()
        if self.published_today(account.id, now) >= PUBLISH_QUOTA:
            return self.error(9, "Application request limit reached", subcode=2207042, transient=False)
        media = self.publish(account.id, container.text, now, images=container.extra["images"])
        container.extra["published"] = media.id
        container.extra["status_code"] = "PUBLISHED"
        return Response.json({"id": media.id})

    @route("POST", "/:id/comments", buckets=GraphSim.READ)
    def comment_on_media(self, req):
        found = self.node(req.params["id"])
        if found is None or found[0] != "media":
            return self.missing(req.params["id"])
        media = found[1]
        account = self.council(media.account_id)
        self.require_account_token(req, account)
        if not req.arg("message"):
            return self.error(100, "(#100) The parameter message is required")
        comment = self.add_comment(account.id, media.id, req.arg("message"), account, self.state.now())
        comment.own = True
        self.state.record_created(comment, "reply", target=media.id)
        return Response.json({"id": comment.id})

    @route("POST", "/:id/replies", buckets=GraphSim.READ)
    def reply_to_comment(self, req):
        found = self.node(req.params["id"])
        if found is None or found[0] != "comment":
            return self.missing(req.params["id"])
        comment = found[1]
        account = self.council(comment.account_id)
        self.require_account_token(req, account)
        if not req.arg("message"):
            return self.error(100, "(#100) The parameter message is required")
        top = comment if comment.kind == st.KIND_COMMENT else self.state.post(self.name, comment.in_reply_to)
        reply = self.add_comment(account.id, top.root_id, req.arg("message"), account, self.state.now(),
                                 parent_id=top.id)
        reply.own = True
        self.state.record_created(reply, "reply", target=comment.id)
        return Response.json({"id": reply.id})

    @route("POST", "/:id", buckets=GraphSim.READ)
    def update_comment(self, req):
        found = self.node(req.params["id"])
        if found is None or found[0] != "comment" or req.arg("hide") is None:
            return self.error(100, "(#100) Only comments can be hidden (hide=true|false)")
        comment = found[1]
        self.require_account_token(req, self.council(comment.account_id))
        comment.hidden = req.arg("hide").lower() == "true"
        return Response.json({"success": True})

    @route("DELETE", "/:id", buckets=GraphSim.READ)
    def delete_comment(self, req):
        found = self.node(req.params["id"])
        if found is None or found[0] != "comment":
            return self.missing(req.params["id"])
        comment = found[1]
        self.require_account_token(req, self.council(comment.account_id))
        comment.deleted = True
        return Response.json({"success": True})

    # --- bulk pages ----------------------------------------------------------------------

    def bulk_page(self, posts, account_id, now, more, start=0):
        req = synthetic_request(self.name)
        comment_fields = [Field(n) for n in ("id", "text", "timestamp", "username", "like_count", "parent_id")]
        comment_fields.insert(4, Field("from", sub=[Field("id"), Field("username")]))
        media_fields = [Field(n) for n in ("id", "caption", "timestamp", "permalink", "comments_count", "like_count",
                                           "media_type", "username")]
        data = [self.render(p.extra["node"], p, comment_fields if p.extra["node"] == "comment" else media_fields,
                            req, now) for p in posts]
        body: dict = {"data": data}
        if posts and more:
            after = self.cursor(posts[-1])
            body["paging"] = {"cursors": {"before": self.cursor(posts[0]), "after": after},
                              "next": f"https://graph.facebook.com/v21.0/{account_id}/comments?limit={len(posts)}"
                                      f"&after={after}"}
        return body
