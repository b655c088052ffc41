"""LinkedIn organisation pages: the versioned REST API (api.linkedin.com/rest/...) with
LinkedIn-Version and X-Restli-Protocol-Version headers, and LinkedIn's OAuth 2.

The organisation has posts (GET /rest/posts?q=author, start/count paging with
paging.total); members comment on them and reply to comments
(GET /rest/socialActions/{urn}/comments, oldest first, start/count) and mention the
organisation in their own posts, reported by
GET /rest/organizationalEntityNotifications?q=criteria (SHARE_MENTION, COMMENT).
LinkedIn publishes no rate-limit numbers or headers: limits are per member, per endpoint,
per day (reset at midnight UTC) and a spent one is a bare 429.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

from . import oauth
from . import state as st
from .core import PlatformSim, Reply, Response, digest, route
from .generator import OWN_POSTS
from .ratelimit import Bucket

ORG_PREFIX = "urn:li:organization:"
ACCESS_LIFETIME = 5184000  # 60 days
REFRESH_LIFETIME = 31536000  # a year
COMMENT_URN = re.compile(r"^urn:li:comment:\((urn:li:[A-Za-z]+:[^,]+),([^)]+)\)$")
HASHTAG_TEMPLATE = re.compile(r"\{hashtag\|\\?#\|([^}]*)\}")
MENTION_TEMPLATE = re.compile(r"@\[([^\]]*)\]\((urn:li:[^)]+)\)")
DAY = 86400


def li_error(status: int, message: str, code: str = "", service_code: int | None = None) -> Response:
    body: dict = {"status": status, "message": message}
    if code:
        body["code"] = code
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    return Response.json(body, status)


def plain_text(commentary: str) -> str:
    """Little text → what a reader sees: hashtag templates to #tags, escapes dropped."""
    text = HASHTAG_TEMPLATE.sub(lambda m: "#" + m.group(1), commentary)
    text = MENTION_TEMPLATE.sub(lambda m: "@" + m.group(1), text)
    return re.sub(r"\\(.)", r"\1", text)


def snowflake(order: int) -> str:
    """LinkedIn ids carry their creation time: milliseconds << 22 | sequence."""
    return str((st.order_ms(order) << 22) | (order & 0x3FFFFF))


