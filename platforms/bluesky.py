"""Bluesky through the AT Protocol (XRPC on the account's PDS): mention, reply and quote
notifications, post search for watch terms, posting, replies, hiding replies and deletes.
Sessions come from a handle and an app password (com.atproto.server.createSession)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

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

POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"
THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"
REASON_KINDS = {"mention": KIND_MENTION, "reply": KIND_REPLY, "quote": KIND_MENTION}
AUTH_ERRORS = {
    "InvalidToken",
    "AuthenticationRequired",
    "AuthMissing",
    "AccountTakedown",
    "AccountDeactivated",
    "AccountSuspended",
}
URL_RE = re.compile(r"https?://[^\s<>\"']+")
TAG_RE = re.compile(r"(?<!\S)#(\w{1,64})")


class SessionExpired(AuthError):
    """The access JWT expired (XRPC error ExpiredToken): call refresh() and retry."""


class BlueskyClient(PlatformClient):
    """Credentials: access_token = accessJwt, refresh_token = refreshJwt, account_id = the
    DID, handle = the handle. Pass the account's PDS as base_url (https://bsky.social works
    for accounts hosted by Bluesky; Credentials.extra["pds"] holds the PDS from the session).

    Endpoints:
      "notifications": app.bsky.notification.listNotifications (mention, reply, quote).
      "search":        app.bsky.feed.searchPosts per watch term (sort=latest, since).
    """

    platform = "bluesky"
    endpoints = ("notifications", "search")
    shared_endpoints = ("search",)
    max_text_length = 300  # graphemes
    default_base_url = "https://bsky.social"
    default_authorize_url = ""
    default_token_url = ""

    first_run_lookback: timedelta | None = timedelta(days=7)
    overlap = {"notifications": 120.0, "search": 600.0}
    page_size = 100

    # --- HTTP -----------------------------------------------------------------

    def send(self, method: str, path_or_url: str, **kwargs):
        headers = kwargs.pop("headers", None) or {}
        if self.credentials.access_token:
            headers.setdefault("Authorization", f"Bearer {self.credentials.access_token}")
        return super().send(method, path_or_url, headers=headers, **kwargs)

    def xrpc(self, method: str, nsid: str, **kwargs):
        return self.send(method, "/xrpc/" + nsid, **kwargs)

    def rate_limit_from(self, response: requests.Response) -> RateLimit:
        h = response.headers
        reset = _opt_int(h.get("RateLimit-Reset"))  # epoch seconds
        return RateLimit(
            limit=_opt_int(h.get("RateLimit-Limit")),
            remaining=_opt_int(h.get("RateLimit-Remaining")),
            reset_at=datetime.fromtimestamp(reset, tz=UTC) if reset else None,
        )

    def error_from(self, response: requests.Response, body: Any) -> PlatformError | None:
        if response.status_code < 400 or not isinstance(body, dict):
            return None
        name = body.get("error") or ""
        message = body.get("message") or name
        status, text = response.status_code, response.text
        if name == "ExpiredToken":
            return SessionExpired("bluesky: session expired; refresh it", status=status, body=text)
        if name in AUTH_ERRORS:
            return AuthError(f"bluesky: {message}", status=status, body=text)
        if name == "RateLimitExceeded":
            return RateLimited(
                "bluesky: rate limited", retry_at=self._retry_at(response), status=status, body=text
            )
        return None

    # --- reading --------------------------------------------------------------

    def fetch(self, endpoint: str, cursor: str | None, *, watch_terms: Iterable[str] = ()) -> Page:
        state = decode_cursor(cursor)
        if endpoint == "notifications":
            walk = helpers.Backlog(
                state.get("walk"),
                first_floor=helpers.first_floor(self.first_run_lookback),
                overlap=self.overlap["notifications"],
            )
            params: dict[str, Any] = {"limit": self.page_size, "reasons": list(REASON_KINDS)}
            if walk.page:
                params["cursor"] = walk.page
            page = self._walk_page("app.bsky.notification.listNotifications", params, walk, "notifications")
            state["walk"] = walk.state()
        elif endpoint == "search":
            page = helpers.poll_terms(state, watch_terms, self._search_term)
        else:
            raise InvalidRequest(f"bluesky: unknown endpoint {endpoint!r}")
        page.next_cursor = encode_cursor(state)
        return page

    def _search_term(self, term: str, term_state: dict | None) -> tuple[Page, dict]:
        walk = helpers.Backlog(
            term_state,
            first_floor=helpers.first_floor(self.first_run_lookback),
            overlap=self.overlap["search"],
        )
        params: dict[str, Any] = {"q": term, "sort": "latest", "limit": self.page_size}
        if walk.floor != float("-inf"):
            params["since"] = helpers.iso_z(walk.floor)
        if walk.page:
            params["cursor"] = walk.page
        return self._walk_page("app.bsky.feed.searchPosts", params, walk, "search"), walk.state()

    def _walk_page(self, nsid: str, params: dict, walk: helpers.Backlog, endpoint: str) -> Page:
        """One page of a listing that pages backwards in time: the cursor leads to older
        items, so the walk stops at the newest time seen by the previous walk."""
        body, response = self.xrpc("GET", nsid, params=params)
        try:
            items = self.parse(body, endpoint=endpoint)
            rows = body["notifications"] if endpoint == "notifications" else body["posts"]
            keys = {row["uri"]: listing_time(row) for row in rows}
        except (MalformedPayload, KeyError, TypeError, ValueError) as exc:
            raise MalformedPayload(
                f"bluesky: unexpected {nsid} shape ({exc})", status=response.status_code, body=response.text
            ) from None
        for row_key in keys.values():
            walk.note(row_key)
        new = [item for item in items if walk.admit(item.external_id, keys[item.external_id])]
        oldest = min(keys.values()) if keys else None
        has_more = walk.advance(body.get("cursor"), oldest)
        return Page(
            items=new,
            next_cursor=None,
            has_more=has_more,
            rate_limit=self.rate_limit_from(response),
            raw_body=response.text,
        )

    # --- parsing --------------------------------------------------------------

    def parse(self, body: Any, *, endpoint: str | None = None) -> list[Item]:
        if not isinstance(body, dict):
            raise MalformedPayload("bluesky: expected a JSON object", body=_dump(body))
        if isinstance(body.get("error"), str) and "uri" not in body:  # the XRPC error envelope
            name = body["error"]
            message = f"bluesky: the body is an error response: {body.get('message') or name}"
            raise (AuthError if name in AUTH_ERRORS else InvalidRequest)(message, body=_dump(body))
        try:
            if "notifications" in body:
                return [
                    self._post(n, kind=REASON_KINDS[n["reason"]])
                    for n in body["notifications"]
                    if n.get("reason") in REASON_KINDS and (n.get("record") or {}).get("$type") == POST
                ]
            if "posts" in body:
                return [self._post(p, kind=KIND_SEARCH_HIT) for p in body["posts"]]
            if "feed" in body:  # getTimeline / getFeed / getAuthorFeed: FeedViewPost wrappers
                # A repost lists the post again: each post once, where it first appears.
                posts: dict[str, dict] = {}
                for row in body["feed"]:
                    posts.setdefault(row["post"]["uri"], row["post"])
                return [self._post(p, kind=KIND_SEARCH_HIT) for p in posts.values()]
            if "thread" in body:  # getPostThread: the replies below the post
                return [self._post(p, kind=KIND_REPLY) for p in _thread_replies(body["thread"])]
            if "uri" in body and "cid" in body and ("commit" in body or "value" in body):
                return []  # createRecord / getRecord responses carry no item to monitor
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedPayload(f"bluesky: unexpected shape ({exc!r})", body=_dump(body)) from None
        raise MalformedPayload("bluesky: cannot tell what this body is", body=_dump(body))

    def _post(self, view: dict, *, kind: str) -> Item:
        """A notification or a PostView (both have uri, author, record, indexedAt)."""
        uri = view["uri"]
        record = view["record"]
        author = view["author"]
        reply = record.get("reply") or {}
        try:
            posted = parse_time(record.get("createdAt")) or parse_time(view["indexedAt"])
        except ValueError:  # createdAt is set by the poster's app and may be odd
            posted = parse_time(view["indexedAt"])
        verification = author.get("verification") or {}
        return Item(
            platform=self.platform,
            external_id=uri,
            kind=kind,
            text=record.get("text", ""),
            posted_at=posted,
            author=Author(
                external_id=author["did"],
                handle=author.get("handle", ""),
                display_name=author.get("displayName") or "",
                verified=verification.get("verifiedStatus") == "valid",
                profile_url=f"https://bsky.app/profile/{_profile_id(author)}",
            ),
            url=web_url(uri, _profile_id(author)),
            conversation_id=(reply.get("root") or {}).get("uri") or uri,
            in_reply_to_id=(reply.get("parent") or {}).get("uri", ""),
            likes=_int(view.get("likeCount")),
            replies=_int(view.get("replyCount")),
            reshares=_int(view.get("repostCount")) + _int(view.get("quoteCount")),
            raw=view,
        )

    def published(self, body: Any) -> Published:
        """createRecord response → Published."""
        if not isinstance(body, dict) or not str(body.get("uri", "")).startswith("at://"):
            raise MalformedPayload("bluesky: createRecord response without uri", body=_dump(body))
        profile = self.credentials.handle or body["uri"].split("/")[2]
        return Published(external_id=body["uri"], url=web_url(body["uri"], profile), raw=body)

    @staticmethod
    def reply_refs(body: Any) -> dict:
        """Strong refs {root, parent} for a reply, from getPostThread (or getRecord) of the
        post being answered."""
        if not isinstance(body, dict):
            raise MalformedPayload("bluesky: expected a JSON object", body=_dump(body))
        if "thread" in body:
            thread = body["thread"]
            if thread.get("$type") != THREAD_VIEW:  # notFoundPost / blockedPost
                raise InvalidRequest(f"bluesky: cannot reply to this post ({thread.get('$type')})")
            post = thread["post"]
            uri, cid, record = post["uri"], post["cid"], post.get("record") or {}
        elif "value" in body:
            uri, cid, record = body["uri"], body["cid"], body["value"]
        else:
            raise MalformedPayload("bluesky: not a thread or record", body=_dump(body))
        parent = {"uri": uri, "cid": cid}
        root = (record.get("reply") or {}).get("root")
        return {"root": {"uri": root["uri"], "cid": root["cid"]} if root else parent, "parent": parent}

    # --- writing --------------------------------------------------------------

    def publish(self, text: str, *, link: str = "", images: Iterable[tuple[str, str]] = ()) -> Published:
        if link and link not in text:
            text = f"{text}\n\n{link}" if text else link
        record = self._record(text)
        images = list(images)
        if len(images) > 4:
            raise InvalidRequest("bluesky: at most 4 images per post")
        if images:
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [{"alt": alt or "", "image": self._upload_blob(url)} for url, alt in images],
            }
        return self._create(record)

    def reply(self, in_reply_to: str, text: str) -> Published:
        """Reply to a post by its at:// uri."""
        record = self._record(text)
        record["reply"] = self.reply_refs(self._thread(in_reply_to))
        return self._create(record)

    def _thread(self, uri: str) -> dict:
        body, _ = self.xrpc(
            "GET", "app.bsky.feed.getPostThread", params={"uri": uri, "depth": 0, "parentHeight": 0}
        )
        return body

    def _record(self, text: str) -> dict:
        record: dict[str, Any] = {
            "$type": POST,
            "text": text,
            "createdAt": helpers.iso_z(helpers.epoch(helpers.now())),
        }
        facets = facets_for(text)
        if facets:
            record["facets"] = facets
        return record

    def _create(self, record: dict) -> Published:
        body, _ = self.xrpc(
            "POST",
            "com.atproto.repo.createRecord",
            json={"repo": self._repo(), "collection": POST, "record": record},
        )
        return self.published(body)

    def _upload_blob(self, url: str) -> dict:
        data, ctype, _ = helpers.download(self, url)
        body, response = self.xrpc(
            "POST", "com.atproto.repo.uploadBlob", data=data, headers={"Content-Type": ctype}
        )
        if not isinstance(body, dict) or "blob" not in body:
            raise MalformedPayload(
                "bluesky: uploadBlob response without blob", status=response.status_code, body=response.text
            )
        return body["blob"]

    def delete(self, external_id: str) -> None:
        """Delete one of the channel's own posts."""
        did, collection, rkey = split_uri(external_id)
        if did != self._repo():
            raise NotSupported("bluesky: only the channel's own posts can be deleted; hide replies instead")
        self.xrpc(
            "POST",
            "com.atproto.repo.deleteRecord",
            json={"repo": did, "collection": collection, "rkey": rkey},
        )

    def hide(self, external_id: str, *, hidden: bool = True) -> None:
        """Hide (or show again) a reply in one of the channel's own threads, through the
        thread's threadgate record (hiddenReplies)."""
        post = self._thread(external_id).get("thread") or {}
        if post.get("$type") != THREAD_VIEW:
            raise InvalidRequest(f"bluesky: post not found ({post.get('$type')})")
        root = ((post["post"].get("record") or {}).get("reply") or {}).get("root", {}).get("uri")
        if not root:
            raise InvalidRequest("bluesky: only replies can be hidden")
        did, _, rkey = split_uri(root)
        if did != self._repo():
            raise NotSupported("bluesky: replies can only be hidden in the channel's own threads")
        try:
            body, _ = self.xrpc(
                "GET",
                "com.atproto.repo.getRecord",
                params={"repo": did, "collection": THREADGATE, "rkey": rkey},
            )
            gate, swap = dict(body["value"]), body.get("cid")
        except InvalidRequest as exc:
            if "RecordNotFound" not in exc.body:
                raise
            # no gate yet: one without "allow" leaves replies open to everyone
            gate = {
                "$type": THREADGATE,
                "post": root,
                "createdAt": helpers.iso_z(helpers.epoch(helpers.now())),
            }
            swap = None
        hidden_replies = [u for u in gate.get("hiddenReplies") or [] if u != external_id]
        if hidden:
            hidden_replies.append(external_id)
        gate["hiddenReplies"] = hidden_replies
        payload = {"repo": did, "collection": THREADGATE, "rkey": rkey, "record": gate}
        if swap:
            payload["swapRecord"] = swap
        self.xrpc("POST", "com.atproto.repo.putRecord", json=payload)

    def metrics(self) -> Metrics:
        actor = self.credentials.account_id or self.credentials.handle
        body, response = self.xrpc("GET", "app.bsky.actor.getProfile", params={"actor": actor})
        if not isinstance(body, dict):
            raise MalformedPayload(
                "bluesky: unexpected profile shape", status=response.status_code, body=response.text
            )
        return Metrics(followers=_opt_int(body.get("followersCount")), posts=_opt_int(body.get("postsCount")))

    def _repo(self) -> str:
        repo = self.credentials.account_id
        if not repo:
            raise InvalidRequest("bluesky: Credentials.account_id (the DID) is required")
        return repo

    # --- sessions -------------------------------------------------------------

    def authorise_url(self, *, redirect_uri: str, state: str) -> str:
        raise NotSupported(
            "bluesky: connect with the account's handle and an app password "
            "(Settings → Privacy and security → App passwords), passed to exchange_code"
        )

    def exchange_code(self, *, code: str, redirect_uri: str = "", state: str = "") -> Credentials:
        """Handle + app password → session. Put the handle (or DID) in Credentials.handle
        (or account_id) and pass the app password as `code`; it is not stored."""
        identifier = self.credentials.handle or self.credentials.account_id
        if not identifier or not code:
            raise InvalidRequest(
                "bluesky: a handle (Credentials.handle) and an app password (code) are needed"
            )
        body, response = self.xrpc(
            "POST",
            "com.atproto.server.createSession",
            json={"identifier": identifier, "password": code},
            headers={"Authorization": None},
        )
        return self._session(body, response)

    def refresh(self) -> Credentials:
        """com.atproto.server.refreshSession with the refresh JWT. AuthError when it has
        expired or been revoked: connect again with an app password."""
        if not self.credentials.refresh_token:
            raise AuthError("bluesky: no refresh token; connect again with an app password")
        body, response = self.xrpc(
            "POST",
            "com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {self.credentials.refresh_token}"},
        )
        return self._session(body, response)

    def _session(self, body: Any, response: requests.Response) -> Credentials:
        if not isinstance(body, dict) or not body.get("accessJwt") or not body.get("did"):
            raise MalformedPayload(
                "bluesky: session response without tokens", status=response.status_code, body=response.text
            )
        if body.get("active") is False:
            raise AuthError(
                f"bluesky: account is {body.get('status') or 'inactive'}", status=response.status_code
            )
        extra = dict(self.credentials.extra)
        pds = session_pds(body)
        if pds:
            extra["pds"] = pds
        refresh_exp = jwt_expiry(body.get("refreshJwt", ""))
        if refresh_exp:
            extra["refresh_expires_at"] = refresh_exp.isoformat()
        self.credentials = Credentials(
            access_token=body["accessJwt"],
            refresh_token=body.get("refreshJwt", ""),
            expires_at=jwt_expiry(body["accessJwt"]),
            account_id=body["did"],
            handle=body.get("handle", self.credentials.handle),
            extra=extra,
        )
        return self.credentials


