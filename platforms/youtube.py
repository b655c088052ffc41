"""YouTube Data API v3: comments on the channel's videos, video search for watch terms,
replies and moderation. Google OAuth 2.0 (offline access) for the channel's token."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from platforms import helpers
from platforms.base import (
    KIND_COMMENT,
    KIND_REPLY,
    KIND_SEARCH_HIT,
    AuthError,
    Author,
    Credentials,
    InvalidRequest,
    Item,
    MalformedPayload,
    Metrics,
    NotSupported,
    Page,
    PlatformClient,
    PlatformError,
    Published,
    RateLimit,
    RateLimited,
    decode_cursor,
    encode_cursor,
    parse_time,
)

PACIFIC = ZoneInfo("America/Los_Angeles")
WATCH_URL = "https://www.youtube.com/watch?v={video}"
VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
THREADS = "youtube#commentThreadListResponse"
SEARCH = "youtube#searchListResponse"
LIST_KINDS = {
    "youtube#commentThread": THREADS,
    "youtube#comment": "youtube#commentListResponse",
    "youtube#searchResult": SEARCH,
    "youtube#video": "youtube#videoListResponse",
}

# quota units per call (developers.google.com/youtube/v3/determine_quota_cost)
COST_LIST = 1
COST_SEARCH = 100
COST_WRITE = 50

QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "dailyLimitExceededUnreg"}
BURST_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
# refusals about this request, not the token (the envelope may still say PERMISSION_DENIED)
REQUEST_REASONS = {
    "commentsDisabled",
    "commentNotFound",
    "videoNotFound",
    "channelNotFound",
    "parentCommentIsPrivate",
    "operationNotSupported",
    "processingFailure",
    "commentTextTooLong",
    "invalidCommentMetadata",
    "invalidPageToken",
}
AUTH_REASONS = {
    "authError",
    "invalidCredentials",
    "insufficientPermissions",
    "forbidden",
    "keyInvalid",
    "keyExpired",
    "accessNotConfigured",
    "ipRefererBlocked",
}


def next_pacific_midnight(at: datetime | None = None) -> datetime:
    """YouTube's daily quota resets at midnight Pacific time."""
    local = (at or datetime.now(UTC)).astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=PACIFIC)
    return midnight.astimezone(UTC)


