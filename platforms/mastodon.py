"""Mastodon REST API (any instance): mention notifications, hashtag timelines and status
search for watch terms, posting, replies and deletes. OAuth 2 per instance."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import requests

from platforms import helpers
from platforms.base import (
    KIND_MENTION,
    KIND_REPLY,
    KIND_SEARCH_HIT,
    AuthError,
    Author,
    Credentials,
    InvalidRequest,
    Item,
    MalformedPayload,
    Metrics,
    Page,
    PlatformClient,
    PlatformError,
    Published,
    RateLimit,
    TransientError,
    decode_cursor,
    encode_cursor,
    parse_time,
)


class MastodonClient(PlatformClient):
    """Pass the channel's instance as base_url (e.g. https://mastodon.social); the OAuth
    URLs follow it unless given. Credentials.account_id is the account id on that instance.

    Endpoints:
      "mentions": GET /api/v1/notifications?types[]=mention, newest first (max_id paging).
      "hashtag":  per watch term: "#tag" → /api/v1/timelines/tag/:tag; other terms →
                  /api/v2/search?type=statuses (needs full-text search on the instance).
    """

    platform = "mastodon"
    endpoints = ("mentions", "hashtag")
    max_text_length = 500  # the default; instances may allow more
    default_base_url = "https://mastodon.social"
    default_authorize_url = "https://mastodon.social/oauth/authorize"
    default_token_url = "https://mastodon.social/oauth/token"
    default_scopes = (
        "read:accounts",
        "read:notifications",
        "read:statuses",
        "read:search",
        "write:statuses",
        "write:media",
    )

    first_run_lookback: timedelta | None = timedelta(days=7)
    # remote posts arrive late over federation and are listed at their creation time
    overlap = {"mentions": 60.0, "hashtag": 3600.0}
    page_size = {"mentions": 80, "tag": 40, "search": 40}
    media_wait = 10  # seconds to wait for an upload to finish processing
    sleep = staticmethod(time.sleep)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # OAuth lives on the same instance as the API
        if not kwargs.get("authorize_url"):
            self.authorize_url = self.base_url + "/oauth/authorize"
        if not kwargs.get("token_url"):
            self.token_url = self.base_url + "/oauth/token"

    # --- HTTP -----------------------------------------------------------------

    def send(self, method: str, path_or_url: str, **kwargs):
        headers = kwargs.pop("headers", None) or {}
        if self.credentials.access_token:
            headers.setdefault("Authorization", f"Bearer {self.credentials.access_token}")
        return super().send(method, path_or_url, headers=headers, **kwargs)

    def rate_limit_from(self, response: requests.Response) -> RateLimit:
        h = response.headers
        reset = None
        try:
            reset = parse_time(h.get("X-RateLimit-Reset"))  # an ISO 8601 time, not epoch
        except ValueError:
            pass
        return RateLimit(
            limit=_opt_int(h.get("X-RateLimit-Limit")),
            remaining=_opt_int(h.get("X-RateLimit-Remaining")),
            reset_at=reset,
        )

    def error_from(self, response: requests.Response, body: Any) -> PlatformError | None:
        # Error texts are localised, so map on status and the WWW-Authenticate header.
        if response.status_code == 403 and "insufficient_scope" in response.headers.get(
            "WWW-Authenticate", ""
        ):
            return AuthError(
                "mastodon: the token lacks a scope this action needs", status=403, body=response.text
            )
        if response.status_code == 410:  # the account is gone or suspended
            return AuthError("mastodon: account no longer available", status=410, body=response.text)
        return None

    # --- reading --------------------------------------------------------------

    def fetch(self, endpoint: str, cursor: str | None, *, watch_terms: Iterable[str] = ()) -> Page:
        state = decode_cursor(cursor)
        if endpoint == "mentions":
            walk = helpers.Backlog(
                state.get("walk"),
                first_floor=helpers.first_floor(self.first_run_lookback),
                overlap=self.overlap["mentions"],
            )
            params: dict[str, Any] = {"types[]": "mention", "limit": self.page_size["mentions"]}
            if walk.page:
                params["max_id"] = walk.page
            page = self._walk_page("/api/v1/notifications", params, walk, "mentions")
            state["walk"] = walk.state()
        elif endpoint == "hashtag":
            page = helpers.poll_terms(state, watch_terms, self._poll_term)
        else:
            raise InvalidRequest(f"mastodon: unknown endpoint {endpoint!r}")
        page.next_cursor = encode_cursor(state)
        return page

    def _poll_term(self, term: str, term_state: dict | None) -> tuple[Page, dict]:
        walk = helpers.Backlog(
            term_state,
            first_floor=helpers.first_floor(self.first_run_lookback),
            overlap=self.overlap["hashtag"],
        )
        if term.startswith("#"):
            params: dict[str, Any] = {"limit": self.page_size["tag"]}
            if walk.page:
                params["max_id"] = walk.page
            path = "/api/v1/timelines/tag/" + quote(term.lstrip("#"), safe="")
            return self._walk_page(path, params, walk, "hashtag"), walk.state()
        # search lists newest first by id, with offset paging
        params = {"q": term, "type": "statuses", "resolve": "false", "limit": self.page_size["search"]}
        if walk.page:
            params["offset"] = walk.page
        page = self._walk_page("/api/v2/search", params, walk, "hashtag", offset=walk.page or 0)
        return page, walk.state()

    def _walk_page(self, path: str, params: dict, walk: helpers.Backlog, endpoint: str, offset=None) -> Page:
        body, response = self.send("GET", path, params=params)
        try:
            parsed = self.parse(body, endpoint=endpoint)
        except MalformedPayload as exc:
            exc.status, exc.body = response.status_code, response.text
            raise
        items, oldest = [], None
        for item, key in parsed_keys(body, parsed):
            oldest = key if oldest is None else min(oldest, key)
            if walk.admit(item.external_id, key):
                items.append(item)
        if offset is not None:  # search: next offset while the page was full
            count = len(body.get("statuses") or []) if isinstance(body, dict) else 0
            nxt = offset + count if count >= params.get("limit", 0) else None
        else:
            nxt = _link_param(response, "next", "max_id")
        has_more = walk.advance(nxt, oldest)
        return Page(
            items=items,
            next_cursor=None,
            has_more=has_more,
            rate_limit=self.rate_limit_from(response),
            raw_body=response.text,
        )

    # --- parsing --------------------------------------------------------------

    def parse(self, body: Any, *, endpoint: str | None = None) -> list[Item]:
        if isinstance(body, dict) and isinstance(body.get("error"), str) and "id" not in body:
            # Mastodon's error envelope ({"error": text[, "error_description"]}), localised:
            # only the HTTP status tells what it is, so here it is refused as it stands.
            detail = body.get("error_description") or body["error"]
            raise InvalidRequest(f"mastodon: the body is an error response: {detail}", body=_dump(body))
        try:
            if isinstance(body, list):
                if all(isinstance(n, dict) and "type" in n and "account" in n for n in body) and (
                    body or endpoint == "mentions"
                ):
                    return [
                        self._status(n["status"], notification=n)
                        for n in body
                        if n.get("type") == "mention" and n.get("status")
                    ]
                return [self._status(s, kind=KIND_SEARCH_HIT) for s in body]
            if isinstance(body, dict):
                if "notification_groups" in body:  # grouped notifications (API v2)
                    statuses = {s["id"]: s for s in body.get("statuses") or []}
                    return [
                        self._status(statuses[g["status_id"]])
                        for g in body["notification_groups"]
                        if g.get("type") == "mention" and g.get("status_id") in statuses
                    ]
                if "statuses" in body and ("accounts" in body or "hashtags" in body):  # /api/v2/search
                    return [self._status(s, kind=KIND_SEARCH_HIT) for s in body["statuses"]]
                if "descendants" in body and "ancestors" in body:  # a status's context: its replies
                    return [self._status(s, kind=KIND_REPLY) for s in body["descendants"]]
                if "id" in body and "content" in body and "account" in body:  # one status
                    return [self._status(body)]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedPayload(f"mastodon: unexpected shape ({exc!r})", body=_dump(body)) from None
        raise MalformedPayload("mastodon: cannot tell what this body is", body=_dump(body))

    def _status(self, s: dict, *, kind: str | None = None, notification: dict | None = None) -> Item:
        if s.get("reblog"):  # a boost: the boosted post is the content
            s = s["reblog"]
        account = s["account"]
        # Ids are strings since Mastodon 2.0; servers of 2017 sent JSON integers.
        reply_to = _id(s.get("in_reply_to_id"))
        if kind is None:
            mine = self.credentials.account_id
            to_us = reply_to and (not mine or _id(s.get("in_reply_to_account_id")) == mine)
            kind = KIND_REPLY if to_us else KIND_MENTION
        return Item(
            platform=self.platform,
            external_id=_id(s["id"], required=True),
            kind=kind,
            text=plain_text(s["content"]),  # what a reader sees; raw keeps the HTML as received
            posted_at=_time(s["created_at"]),
            author=Author(
                external_id=_id(account["id"], required=True),
                handle=account.get("acct", ""),
                display_name=account.get("display_name") or "",
                followers=_opt_int(account.get("followers_count")),
                # Mastodon's only "verified" is a profile link proven with rel=me
                verified=any(f.get("verified_at") for f in account.get("fields") or []),
                profile_url=account.get("url", ""),
            ),
            url=s.get("url") or s.get("uri") or "",
            # Statuses carry no thread id: a top-level post is its own conversation and a
            # reply is grouped under the post it answers (the full thread: /statuses/:id/context).
            conversation_id=reply_to or _id(s["id"]),
            in_reply_to_id=reply_to,
            likes=_int(s.get("favourites_count")),
            replies=_int(s.get("replies_count")),
            reshares=_int(s.get("reblogs_count")),
            raw=notification or s,
        )

    def published(self, body: Any) -> Published:
        if not isinstance(body, dict) or not body.get("id"):
            raise MalformedPayload("mastodon: status response without id", body=_dump(body))
        return Published(external_id=str(body["id"]), url=body.get("url") or body.get("uri") or "", raw=body)

    # --- writing --------------------------------------------------------------

    def publish(self, text: str, *, link: str = "", images: Iterable[tuple[str, str]] = ()) -> Published:
        if link and link not in text:
            text = f"{text}\n\n{link}" if text else link
        media_ids = [self._upload(url, alt) for url, alt in images]
        return self._post_status(text, media_ids=media_ids)

    def reply(self, in_reply_to: str, text: str) -> Published:
        """Reply to a status id. Mastodon only notifies people @mentioned in the text."""
        return self._post_status(text, in_reply_to=in_reply_to)

    def direct_message(self, recipient: str, text: str, *, in_reply_to: str = "") -> Published:
        """A private message: a status with direct visibility, seen only by the @mentioned account
        (`recipient` is its handle, e.g. @jo@town.example)."""
        handle = "@" + recipient.lstrip("@")
        body = text if handle in text else f"{handle} {text}"
        return self._post_status(body, in_reply_to=in_reply_to, visibility="direct")

    def _post_status(self, text: str, *, in_reply_to: str = "", media_ids=(), visibility: str = "public") -> Published:
        payload: dict[str, Any] = {"status": text, "visibility": visibility}
        if in_reply_to:
            payload["in_reply_to_id"] = in_reply_to
        if media_ids:
            payload["media_ids"] = list(media_ids)
        # The same post retried within an hour (e.g. after a timeout) is created once.
        key = hashlib.sha256(
            json.dumps([self.credentials.account_id, payload], sort_keys=True).encode()
        ).hexdigest()
        body, _ = self.send("POST", "/api/v1/statuses", json=payload, headers={"Idempotency-Key": key})
        return self.published(body)

    def _upload(self, url: str, alt: str) -> str:
        data, ctype, name = helpers.download(self, url)
        body, response = self.send(
            "POST", "/api/v2/media", files={"file": (name, data, ctype)}, data={"description": alt}
        )
        if not isinstance(body, dict) or not body.get("id"):
            raise MalformedPayload(
                "mastodon: media response without id", status=response.status_code, body=response.text
            )
        media_id = str(body["id"])
        # 202: still processing; a status cannot attach it until its url is set
        waited = 0
        while response.status_code == 202 or not body.get("url"):
            if waited >= self.media_wait:
                raise TransientError(f"mastodon: media {media_id} still processing")
            self.sleep(1)
            waited += 1
            body, response = self.send("GET", f"/api/v1/media/{media_id}")
            if response.status_code == 200 and isinstance(body, dict) and body.get("url"):
                break
        return media_id

    def delete(self, external_id: str) -> None:
        """Delete one of the channel's own statuses."""
        self.send("DELETE", f"/api/v1/statuses/{quote(external_id, safe='')}")

    def block(self, account_id: str) -> None:
        """Block an account (POST /api/v1/accounts/:id/block)."""
        self.send("POST", f"/api/v1/accounts/{quote(account_id, safe='')}/block")

    def mute(self, account_id: str) -> None:
        """Mute an account (POST /api/v1/accounts/:id/mute)."""
        self.send("POST", f"/api/v1/accounts/{quote(account_id, safe='')}/mute")

    def metrics(self) -> Metrics:
        if self.credentials.account_id:
            path = f"/api/v1/accounts/{quote(self.credentials.account_id, safe='')}"
        else:
            path = "/api/v1/accounts/verify_credentials"
        body, response = self.send("GET", path)
        if not isinstance(body, dict):
            raise MalformedPayload(
                "mastodon: unexpected account shape", status=response.status_code, body=response.text
            )
        return Metrics(
            followers=_opt_int(body.get("followers_count")), posts=_opt_int(body.get("statuses_count"))
        )

    # --- OAuth ----------------------------------------------------------------

    def authorise_url(self, *, redirect_uri: str, state: str) -> str:
        return helpers.oauth_authorise_url(
            self, redirect_uri=redirect_uri, state=state, scopes=self.app.scopes or self.default_scopes
        )

    def exchange_code(self, *, code: str, redirect_uri: str, state: str = "") -> Credentials:
        scopes = " ".join(self.app.scopes or self.default_scopes)
        token = helpers.oauth_token(self, code=code, redirect_uri=redirect_uri, scope=scopes)
        creds = helpers.credentials_from_token(token, self.credentials)
        creds.expires_at = None  # Mastodon tokens do not expire; they can be revoked
        self.credentials = creds
        body, _ = self.send("GET", "/api/v1/accounts/verify_credentials")
        if isinstance(body, dict):
            creds.account_id = str(body.get("id", "")) or creds.account_id
            creds.handle = body.get("acct", "") or creds.handle
        return creds

    # refresh: Mastodon issues no refresh tokens (base class raises AuthError)


