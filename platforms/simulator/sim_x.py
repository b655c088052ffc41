"""X (Twitter) API v2 as served at https://api.x.com/2/...

Tweet and user objects carry only the default fields (id, text, edit_history_tweet_ids;
id, name, username) unless tweet.fields / user.fields / expansions ask for more, as on
the real API, and unknown query parameters are refused with a 400 problem.
Mention timelines page newest first with pagination_token (only the 800 newest
mentions are reachable); recent search covers the last 7 days with next_token.
"""
from __future__ import annotations

import re

from . import oauth
from . import state as st
from .core import (
    PlatformSim,
    Reply,
    Request,
    Response,
    decode_token,
    digest,
    encode_token,
    int_arg,
    iso_ms,
    parse_when,
    route,
)
from .generator import OWN_POSTS
from .ratelimit import PER_APP, Bucket

WINDOW = 15 * 60
MENTIONS_REACHABLE = 800
SEARCH_DAYS = 7
TOKEN_LIFETIME = 7200
SNOWFLAKE_EPOCH_MS = 1288834974657

TWEET_FIELDS = {"article", "attachments", "author_id", "card_uri", "context_annotations", "conversation_id",
                "created_at", "display_text_range", "edit_controls", "edit_history_tweet_ids", "entities",
                "geo", "id", "in_reply_to_user_id", "lang", "media_metadata", "non_public_metrics", "note_tweet",
                "organic_metrics", "possibly_sensitive", "promoted_metrics", "public_metrics",
                "referenced_tweets", "reply_settings", "scopes", "source", "text", "withheld"}
USER_FIELDS = {"affiliation", "confirmed_email", "connection_status", "created_at", "description", "entities",
               "id", "location", "most_recent_tweet_id", "name", "pinned_tweet_id", "profile_banner_url",
               "profile_image_url", "protected", "public_metrics", "receives_your_dm", "subscription_type",
               "url", "username", "verified", "verified_type", "withheld"}
EXPANSIONS = {"attachments.media_keys", "attachments.poll_ids", "author_id", "edit_history_tweet_ids",
              "entities.mentions.username", "geo.place_id", "in_reply_to_user_id", "referenced_tweets.id",
              "referenced_tweets.id.author_id", "pinned_tweet_id", "most_recent_tweet_id"}
FIELD_PARAMS = ("tweet.fields", "user.fields", "expansions", "media.fields", "place.fields", "poll.fields")
DEFAULT_TWEET = ("id", "text", "edit_history_tweet_ids")
DEFAULT_USER = ("id", "name", "username")

MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})")
HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
URL_RE = re.compile(r"https?://\S+")


def problem(status: int, title: str, detail: str = "", type_: str = "about:blank") -> Response:
    return Response.json({"title": title, "detail": detail or title, "type": type_, "status": status}, status)