class YouTubeClient(PlatformClient):
    """Credentials.account_id is the channel id (UC…).

    Endpoints:
      "comments": commentThreads.list?allThreadsRelatedToChannelId, newest first; threads of
                  the last `reply_window` are re-read so new replies on them are found.
      "search":   search.list per watch term (type=video, order=date, publishedAfter).
    """

    platform = "youtube"
    endpoints = ("comments", "search")
    shared_endpoints = ("search",)
    max_text_length = 10000
    default_base_url = "https://www.googleapis.com/youtube/v3"
    default_authorize_url = "https://accounts.google.com/o/oauth2/v2/auth"
    default_token_url = "https://oauth2.googleapis.com/token"
    default_scopes = ("https://www.googleapis.com/auth/youtube.force-ssl",)

    daily_quota = 10000
    first_run_lookback: timedelta | None = timedelta(days=7)
    reply_window = timedelta(days=7)
    # comments can take minutes to show in listings; search indexing can take longer
    overlap = {"comments": 600.0, "search": 3600.0}
    page_size = {"comments": 100, "search": 50}

    # The project's daily quota (monitoring.budget counts units_spent against it).
    cap_period = "pacific_day"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.units_spent = 0  # quota units this client has used

    @property
    def cap_spent(self) -> int:
        return self.units_spent

    def cap_cost(self, endpoint: str) -> int:
        """Quota units one fetch may spend: a search (and the statistics of what it found), or
        a page of comment threads and the replies of a few busy threads."""
        return COST_SEARCH + COST_LIST if endpoint == "search" else 10 * COST_LIST

    # --- HTTP -----------------------------------------------------------------

    def send(self, method: str, path_or_url: str, *, cost: int = COST_LIST, **kwargs):
        headers = kwargs.pop("headers", None) or {}
        if self.credentials.access_token:
            headers.setdefault("Authorization", f"Bearer {self.credentials.access_token}")
        self.units_spent += cost  # every call is charged, even a failing one
        return super().send(method, path_or_url, headers=headers, **kwargs)

    def error_from(self, response: requests.Response, body: Any) -> PlatformError | None:
        if response.status_code < 400:
            return None
        return self._error(body, status=response.status_code, text=response.text, response=response)

    def _error(
        self, body: Any, *, status: int, text: str, response: requests.Response | None = None
    ) -> PlatformError | None:
        """The error a Google error envelope {"error": {code, message, errors[{reason}], status}} means."""
        if not isinstance(body, dict):
            return None
        error = body.get("error")
        if not isinstance(error, dict):
            return None
        reasons = {str(e.get("reason") or "") for e in error.get("errors") or [] if isinstance(e, dict)}
        message = error.get("message") or ""
        if reasons & QUOTA_REASONS:
            return RateLimited(
                f"youtube: daily quota exhausted ({', '.join(sorted(reasons))})",
                retry_at=next_pacific_midnight(),
                status=status,
                body=text,
            )
        if reasons & BURST_REASONS:
            return RateLimited(
                "youtube: rate limit exceeded",
                retry_at=self._retry_at(response) if response is not None else datetime.now(UTC) + timedelta(seconds=60),
                status=status,
                body=text,
            )
        if reasons & REQUEST_REASONS:
            return InvalidRequest(
                f"youtube: {message or ', '.join(sorted(reasons))}", status=status, body=text
            )
        if (
            status == 401
            or reasons & AUTH_REASONS
            or error.get("status") in ("UNAUTHENTICATED", "PERMISSION_DENIED")
        ):
            return AuthError(f"youtube: {message or 'not authorised'}", status=status, body=text)
        return None

    def rate_limit_from(self, response: requests.Response) -> RateLimit:
        # No rate headers: the limit is the project's daily quota.
        return RateLimit(limit=self.daily_quota, reset_at=next_pacific_midnight())

    def _retry_at(self, response: requests.Response) -> datetime:
        if response.headers.get("Retry-After"):
            return super()._retry_at(response)
        return datetime.now(UTC) + timedelta(seconds=60)

    # --- reading --------------------------------------------------------------

    def fetch(self, endpoint: str, cursor: str | None, *, watch_terms: Iterable[str] = ()) -> Page:
        if endpoint not in self.endpoints:
            raise InvalidRequest(f"youtube: unknown endpoint {endpoint!r}")
        state = decode_cursor(cursor)
        spent_before = self.units_spent
        if endpoint == "comments":
            page = self._fetch_comments(state)
        else:
            page = helpers.poll_terms(state, watch_terms, self._search_term)
        # Daily quota estimate for this poll: units its own calls spent today (Pacific).
        # Other polls and publishing on the same Google project draw on the same quota.
        day = datetime.now(PACIFIC).date().isoformat()
        used = state.get("quota", [day, 0])
        used = used[1] if used[0] == day else 0
        used += self.units_spent - spent_before
        state["quota"] = [day, used]
        page.rate_limit = RateLimit(
            limit=self.daily_quota,
            remaining=max(0, self.daily_quota - used),
            reset_at=next_pacific_midnight(),
        )
        page.next_cursor = encode_cursor(state)
        return page

    def _list(self, path: str, params: dict, *, cost: int = COST_LIST) -> tuple[dict, requests.Response]:
        body, response = self.send("GET", path, params=params, cost=cost)
        if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
            raise MalformedPayload(
                "youtube: unexpected response shape", status=response.status_code, body=response.text
            )
        return body, response

    def _list_page(self, path: str, params: dict, walk: helpers.Backlog, *, cost: int = COST_LIST):
        """The walk's next page; if its page token has expired, the walk restarts from the
        newest page (what it already returned is remembered, so nothing repeats)."""
        if walk.page:
            try:
                return self._list(path, {**params, "pageToken": walk.page}, cost=cost)
            except InvalidRequest as exc:
                if "invalidPageToken" not in exc.body:
                    raise
                walk.page = None
        return self._list(path, params, cost=cost)

    def _fetch_comments(self, state: dict) -> Page:
        if not self.credentials.account_id:
            raise InvalidRequest("youtube: Credentials.account_id (the channel id) is required")
        walk = helpers.Backlog(
            state.get("walk"),
            first_floor=helpers.first_floor(self.first_run_lookback),
            overlap=self.overlap["comments"],
        )
        params = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": self.credentials.account_id,
            "order": "time",
            "maxResults": self.page_size["comments"],
            "textFormat": "plainText",
        }
        body, response = self._list_page("/commentThreads", params, walk)
        try:
            threads = [(t, *self._thread(t)) for t in body.get("items", [])]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedPayload(
                f"youtube: unexpected thread shape ({exc!r})", status=response.status_code, body=response.text
            ) from None

        # reply counts of recent threads, to notice new replies on older threads
        counts: dict[str, list] = dict(state.get("threads") or {})
        window_start = helpers.epoch(helpers.now() - self.reply_window)
        items: list[Item] = []
        oldest = None
        for thread, top_level, replies in threads:
            key = helpers.epoch(top_level.posted_at)
            oldest = key if oldest is None else min(oldest, key)
            if walk.admit(top_level.external_id, key):
                items.append(top_level)
            total = top_level.replies
            known = counts.get(thread["id"])
            if total and (known is None or known[0] != total) and len(replies) < total:
                replies = self._all_replies(thread["id"], thread["snippet"].get("videoId", ""))
            for reply in replies:
                if walk.admit(reply.external_id, helpers.epoch(reply.posted_at)):
                    items.append(reply)
            if key >= window_start:
                counts[thread["id"]] = [total, key]
        has_more = walk.advance(body.get("nextPageToken"), oldest, walk_floor=window_start)
        state["walk"] = walk.state()
        state["threads"] = {t: v for t, v in counts.items() if v[1] >= window_start}
        return Page(items=items, next_cursor=None, has_more=has_more, raw_body=response.text)

    def _all_replies(self, thread_id: str, video_id: str) -> list[Item]:
        replies: list[Item] = []
        token = None
        while True:
            params = {"part": "snippet", "parentId": thread_id, "maxResults": 100, "textFormat": "plainText"}
            if token:
                params["pageToken"] = token
            body, response = self._list("/comments", params)
            for raw in body.get("items", []):
                try:
                    replies.append(self._comment(raw, video_id=video_id, thread_id=thread_id))
                except (KeyError, TypeError, ValueError, AttributeError):
                    raise MalformedPayload(
                        "youtube: unexpected comment shape", status=response.status_code, body=response.text
                    ) from None
            token = body.get("nextPageToken")
            if not token:
                return replies

    def _search_term(self, term: str, term_state: dict | None) -> tuple[Page, dict]:
        walk = helpers.Backlog(
            term_state,
            first_floor=helpers.first_floor(self.first_run_lookback),
            overlap=self.overlap["search"],
        )
        params = {
            "part": "snippet",
            "q": term,
            "type": "video",
            "order": "date",
            "maxResults": self.page_size["search"],
        }
        if walk.floor != float("-inf"):
            params["publishedAfter"] = helpers.iso_z(walk.floor)
        body, response = self._list_page("/search", params, walk, cost=COST_SEARCH)
        hits = self._parse_or_quarantine(body, response)
        items, oldest = [], None
        for item in hits:
            key = helpers.epoch(item.posted_at)
            oldest = key if oldest is None else min(oldest, key)
            if walk.admit(item.external_id, key):
                items.append(item)
        has_more = walk.advance(body.get("nextPageToken"), oldest)
        page = Page(
            items=self._with_statistics(items), next_cursor=None, has_more=has_more, raw_body=response.text
        )
        return page, walk.state()

    def _with_statistics(self, items: list[Item]) -> list[Item]:
        """search.list has no counts; videos.list (1 unit for up to 50 ids) adds them."""
        if not items:
            return items
        body, _ = self._list("/videos", {"part": "statistics", "id": ",".join(i.external_id for i in items)})
        stats = {v.get("id"): v.get("statistics") or {} for v in body.get("items", []) if isinstance(v, dict)}
        out = []
        for item in items:
            s = stats.get(item.external_id)
            if s:
                item = dataclasses.replace(
                    item, likes=_int(s.get("likeCount")), replies=_int(s.get("commentCount"))
                )
            out.append(item)
        return out

    def _parse_or_quarantine(self, body: dict, response: requests.Response) -> list[Item]:
        try:
            return self.parse(body, endpoint="search")
        except MalformedPayload as exc:
            exc.status, exc.body = response.status_code, response.text
            raise

    # --- parsing --------------------------------------------------------------

    def parse(self, body: Any, *, endpoint: str | None = None) -> list[Item]:
        if not isinstance(body, dict):
            raise MalformedPayload("youtube: expected a JSON object", body=_dump(body))
        if "error" in body:
            # An error envelope saved on its own (ingest_file): the error it stands for.
            error = body["error"] if isinstance(body["error"], dict) else {}
            code = error.get("code")
            status = code if isinstance(code, int) and not isinstance(code, bool) and code >= 400 else 400
            text = _dump(body)
            raise self._error(body, status=status, text=text) or InvalidRequest(
                f"youtube: the body is an error response: {error.get('message') or body['error']}",
                status=status, body=text,
            )
        kind = body.get("kind") or ""
        try:
            if kind == "youtube#commentThread":
                top, replies = self._thread(body)
                return [top, *replies]
            if kind == "youtube#comment":
                return [self._comment(body)]
            items = body.get("items")
            if not isinstance(items, list):
                raise MalformedPayload("youtube: no items list", body=_dump(body))
            if not kind:  # guess from the items, then from the endpoint
                first = items[0].get("kind", "") if items and isinstance(items[0], dict) else ""
                kind = LIST_KINDS.get(first) or {"comments": THREADS, "search": SEARCH}.get(
                    endpoint or "", ""
                )
                if not kind and not items:
                    return []
            if kind == THREADS:
                out: list[Item] = []
                for raw in items:
                    top, replies = self._thread(raw)
                    out += [top, *replies]
                return out
            if kind == "youtube#commentListResponse":
                return [self._comment(raw) for raw in items]
            if kind == SEARCH:  # type=video is requested; skip channels and playlists anyway
                return [self._search_hit(raw) for raw in items if raw["id"].get("kind") == "youtube#video"]
            if kind == "youtube#videoListResponse":
                return [self._video(raw) for raw in items]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedPayload(f"youtube: unexpected shape ({exc!r})", body=_dump(body)) from None
        raise MalformedPayload(f"youtube: cannot tell what {kind or 'this body'} is", body=_dump(body))

    def _thread(self, raw: dict) -> tuple[Item, list[Item]]:
        snippet = raw["snippet"]
        video = snippet.get("videoId", "")
        top = self._comment(
            snippet["topLevelComment"],
            video_id=video,
            thread_id=raw["id"],
            replies=int(snippet.get("totalReplyCount") or 0),
        )
        replies = [
            self._comment(c, video_id=video, thread_id=raw["id"])
            for c in (raw.get("replies") or {}).get("comments") or []
        ]
        return top, replies

    def _comment(self, raw: dict, *, video_id: str = "", thread_id: str = "", replies: int = 0) -> Item:
        s = raw["snippet"]
        comment_id = raw["id"]
        parent = s.get("parentId", "")
        video = s.get("videoId") or video_id
        thread = parent or thread_id or comment_id
        if video:
            url = WATCH_URL.format(video=video) + f"&lc={comment_id}"
        elif s.get("channelId"):
            url = f"https://www.youtube.com/channel/{s['channelId']}"
        else:
            url = ""
        text = s.get("textOriginal")
        if text is None:  # textOriginal is only guaranteed to the comment's author
            text = s.get("textDisplay", "")
        return Item(
            platform=self.platform,
            external_id=comment_id,
            kind=KIND_REPLY if parent else KIND_COMMENT,
            text=text,
            posted_at=_time(s["publishedAt"]),
            author=self._author(s),
            url=url,
            conversation_id=thread,
            in_reply_to_id=parent,
            likes=_int(s.get("likeCount")),
            replies=replies,
            raw=raw,
        )

    @staticmethod
    def _author(s: dict) -> Author:
        name = s.get("authorDisplayName", "")
        return Author(
            external_id=(s.get("authorChannelId") or {}).get("value", ""),
            handle=name if name.startswith("@") else "",  # newer responses show the @handle
            display_name=name,
            profile_url=s.get("authorChannelUrl", ""),
        )

    def _search_hit(self, raw: dict) -> Item:
        return self._video_item(raw["id"]["videoId"], raw["snippet"], {}, raw)

    def _video(self, raw: dict) -> Item:
        return self._video_item(raw["id"], raw["snippet"], raw.get("statistics") or {}, raw)

    def _video_item(self, video: str, s: dict, stats: dict, raw: dict) -> Item:
        # title and description as received (search snippets carry HTML entities)
        text = s.get("title", "")
        if s.get("description"):
            text += "\n\n" + s["description"]
        channel = s.get("channelId", "")
        return Item(
            platform=self.platform,
            external_id=video,
            kind=KIND_SEARCH_HIT,
            text=text,
            posted_at=_time(s["publishedAt"]),
            author=Author(
                external_id=channel,
                display_name=s.get("channelTitle", ""),
                profile_url=f"https://www.youtube.com/channel/{channel}" if channel else "",
            ),
            url=WATCH_URL.format(video=video),
            conversation_id=video,
            likes=_int(stats.get("likeCount")),
            replies=_int(stats.get("commentCount")),
            raw=raw,
        )

    def published(self, body: Any) -> Published:
        """commentThreads.insert / comments.insert response → Published."""
        if not isinstance(body, dict) or not body.get("id"):
            raise MalformedPayload("youtube: insert response without id", body=_dump(body))
        item = self.parse(body)[0]
        return Published(external_id=body["id"], url=item.url, raw=body)

    # --- writing --------------------------------------------------------------

    def publish(self, text: str, *, link: str = "", images: Iterable[tuple[str, str]] = ()) -> Published:
        raise NotSupported(
            "youtube: the Data API cannot create text or community posts; publishing on "
            "YouTube means uploading a video, which is not supported here"
        )

    def reply(self, in_reply_to: str, text: str) -> Published:
        """Reply to a comment (any comment id; replies go to its thread), or comment on a
        video when given an 11-character video id (commentThreads.insert)."""
        if VIDEO_ID.match(in_reply_to):
            payload = {
                "snippet": {"videoId": in_reply_to, "topLevelComment": {"snippet": {"textOriginal": text}}}
            }
            body, _ = self.send(
                "POST", "/commentThreads", params={"part": "snippet"}, json=payload, cost=COST_WRITE
            )
        else:
            # YouTube threads are one level deep: a reply to a reply goes to the top-level comment
            parent = in_reply_to.split(".", 1)[0]
            payload = {"snippet": {"parentId": parent, "textOriginal": text}}
            body, _ = self.send(
                "POST", "/comments", params={"part": "snippet"}, json=payload, cost=COST_WRITE
            )
        return self.published(body)

    def hide(self, external_id: str, *, hidden: bool = True) -> None:
        """Hold a comment for review (hidden from the public) or publish it again."""
        status = "heldForReview" if hidden else "published"
        self.send(
            "POST",
            "/comments/setModerationStatus",
            params={"id": external_id, "moderationStatus": status},
            cost=COST_WRITE,
        )

    def delete(self, external_id: str) -> None:
        """Delete a comment the channel wrote (others' comments: use hide)."""
        self.send("DELETE", "/comments", params={"id": external_id}, cost=COST_WRITE)

    def metrics(self) -> Metrics:
        params = {"part": "statistics"}
        if self.credentials.account_id:
            params["id"] = self.credentials.account_id
        else:
            params["mine"] = "true"
        body, response = self._list("/channels", params)
        if not body.get("items"):
            raise InvalidRequest(
                "youtube: channel not found", status=response.status_code, body=response.text
            )
        stats = body["items"][0].get("statistics") or {}
        hidden = stats.get("hiddenSubscriberCount")
        return Metrics(
            followers=None if hidden else _opt_int(stats.get("subscriberCount")),
            views=_opt_int(stats.get("viewCount")),
            posts=_opt_int(stats.get("videoCount")),
        )

    # --- OAuth ----------------------------------------------------------------

    def authorise_url(self, *, redirect_uri: str, state: str) -> str:
        return helpers.oauth_authorise_url(
            self,
            redirect_uri=redirect_uri,
            state=state,
            scopes=self.app.scopes or self.default_scopes,
            access_type="offline",  # a refresh token
            prompt="consent",  # Google only returns the refresh token on consent
            include_granted_scopes="true",
        )

    def exchange_code(self, *, code: str, redirect_uri: str, state: str = "") -> Credentials:
        token = helpers.oauth_token(self, code=code, redirect_uri=redirect_uri)
        creds = helpers.credentials_from_token(token, self.credentials)
        self.credentials = creds
        if not creds.account_id:  # the channel the user chose on the consent screen
            body, _ = self._list("/channels", {"part": "id,snippet", "mine": "true"})
            if body.get("items"):
                channel = body["items"][0]
                creds.account_id = channel.get("id", "")
                creds.handle = (channel.get("snippet") or {}).get("customUrl", "")
        return creds

    def refresh(self) -> Credentials:
        if not self.credentials.refresh_token:
            raise AuthError("youtube: no refresh token; re-authorise the channel")
        token = helpers.oauth_token(self, refresh_token=self.credentials.refresh_token)
        self.credentials = helpers.credentials_from_token(token, self.credentials)
        return self.credentials


def _time(value: str) -> datetime:
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError("missing time")
    return parsed


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _opt_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _dump(body: Any) -> str:
    try:
        return json.dumps(body, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(body)