# --- helpers -------------------------------------------------------------------


def listing_time(row: dict) -> float:
    """Where a row sits in its listing: notifications by indexedAt; search results by
    sortAt, the earlier of createdAt and indexedAt (what `since` filters on)."""
    indexed = parse_time(row["indexedAt"])
    if "reason" in row:
        return helpers.epoch(indexed)
    try:
        created = parse_time((row.get("record") or {}).get("createdAt"))
    except ValueError:
        created = None
    return helpers.epoch(min(indexed, created) if created else indexed)


def split_uri(uri: str) -> tuple[str, str, str]:
    """at://did/collection/rkey → (did, collection, rkey)."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or not all(parts):
        raise InvalidRequest(f"bluesky: not a record uri: {uri!r}")
    return parts[0], parts[1], parts[2]


def web_url(uri: str, profile: str) -> str:
    return f"https://bsky.app/profile/{profile}/post/{uri.rsplit('/', 1)[-1]}"


def _profile_id(author: dict) -> str:
    handle = author.get("handle") or ""
    return handle if handle and handle != "handle.invalid" else author["did"]


def _thread_replies(thread: dict) -> list[dict]:
    out = []
    for reply in thread.get("replies") or []:
        if reply.get("$type") == THREAD_VIEW:
            out.append(reply["post"])
            out += _thread_replies(reply)
    return out


def facets_for(text: str) -> list[dict]:
    """Link and hashtag facets, with UTF-8 byte offsets as the lexicon requires.
    (@mentions need the handle resolved to a DID and are left as plain text.)"""

    def span(start: int, end: int) -> dict:
        return {"byteStart": len(text[:start].encode()), "byteEnd": len(text[:end].encode())}

    facets, links = [], []
    for m in URL_RE.finditer(text):
        url = m.group(0).rstrip(".,;:!?)]")
        links.append((m.start(), m.start() + len(url)))
        feature = {"$type": "app.bsky.richtext.facet#link", "uri": url}
        facets.append({"index": span(*links[-1]), "features": [feature]})
    for m in TAG_RE.finditer(text):
        tag = m.group(1)
        if tag.isdigit() or any(start <= m.start() < end for start, end in links):
            continue
        feature = {"$type": "app.bsky.richtext.facet#tag", "tag": tag}
        facets.append({"index": span(m.start(), m.end()), "features": [feature]})
    return sorted(facets, key=lambda f: f["index"]["byteStart"])


def jwt_expiry(token: str) -> datetime | None:
    """The exp claim of a JWT, read without verifying it (the PDS verifies)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def session_pds(session: dict) -> str:
    for service in (session.get("didDoc") or {}).get("service") or []:
        if service.get("id", "").endswith("#atproto_pds"):
            return service.get("serviceEndpoint", "")
    return ""


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
