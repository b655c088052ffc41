"""Instagram business / creator accounts over the Graph API.

Endpoints:
  comments  comments and replies on the account's media. A run lists the media
            (newest first, back to `lookback` before the watermark) and reads every
            comment page of each media whose comments_count changed since the last
            finished run. Instagram has no "comments since" filter and replies can
            arrive under old comments, so changed media are read in full. A comment
            deleted and another added between two runs leave the count unchanged and
            are only seen once something else changes on that media.
  tags      media in which the account is photo-tagged (/{ig-user-id}/tags).
  hashtags  recent media (last 24 hours) with the watch terms as hashtags: GET /ig_hashtag_search
            finds each hashtag's id once, GET /{hashtag-id}/recent_media lists its media.
            Instagram lets an account query at most 30 unique hashtags in a rolling 7 days: a
            hashtag beyond that is skipped until the oldest one's week is over, and the page's
            rate limit shows how many of the 30 remain.

Caption and comment @mentions cannot be listed: Instagram announces them by webhook,
then they are read with `mentioned_media` / `mentioned_comment` (parse handles both).
"""
from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from .base import (
    KIND_COMMENT,
    KIND_MENTION,
    KIND_REPLY,
    KIND_SEARCH_HIT,
    AuthError,
    Author,
    Credentials,
    InvalidRequest,
    Item,
    Metrics,
    Page,
    PlatformError,
    Published,
    RateLimit,
    TransientError,
    decode_cursor,
    encode_cursor,
)
from .graph import GraphClient, epoch, malformed

MEDIA_FIELDS = "id,caption,timestamp,permalink,comments_count,like_count,media_type,username"
REPLY_FIELDS = "id,text,timestamp,username,from{id,username},like_count,parent_id"
COMMENT_FIELDS = f"id,text,timestamp,username,from{{id,username}},like_count,media{{id}},replies{{{REPLY_FIELDS}}}"
MENTIONED_MEDIA_FIELDS = "id,caption,timestamp,permalink,comments_count,like_count,media_type,media_url,username"
MENTIONED_COMMENT_FIELDS = "id,text,timestamp,like_count,username"

MEDIA_KEYS = ("media_type", "caption", "permalink", "media_url", "comments_count")
MAX_CAROUSEL = 10
HASHTAG_MEDIA_FIELDS = "id,caption,timestamp,permalink,comments_count,like_count,media_type"
HASHTAG_LIMIT = 30  # unique hashtags an account may query in a rolling week
HASHTAG_WEEK = 7 * 86400


def hashtags_of(terms: Iterable[str]) -> list[str]:
    """The watch terms as Instagram hashtags: one word of letters, digits and underscores, lower case."""
    tags = []
    for term in terms:
        tag = term.strip().lstrip("#").lower()
        if tag and re.fullmatch(r"\w+", tag) and tag not in tags:
            tags.append(tag)
    return tags