class LinkedInSim(PlatformSim):
    name = "linkedin"
    max_text = 3000
    token_lifetime = ACCESS_LIFETIME
    generated_kinds = (st.KIND_COMMENT,)
    default_account = {"id": ORG_PREFIX + "10000001", "handle": "kingsmere-borough-council",
                       "name": "Kingsmere Borough Council", "followers": 6830, "posts": 0}
    buckets = {
        # Not published by LinkedIn (shown per app in the Developer Portal); plausible daily values.
        "posts_read": Bucket("posts_read", 25000, DAY, aligned=True),
        "comments_read": Bucket("comments_read", 25000, DAY, aligned=True),
        "posts_write": Bucket("posts_write", 150, DAY, aligned=True),
        "comments_write": Bucket("comments_write", 500, DAY, aligned=True),
        "statistics": Bucket("statistics", 5000, DAY, aligned=True),
        "notifications": Bucket("notifications", 25000, DAY, aligned=True),
        "misc": Bucket("misc", 5000, DAY, aligned=True),
    }

    # --- envelopes -------------------------------------------------------------------

    def auth_error(self, req, reason):
        message, code, service = {
            "missing": ("Empty oauth2 access token", "EMPTY_ACCESS_TOKEN", 65604),
            "invalid": ("Invalid access token", "INVALID_ACCESS_TOKEN", 65600),
            "revoked": ("The token used in the request has been revoked by the user", "REVOKED_ACCESS_TOKEN", 65601),
            "expired": ("The token used in the request has expired", "EXPIRED_ACCESS_TOKEN", 65602),
        }[reason]
        return li_error(401, message, code, service)

    def throttled(self, req, decision):
        return li_error(429, "Resource level throttle MEMBER DAY limit for calls to this resource is reached.",
                        "TOO_MANY_REQUESTS", 101)

    def server_error(self, req, status):
        return li_error(status, {500: "Internal Server Error", 502: "Bad Gateway",
                                 503: "Service Unavailable"}.get(status, "Server Error"))

    def not_found(self, req, what=""):
        return li_error(404, f"No virtual resource found for {what}", "RESOURCE_NOT_FOUND")

    def invalid(self, req, message):
        return li_error(422, message, "UNPROCESSABLE_ENTITY")

    def check_version(self, req) -> None:
        version = req.headers.get("LinkedIn-Version") or ""
        if not version:
            raise Reply(li_error(400, "A version must be present. Please specify a version by adding the "
                                      "LinkedIn-Version header.", "VERSION_MISSING"))
        today = datetime.fromtimestamp(self.state.now(), tz=UTC)
        current = today.year * 12 + today.month
        try:
            asked = int(version[:4]) * 12 + int(version[4:6])
        except ValueError:
            asked = -1
        if not re.fullmatch(r"\d{6}(\.\d+)?", version) or not current - 12 <= asked <= current:
            raise Reply(li_error(426, f"Requested version {version} is not active", "NONEXISTENT_VERSION"))

    def authenticate(self, req):
        token = super().authenticate(req)
        if req.path.startswith("/linkedin/rest/"):
            self.check_version(req)
        return token

    # --- content ----------------------------------------------------------------------------

    def council(self, account_id=None):
        if account_id and not account_id.startswith("urn:li:"):
            account_id = ORG_PREFIX + account_id
        return super().council(account_id)

    def make_author(self, persona):
        person = "urn:li:person:" + digest("person", persona.key, length=10)
        return st.Account(self.name, person, persona.handle.lower(), persona.name, followers=persona.followers,
                          bio=persona.bio)

    def mention_for(self, account, kind):
        return f"@{account.name}"

    def seed_council(self, account):
        now = self.state.now()
        for i, text in enumerate(OWN_POSTS[2:6]):
            self.publish(account.id, text, now - 86400 * (4 - i) - 5400, seeded=True)

    def share(self, account_id, kind, text, author, created_at, **fields) -> st.Post:
        order, created_at = self.state.new_order(self.name, created_at)
        number = snowflake(order)
        return st.Post(self.name, f"urn:li:share:{number}", order, account_id, kind, text, author, created_at,
                       extra={"activity": f"urn:li:activity:{number}", "node": "post"}, **fields)

    def add_item(self, account_id, kind, text, author, created_at, in_reply_to="", **engagement):
        org = self.council(account_id)
        counts = {k: engagement.get(k, 0) for k in ("likes", "replies", "reshares", "tau")}
        parent = self.state.post(self.name, in_reply_to) if in_reply_to else None
        if kind == st.KIND_MENTION and parent is None:
            post = self.share(org.id, kind, text, author, created_at, **counts)
            return self.state.add_post(post, [f"mentions:{org.id}"])
        if parent is not None and parent.extra.get("node") == "comment":
            top = parent if parent.kind == st.KIND_COMMENT else self.state.post(self.name, parent.in_reply_to)
            return self.add_comment(org, self.state.post(self.name, top.root_id), text, author, created_at,
                                    parent=top, **counts)
        if parent is None or not parent.own:
            found, _ = self.state.index(self.name, f"posts:{org.id}").window(max(created_at, self.state.now()),
                                                                             limit=1)
            parent = found[0]
        return self.add_comment(org, parent, text, author, created_at, **counts)

    def add_comment(self, org, post: st.Post, text, author, created_at, parent: st.Post | None = None,
                    **counts) -> st.Post:
        order, created_at = self.state.new_order(self.name, created_at)
        activity = post.extra["activity"]
        urn = f"urn:li:comment:({activity},{snowflake(order)})"
        comment = st.Post(self.name, urn, order, org.id, st.KIND_REPLY if parent else st.KIND_COMMENT, text, author,
                          created_at, in_reply_to=parent.id if parent else post.id, root_id=post.id,
                          extra={"node": "comment", "number": snowflake(order), "activity": activity}, **counts)
        indexes = [f"replies:{parent.id}"] if parent else [f"comments:{post.id}"]
        indexes.append(f"notifications:{org.id}")
        return self.state.add_post(comment, indexes)

    def publish(self, account_id, text, created_at, in_reply_to="", seeded=False, **extra):
        org = self.council(account_id)
        post = self.share(org.id, st.KIND_POST, text, org, created_at)
        post.own = True
        post.extra.update(extra)
        self.state.add_post(post, [f"posts:{org.id}"])
        org.posts_count += 1
        if not seeded:
            self.state.record_created(post, "post", **{k: v for k, v in extra.items() if k != "commentary"})
        return post

    def describe(self, post):
        out = {"id": post.id}
        if post.extra.get("node") == "comment":
            out["post"] = post.root_id
            out["comment_id"] = post.extra["number"]
        return out

    # --- rendering -----------------------------------------------------------------------------

    def post_json(self, post: st.Post) -> dict:
        ms = int(post.created_at * 1000)
        out = {"id": post.id, "author": post.author.id, "commentary": post.extra.get("commentary", post.text),
               "visibility": "PUBLIC",
               "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                                "thirdPartyDistributionChannels": []},
               "lifecycleState": "PUBLISHED", "lifecycleStateInfo": {"isEditedByAuthor": False},
               "isReshareDisabledByAuthor": False, "createdAt": ms, "lastModifiedAt": ms, "publishedAt": ms}
        if post.extra.get("content"):
            out["content"] = post.extra["content"]
        return out

    def comment_json(self, comment: st.Post, now: float) -> dict:
        likes, _, _ = comment.engagement(now)
        replies = self.state.index(self.name, f"replies:{comment.id}").count(now) if comment.kind == st.KIND_COMMENT else 0
        ms = int(comment.created_at * 1000)
        out = {"actor": comment.author.id, "commentUrn": comment.id,
               "created": {"actor": comment.author.id, "time": ms}, "id": comment.extra["number"],
               "lastModified": {"actor": comment.author.id, "time": ms},
               "message": {"attributes": [], "text": comment.text}, "object": comment.extra["activity"],
               "likesSummary": {"selectedLikes": [], "aggregatedTotalLikes": likes, "likedByCurrentUser": False,
                                "totalLikes": likes},
               "commentsSummary": {"selectedComments": [], "totalFirstLevelComments": replies,
                                   "aggregatedTotalComments": replies},
               "$URN": comment.id}
        if comment.kind == st.KIND_REPLY:
            out["parentComment"] = comment.in_reply_to
        if comment.author.extra.get("council"):
            out["agent"] = "urn:li:person:" + digest("admin", comment.account_id, length=10)
        return out

    def paging(self, req, start: int, count: int, total: int, path: str) -> dict:
        links = []
        if start + count < total:
            links.append({"type": "application/json", "rel": "next",
                          "href": f"/rest{path}?count={count}&start={start + count}"})
        if start > 0:
            links.append({"type": "application/json", "rel": "prev",
                          "href": f"/rest{path}?count={count}&start={max(0, start - count)}"})
        return {"start": start, "count": count, "total": total, "links": links}

    def start_count(self, req, default: int = 10) -> tuple[int, int]:
        try:
            start = int(req.arg("start") or 0)
            count = int(req.arg("count") or default)
        except ValueError:
            raise Reply(li_error(400, "start and count must be integers", "ILLEGAL_ARGUMENT")) from None
        if start < 0 or not 1 <= count <= 100:
            raise Reply(li_error(400, "count must be between 1 and 100", "ILLEGAL_ARGUMENT"))
        return start, count

    def offset_page(self, req, index: st.Index, *, newest_first: bool, default: int = 10, where=None):
        start, count = self.start_count(req, default)
        now = self.state.now()
        found, _ = index.window(now, limit=start + count, oldest_first=not newest_first, where=where)
        total = index.count(now, where=where)
        page = found[start:start + count]
        if start and page and req.fault == "duplicate":
            page = self.apply_page_fault(req, page, found[start - 1])
        else:
            page = self.apply_page_fault(req, page)
        return page, start, count, total

    # --- reads ---------------------------------------------------------------------------------

    @route("GET", "/rest/posts", buckets=(("posts_read", 1),), listing=True)
    def list_posts(self, req):
        if req.arg("q") != "author" or not req.arg("author"):
            return li_error(400, "A finder q=author with an author is required", "ILLEGAL_ARGUMENT")
        org = self.council(req.arg("author"))
        page, start, count, total = self.offset_page(req, self.state.index(self.name, f"posts:{org.id}"),
                                                     newest_first=True)
        return Response.json({"paging": self.paging(req, start, count, total, "/posts"),
                              "elements": [self.post_json(p) for p in page]})

    @route("GET", "/rest/posts/:urn", buckets=(("posts_read", 1),))
    def get_post(self, req):
        post = self.state.post(self.name, req.params["urn"])
        if post is None or post.deleted or post.extra.get("node") != "post":
            return self.not_found(req, f"/posts/{req.params['urn']}")
        return Response.json(self.post_json(post))

    def target(self, urn: str) -> st.Post | None:
        """The post or comment a socialActions URN names (share, activity or comment URN)."""
        post = self.state.post(self.name, urn)
        if post is None and urn.startswith("urn:li:activity:"):
            post = self.state.post(self.name, "urn:li:share:" + urn.rsplit(":", 1)[1])
        return post if post is not None and not post.deleted else None

    @route("GET", "/rest/socialActions/:urn/comments", buckets=(("comments_read", 1),), listing=True)
    def list_comments(self, req):
        target = self.target(req.params["urn"])
        if target is None:
            return self.not_found(req, f"/socialActions/{req.params['urn']}/comments")
        name = f"replies:{target.id}" if target.extra.get("node") == "comment" else f"comments:{target.id}"
        page, start, count, total = self.offset_page(req, self.state.index(self.name, name), newest_first=False)
        now = self.state.now()
        path = f"/socialActions/{quote(req.params['urn'], safe='')}/comments"
        return Response.json({"paging": self.paging(req, start, count, total, path),
                              "elements": [self.comment_json(c, now) for c in page]})

    @route("GET", "/rest/organizationalEntityNotifications", buckets=(("notifications", 1),), listing=True)
    def notifications(self, req):
        org = self.council(req.arg("organizationalEntity") or None)
        actions = set(re.findall(r"[A-Z_]+", (req.arg("actions") or "List(COMMENT,SHARE_MENTION)")
                                 .removeprefix("List")))
        combined = st.Index()
        for name in ([f"mentions:{org.id}"] if "SHARE_MENTION" in actions else []) + (
                [f"notifications:{org.id}"] if "COMMENT" in actions else []):
            for post in self.state.index(self.name, name).posts:
                if not post.author.extra.get("council"):
                    combined.add(post)
        page, start, count, total = self.offset_page(req, combined, newest_first=True)
        elements = []
        for post in page:
            ms = int(post.created_at * 1000)
            if post.extra.get("node") == "post":
                elements.append({"action": "SHARE_MENTION", "organizationalEntity": org.id, "sourcePost": post.id,
                                 "decoratedSourcePost": {"owner": post.author.id, "entity": post.id},
                                 "generatedActivity": post.extra["activity"],
                                 "decoratedGeneratedActivity": {"share": {"owner": post.author.id,
                                                                          "entity": post.id, "text": post.text}},
                                 "lastModifiedAt": ms})
            else:
                elements.append({"action": "COMMENT", "organizationalEntity": org.id, "sourcePost": post.root_id,
                                 "decoratedSourcePost": {"owner": org.id, "entity": post.root_id},
                                 "generatedActivity": post.id,
                                 "decoratedGeneratedActivity": {"comment": {"owner": post.author.id,
                                                                            "entity": post.id, "text": post.text}},
                                 "lastModifiedAt": ms})
        return Response.json({"paging": self.paging(req, start, count, total, "/organizationalEntityNotifications"),
                              "elements": elements})

    @route("GET", "/rest/networkSizes/:urn", buckets=(("statistics", 1),))
    def network_size(self, req):
        if req.arg("edgeType") not in ("COMPANY_FOLLOWED_BY_MEMBER", "CompanyFollowedByMember"):
            return li_error(400, "edgeType must be COMPANY_FOLLOWED_BY_MEMBER", "ILLEGAL_ARGUMENT")
        return Response.json({"firstDegreeSize": self.council(req.params["urn"]).followers})

    @route("GET", "/rest/organizationalEntityShareStatistics", buckets=(("statistics", 1),))
    def share_statistics(self, req):
        org = self.council(req.arg("organizationalEntity") or None)
        now = self.state.now()
        posts = self.state.index(self.name, f"posts:{org.id}")
        comments = sum(self.state.index(self.name, f"comments:{p.id}").count(now) for p in posts.posts)
        stats = {"uniqueImpressionsCount": org.followers * 3, "shareCount": len(posts) * 2,
                 "engagement": 0.031, "clickCount": org.followers // 4, "likeCount": len(posts) * 17,
                 "impressionCount": org.followers * 5, "commentCount": comments}
        return Response.json({"paging": {"start": 0, "count": 10, "links": []},
                              "elements": [{"totalShareStatistics": stats, "organizationalEntity": org.id}]})

    @route("GET", "/rest/organizationAcls", buckets=(("misc", 1),))
    def organization_acls(self, req):
        org = self.council(req.token.account_id)
        element = {"roleAssignee": "urn:li:person:" + digest("admin", org.id, length=10), "state": "APPROVED",
                   "role": "ADMINISTRATOR", "organization": org.id}
        return Response.json({"paging": {"start": 0, "count": 10, "total": 1, "links": []}, "elements": [element]})

    # --- writes ----------------------------------------------------------------------------------

    def require_admin(self, req, org_urn: str) -> st.Account:
        org = self.council(org_urn)
        if req.token.account_id != org.id:
            raise Reply(li_error(403, f"Not enough permissions to access: {org_urn}", "ACCESS_DENIED", 100))
        return org

    @route("POST", "/rest/posts", buckets=(("posts_write", 1),))
    def create_post(self, req):
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("commentary"), str):
            return self.invalid(req, "/commentary :: field is required")
        org = self.require_admin(req, str(body.get("author") or ""))
        if body.get("lifecycleState") != "PUBLISHED":
            return self.invalid(req, "/lifecycleState :: PUBLISHED is the only value accepted")
        text = plain_text(body["commentary"])
        if len(text) > self.max_text:
            return self.invalid(req, f"/commentary :: length must be at most {self.max_text}")
        extra = {"commentary": body["commentary"]}
        if body.get("content"):
            extra["content"] = body["content"]
        post = self.publish(org.id, text, self.state.now(), **extra)
        return Response.empty(201, {"x-restli-id": post.id, "x-linkedin-id": post.id})

    @route("DELETE", "/rest/posts/:urn", buckets=(("posts_write", 1),))
    def delete_post(self, req):
        post = self.state.post(self.name, req.params["urn"])
        if post is None or post.deleted:
            return self.not_found(req, f"/posts/{req.params['urn']}")
        self.require_admin(req, post.author.id)
        post.deleted = True
        return Response.empty(204)

    @route("POST", "/rest/socialActions/:urn/comments", buckets=(("comments_write", 1),))
    def create_comment(self, req):
        body = req.json()
        target = self.target(req.params["urn"])
        if target is None:
            return self.not_found(req, f"/socialActions/{req.params['urn']}/comments")
        if not isinstance(body, dict) or not isinstance((body.get("message") or {}).get("text"), str):
            return self.invalid(req, "/message/text :: field is required")
        org = self.require_admin(req, str(body.get("actor") or ""))
        text = body["message"]["text"]
        if target.extra.get("node") == "comment":
            top = target if target.kind == st.KIND_COMMENT else self.state.post(self.name, target.in_reply_to)
            if body.get("parentComment") not in (None, top.id, target.id):
                return self.invalid(req, "/parentComment :: must be the comment in the URL")
            comment = self.add_comment(org, self.state.post(self.name, top.root_id), text, org, self.state.now(),
                                       parent=top)
        else:
            comment = self.add_comment(org, target, text, org, self.state.now())
        comment.own = True
        self.state.record_created(comment, "reply", target=target.id)
        return Response.json(self.comment_json(comment, self.state.now()), 201,
                             {"x-restli-id": comment.extra["number"]})

    @route("DELETE", "/rest/socialActions/:urn/comments/:comment_id", buckets=(("comments_write", 1),))
    def delete_comment(self, req):
        target = self.target(req.params["urn"])
        activity = target.extra["activity"] if target is not None else req.params["urn"]
        comment = self.state.post(self.name, f"urn:li:comment:({activity},{req.params['comment_id']})")
        if comment is None or comment.deleted:
            return self.not_found(req, f"/socialActions/{req.params['urn']}/comments/{req.params['comment_id']}")
        self.require_admin(req, req.arg("actor") or comment.account_id)
        comment.deleted = True
        return Response.empty(204)

    @route("POST", "/rest/images", buckets=(("misc", 1),))
    def initialize_upload(self, req):
        if req.arg("action") != "initializeUpload":
            return li_error(400, "action=initializeUpload is required", "ILLEGAL_ARGUMENT")
        owner = ((req.json() or {}).get("initializeUploadRequest") or {}).get("owner") or ""
        self.require_admin(req, owner)
        image = "D4" + digest("image", self.state.now(), length=12).upper()
        return Response.json({"value": {"uploadUrlExpiresAt": int((self.state.now() + 86400) * 1000),
                                        "uploadUrl": f"{req.host_url}/{self.name}/dms-uploads/{image}",
                                        "image": f"urn:li:image:{image}"}})

    @route("PUT", "/dms-uploads/:image", buckets=(("misc", 1),))
    def upload_image(self, req):
        if not req.body:
            return li_error(400, "The upload is empty", "ILLEGAL_ARGUMENT")
        return Response.empty(201)

    # --- OAuth -------------------------------------------------------------------------------------

    @route("GET", "/oauth/v2/authorization", auth=False)
    def authorize(self, req):
        return oauth.authorise(self, req, label="LinkedIn")

    def token_body(self, access: st.Token, refresh: st.Token) -> Response:
        now = self.state.now()
        return Response.json({"access_token": access.value, "expires_in": int(access.expires_at - now),
                              "refresh_token": refresh.value,
                              "refresh_token_expires_in": int(refresh.expires_at - now),
                              "scope": ",".join(access.scope.split())})

    @route("POST", "/oauth/v2/accessToken", auth=False)
    def access_token(self, req):
        client_id, _ = oauth.client_credentials(req)
        grant_type = req.arg("grant_type")
        if grant_type == "authorization_code":
            grant = oauth.redeem(self, req.arg("code"), req.arg("redirect_uri"), req.arg("code_verifier"))
            if isinstance(grant, str):
                return Response.json({"error": "invalid_request", "error_description": "Unable to retrieve access "
                                      "token: appid/redirect uri/code verifier does not match authorization code. "
                                      "Or authorization code expired."}, 400)
            access, refresh = oauth.issue(self, grant.account_id, client_id=client_id or grant.client_id,
                                          scope=grant.scope, expires_in=ACCESS_LIFETIME,
                                          refresh_expires_in=REFRESH_LIFETIME, access_prefix="AQV",
                                          refresh_prefix="AQX")
            return self.token_body(access, refresh)
        if grant_type == "refresh_token":
            old = oauth.refresh_grant(self, req.arg("refresh_token"))
            if old is None:
                return Response.json({"error": "invalid_request",
                                      "error_description": "The provided refresh token is invalid"}, 400)
            access, _ = oauth.issue(self, old.account_id, client_id=old.client_id, scope=old.scope,
                                    expires_in=ACCESS_LIFETIME, refresh=False, access_prefix="AQV")
            access.partner = old.value  # LinkedIn keeps the refresh token until it expires
            return self.token_body(access, old)
        return Response.json({"error": "unsupported_grant_type",
                              "error_description": f"grant_type {grant_type} is not supported"}, 400)

    def issue_tokens(self, account_id, *, expires_in=None):
        return oauth.issue(self, account_id, client_id="control", scope="*", expires_in=expires_in or ACCESS_LIFETIME,
                           refresh_expires_in=REFRESH_LIFETIME)

    # --- bulk pages ----------------------------------------------------------------------------------

    def bulk_page(self, posts, account_id, now, more, start=0):
        links = [{"type": "application/json", "rel": "next",
                  "href": f"/rest/socialActions/{quote(posts[-1].root_id, safe='')}/comments?count={len(posts)}"
                          f"&start={start + len(posts)}"}] if more and posts else []
        return {"paging": {"start": start, "count": len(posts), "links": links},
                "elements": [self.comment_json(p, now) for p in posts]}
