"""Facebook Pages over the Graph API.

Endpoints:
  feed    comments and replies on the Page's posts, and posts by others on the Page.
          A run lists the Page's posts (newest first, back to `lookback` before the
          watermark) and reads the comments of every post whose updated_time (which
          moves when someone comments) is past the watermark.
  tagged  posts in which the Page is tagged (/{page-id}/tagged), newest first.

Comment ids are "<post>_<comment>"; when a response has no id (fields not requested)
it is rebuilt from the permalink (…/posts/<post>/?comment_id=…&reply_comment_id=…).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .base import (
    KIND_COMMENT,
    KIND_MENTION,
    KIND_REPLY,
    AuthError,
    Author,
    Credentials,
    Item,
    Metrics,
    PlatformError,
    Published,
)
from .graph import GraphClient, epoch, malformed

POST_FIELDS = (
    "id,message,created_time,updated_time,from{id,name},permalink_url,status_type,shares,"
    "comments.summary(true).limit(0),reactions.summary(true).limit(0)"
)
COMMENT_FIELDS = "id,message,created_time,from{id,name},permalink_url,like_count,comment_count,parent{id}"
TAGGED_FIELDS = "id,message,created_time,tagged_time,from{id,name},permalink_url"

PERMALINK_POST = re.compile(r"facebook\.com/([^/?#]+)/posts/([^/?#]+)")


def permalink_ids(url: str) -> dict:
    """Ids in a post or comment permalink: page, post (local part), comment, reply."""
    match = PERMALINK_POST.search(url or "")
    if not match:
        return {}
    query = parse_qs(urlsplit(url).query)
    return {
        "page": match.group(1),
        "post": match.group(2),
        "comment": (query.get("comment_id") or [""])[0],
        "reply": (query.get("reply_comment_id") or [""])[0],
    }


class FacebookClient(GraphClient):
    platform = "facebook"
    endpoints = ("feed", "tagged")
    max_text_length = 63206
    default_scopes = (
        "pages_show_list",
        "pages_read_engagement",
        "pages_read_user_content",
        "pages_manage_posts",
        "pages_manage_engagement",
    )

    # --- parsing ---------------------------------------------------------------

    def parse(self, body: Any, *, endpoint: str | None = None) -> list[Item]:
        """Items in a Graph response. `endpoint` may be "feed", "tagged", "comments"
        (a /{post-id}/comments page) or None to guess from the shape; a Page webhook
        delivery ({"object": "page", "entry": [...]}) is read too."""
        return self._parse(self._check_body(body), endpoint)

    def _parse(self, body: dict, endpoint: str | None, post_id: str = "") -> list[Item]:
        if body.get("object") == "page" and "entry" in body:
            return self._parse_webhook(body)
        if "data" in body:
            elements = self._data_list(body)
        elif "id" in body or "permalink_url" in body:
            elements = [body]
        elif set(body) <= {"paging", "summary"}:
            elements = []
        elif self._keyed_by_id(body):  # GET /?ids=a,b: one object per id asked for
            elements = list(body.values())
        else:
            raise malformed(self.platform, "no data in response", body)
        items: list[Item] = []
        for element in elements:
            if endpoint is None and set(element) <= {"id", "post_id", "success"}:
                continue  # a create response ({"id"} / {"id", "post_id"}) is not an item
            if endpoint == "comments" or (endpoint is None and self._looks_like_comment(element)):
                items.extend(self._comment(element, body, post_id=post_id))
            else:
                kind_is_tag = endpoint == "tagged" or "tagged_time" in element
                items.extend(self._post(element, body, tagged=kind_is_tag))
        return items

    @staticmethod
    def _looks_like_comment(element: dict) -> bool:
        if "tagged_time" in element or "status_type" in element:
            return False
        if "parent" in element or "comment_count" in element or "like_count" in element:
            return True
        return bool(permalink_ids(str(element.get("permalink_url", ""))).get("comment"))

    def _author(self, element: dict, body: dict) -> Author:
        who = element.get("from")
        if who is None:
            return Author(external_id="")
        if not isinstance(who, dict):
            raise malformed(self.platform, "'from' is not an object", body)
        author_id = str(who.get("id") or "")
        return Author(
            external_id=author_id,
            display_name=str(who.get("name") or ""),
            profile_url=f"https://www.facebook.com/{author_id}" if author_id else "",
        )

    def _post(self, element: dict, body: dict, *, tagged: bool) -> list[Item]:
        post_id = self._id(element.get("id"), body)
        when = element.get("created_time") or element.get("tagged_time")
        item = Item(
            platform=self.platform,
            external_id=post_id,
            kind=KIND_MENTION,
            text=self._text(element.get("message"), body),
            posted_at=self._time(when, body),
            author=self._author(element, body),
            url=str(element.get("permalink_url") or ""),
            conversation_id=post_id,
            likes=self._count(element.get("reactions") or element.get("likes")),
            replies=self._count(element.get("comments")),
            reshares=self._count(element.get("shares")),
            raw=element,
        )
        items = [item]
        nested = element.get("comments")
        if isinstance(nested, dict) and nested.get("data"):
            items.extend(self._parse(nested, "comments", post_id=post_id))
        return items

    def _comment(self, element: dict, body: dict, *, post_id: str = "", parent_id: str = "") -> list[Item]:
        link = permalink_ids(str(element.get("permalink_url") or ""))
        local_post = link.get("post", "")
        if not post_id and link.get("page", "").isdigit() and local_post:
            post_id = f"{link['page']}_{local_post}"
        comment_id = element.get("id")
        if not comment_id and local_post and (link.get("reply") or link.get("comment")):
            comment_id = f"{local_post}_{link.get('reply') or link.get('comment')}"
        comment_id = self._id(comment_id, body)

        parent = element.get("parent")
        if isinstance(parent, dict) and parent.get("id"):
            parent_id = str(parent["id"])
        elif not parent_id and link.get("reply") and local_post:
            parent_id = f"{local_post}_{link['comment']}"
        item = Item(
            platform=self.platform,
            external_id=comment_id,
            kind=KIND_REPLY if parent_id else KIND_COMMENT,
            text=self._text(element.get("message"), body),
            posted_at=self._time(element.get("created_time"), body),
            author=self._author(element, body),
            url=str(element.get("permalink_url") or ""),
            conversation_id=post_id,
            in_reply_to_id=parent_id or post_id,
            likes=self._count(element.get("like_count")),
            replies=self._count(element.get("comment_count")),
            raw=element,
        )
        items = [item]
        nested = element.get("comments")
        if isinstance(nested, dict):
            for reply in self._data_list(nested):
                items.extend(self._comment(reply, body, post_id=post_id, parent_id=comment_id))
        return items

    def _parse_webhook(self, body: dict) -> list[Item]:
        items: list[Item] = []
        for field, value in self._webhook_changes(body):
            if field not in ("mention", "feed") or value.get("item") not in ("post", "comment"):
                continue
            if field == "feed" and value.get("verb") != "add":
                continue
            post_id = str(value.get("post_id") or "")
            is_comment = value.get("item") == "comment"
            external_id = self._id(value.get("comment_id") if is_comment else post_id, body)
            who = value.get("from") or {"id": value.get("sender_id"), "name": value.get("sender_name")}
            parent = str(value.get("parent_id") or "") if is_comment else ""
            if field == "mention":
                kind = KIND_MENTION
            elif is_comment:
                kind = KIND_REPLY if parent and parent != post_id else KIND_COMMENT
            else:
                kind = KIND_MENTION
            items.append(
                Item(
                    platform=self.platform,
                    external_id=external_id,
                    kind=kind,
                    text=self._text(value.get("message"), body),
                    posted_at=self._time(value.get("created_time"), body),
                    author=self._author({"from": who} if who.get("id") else {}, body),
                    conversation_id=post_id,
                    in_reply_to_id=(parent or post_id) if is_comment else "",
                    raw=value,
                )
            )
        return items

    # --- polling ----------------------------------------------------------------

    def start_tasks(self, endpoint: str, state: dict) -> list[dict]:
        page_id = self._require_account()
        return [{"t": endpoint, "id": page_id}]

    def request_for(self, task: dict) -> tuple[str, dict]:
        kind, object_id = task["t"], task["id"]
        if kind == "feed":
            return f"/{object_id}/feed", {"fields": POST_FIELDS, "limit": 25}
        if kind == "tagged":
            return f"/{object_id}/tagged", {"fields": TAGGED_FIELDS, "limit": self.page_size}
        # Every comment and reply, newest first, each reply with its parent.
        return f"/{object_id}/comments", {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "reverse_chronological",
            "limit": self.page_size,
        }

    def handle(self, task: dict, body: dict, state: dict, run: dict) -> tuple[list[Item], list[dict]]:
        since = state.get("since")
        if task["t"] == "comments":
            items = self._parse(body, "comments", post_id=task["id"])
            return items, self.newest_first_next(task, body, items, since)
        if task["t"] == "tagged":
            items = self._parse(body, "tagged")
            return items, self.newest_first_next(task, body, items, since)

        # A page of the Page's feed: queue the comments of posts with new activity.
        window = self.window_start(state)
        follow: list[dict] = []
        items: list[Item] = []
        oldest = None
        for element in self._data_list(body):
            post = self._post(element, body, tagged=False)[0]
            created = epoch(post.posted_at)
            oldest = created if oldest is None else min(oldest, created)
            if created < window:
                continue
            items.append(post)  # posts by the Page itself are dropped by fetch
            updated = element.get("updated_time")
            active = since is None or updated is None or epoch(self._time(updated, body)) >= since
            summary = element.get("comments")
            has_comments = not isinstance(summary, dict) or self._count(summary) > 0
            if active and has_comments:
                follow.append({"t": "comments", "id": post.external_id})
        nxt = self.next_task(task, body)
        if nxt is not None and (oldest is None or oldest >= window):
            follow.append(nxt)
        return items, follow

    # --- writing ------------------------------------------------------------------

    def publish(self, text: str, *, link: str = "", images: Iterable[tuple[str, str]] = ()) -> Published:
        page_id = self._require_account()
        images = list(images)
        if not images:
            data = {"message": text}
            if link:
                data["link"] = link
            body, _ = self.post(f"/{page_id}/feed", data)
            return self._with_permalink(self.published_from(body))
        caption = f"{text}\n\n{link}" if link and link not in text else text
        if len(images) == 1:
            url, alt = images[0]
            data = {"url": url, "caption": caption}
            if alt:
                data["alt_text_custom"] = alt
            body, _ = self.post(f"/{page_id}/photos", data)
            return self._with_permalink(self.published_from(body))
        # Several photos: upload each unpublished, then one post that attaches them all.
        data = {"message": caption}
        for index, (url, alt) in enumerate(images):
            photo = {"url": url, "published": "false"}
            if alt:
                photo["alt_text_custom"] = alt
            body, _ = self.post(f"/{page_id}/photos", photo)
            data[f"attached_media[{index}]"] = json.dumps({"media_fbid": self.published_from(body).external_id})
        body, _ = self.post(f"/{page_id}/feed", data)
        return self._with_permalink(self.published_from(body))

    def reply(self, in_reply_to: str, text: str) -> Published:
        body, _ = self.post(f"/{in_reply_to}/comments", {"message": text})
        return self._with_permalink(self.published_from(body))

    def _with_permalink(self, published: Published) -> Published:
        """Add the permalink; the item is already published, so a failure here is ignored."""
        if published.url:
            return published
        try:
            body, _ = self.get(f"/{published.external_id}", {"fields": "permalink_url"})
        except PlatformError:
            return published
        if isinstance(body, dict) and isinstance(body.get("permalink_url"), str):
            published.url = body["permalink_url"]
        return published

    def hide(self, external_id: str, *, hidden: bool = True) -> None:
        body, _ = self.post(f"/{external_id}", {"is_hidden": "true" if hidden else "false"})
        self._success(body, "hide")

    def metrics(self) -> Metrics:
        body = self._metrics("fan_count,followers_count")
        fans = self._int_or_none(body.get("fan_count"))
        followers = self._int_or_none(body.get("followers_count"))
        return Metrics(followers=followers if followers is not None else fans, likes=fans)

    # --- OAuth --------------------------------------------------------------------

    def _credentials_from_user_token(self, token: dict) -> Credentials:
        """Credentials for one Page: the channel's account_id if set, else the first Page.
        All Pages the user granted are listed in extra["pages"] so a caller can switch."""
        user_token = token["access_token"]
        pages = [p for p in self._pages(user_token) if p.get("id") and p.get("access_token")]
        if not pages:
            raise AuthError("facebook: the user granted no Pages")
        wanted = self.credentials.account_id
        page = next((p for p in pages if str(p["id"]) == wanted), pages[0])
        expires = self._token_expiry(token)
        return Credentials(
            access_token=str(page["access_token"]),
            account_id=str(page["id"]),
            handle=str(page.get("name") or ""),
            extra={
                "user_access_token": user_token,
                "user_token_expires_at": expires.isoformat() if expires else None,
                "pages": [{"id": str(p["id"]), "name": p.get("name", "")} for p in pages],
            },
        )