class InstagramClient(GraphClient):
    platform = "instagram"
    endpoints = ("comments", "tags", "hashtags")
    # One hashtag search per app serves every channel (monitoring runs it on one channel).
    shared_endpoints = ("hashtags",)
    max_text_length = 2200
    default_scopes = (
        "instagram_basic",
        "instagram_manage_comments",
        "instagram_content_publish",
        "pages_show_list",
        "pages_read_engagement",
    )
    publish_poll_interval = 2.0  # seconds between container status checks
    publish_poll_attempts = 30

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    # --- parsing ---------------------------------------------------------------

    def parse(self, body: Any, *, endpoint: str | None = None) -> list[Item]:
        """Items in a Graph response. `endpoint` may be "comments", "tags", "replies"
        (/{comment-id}/replies), "media" (the account's own media: only comments nested
        in them are items), "mentioned_media", "mentioned_comment", or None to guess."""
        return self._parse(self._check_body(body), endpoint)

    def _parse(self, body: dict, endpoint: str | None, media_id: str = "", parent_id: str = "") -> list[Item]:
        if isinstance(body.get("mentioned_media"), dict):
            return [self._media(body["mentioned_media"], body)]
        if isinstance(body.get("mentioned_comment"), dict):
            return self._comment(body["mentioned_comment"], body, kind=KIND_MENTION)
        if endpoint in ("mentioned_media", "mentioned_comment"):
            raise malformed(self.platform, f"no {endpoint} in response", body)
        if body.get("object") == "instagram" and "entry" in body:
            self.webhook_mentions(body)  # a delivery names mentions; resolve_webhook reads them
            return []
        if "data" in body:
            elements = self._data_list(body)
        elif "id" in body:
            elements = [body]
        elif set(body) <= {"paging"}:
            elements = []
        elif self._keyed_by_id(body):
            elements = list(body.values())
        else:
            raise malformed(self.platform, "no data in response", body)

        items: list[Item] = []
        for element in elements:
            if "quota_usage" in element or "config" in element or "status_code" in element:
                continue  # publishing quota or container status: not items
            is_media = any(key in element for key in MEDIA_KEYS)
            if endpoint in ("comments", "replies") or (endpoint is None and not is_media and "text" in element):
                kind = KIND_REPLY if endpoint == "replies" or parent_id else None
                items.extend(self._comment(element, body, media_id=media_id, parent_id=parent_id, kind=kind))
            elif endpoint == "media":
                nested = element.get("comments")
                if isinstance(nested, dict):
                    own_id = self._id(element.get("id"), body)
                    items.extend(self._parse(nested, "comments", media_id=own_id))
            elif endpoint == "tags" or is_media:
                items.append(self._media(element, body))
            elif endpoint is None and set(element) <= {"id"}:
                continue  # a bare {"id"} (publish response) is not an item
            else:
                raise malformed(self.platform, "unrecognised object in data", body)
        return items

    def _author(self, element: dict, body: dict) -> Author:
        who = element.get("from")
        if who is not None and not isinstance(who, dict):
            raise malformed(self.platform, "'from' is not an object", body)
        who = who or {}
        handle = str(who.get("username") or element.get("username") or "")
        return Author(
            external_id=str(who.get("id") or ""),
            handle=handle,
            profile_url=f"https://www.instagram.com/{handle}/" if handle else "",
        )

    def _media(self, element: dict, body: dict) -> Item:
        media_id = self._id(element.get("id"), body)
        if "timestamp" not in element and "caption" not in element:
            # Listed by its counts only (a hashtag's recent_media asked for id, media_type and
            # counts): dated when it was read, as recent_media lists the last 24 hours.
            posted_at = datetime.fromtimestamp(self._now(), tz=UTC)
        else:
            posted_at = self._time(element.get("timestamp"), body)
        return Item(
            platform=self.platform,
            external_id=media_id,
            kind=KIND_MENTION,
            text=self._text(element.get("caption"), body),
            posted_at=posted_at,
            author=self._author(element, body),
            url=str(element.get("permalink") or ""),
            conversation_id=media_id,
            likes=self._count(element.get("like_count")),
            replies=self._count(element.get("comments_count")),
            raw=element,
        )

    def _comment(
        self, element: dict, body: dict, *, media_id: str = "", parent_id: str = "", kind: str | None = None
    ) -> list[Item]:
        comment_id = self._id(element.get("id"), body)
        media = element.get("media")
        if isinstance(media, dict) and media.get("id"):
            media_id = str(media["id"])
        parent_id = str(element.get("parent_id") or parent_id or "")
        if kind is None:
            kind = KIND_REPLY if parent_id else KIND_COMMENT
        nested = element.get("replies")
        replies = self._data_list(nested) if isinstance(nested, dict) else []
        item = Item(
            platform=self.platform,
            external_id=comment_id,
            kind=kind,
            text=self._text(element.get("text"), body),
            posted_at=self._time(element.get("timestamp"), body),
            author=self._author(element, body),
            conversation_id=media_id,
            in_reply_to_id=parent_id or media_id,
            likes=self._count(element.get("like_count")),
            replies=len(replies),
            raw=element,
        )
        items = [item]
        for reply in replies:
            items.extend(self._comment(reply, body, media_id=media_id, parent_id=comment_id, kind=KIND_REPLY))
        return items

    # --- polling ----------------------------------------------------------------

    def fetch(self, endpoint: str, cursor: str | None, *, watch_terms: Iterable[str] = ()) -> Page:
        if endpoint != "hashtags":
            return super().fetch(endpoint, cursor, watch_terms=watch_terms)
        account = self._require_account()
        state = decode_cursor(cursor)
        now = int(self._now())
        # The hashtags queried in the last week, with when each was first queried in it.
        used = {t: at for t, at in (state.get("used") or {}).items() if at > now - HASHTAG_WEEK}
        ids = dict(state.get("ids") or {})
        items: list[Item] = []
        bodies: dict[str, Any] = {}
        skipped = []
        for tag in hashtags_of(watch_terms):
            if tag not in used and len(used) >= HASHTAG_LIMIT:
                skipped.append(tag)
                continue
            used.setdefault(tag, now)
            if tag not in ids:
                body, _ = self.get("/ig_hashtag_search", {"user_id": account, "q": tag})
                data = self._data_list(self._check_body(body))
                if not data:
                    continue  # no such hashtag on Instagram
                ids[tag] = self._id(data[0].get("id"), body)
            body, _ = self.get(f"/{ids[tag]}/recent_media",
                               {"user_id": account, "fields": HASHTAG_MEDIA_FIELDS, "limit": self.page_size})
            bodies[tag] = body
            items += [dataclasses.replace(i, kind=KIND_SEARCH_HIT) for i in self._parse(self._check_body(body), "tags")]
        remaining = HASHTAG_LIMIT - len(used)
        state = {"used": used, "ids": ids, **({"skipped": skipped} if skipped else {})}
        return Page(items=[i for i in items if not self._is_own(i)], next_cursor=encode_cursor(state),
                    rate_limit=RateLimit(limit=HASHTAG_LIMIT, remaining=remaining, reset_at=None),
                    raw_body=json.dumps(bodies))

    def hashtag_allowance(self, cursor: str | None) -> dict:
        """How many of the week's 30 hashtags are used, from an endpoint's cursor."""
        used = (decode_cursor(cursor).get("used") or {})
        now = int(self._now())
        live = sorted(at for at in used.values() if at > now - HASHTAG_WEEK)
        return {"limit": HASHTAG_LIMIT, "used": len(live),
                "next_free_at": datetime.fromtimestamp(live[0] + HASHTAG_WEEK, tz=UTC).isoformat() if live else None}

    def start_tasks(self, endpoint: str, state: dict) -> list[dict]:
        account = self._require_account()
        return [{"t": "media" if endpoint == "comments" else "tags", "id": account}]

    def request_for(self, task: dict) -> tuple[str, dict]:
        kind, object_id = task["t"], task["id"]
        if kind == "media":
            return f"/{object_id}/media", {"fields": MEDIA_FIELDS, "limit": 25}
        if kind == "tags":
            return f"/{object_id}/tags", {"fields": MEDIA_FIELDS, "limit": self.page_size}
        if kind == "replies":
            return f"/{object_id}/replies", {"fields": REPLY_FIELDS, "limit": self.page_size}
        return f"/{object_id}/comments", {"fields": COMMENT_FIELDS, "limit": self.page_size}

    def handle(self, task: dict, body: dict, state: dict, run: dict) -> tuple[list[Item], list[dict]]:
        kind = task["t"]
        if kind == "tags":
            items = self._parse(body, "tags")
            return items, self.newest_first_next(task, body, items, state.get("since"))
        if kind == "replies":
            items = self._parse(body, "replies", parent_id=task["id"])
            nxt = self.next_task(task, body)
            return items, [nxt] if nxt else []
        if kind == "comments":
            items = self._parse(body, "comments", media_id=task["id"])
            follow = []
            for element in self._data_list(body):
                nested = element.get("replies")
                if isinstance(nested, dict) and self.next_task({}, nested) is not None:
                    # More replies than came nested: read the rest from /{comment-id}/replies.
                    nested_next = self.next_task({"t": "replies", "id": str(element.get("id"))}, nested)
                    follow.append(nested_next)
            nxt = self.next_task(task, body)
            return items, follow + ([nxt] if nxt else [])

        # A page of the account's media: queue comment scans where the count moved.
        window = self.window_start(state)
        old_counts = state.get("counts") or {}
        counts = run.setdefault("counts", {})
        follow: list[dict] = []
        oldest = None
        for element in self._data_list(body):
            media_id = self._id(element.get("id"), body)
            created = epoch(self._time(element.get("timestamp"), body))
            oldest = created if oldest is None else min(oldest, created)
            if created < window:
                continue
            count = element.get("comments_count")
            counts[media_id] = count
            if count is None or (count != old_counts.get(media_id) and count != 0):
                follow.append({"t": "comments", "id": media_id})
        nxt = self.next_task(task, body)
        if nxt is not None and (oldest is None or oldest >= window):
            follow.append(nxt)
        return [], follow

    def promote(self, state: dict, run: dict) -> None:
        if "counts" in run:
            state["counts"] = run["counts"]

    def webhook_mentions(self, body: Any) -> list[dict]:
        """The mentions a Webhooks delivery announces ({"object": "instagram", "entry":
        [{"changes": [{"field": "mentions", "value": {"media_id"[, "comment_id"]}}]}]}):
        {"media_id", "comment_id"} pairs, comment_id "" for a caption mention. A delivery
        carries no text: resolve_webhook reads each mention."""
        refs = []
        for field, value in self._webhook_changes(body):
            if field != "mentions":
                continue
            media_id = str(value.get("media_id") or "")
            comment_id = str(value.get("comment_id") or "")
            if not (media_id or comment_id):
                raise malformed(self.platform, "mention without media_id or comment_id", body)
            refs.append({"media_id": media_id, "comment_id": comment_id})
        return refs

    def resolve_webhook(self, body: Any) -> list[Item]:
        """The mentions of a Webhooks delivery, each read from the API: a comment mention
        with mentioned_comment, a caption mention with mentioned_media."""
        items: list[Item] = []
        for ref in self.webhook_mentions(body):
            if ref["comment_id"]:
                items += self.mentioned_comment(ref["comment_id"])
            else:
                items += self.mentioned_media(ref["media_id"])
        return items

    def mentioned_media(self, media_id: str) -> list[Item]:
        """The media whose caption @mentions the account (id from the mentions webhook)."""
        account = self._require_account()
        body, _ = self.get(f"/{account}", {"fields": f"mentioned_media.media_id({media_id}){{{MENTIONED_MEDIA_FIELDS}}}"})
        return self.parse(body, endpoint="mentioned_media")

    def mentioned_comment(self, comment_id: str) -> list[Item]:
        """The comment that @mentions the account (id from the mentions webhook)."""
        account = self._require_account()
        body, _ = self.get(
            f"/{account}", {"fields": f"mentioned_comment.comment_id({comment_id}){{{MENTIONED_COMMENT_FIELDS}}}"}
        )
        return self.parse(body, endpoint="mentioned_comment")

    # --- writing ------------------------------------------------------------------

    def publish(self, text: str, *, link: str = "", images: Iterable[tuple[str, str]] = ()) -> Published:
        """Container publishing: create the container(s), wait until FINISHED, publish.
        Instagram posts need an image; links are not clickable, so one goes in the caption."""
        account = self._require_account()
        images = list(images)
        if not images:
            raise InvalidRequest("instagram: a post needs at least one image")
        if len(images) > MAX_CAROUSEL:
            raise InvalidRequest(f"instagram: at most {MAX_CAROUSEL} images in one post")
        caption = f"{text}\n\n{link}" if link and link not in text else text
        if len(images) == 1:
            url, alt = images[0]
            data = {"image_url": url, "caption": caption}
            if alt:
                data["alt_text"] = alt
            body, _ = self.post(f"/{account}/media", data)
        else:
            children = []
            for url, alt in images:
                data = {"image_url": url, "is_carousel_item": "true"}
                if alt:
                    data["alt_text"] = alt
                body, _ = self.post(f"/{account}/media", data)
                children.append(self.published_from(body).external_id)
            body, _ = self.post(
                f"/{account}/media", {"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption}
            )
        container = self.published_from(body).external_id
        self._wait_for_container(container)
        body, _ = self.post(f"/{account}/media_publish", {"creation_id": container})
        return self._with_permalink(self.published_from(body))

    def container_status(self, body: Any) -> str:
        """status_code of a container status response (IN_PROGRESS, FINISHED, ERROR, ...)."""
        if not isinstance(body, dict) or not isinstance(body.get("status_code"), str):
            raise malformed(self.platform, "container status without status_code", body)
        return body["status_code"]

    def _wait_for_container(self, container: str) -> None:
        for attempt in range(self.publish_poll_attempts):
            body, _ = self.get(f"/{container}", {"fields": "status_code"})
            status = self.container_status(body)
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status in ("ERROR", "EXPIRED"):
                raise InvalidRequest(f"instagram: media container {status}", body=json.dumps(body))
            if attempt + 1 < self.publish_poll_attempts:
                self._sleep(self.publish_poll_interval)
        raise TransientError(f"instagram: media container {container} not ready in time")

    def _with_permalink(self, published: Published) -> Published:
        """Add the permalink; the media is already published, so a failure here is ignored."""
        try:
            body, _ = self.get(f"/{published.external_id}", {"fields": "permalink"})
        except PlatformError:
            return published
        if isinstance(body, dict) and isinstance(body.get("permalink"), str):
            published.url = body["permalink"]
        return published

    def reply(self, in_reply_to: str, text: str) -> Published:
        body, _ = self.post(f"/{in_reply_to}/replies", {"message": text})
        return self.published_from(body)

    def hide(self, external_id: str, *, hidden: bool = True) -> None:
        body, _ = self.send(
            "POST", f"/{external_id}", params=self._params({"hide": "true" if hidden else "false"})
        )
        self._success(body, "hide")

    def metrics(self) -> Metrics:
        body = self._metrics("followers_count,media_count")
        return Metrics(
            followers=self._int_or_none(body.get("followers_count")),
            posts=self._int_or_none(body.get("media_count")),
        )

    def quota_from(self, body: Any) -> dict:
        """{"quota_total", "quota_duration", "quota_usage"} from content_publishing_limit."""
        data = body.get("data") if isinstance(body, dict) else None
        first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None
        config = first.get("config") if first else None
        if not isinstance(config, dict):
            raise malformed(self.platform, "publishing limit without config", body)
        return {
            "quota_total": self._int_or_none(config.get("quota_total")),
            "quota_duration": self._int_or_none(config.get("quota_duration")),
            "quota_usage": self._int_or_none(first.get("quota_usage")),
        }

    def publishing_quota(self) -> dict:
        """How many posts the account may still publish in the rolling 24 hours."""
        account = self._require_account()
        body, _ = self.get(f"/{account}/content_publishing_limit", {"fields": "config,quota_usage"})
        return self.quota_from(body)

    # --- OAuth --------------------------------------------------------------------

    def _credentials_from_user_token(self, token: dict) -> Credentials:
        """Credentials for the Instagram account linked to one of the user's Pages: the
        channel's account_id if set, else the first. Instagram calls use the Page token."""
        user_token = token["access_token"]
        linked = [
            p
            for p in self._pages(user_token)
            if isinstance(p.get("instagram_business_account"), dict)
            and p["instagram_business_account"].get("id")
            and p.get("access_token")
        ]
        if not linked:
            raise AuthError("instagram: no Page with a linked Instagram business account was granted")
        wanted = self.credentials.account_id
        page = next((p for p in linked if str(p["instagram_business_account"]["id"]) == wanted), linked[0])
        account = page["instagram_business_account"]
        expires = self._token_expiry(token)
        return Credentials(
            access_token=str(page["access_token"]),
            account_id=str(account["id"]),
            handle=str(account.get("username") or ""),
            extra={
                "page_id": str(page["id"]),
                "user_access_token": user_token,
                "user_token_expires_at": expires.isoformat() if expires else None,
                "accounts": [
                    {"id": str(p["instagram_business_account"]["id"]), "page_id": str(p["id"])} for p in linked
                ],
            },
        )
