"""YouTube Data API v3 (www.googleapis.com/youtube/v3/...) and Google OAuth.

The channel has videos; residents comment on them (commentThreads.list with
allThreadsRelatedToChannelId or videoId, newest first) and reply (comments.list?parentId).
Other channels' videos about the council are its mentions, found with search.list.
Every call is charged to a 10,000 unit daily quota that resets at midnight Pacific time
(list 1, search 100, insert / moderate / delete 50); when it is spent the API answers
403 quotaExceeded. The Data API cannot publish posts (only upload videos), so there is
no publish endpoint here.
"""
from __future__ import annotations

import base64
import hashlib
import html
import re

from . import oauth
from . import state as st
from .core import (
    PlatformSim,
    Reply,
    Response,
    decode_token,
    encode_token,
    iso_seconds,
    parse_when,
    route,
)
from .generator import OWN_POSTS
from .ratelimit import PER_APP, Bucket

TOKEN_LIFETIME = 3599
URL_RE = re.compile(r"https?://[^\s<]+")
QUOTA_MESSAGE = ('The request cannot be completed because you have exceeded your '
                 '<a href="/youtube/v3/getting-started#quota">quota</a>.')


def google_error(status: int, message: str, reason: str, *, domain: str = "global", state: str | None = None,
                 location: str | None = None, headers: dict | None = None) -> Response:
    detail = {"message": message, "domain": domain, "reason": reason}
    if location:
        detail.update({"location": location, "locationType": "parameter"})
    error = {"code": status, "message": message, "errors": [detail]}
    if state:
        error["status"] = state
    return Response.json({"error": error}, status, headers)


def code(seed: str, length: int) -> str:
    """A YouTube-looking id: base64url characters drawn from a hash of `seed`."""
    return base64.urlsafe_b64encode(hashlib.sha256(seed.encode()).digest()).decode()[:length]