def parsed_keys(body: Any, items: list[Item]) -> list[tuple[Item, float]]:
    """Items with their listing time: the notification's time for notifications (the
    listing's order), the status's time otherwise."""
    out = []
    for item in items:
        raw = item.raw
        when = raw.get("created_at") if "type" in raw else None
        out.append((item, helpers.epoch(_time(when)) if when else helpers.epoch(item.posted_at)))
    return out


class _Text(HTMLParser):
    """Collects the text of status HTML: a line break for <br>, a blank line between
    paragraphs, every other tag dropped and its text kept (links read as their full text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(content: str) -> str:
    """The text of a status as Mastodon shows it, from the HTML the API gives."""
    if "<" not in content and "&" not in content:
        return content
    parser = _Text()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts)


def _link_param(response: requests.Response, rel: str, name: str) -> str | None:
    link = response.links.get(rel)
    if not link:
        return None
    values = parse_qs(urlsplit(link.get("url", "")).query).get(name)
    return values[0] if values else None


def _time(value: str) -> datetime:
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError("missing time")
    return parsed.astimezone(UTC)


def _id(value: Any, *, required: bool = False) -> str:
    """An id as text ("" for none unless `required`): JSON integers (Mastodon 1.x) and strings alike."""
    if (value is None or value == "") and not required:
        return ""
    if isinstance(value, (int, str)) and not isinstance(value, bool) and value != "":
        return str(value)
    raise ValueError(f"not an id: {value!r}")


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