def invalid_request(message: str, parameters: dict | None = None) -> Response:
    return Response.json({
        "errors": [{"parameters": parameters or {}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }, 400)


def snowflake(order: int) -> str:
    """A real-looking tweet id: creation milliseconds since X's epoch << 22 | sequence."""
    return str(((st.order_ms(order) - SNOWFLAKE_EPOCH_MS) << 22) | (order & 0x3FFFFF))


def snowflake_ms(tweet_id: str) -> int:
    return (int(tweet_id) >> 22) + SNOWFLAKE_EPOCH_MS


def numeric_id(text: str) -> str:
    return str(int(digest("x", text.lower(), length=15), 16) % 10**18)


class XSim(PlatformSim):
    name = "x"
    max_text = 280
    token_lifetime = TOKEN_LIFETIME
    default_account = {"id": "1300000000000000001", "handle": "KingsmereBC", "name": "Kingsmere Borough Council",
                       "followers": 48210, "following": 812, "posts": 15230}
    buckets = {
        # User-context limits (OAuth 2 user tokens); app-only bearer tokens get the _app ones.
        "mentions": Bucket("mentions", 180, WINDOW),
        "mentions_app": Bucket("mentions_app", 450, WINDOW, per=PER_APP),
        "search": Bucket("search", 180, WINDOW),
        "search_app": Bucket("search_app", 450, WINDOW, per=PER_APP),
        "tweet_lookup": Bucket("tweet_lookup", 900, WINDOW),
        "tweet_lookup_app": Bucket("tweet_lookup_app", 450, WINDOW, per=PER_APP),
        "users_me": Bucket("users_me", 75, WINDOW),
        "user_lookup": Bucket("user_lookup", 900, WINDOW),
        "create_tweet": Bucket("create_tweet", 100, WINDOW),
        "delete_tweet": Bucket("delete_tweet", 50, WINDOW),
        "hide_reply": Bucket("hide_reply", 50, WINDOW),
        "media_upload": Bucket("media_upload", 500, WINDOW),
        # The project's monthly cap on posts read from mentions and search, charged per post
        # returned. Pro tier by default; POST /_sim/ratelimits {"limits": {"x": {"post_cap": 10000}}}
        # gives Basic (Free: 500). Beyond it: 429 with the "usage-capped" problem.
        "post_cap": Bucket("post_cap", 1_000_000, 30 * 86400, per=PER_APP),
    }

    def __init__(self, sim):
        super().__init__(sim)
        self._entities: dict[str, dict] = {}

    def bucket_for(self, req: Request, name: str) -> Bucket:
        if req.token is not None and req.token.app_only and name + "_app" in self.buckets:
            return self.buckets[name + "_app"]
        return self.buckets[name]

    # --- envelopes ------------------------------------------------------------------

    def auth_error(self, req, reason):
        return problem(401, "Unauthorized", "Unauthorized")

    def throttled(self, req, decision):
        return Response.json(
            {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
            429, self.rate_headers(req, decision))

    def rate_headers(self, req, decision):
        return {"x-rate-limit-limit": str(decision.limit), "x-rate-limit-remaining": str(decision.remaining),
                "x-rate-limit-reset": str(int(-(-decision.reset // 1)))}

    def server_error(self, req, status):
        titles = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return problem(status, titles.get(status, "Server Error"))

    def not_found(self, req, what=""):
        return problem(404, "Not Found Error", f"Sorry, that page does not exist: {what}",
                       "https://api.twitter.com/2/problems/resource-not-found")

    def invalid(self, req, message):
        return invalid_request(message)

    # --- accounts and items -----------------------------------------------------------

    def seed_council(self, account):
        now = self.state.now()
        for i, text in enumerate(OWN_POSTS[:4]):
            self.publish(account.id, text, now - 86400 * (4 - i), seeded=True)

    def make_author(self, persona):
        handle = persona.handle
        if len(handle) > 15:
            handle = handle[: 15 - len(str(persona.key))] + str(persona.key)
        return st.Account("x", str(2_000_000_000 + persona.key * 1009), handle, persona.name,
                          followers=persona.followers, following=persona.following,
                          posts_count=persona.posts_count, verified=persona.verified, bio=persona.bio,
                          created_at=persona.created_at)

    def _new_post(self, account_id, kind, text, author, created_at, in_reply_to="", **engagement) -> st.Post:
        order, created_at = self.state.new_order("x", created_at)
        parent = self.state.post("x", in_reply_to) if in_reply_to else None
        post = st.Post("x", snowflake(order), order, account_id, kind, text, author, created_at,
                       in_reply_to=parent.id if parent else "",
                       root_id=(parent.root_id or parent.id) if parent else "",
                       likes=engagement.get("likes", 0), replies=engagement.get("replies", 0),
                       reshares=engagement.get("reshares", 0), tau=engagement.get("tau", 0.0))
        return post

    def add_item(self, account_id, kind, text, author, created_at, in_reply_to="", **engagement):
        council = self.council(account_id)
        if kind == st.KIND_COMMENT and not in_reply_to:
            own, _ = self.state.index("x", f"own:{account_id}").window(created_at, limit=1)
            in_reply_to = own[0].id if own else ""
        parent = self.state.post("x", in_reply_to) if in_reply_to else None
        if parent is not None:
            # A reply starts with the handles of the people in the conversation.
            lead = [parent.author.handle]
            if "@" + council.handle.lower() in parent.text.lower() and council.id != parent.author.id:
                lead.append(council.handle)
            lead = [h for h in lead if "@" + h.lower() not in text.lower()]
            text = " ".join("@" + h for h in lead) + (" " if lead else "") + text
        post = self._new_post(account_id, kind, text, author, created_at, in_reply_to, **engagement)
        indexes = ["all"]
        mentioned = {m.lower() for m in MENTION_RE.findall(text)}
        if kind != st.KIND_REPLY or council.handle.lower() in mentioned or (
                parent is not None and parent.author.id == council.id):
            indexes.append(f"mentions:{account_id}")
        return self.state.add_post(post, indexes)

    def publish(self, account_id, text, created_at, in_reply_to="", seeded=False, **extra):
        council = self.council(account_id)
        kind = st.KIND_REPLY if in_reply_to else st.KIND_POST
        post = self._new_post(account_id, kind, text, council, created_at, in_reply_to)
        post.own = True
        post.extra.update(extra)
        self.state.add_post(post, ["all", f"own:{account_id}"])
        council.posts_count += 1
        if not seeded:
            self.state.record_created(post, "reply" if in_reply_to else "post", **extra)
        return post

    def describe(self, post):
        return {"id": post.id, "conversation_id": post.root_id or post.id,
                "url": f"https://x.com/{post.author.handle}/status/{post.id}"}

    # --- rendering ----------------------------------------------------------------------

    def user_id_for(self, username: str) -> str:
        found = self.state.find_account("x", username)
        return found.id if found else numeric_id(username)

    def entities(self, text: str) -> dict:
        """The entities of a text (mentions, hashtags, urls), kept per text."""
        found = self._entities.get(text)
        if found is not None:
            return found
        entities: dict = {}
        mentions = [{"start": m.start(), "end": m.end(), "username": m.group(1), "id": self.user_id_for(m.group(1))}
                    for m in MENTION_RE.finditer(text)]
        if mentions:
            entities["mentions"] = mentions
        tags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)} for m in HASHTAG_RE.finditer(text)]
        if tags:
            entities["hashtags"] = tags
        urls = [{"start": m.start(), "end": m.end(), "url": m.group(0), "expanded_url": m.group(0),
                 "display_url": m.group(0).split("//", 1)[-1][:26]} for m in URL_RE.finditer(text)]
        if urls:
            entities["urls"] = urls
        if len(self._entities) > 50_000:
            self._entities.clear()
        self._entities[text] = entities
        return entities

    def tweet(self, post: st.Post, now: float) -> dict:
        likes, replies, reshares = post.engagement(now)
        replies = max(replies, len(self.state.visible_children(post, now)))
        text = post.text
        data = {
            "id": post.id,
            "text": text,
            "edit_history_tweet_ids": [post.id],
            "author_id": post.author.id,
            "created_at": iso_ms(post.created_at),
            "conversation_id": post.root_id or post.id,
            "lang": "en",
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "public_metrics": {"retweet_count": reshares, "reply_count": replies, "like_count": likes,
                               "quote_count": reshares // 4, "bookmark_count": likes // 20,
                               "impression_count": likes * 37 + reshares * 120 + 11},
            "edit_controls": {"edits_remaining": 5, "is_edit_eligible": True,
                              "editable_until": iso_ms(post.created_at + 3600)},
        }
        entities = self.entities(text)
        if entities:
            data["entities"] = entities
        if post.in_reply_to:
            parent = self.state.post("x", post.in_reply_to)
            data["referenced_tweets"] = [{"type": "replied_to", "id": post.in_reply_to}]
            if parent is not None:
                data["in_reply_to_user_id"] = parent.author.id
        if post.extra.get("media_ids"):
            data["attachments"] = {"media_keys": [f"3_{m}" for m in post.extra["media_ids"]]}
        return data

    @staticmethod
    def user(account: st.Account) -> dict:
        return {
            "id": account.id,
            "name": account.name,
            "username": account.handle,
            "created_at": iso_ms(account.created_at),
            "description": account.bio,
            "location": account.location,
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{account.id}/avatar_normal.jpg",
            "protected": False,
            "verified": account.verified,
            "verified_type": "blue" if account.verified else "none",
            "url": "",
            "public_metrics": {"followers_count": account.followers, "following_count": account.following,
                               "tweet_count": account.posts_count, "listed_count": account.followers // 200,
                               "like_count": account.posts_count // 3},
        }

    def fields(self, req: Request) -> tuple[set, set, set]:
        """Requested (tweet fields, user fields, expansions); 400 for unknown values."""
        out = []
        for param, allowed in (("tweet.fields", TWEET_FIELDS), ("user.fields", USER_FIELDS),
                               ("expansions", EXPANSIONS)):
            values = {v for raw in req.args(param) for v in raw.split(",") if v}
            unknown = values - allowed
            if unknown:
                bad = sorted(unknown)[0]
                raise Reply(invalid_request(
                    f"The `{param}` query parameter value [{bad}] is not one of [{','.join(sorted(allowed))}]",
                    {param: [bad]}))
            out.append(values)
        return out[0], out[1], out[2]

    @staticmethod
    def pick(obj: dict, wanted: set, defaults: tuple) -> dict:
        keep = set(defaults) | wanted
        return {k: v for k, v in obj.items() if k in keep}

    def body(self, req: Request, posts: list[st.Post], now: float, meta: dict | None, *, single: bool = False) -> dict:
        tweet_fields, user_fields, expansions = self.fields(req)
        data = [self.pick(self.tweet(p, now), tweet_fields, DEFAULT_TWEET) for p in posts]
        out: dict = {}
        if data:
            out["data"] = data[0] if single else data
        users: dict[str, dict] = {}
        tweets: dict[str, dict] = {}
        for post in posts:
            full = self.tweet(post, now)
            if "author_id" in expansions:
                users.setdefault(post.author.id, self.pick(self.user(post.author), user_fields, DEFAULT_USER))
            if "entities.mentions.username" in expansions:
                for mention in full.get("entities", {}).get("mentions", []):
                    account = self.state.find_account("x", mention["username"])
                    if account is not None:
                        users.setdefault(account.id, self.pick(self.user(account), user_fields, DEFAULT_USER))
            parent = self.state.post("x", post.in_reply_to) if post.in_reply_to else None
            if parent is not None:
                if "in_reply_to_user_id" in expansions or "referenced_tweets.id.author_id" in expansions:
                    users.setdefault(parent.author.id, self.pick(self.user(parent.author), user_fields, DEFAULT_USER))
                if "referenced_tweets.id" in expansions and parent.visible(now):
                    tweets.setdefault(parent.id, self.pick(self.tweet(parent, now), tweet_fields, DEFAULT_TWEET))
        includes = {}
        if users:
            includes["users"] = list(users.values())
        if tweets:
            includes["tweets"] = list(tweets.values())
        if includes:
            out["includes"] = includes
        if meta is not None:
            out["meta"] = meta
        return out

    def check_params(self, req: Request, allowed: set) -> None:
        allowed = allowed | set(FIELD_PARAMS)
        for name in req.query:
            if name not in allowed:
                raise Reply(invalid_request(
                    f"The query parameter [{name}] is not one of [{','.join(sorted(allowed))}]", {name: req.query[name]}))

    # --- reads --------------------------------------------------------------------------

    def _bounds(self, req: Request, token_param: str) -> tuple[int | None, int | None, dict | None]:
        """(after, before, decoded token) from since_id/until_id/start_time/end_time and the cursor."""
        after = before = None
        for name in ("since_id", "until_id"):
            raw = req.arg(name)
            if raw is not None and not raw.isdigit():
                raise Reply(invalid_request(f"The `{name}` query parameter value [{raw}] is not valid", {name: [raw]}))
        # Each millisecond holds at most one post, so an id's millisecond bounds it exactly.
        if req.arg("since_id"):
            after = st.max_order(snowflake_ms(req.arg("since_id")))
        if req.arg("until_id"):
            before = snowflake_ms(req.arg("until_id")) << st.ORDER_BITS
        for name, is_start in (("start_time", True), ("end_time", False)):
            raw = req.arg(name)
            if raw:
                when = parse_when(raw)
                if when is None:
                    raise Reply(invalid_request(f"Invalid '{name}':'{raw}'.", {name: [raw]}))
                ms = int(when * 1000)
                if is_start:
                    after = max(after or 0, (ms << st.ORDER_BITS) - 1)
                else:
                    before = min(before or ms << st.ORDER_BITS, ms << st.ORDER_BITS)
        token = None
        raw_token = req.arg(token_param) or req.arg("pagination_token")
        if raw_token:
            token = decode_token(raw_token)
            if token is None or token.get("p") != "x":
                raise Reply(invalid_request(
                    f"The `{token_param}` query parameter value [{raw_token}] is not valid", {token_param: [raw_token]}))
        return after, before, token

    def listing(self, req: Request, index: st.Index, *, token_param: str, floor: int | None, limit: int) -> Response:
        now = self.state.now()
        cap, app = self.buckets["post_cap"], req.token.client_id if req.token else "app"
        used, allowed, _ = self.sim.limiter.usage("x", cap, app, now)
        if used >= allowed:
            raise Reply(Response.json({
                "title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap",
                "type": "https://api.twitter.com/2/problems/usage-capped", "period": "Monthly",
                "scope": "Product", "status": 429}, 429))
        after, before, token = self._bounds(req, token_param)
        if floor is not None:
            after = max(after or 0, floor)
        newer = False
        if token is not None:
            if "b" in token:
                before = token["b"] if before is None else min(before, token["b"])
            else:
                after = max(after or 0, token["a"])
                newer = True
        if newer:
            items, more = index.window(now, limit=limit, after=after, before=before, oldest_first=True)
            items.reverse()
        else:
            items, more = index.window(now, limit=limit, after=after, before=before)
        if token is not None and items:
            earlier = index.neighbour(now, items[-1].order if newer else items[0].order, newer=not newer)
            if earlier is not None and (floor is None or earlier.order > floor):
                items = self.apply_page_fault(req, items, earlier)
        elif items:
            items = self.apply_page_fault(req, items)
        meta: dict = {"result_count": len(items)}
        if items:
            ordered = sorted(items, key=lambda p: p.order)
            meta["newest_id"] = ordered[-1].id
            meta["oldest_id"] = ordered[0].id
            oldest, newest = ordered[0].order, ordered[-1].order
            older_more = more if not newer else True
            newer_more = more if newer else token is not None
            if older_more:
                meta["next_token"] = encode_token({"p": "x", "b": oldest})
            if newer_more:
                meta["previous_token"] = encode_token({"p": "x", "a": newest})
        self.sim.limiter.add("x", cap, app, len(items), now)
        return Response.json(self.body(req, items, now, meta))

    @route("GET", "/2/users/:id/mentions", buckets=(("mentions", 1),), listing=True)
    def mentions(self, req):
        self.check_params(req, {"max_results", "pagination_token", "since_id", "until_id", "start_time", "end_time"})
        user_id = req.params["id"]
        if not user_id.isdigit():
            raise Reply(invalid_request(f"The `id` query parameter value [{user_id}] does not match ^[0-9]{{1,19}}$",
                                        {"id": [user_id]}))
        self.council(user_id)
        limit = int_arg(req, "max_results", 10, 5, 100, invalid_request)
        index = self.state.index("x", f"mentions:{user_id}")
        now = self.state.now()
        reachable, more = index.window(now, limit=MENTIONS_REACHABLE)
        floor = reachable[-1].order - 1 if more else None
        return self.listing(req, index, token_param="pagination_token", floor=floor, limit=limit)

    @route("GET", "/2/tweets/search/recent", buckets=(("search", 1),), listing=True)
    def search_recent(self, req):
        self.check_params(req, {"query", "max_results", "next_token", "pagination_token", "since_id", "until_id",
                                "start_time", "end_time", "sort_order"})
        query = req.arg("query") or ""
        if not query.strip():
            raise Reply(invalid_request("The `query` query parameter can not be empty", {"query": []}))
        if len(query) > 512:
            raise Reply(invalid_request("The `query` query parameter value is longer than 512 characters",
                                        {"query": [query]}))
        limit = int_arg(req, "max_results", 10, 10, 100, invalid_request)
        matcher = compile_query(query)
        now = self.state.now()
        week_ago = int((now - SEARCH_DAYS * 86400) * 1000) << st.ORDER_BITS
        source = self.state.index("x", "all")
        index = st.Index()
        for post in source.posts:
            if post.order > week_ago and matcher(post, self):
                index.orders.append(post.order)
                index.posts.append(post)
        return self.listing(req, index, token_param="next_token", floor=week_ago, limit=limit)

    @route("GET", "/2/tweets/:id", buckets=(("tweet_lookup", 1),))
    def tweet_lookup(self, req):
        post = self.state.post("x", req.params["id"])
        now = self.state.now()
        if post is None or not post.visible(now):
            return Response.json({"errors": [self.not_found_error(req.params["id"], "tweet")]})
        return Response.json(self.body(req, [post], now, None, single=True))

    @route("GET", "/2/tweets", buckets=(("tweet_lookup", 1),))
    def tweets_lookup(self, req):
        ids = [i for raw in req.args("ids") for i in raw.split(",") if i]
        if not ids:
            raise Reply(invalid_request("The `ids` query parameter can not be empty", {"ids": []}))
        now = self.state.now()
        found, errors = [], []
        for tweet_id in ids[:100]:
            post = self.state.post("x", tweet_id)
            if post is not None and post.visible(now):
                found.append(post)
            else:
                errors.append(self.not_found_error(tweet_id, "tweet"))
        body = self.body(req, found, now, None)
        if errors:
            body["errors"] = errors
        return Response.json(body)

    @staticmethod
    def not_found_error(value: str, kind: str) -> dict:
        return {"value": value, "detail": f"Could not find {kind} with id: [{value}].", "title": "Not Found Error",
                "resource_type": kind, "parameter": "id", "resource_id": value,
                "type": "https://api.twitter.com/2/problems/resource-not-found"}

    def user_body(self, req: Request, account: st.Account) -> Response:
        _, user_fields, _ = self.fields(req)
        return Response.json({"data": self.pick(self.user(account), user_fields, DEFAULT_USER)})

    @route("GET", "/2/users/me", buckets=(("users_me", 1),))
    def users_me(self, req):
        if req.token.app_only:
            return problem(403, "Unsupported Authentication",
                           "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.",
                           "https://api.twitter.com/2/problems/unsupported-authentication")
        return self.user_body(req, self.council(req.token.account_id))

    @route("GET", "/2/users/:id", buckets=(("user_lookup", 1),))
    def user_lookup(self, req):
        account = self.state.account("x", req.params["id"])
        if account is None:
            return Response.json({"errors": [self.not_found_error(req.params["id"], "user")]})
        return self.user_body(req, account)

    @route("GET", "/2/users/by/username/:username", buckets=(("user_lookup", 1),))
    def user_by_username(self, req):
        account = self.state.find_account("x", req.params["username"])
        if account is None:
            return Response.json({"errors": [self.not_found_error(req.params["username"], "user")]})
        return self.user_body(req, account)

    # --- writes -------------------------------------------------------------------------

    def require_scope(self, req: Request, scope: str) -> None:
        token = req.token
        if token.app_only:
            raise Reply(problem(403, "Unsupported Authentication",
                                "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.",
                                "https://api.twitter.com/2/problems/unsupported-authentication"))
        if token.scope not in ("", "*") and scope not in token.scope.split():
            raise Reply(problem(403, "Forbidden", "You are not permitted to perform this action."))

    @route("POST", "/2/tweets", buckets=(("create_tweet", 1),))
    def create_tweet(self, req):
        self.require_scope(req, "tweet.write")
        body = req.json()
        if not isinstance(body, dict):
            raise Reply(invalid_request("Request body must be JSON"))
        text = body.get("text") or ""
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if not text and not media_ids:
            raise Reply(invalid_request("$.text: is missing but it is required", {"text": []}))
        if len(text) > self.max_text:
            return problem(403, "Forbidden", "Your Tweet text is too long. For more information on how to make a "
                                             "Tweet longer, see https://help.x.com/en/using-x/how-to-post-a-longer-tweet")
        account = req.token.account_id
        now = self.state.now()
        for recent in self.state.index("x", f"own:{account}").window(now, limit=50)[0]:
            if recent.text == text and not recent.extra.get("seeded") and now - recent.created_at < 86400:
                return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        reply_to = str((body.get("reply") or {}).get("in_reply_to_tweet_id") or "")
        if reply_to:
            parent = self.state.post("x", reply_to)
            if parent is None or not parent.visible(now):
                return problem(403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible "
                                                 "to you.")
        extra = {"media_ids": [str(m) for m in media_ids]} if media_ids else {}
        post = self.publish(account, text, now, in_reply_to=reply_to, **extra)
        return Response.json({"data": {"id": post.id, "text": post.text, "edit_history_tweet_ids": [post.id]}}, 201,
                             {"location": f"https://api.x.com/2/tweets/{post.id}"})

    @route("DELETE", "/2/tweets/:id", buckets=(("delete_tweet", 1),))
    def delete_tweet(self, req):
        self.require_scope(req, "tweet.write")
        post = self.state.post("x", req.params["id"])
        if post is None or post.deleted:
            return Response.json({"errors": [self.not_found_error(req.params["id"], "tweet")]}, 404)
        if post.author.id != req.token.account_id:
            return problem(403, "Forbidden", "You are not authorized to delete this Tweet.")
        post.deleted = True
        return Response.json({"data": {"deleted": True}})

    @route("PUT", "/2/tweets/:id/hidden", buckets=(("hide_reply", 1),))
    def hide_reply(self, req):
        self.require_scope(req, "tweet.moderate.write")
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("hidden"), bool):
            raise Reply(invalid_request("$.hidden: is missing but it is required", {"hidden": []}))
        post = self.state.post("x", req.params["id"])
        if post is None or post.deleted:
            return Response.json({"errors": [self.not_found_error(req.params["id"], "tweet")]}, 404)
        root = self.state.post("x", post.root_id) if post.root_id else None
        if root is None or root.author.id != req.token.account_id:
            return problem(403, "Forbidden", "You can only hide or unhide replies to conversations you started.")
        post.hidden = body["hidden"]
        return Response.json({"data": {"hidden": post.hidden}})

    @route("POST", "/2/media/upload", buckets=(("media_upload", 1),))
    def media_upload(self, req):
        self.require_scope(req, "media.write")
        size = len(req.body)
        media_id = str(self.state.new_order("x-media", self.state.now())[0])
        return Response.json({"data": {"id": media_id, "media_key": f"3_{media_id}", "size": size,
                                       "expires_after_secs": 86400,
                                       "image": {"image_type": "image/jpeg", "w": 1200, "h": 675}}})

    # --- OAuth 2 ------------------------------------------------------------------------

    @route("GET", "/i/oauth2/authorize", auth=False)
    def authorize(self, req):
        return oauth.authorise(self, req, require_pkce=True, label="X")

    def token_error(self, description: str, error: str = "invalid_request") -> Response:
        return Response.json({"error": error, "error_description": description}, 400)

    def token_body(self, access: st.Token, refresh: st.Token | None) -> Response:
        body = {"token_type": "bearer", "expires_in": TOKEN_LIFETIME, "access_token": access.value,
                "scope": access.scope}
        if refresh is not None:
            body["refresh_token"] = refresh.value
        return Response.json(body)

    @route("POST", "/2/oauth2/token", auth=False)
    def token(self, req):
        client_id, _ = oauth.client_credentials(req)
        grant_type = req.arg("grant_type")
        if grant_type == "authorization_code":
            grant = oauth.redeem(self, req.arg("code"), req.arg("redirect_uri"), req.arg("code_verifier"))
            if isinstance(grant, str):
                return self.token_error("Value passed for the authorization code was invalid.")
            scope = grant.scope
            access, refresh = oauth.issue(self, grant.account_id, client_id=client_id or grant.client_id, scope=scope,
                                          expires_in=TOKEN_LIFETIME, refresh="offline.access" in scope.split())
            return self.token_body(access, refresh)
        if grant_type == "refresh_token":
            old = oauth.refresh_grant(self, req.arg("refresh_token"))
            if old is None:
                return self.token_error("Value passed for the token was invalid.")
            oauth.revoke(self, old.value)  # X refresh tokens are single use
            access, refresh = oauth.issue(self, old.account_id, client_id=old.client_id, scope=old.scope,
                                          expires_in=TOKEN_LIFETIME)
            return self.token_body(access, refresh)
        return self.token_error("Missing required parameter [grant_type].")

    @route("POST", "/oauth2/token", auth=False)
    def app_token(self, req):
        if req.arg("grant_type") != "client_credentials":
            return Response.json({"errors": [{"code": 170, "message": "Missing required parameter: grant_type",
                                              "label": "forbidden_missing_parameter"}]}, 403)
        client_id, _ = oauth.client_credentials(req)
        access, _ = oauth.issue(self, self.default_account["id"], client_id=client_id or "app", refresh=False,
                                access_prefix="AAAAAAAAAAAAAAAAAAAAA", app_only=True)
        return Response.json({"token_type": "bearer", "access_token": access.value})

    @route("POST", "/2/oauth2/revoke", auth=False)
    def revoke(self, req):
        oauth.revoke(self, req.arg("token") or "")
        return Response.json({"revoked": True})

    # --- bulk pages -----------------------------------------------------------------

    def bulk_page(self, posts, account_id, now, more, start=0):
        meta = {"result_count": len(posts)}
        if posts:
            meta["newest_id"] = posts[0].id
            meta["oldest_id"] = posts[-1].id
            if more:
                meta["next_token"] = encode_token({"p": "x", "b": posts[-1].order})
        users = {}
        data = []
        for post in posts:
            tweet = self.tweet(post, now)
            tweet.pop("edit_controls")
            data.append(tweet)
            if post.author.id not in users:
                users[post.author.id] = self.user(post.author)
        out: dict = {"data": data, "includes": {"users": list(users.values())}, "meta": meta} if data else {"meta": meta}
        return out


def compile_query(query: str):
    """A matcher for a recent-search query: terms ANDed, OR between groups, '-' negates;
    supports words, "phrases", @handles, #tags, from:, to:, is:reply, is:retweet, lang:."""
    tokens = re.findall(r'-?"[^"]*"|-?[^\s()]+', query)
    groups: list[list[tuple[bool, str]]] = [[]]
    for token in tokens:
        if token == "OR":
            groups.append([])
            continue
        negate = token.startswith("-")
        groups[-1].append((negate, token[1:] if negate else token))

    def term_matches(term: str, post: st.Post, sim: XSim) -> bool:
        text = post.text.lower()
        if term.startswith('"'):
            return term.strip('"').lower() in text
        if ":" in term and not term.startswith(("http", "@", "#")):
            op, _, value = term.partition(":")
            value = value.lower().lstrip("@")
            if op == "from":
                return post.author.handle.lower() == value
            if op == "to":
                parent = sim.state.post("x", post.in_reply_to) if post.in_reply_to else None
                return parent is not None and parent.author.handle.lower() == value
            if op == "is":
                return value == "reply" and bool(post.in_reply_to)
            if op == "has":
                return value == "links" and "http" in text
            return True  # lang:, place: and the like: every simulated post qualifies
        return term.lower() in text

    def matcher(post: st.Post, sim: XSim) -> bool:
        return any(group and all(term_matches(t, post, sim) != neg for neg, t in group) for group in groups)

    return matcher