class YouTubeSim(PlatformSim):
    name = "youtube"
    max_text = 10000
    token_lifetime = TOKEN_LIFETIME
    generated_kinds = (st.KIND_COMMENT, st.KIND_COMMENT, st.KIND_COMMENT, st.KIND_MENTION)
    default_account = {"id": "UCk1ngsmereB0roughC0uncl", "handle": "@kingsmereboroughcouncil",
                       "name": "Kingsmere Borough Council", "followers": 5240, "posts": 0}
    buckets = {
        "quota": Bucket("quota", 10000, 86400, aligned=True, pacific_midnight=True, per=PER_APP),
    }

    # --- envelopes --------------------------------------------------------------------

    def auth_error(self, req, reason):
        if reason == "missing":
            return google_error(403, "The request is missing a valid API key.", "forbidden",
                                state="PERMISSION_DENIED")
        return google_error(
            401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                 "other valid authentication credential. See "
                 "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "authError", state="UNAUTHENTICATED",
            headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'})

    def throttled(self, req, decision):
        if decision.injected:
            return google_error(429, "Too many requests.", "rateLimitExceeded", domain="youtube.quota",
                                state="RESOURCE_EXHAUSTED")
        return google_error(403, QUOTA_MESSAGE, "quotaExceeded", domain="youtube.quota")

    def server_error(self, req, status):
        if status == 502:  # Google's front end answers a bad gateway with an HTML page
            return Response.html("<!DOCTYPE html><html lang=en><title>Error 502 (Server Error)!!1</title>"
                                 "<p><b>502.</b> <ins>That’s an error.</ins><p>The server encountered a temporary "
                                 "error and could not complete your request.<p>Please try again in 30 seconds.",
                                 502)
        if status == 503:
            return google_error(503, "The service is currently unavailable.", "backendError", state="UNAVAILABLE")
        return google_error(500, "Internal error encountered.", "backendError", state="INTERNAL")

    def not_found(self, req, what=""):
        return Response.html(f"<!DOCTYPE html><title>Error 404 (Not Found)!!1</title><p>The requested URL "
                             f"<code>{html.escape(what)}</code> was not found on this server.", 404)

    def invalid(self, req, message):
        return google_error(400, message, "invalidParameter", domain="youtube.parameter", state="INVALID_ARGUMENT")

    def required(self, name: str) -> Response:
        return google_error(400, f"Required parameter: {name}", "required", location=name, state="INVALID_ARGUMENT")

    # --- content ------------------------------------------------------------------------

    def make_author(self, persona):
        channel = "UC" + code(f"channel{persona.key}", 22)
        return st.Account(self.name, channel, "@" + persona.handle.lower(), persona.name,
                          followers=persona.followers, verified=persona.verified, bio=persona.bio)

    def mention_for(self, account, kind):
        return account.name if kind == st.KIND_MENTION else ""

    def seed_council(self, account):
        now = self.state.now()
        for i, text in enumerate(OWN_POSTS[:5]):
            self.add_video(account, account, text.split(".")[0], text, now - 86400 * (6 - i), own=True)

    def add_video(self, account, author, title, description, created_at, own=False, **counts) -> st.Post:
        order, created_at = self.state.new_order(self.name, created_at)
        video = st.Post(self.name, code(f"video{order}", 11), order, account.id,
                        st.KIND_POST if own else st.KIND_MENTION, description, author, created_at,
                        extra={"node": "video", "title": title[:100]}, **counts)
        video.own = own
        indexes = ["videos"] + ([f"videos:{account.id}"] if own else [])
        if own:
            account.posts_count += 1
        return self.state.add_post(video, indexes)

    def add_item(self, account_id, kind, text, author, created_at, in_reply_to="", **engagement):
        account = self.council(account_id)
        counts = {k: engagement.get(k, 0) for k in ("likes", "replies", "reshares", "tau")}
        parent = self.state.post(self.name, in_reply_to) if in_reply_to else None
        if kind == st.KIND_MENTION and parent is None:
            title = re.sub(r"\s+", " ", text)[:100]
            return self.add_video(account, author, title, text, created_at, **counts)
        if parent is not None and parent.extra["node"] == "comment":
            thread = parent if parent.kind == st.KIND_COMMENT else self.state.post(self.name, parent.root_id)
            return self.add_comment(account, thread.extra["video"], text, author, created_at, thread=thread, **counts)
        if parent is None or not parent.own:
            found, _ = self.state.index(self.name, f"videos:{account.id}").window(max(created_at, self.state.now()),
                                                                                  limit=1)
            parent = found[0]
        return self.add_comment(account, parent.id, text, author, created_at, **counts)

    def add_comment(self, account, video_id, text, author, created_at, thread=None, **counts) -> st.Post:
        order, created_at = self.state.new_order(self.name, created_at)
        if thread is None:
            comment_id = "Ug" + "wxyz"[order % 4] + code(f"thread{order}", 16) + "4AaABAg"
            comment = st.Post(self.name, comment_id, order, account.id, st.KIND_COMMENT, text, author, created_at,
                              in_reply_to=video_id, root_id=comment_id,
                              extra={"node": "comment", "video": video_id}, **counts)
            return self.state.add_post(comment, [f"threads:{account.id}", f"threads_video:{video_id}"])
        reply = st.Post(self.name, f"{thread.id}.{code(f'reply{order}', 22)}", order, account.id, st.KIND_REPLY,
                        text, author, created_at, in_reply_to=thread.id, root_id=thread.id,
                        extra={"node": "comment", "video": video_id}, **counts)
        return self.state.add_post(reply, [f"replies:{thread.id}"])

    def describe(self, post):
        if post.extra["node"] == "video":
            return {"id": post.id, "video_id": post.id, "url": f"https://www.youtube.com/watch?v={post.id}"}
        return {"id": post.id, "video_id": post.extra["video"], "thread_id": post.root_id}

    # --- rendering ----------------------------------------------------------------------

    @staticmethod
    def etag(*parts) -> str:
        return code("|".join(map(str, parts)), 27)

    def comment(self, post: st.Post, now: float, text_format: str) -> dict:
        author = post.author
        likes, _, _ = post.engagement(now)
        display = post.text
        if text_format != "plainText":
            display = URL_RE.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html.escape(post.text))
            display = display.replace("\n", "<br>")
        snippet = {
            "channelId": post.account_id, "videoId": post.extra["video"], "textDisplay": display,
            "textOriginal": post.text, "authorDisplayName": author.handle if author.handle.startswith("@") else author.name,
            "authorProfileImageUrl": f"https://yt3.ggpht.com/{code(author.id, 20)}=s48-c-k-c0x00ffffff-no-rj",
            "authorChannelUrl": f"http://www.youtube.com/{author.handle}",
            "authorChannelId": {"value": author.id}, "canRate": True, "viewerRating": "none", "likeCount": likes,
            "publishedAt": iso_seconds(post.created_at), "updatedAt": iso_seconds(post.created_at),
        }
        if post.kind == st.KIND_REPLY:
            snippet["parentId"] = post.in_reply_to
        if post.hidden:
            snippet["moderationStatus"] = "heldForReview"
        return {"kind": "youtube#comment", "etag": self.etag(post.id, likes), "id": post.id, "snippet": snippet}

    def thread(self, post: st.Post, now: float, parts: set, text_format: str) -> dict:
        replies, _ = self.state.index(self.name, f"replies:{post.id}").window(now, limit=1000,
                                                                              where=lambda p: not p.hidden)
        out: dict = {"kind": "youtube#commentThread", "etag": self.etag(post.id, len(replies)), "id": post.id}
        if "snippet" in parts:
            out["snippet"] = {"channelId": post.account_id, "videoId": post.extra["video"],
                              "topLevelComment": self.comment(post, now, text_format), "canReply": True,
                              "totalReplyCount": len(replies), "isPublic": True}
        if "replies" in parts and replies:
            out["replies"] = {"comments": [self.comment(r, now, text_format) for r in replies[:5]]}
        return out

    def video(self, post: st.Post, now: float, parts: set) -> dict:
        likes, _, _ = post.engagement(now)
        comments = self.state.index(self.name, f"threads_video:{post.id}").count(now)
        out: dict = {"kind": "youtube#video", "etag": self.etag(post.id, likes), "id": post.id}
        if "snippet" in parts:
            out["snippet"] = self.video_snippet(post)
        if "statistics" in parts:
            out["statistics"] = {"viewCount": str(likes * 31 + 57), "likeCount": str(likes), "favoriteCount": "0",
                                 "commentCount": str(comments)}
        return out

    def video_snippet(self, post: st.Post) -> dict:
        thumbs = {size: {"url": f"https://i.ytimg.com/vi/{post.id}/{name}.jpg", "width": w, "height": h}
                  for size, name, w, h in (("default", "default", 120, 90), ("medium", "mqdefault", 320, 180),
                                           ("high", "hqdefault", 480, 360))}
        return {"publishedAt": iso_seconds(post.created_at), "channelId": post.author.id, "title": post.extra["title"],
                "description": post.text, "thumbnails": thumbs, "channelTitle": post.author.name,
                "liveBroadcastContent": "none", "publishTime": iso_seconds(post.created_at)}

    # --- reads --------------------------------------------------------------------------

    def parts(self, req, allowed: set) -> set:
        raw = req.arg("part")
        if not raw:
            raise Reply(self.required("part"))
        parts = {p.strip() for p in raw.split(",") if p.strip()}
        unknown = parts - allowed
        if unknown:
            raise Reply(google_error(400, f"'{sorted(unknown)[0]}'", "unknownPart", domain="youtube.part",
                                     location="part", state="INVALID_ARGUMENT"))
        return parts

    def page_bounds(self, req) -> int | None:
        raw = req.arg("pageToken")
        if not raw:
            return None
        token = decode_token(raw)
        if token is None or "o" not in token:
            raise Reply(google_error(400, "The request specifies an invalid page token.", "invalidPageToken",
                                     domain="youtube.parameter", location="pageToken", state="INVALID_ARGUMENT"))
        return token["o"]

    def max_results(self, req, default: int, hi: int, lo: int = 1) -> int:
        raw = req.arg("maxResults")
        try:
            value = default if raw in (None, "") else int(raw)
        except ValueError:
            value = -1
        if not lo <= value <= hi:
            raise Reply(google_error(400, f"Invalid value '{raw}'. Values must be within the range: [{lo}, {hi}]",
                                     "invalidParameter", location="maxResults", state="INVALID_ARGUMENT"))
        return value

    def listing(self, req, index: st.Index, limit: int, where=None):
        now = self.state.now()
        before = self.page_bounds(req)
        items, more = index.window(now, limit=limit, before=before, where=where)
        if before is not None and items:
            earlier = index.neighbour(now, items[0].order, newer=True, where=where)
            items = self.apply_page_fault(req, items, earlier)
        else:
            items = self.apply_page_fault(req, items)
        token = encode_token({"o": min(p.order for p in items)}) if more and items else None
        return items, token

    @route("GET", "/youtube/v3/commentThreads", buckets=(("quota", 1),), listing=True)
    def comment_threads(self, req):
        parts = self.parts(req, {"id", "snippet", "replies"})
        limit = self.max_results(req, 20, 100)
        text_format = req.arg("textFormat") or "html"
        moderation = req.arg("moderationStatus") or "published"
        held = moderation in ("heldForReview", "likelySpam")
        if req.arg("allThreadsRelatedToChannelId"):
            account = self.council(req.arg("allThreadsRelatedToChannelId"))
            index = self.state.index(self.name, f"threads:{account.id}")
        elif req.arg("videoId"):
            video = self.state.post(self.name, req.arg("videoId"))
            if video is None or video.extra["node"] != "video":
                return google_error(404, "The video identified by the <code>videoId</code> parameter could not be "
                                         "found.", "videoNotFound", domain="youtube.commentThread",
                                    location="videoId")
            index = self.state.index(self.name, f"threads_video:{video.id}")
        elif req.arg("id"):
            ids = set(req.arg("id").split(","))
            index = st.Index()
            for thread_id in ids:
                post = self.state.post(self.name, thread_id)
                if post is not None and post.kind == st.KIND_COMMENT:
                    index.add(post)
        else:
            return google_error(400, "No filter selected. Expected one of: allThreadsRelatedToChannelId, videoId, id",
                                "missingRequiredParameter", domain="youtube.parameter", state="INVALID_ARGUMENT")
        terms = (req.arg("searchTerms") or "").lower()
        items, token = self.listing(req, index, limit, where=lambda p: p.hidden == held and terms in p.text.lower())
        now = self.state.now()
        body = {"kind": "youtube#commentThreadListResponse", "etag": self.etag("threads", now)}
        if token:
            body["nextPageToken"] = token
        body["pageInfo"] = {"totalResults": len(items), "resultsPerPage": limit}
        body["items"] = [self.thread(p, now, parts, text_format) for p in items]
        return Response.json(body)

    @route("GET", "/youtube/v3/comments", buckets=(("quota", 1),), listing=True)
    def comments(self, req):
        self.parts(req, {"id", "snippet"})
        limit = self.max_results(req, 20, 100)
        text_format = req.arg("textFormat") or "html"
        now = self.state.now()
        if req.arg("parentId"):
            index = self.state.index(self.name, f"replies:{req.arg('parentId')}")
            items, token = self.listing(req, index, limit, where=lambda p: not p.hidden)
        elif req.arg("id"):
            items = [p for i in req.arg("id").split(",") if (p := self.state.post(self.name, i)) is not None
                     and p.extra.get("node") == "comment" and p.visible(now)]
            token = None
        else:
            return google_error(400, "No filter selected. Expected one of: parentId, id", "missingRequiredParameter",
                                domain="youtube.parameter", state="INVALID_ARGUMENT")
        body = {"kind": "youtube#commentListResponse", "etag": self.etag("comments", now)}
        if token:
            body["nextPageToken"] = token
        body["pageInfo"] = {"resultsPerPage": limit}
        body["items"] = [self.comment(p, now, text_format) for p in items]
        return Response.json(body)

    @route("GET", "/youtube/v3/search", buckets=(("quota", 100),), listing=True)
    def search(self, req):
        self.parts(req, {"snippet", "id"})
        limit = self.max_results(req, 5, 50, lo=0)
        if (req.arg("type") or "video") not in ("video", "video,channel,playlist"):
            return Response.json({"kind": "youtube#searchListResponse", "etag": self.etag("empty"),
                                  "regionCode": "GB", "pageInfo": {"totalResults": 0, "resultsPerPage": limit},
                                  "items": []})
        groups = [[t for t in g.lower().split() if t] for g in (req.arg("q") or "").split("|")]
        after = parse_when(req.arg("publishedAfter"))
        before = parse_when(req.arg("publishedBefore"))
        channel = req.arg("channelId")

        def matches(post: st.Post) -> bool:
            text = (post.extra["title"] + " " + post.text).lower()
            if after is not None and post.created_at <= after or before is not None and post.created_at >= before:
                return False
            if channel and post.author.id != channel:
                return False
            return not any(groups) or any(g and all(t in text for t in g) for g in groups)

        items, token = self.listing(req, self.state.index(self.name, "videos"), limit, where=matches)
        body = {"kind": "youtube#searchListResponse", "etag": self.etag("search", self.state.now())}
        if token:
            body["nextPageToken"] = token
        body["regionCode"] = "GB"
        body["pageInfo"] = {"totalResults": 1000000 if token else len(items), "resultsPerPage": limit}
        body["items"] = [{"kind": "youtube#searchResult", "etag": self.etag("hit", p.id),
                          "id": {"kind": "youtube#video", "videoId": p.id}, "snippet": self.video_snippet(p)}
                         for p in items]
        return Response.json(body)

    @route("GET", "/youtube/v3/videos", buckets=(("quota", 1),))
    def videos(self, req):
        parts = self.parts(req, {"id", "snippet", "statistics", "contentDetails", "status"})
        now = self.state.now()
        items = [self.video(p, now, parts) for i in (req.arg("id") or "").split(",")
                 if (p := self.state.post(self.name, i)) is not None and p.extra.get("node") == "video"
                 and p.visible(now)]
        return Response.json({"kind": "youtube#videoListResponse", "etag": self.etag("videos", now),
                              "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}, "items": items})

    @route("GET", "/youtube/v3/channels", buckets=(("quota", 1),))
    def channels(self, req):
        parts = self.parts(req, {"id", "snippet", "statistics", "contentDetails", "brandingSettings"})
        if (req.arg("mine") or "").lower() == "true":
            accounts = [self.council(req.token.account_id)]
        elif req.arg("id"):
            accounts = [a for i in req.arg("id").split(",") if (a := self.state.account(self.name, i)) is not None]
        else:
            return google_error(400, "No filter selected. Expected one of: mine, id, forHandle", "missingRequiredParameter",
                                domain="youtube.parameter", state="INVALID_ARGUMENT")
        items = []
        for account in accounts:
            item: dict = {"kind": "youtube#channel", "etag": self.etag(account.id), "id": account.id}
            if "snippet" in parts:
                item["snippet"] = {"title": account.name, "description": account.bio, "customUrl": account.handle,
                                   "publishedAt": iso_seconds(account.created_at), "country": "GB",
                                   "thumbnails": {"default": {"url": f"https://yt3.ggpht.com/{code(account.id, 20)}",
                                                              "width": 88, "height": 88}}}
            if "statistics" in parts:
                item["statistics"] = {"viewCount": str(account.followers * 57), "subscriberCount": str(account.followers),
                                      "hiddenSubscriberCount": False, "videoCount": str(account.posts_count)}
            items.append(item)
        return Response.json({"kind": "youtube#channelListResponse", "etag": self.etag("channels"),
                              "pageInfo": {"totalResults": len(items), "resultsPerPage": 5}, "items": items})

    # --- writes ---------------------------------------------------------------------------

    @route("POST", "/youtube/v3/commentThreads", buckets=(("quota", 50),))
    def insert_thread(self, req):
        self.parts(req, {"id", "snippet"})
        body = req.json() or {}
        snippet = body.get("snippet") or {}
        text = ((snippet.get("topLevelComment") or {}).get("snippet") or {}).get("textOriginal") or ""
        video = self.state.post(self.name, str(snippet.get("videoId") or ""))
        if video is None or video.extra.get("node") != "video":
            return google_error(404, "The video identified by the <code>videoId</code> parameter could not be found.",
                                "videoNotFound", domain="youtube.commentThread")
        if not text.strip():
            return google_error(400, "The comment's text is empty.", "commentTextRequired",
                                domain="youtube.commentThread")
        account = self.council(req.token.account_id)
        post = self.add_comment(self.council(video.account_id), video.id, text, account, self.state.now())
        post.own = True
        self.state.record_created(post, "reply", target=video.id)
        return Response.json(self.thread(post, self.state.now(), {"snippet"}, "html"))

    @route("POST", "/youtube/v3/comments", buckets=(("quota", 50),))
    def insert_comment(self, req):
        self.parts(req, {"id", "snippet"})
        snippet = (req.json() or {}).get("snippet") or {}
        parent = self.state.post(self.name, str(snippet.get("parentId") or ""))
        text = snippet.get("textOriginal") or ""
        if parent is None or parent.deleted or parent.extra.get("node") != "comment":
            return google_error(404, "The parent comment could not be found.", "parentCommentNotFound",
                                domain="youtube.comment")
        if parent.kind != st.KIND_COMMENT:
            return google_error(400, "The comment's parent must be a top-level comment.", "invalidCommentMetadata",
                                domain="youtube.comment")
        if not text.strip():
            return google_error(400, "The comment's text is empty.", "commentTextRequired", domain="youtube.comment")
        account = self.council(req.token.account_id)
        reply = self.add_comment(self.council(parent.account_id), parent.extra["video"], text, account,
                                 self.state.now(), thread=parent)
        reply.own = True
        self.state.record_created(reply, "reply", target=parent.id)
        return Response.json(self.comment(reply, self.state.now(), "html"))

    def owned_comments(self, req) -> list[st.Post]:
        ids = [i for raw in req.args("id") for i in raw.split(",") if i]
        if not ids:
            raise Reply(self.required("id"))
        out = []
        for comment_id in ids:
            post = self.state.post(self.name, comment_id)
            if post is None or post.deleted or post.extra.get("node") != "comment":
                raise Reply(google_error(404, "The comment could not be found.", "commentNotFound",
                                         domain="youtube.comment", location="id"))
            out.append(post)
        return out

    @route("POST", "/youtube/v3/comments/setModerationStatus", buckets=(("quota", 50),))
    def set_moderation_status(self, req):
        status = req.arg("moderationStatus")
        if status not in ("heldForReview", "published", "rejected"):
            return self.required("moderationStatus")
        for post in self.owned_comments(req):
            if post.account_id != req.token.account_id:
                return google_error(403, "The comment could not be moderated: you do not own the video.", "forbidden",
                                    domain="youtube.comment")
            post.hidden = status != "published"
            post.deleted = post.deleted or status == "rejected"
        return Response.empty(204)

    @route("DELETE", "/youtube/v3/comments", buckets=(("quota", 50),))
    def delete_comment(self, req):
        for post in self.owned_comments(req):
            if post.author.id != req.token.account_id:
                return google_error(403, "The comment could not be deleted: only its author can delete it.",
                                    "forbidden", domain="youtube.comment")
            post.deleted = True
        return Response.empty(204)

    # --- Google OAuth ---------------------------------------------------------------------

    @route("GET", "/o/oauth2/v2/auth", auth=False)
    def authorize(self, req):
        return oauth.authorise(self, req, label="Google")

    def token_error(self, error: str, description: str) -> Response:
        return Response.json({"error": error, "error_description": description}, 400)

    @route("POST", "/token", auth=False)
    def token(self, req):
        client_id, _ = oauth.client_credentials(req)
        grant_type = req.arg("grant_type")
        if grant_type == "authorization_code":
            grant = oauth.redeem(self, req.arg("code"), req.arg("redirect_uri"), req.arg("code_verifier"))
            if isinstance(grant, str):
                return self.token_error("invalid_grant", "Bad Request")
            offline = grant.params.get("access_type") == "offline"
            access, refresh = oauth.issue(self, grant.account_id, client_id=client_id or grant.client_id,
                                          scope=grant.scope, expires_in=TOKEN_LIFETIME, refresh=offline,
                                          access_prefix="ya29.", refresh_prefix="1//")
            body = {"access_token": access.value, "expires_in": TOKEN_LIFETIME, "scope": access.scope,
                    "token_type": "Bearer"}
            if refresh is not None:
                body["refresh_token"] = refresh.value
            return Response.json(body)
        if grant_type == "refresh_token":
            old = oauth.refresh_grant(self, req.arg("refresh_token"))
            if old is None:
                return self.token_error("invalid_grant", "Token has been expired or revoked.")
            access, _ = oauth.issue(self, old.account_id, client_id=old.client_id, scope=old.scope,
                                    expires_in=TOKEN_LIFETIME, refresh=False, access_prefix="ya29.")
            access.partner = old.value
            return Response.json({"access_token": access.value, "expires_in": TOKEN_LIFETIME, "scope": access.scope,
                                  "token_type": "Bearer"})
        return self.token_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    @route("POST", "/revoke", auth=False)
    def revoke(self, req):
        if not oauth.revoke(self, req.arg("token") or ""):
            return self.token_error("invalid_token", "Token expired or revoked")
        return Response.json({})

    # --- bulk pages -------------------------------------------------------------------------

    def bulk_page(self, posts, account_id, now, more, start=0):
        items = []
        for post in posts:
            if post.extra["node"] == "video":
                items.append({"kind": "youtube#searchResult", "etag": self.etag("hit", post.id),
                              "id": {"kind": "youtube#video", "videoId": post.id},
                              "snippet": self.video_snippet(post)})
            elif post.kind == st.KIND_REPLY:
                items.append(self.comment(post, now, "plainText"))
            else:
                items.append(self.thread(post, now, {"snippet"}, "plainText"))
        body: dict = {"kind": "youtube#commentThreadListResponse", "etag": self.etag("bulk", len(posts))}
        if more and posts:
            body["nextPageToken"] = encode_token({"o": posts[-1].order})
        body["pageInfo"] = {"totalResults": len(items), "resultsPerPage": len(items)}
        body["items"] = items
        return body
