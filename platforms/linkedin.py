"""LinkedIn organisation pages through the versioned REST API (Community Management):
comments on the organisation's recent posts, posting, comment replies and deletes.
OAuth 2.0 three-legged with refresh tokens."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

import requests

from platforms import helpers
from platforms.base import (
    KIND_COMMENT,
    KIND_REPLY,
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
)

# "little text" (the Posts API commentary format) reserves these characters
LITTLE_TEXT_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
HASHTAG = re.compile(r"(?<!\S)#(\w+)")
COMMENT_URN = re.compile(r"^urn:li:comment:\((urn:li:[A-Za-z]+:[^,]+),([^)]+)\)$")
AUTH_CODES = {"ACCESS_DENIED", "EXPIRED_ACCESS_TOKEN", "REVOKED_ACCESS_TOKEN", "INVALID_ACCESS_TOKEN"}


def next_utc_midnight(at: datetime | None = None) -> datetime:
    """LinkedIn's daily limits reset at midnight UTC."""
    day = (at or datetime.now(UTC)).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=UTC)


def escape_little_text(text: str) -> str:
    """Escape reserved characters for post commentary; #hashtags become hashtag templates."""
    out, last = [], 0
    for m in HASHTAG.finditer(text):
        out.append(LITTLE_TEXT_RESERVED.sub(r"\\\1", text[last : m.start()]))
        out.append("{hashtag|\\#|" + LITTLE_TEXT_RESERVED.sub(r"\\\1", m.group(1)) + "}")
        last = m.end()
    out.append(LITTLE_TEXT_RESERVED.sub(r"\\\1", text[last:]))
    return "".join(out)


def feed_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


class LinkedInClient(PlatformClient):
    """Credentials.account_id is the organisation (id or urn:li:organization:ID).

    Endpoint "comments": each sweep lists the organisation's recent posts (/rest/posts
    ?q=author) and reads all comments on each (/rest/socialActions/{urn}/comments),
    then nested replies on comments whose reply count changed. One request per fetch;
    `has_more` is True until the sweep is done.
    """

    platform = "linkedin"
    endpoints = ("comments",)
    max_text_length = 3000
    default_base_url = "https://api.linkedin.com/rest"
    default_authorize_url = "https://www.linkedin.com/oauth/v2/authorization"
    default_token_url = "https://www.linkedin.com/oauth/v2/accessToken"
    default_scopes = (
        "r_organization_social",
        "w_organization_social",
        "r_organization_social_feed",
        "w_organization_social_feed",
        "rw_organization_admin",
    )
    api_version = "202609"  # LinkedIn-Version, YYYYMM; each version is served for about a year

    first_run_lookback: timedelta | None = timedelta(days=7)
    post_window = timedelta(days=30)  # comments are read on posts published this recently
    post_count = 20
    page_size = 100
    overlap = 600.0

    # --- HTTP -----------------------------------------------------------------

    def send(self, method: str, path_or_url: str, **kwargs):
        headers = kwargs.pop("headers", None) or {}
        if self.credentials.access_token:
            headers.setdefault("Authorization", f"Bearer {self.credentials.access_token}")
        headers.setdefault("LinkedIn-Version", self.api_version)
        headers.setdefault("X-Restli-Protocol-Version", "2.0.0")
        return super().send(method, path_or_url, headers=headers, **kwargs)

    def rate_limit_from(self, response: requests.Response) -> RateLimit:
        # No rate-limit headers are documented; a 429 means a daily quota is used up.
        if response.status_code == 429:
            return RateLimit(remaining=0, reset_at=next_utc_midnight())
        return RateLimit()

    def error_from(self, response: requests.Response, body: Any) -> PlatformError | None:
        if response.status_code < 400 or not isinstance(body, dict):
            return None
        if is_v1_error(body):
            return v1_error(body, status=response.status_code, text=response.text)
        code = body.get("code") or ""
        message = body.get("message") or code
        if response.status_code == 401 or (
            response.status_code == 403 and (code in AUTH_CODES or body.get("serviceErrorCode") == 100)
        ):
            return AuthError(f"linkedin: {message}", status=response.status_code, body=response.text)
        return None

    @property
    def organisation(self) -> str:
        account = self.credentials.account_id
        if not account:
            raise InvalidRequest("linkedin: Credentials.account_id (the organisation) is required")
        return account if account.startswith("urn:li:") else f"urn:li:organization:{account}"

    # --- reading --------------------------------------------------------------

    def fetch(self, endpoint: str, cursor: str | None, *, watch_terms: Iterable[str] = ()) -> Page:
        if endpoint != "comments":
            raise InvalidRequest(f"linkedin: unknown endpoint {endpoint!r}")
        state = decode_cursor(cursor)
        walk = helpers.Backlog(
            state.get("walk"), first_floor=helpers.first_floor(self.first_run_lookback), overlap=self.overlap
        )
        queue: list[list] = state.get("queue") or []
        counts: dict[str, int] = state.get("counts") or {}
        counting: dict[str, int] = state.get("counting") or {}
        items: list[Item] = []
        if not walk.walking:
            # a new sweep: the organisation's recent posts
            body, response = self.send(
                "GET",
                "/posts",
                params={
                    "author": self.organisation,
                    "q": "author",
                    "count": self.post_count,
                    "sortBy": "LAST_MODIFIED",
                },
                headers={"X-RestLi-Method": "FINDER"},
            )
            since = helpers.epoch(helpers.now() - self.post_window) * 1000
            try:
                posts = body["elements"]
                queue = [
                    [p["id"], 0]
                    for p in posts
                    if (p.get("publishedAt") or p.get("createdAt") or 0) >= since
                    and p.get("lifecycleState", "PUBLISHED") == "PUBLISHED"
                ]
            except (KeyError, TypeError) as exc:
                raise MalformedPayload(
                    f"linkedin: unexpected posts shape ({exc!r})",
                    status=response.status_code,
                    body=response.text,
                ) from None
            walk.page = "sweep"
            counting = {}
        else:
            target, start = queue.pop(0)
            body, response = self.send(
                "GET",
                f"/socialActions/{quote(target, safe='')}/comments",
                params={"start": start, "count": self.page_size},
            )
            try:
                parsed = self.parse(body, endpoint="comments")
            except MalformedPayload as exc:
                exc.status, exc.body = response.status_code, response.text
                raise
            for item in parsed:
                if walk.admit(item.external_id, helpers.epoch(item.posted_at)):
                    items.append(item)
                # nested replies: read them when the count changed since the last sweep
                if item.replies and counts.get(item.external_id) != item.replies:
                    queue.append([item.external_id, 0])
                if item.replies:
                    counting[item.external_id] = item.replies
            paging = body.get("paging") or {}
            got = len(body.get("elements") or [])
            total = paging.get("total")
            if got and (start + got < total if isinstance(total, int) else got >= self.page_size):
                queue.insert(0, [target, start + got])
        if not queue:
            walk.finish()
            counts = counting
            counting = {}
        state.update(walk=walk.state(), queue=queue, counts=counts, counting=counting)
        return Page(
            items=items,
            next_cursor=encode_cursor(state),
            has_more=bool(queue),
            rate_limit=self.rate_limit_from(response),
            raw_body=response.text,
        )

    # --- parsing --------------------------------------------------------------

    def parse(self, body: Any, *, endpoint: str | None = None) -> list[Item]:
        if not isinstance(body, dict):
            raise MalformedPayload("linkedin: expected a JSON object", body=str(body))
        if is_v1_error(body):  # the retired v1 API's error body, saved on its own
            raise v1_error(body, status=body["status"], text=json.dumps(body))
        try:
            if "values" in body and ("_total" in body or "_count" in body):
                return [self._v1_comment(c) for c in body["values"]]
            if "elements" in body:
                elements = body["elements"]
                if not isinstance(elements, list):
                    raise TypeError("elements is not a list")
                # comments have message + created; posts (the organisation's own) are not items
                return [self._comment(c) for c in elements if "message" in c and "created" in c]
            if "message" in body and "created" in body:  # one comment (create response)
                return [self._comment(body)]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedPayload(f"linkedin: unexpected shape ({exc!r})", body=str(body)) from None
        raise MalformedPayload("linkedin: cannot tell what this body is", body=str(body))

    def _comment(self, c: dict) -> Item:
        created = c["created"]
        urn = c.get("$URN") or c.get("commentUrn") or f"urn:li:comment:({c['object']},{c['id']})"
        actor = c.get("actor") or created.get("actor", "")
        parent = c.get("parentComment", "")
        post = c.get("object", "")
        likes = c.get("likesSummary") or {}
        nested = c.get("commentsSummary") or {}
        return Item(
            platform=self.platform,
            external_id=urn,
            kind=KIND_REPLY if parent else KIND_COMMENT,
            text=(c.get("message") or {}).get("text", ""),
            posted_at=datetime.fromtimestamp(int(created["time"]) / 1000, tz=UTC),
            author=Author(external_id=actor, profile_url=_profile_url(actor)),
            url=f"{feed_url(post)}?commentUrn={quote(urn, safe='')}" if post else "",
            conversation_id=post,
            in_reply_to_id=parent,
            likes=int(likes.get("totalLikes") or likes.get("aggregatedTotalLikes") or 0),
            replies=int(nested.get("aggregatedTotalComments") or nested.get("totalFirstLevelComments") or 0),
            raw=c,
        )

    def _v1_comment(self, c: dict) -> Item:
        """A comment of the retired v1 API ({id, text, creationTimestamp, creator{firstName,
        lastName}}), as found in old exports. v1 gave the comments of one post the same id,
        so the creation time is part of the external id; a creator without an id is known
        by the name shown."""
        creator = c.get("creator") or {}
        name = " ".join(str(creator[k]) for k in ("firstName", "lastName") if creator.get(k))
        created = int(c["creationTimestamp"])
        return Item(
            platform=self.platform,
            external_id=f"{c['id']}@{created}",
            kind=KIND_COMMENT,
            text=str(c.get("text") or ""),
            posted_at=datetime.fromtimestamp(created / 1000, tz=UTC),
            author=Author(external_id=str(creator.get("id") or (f"name:{name}" if name else "")), display_name=name),
            raw=c,
        )

    def published(self, body: Any, response: requests.Response | None = None) -> Published:
        """POST /rest/posts (201, id in x-restli-id) or a created comment → Published."""
        if isinstance(body, dict) and (body.get("$URN") or body.get("commentUrn")):
            item = self._comment(body)
            return Published(external_id=item.external_id, url=item.url, raw=body)
        urn = response.headers.get("x-restli-id", "") if response is not None else ""
        if not urn:
            raise MalformedPayload(
                "linkedin: no id in the response", body=response.text if response is not None else ""
            )
        return Published(external_id=urn, url=feed_url(urn), raw=body if isinstance(body, dict) else {})

    # --- writing --------------------------------------------------------------

    def publish(self, text: str, *, link: str = "", images: Iterable[tuple[str, str]] = ()) -> Published:
        if link and link not in text:
            text = f"{text}\n\n{link}" if text else link
        payload: dict[str, Any] = {
            "author": self.organisation,
            "commentary": escape_little_text(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        media = [{"id": self._upload_image(url), "altText": alt or ""} for url, alt in images]
        if len(media) == 1:
            payload["content"] = {"media": media[0]}
        elif media:
            payload["content"] = {"multiImage": {"images": media}}
        body, response = self.send("POST", "/posts", json=payload)
        return self.published(body, response)

    def _upload_image(self, url: str) -> str:
        data, ctype, _ = helpers.download(self, url)
        body, response = self.send(
            "POST",
            "/images",
            params={"action": "initializeUpload"},
            json={"initializeUploadRequest": {"owner": self.organisation}},
        )
        try:
            value = body["value"]
            upload_url, image = value["uploadUrl"], value["image"]
        except (KeyError, TypeError):
            raise MalformedPayload(
                "linkedin: unexpected initializeUpload shape", status=response.status_code, body=response.text
            ) from None
        self.send("PUT", upload_url, data=data, headers={"Content-Type": ctype})
        return image

    def reply(self, in_reply_to: str, text: str) -> Published:
        """Comment on a post (share / ugcPost urn) or reply to a comment (comment urn), as
        the organisation."""
        payload: dict[str, Any] = {"actor": self.organisation, "message": {"text": text}}
        m = COMMENT_URN.match(in_reply_to)
        if m:
            payload["object"] = m.group(1)
            payload["parentComment"] = in_reply_to
        elif in_reply_to.startswith("urn:li:"):
            payload["object"] = in_reply_to
        else:
            raise InvalidRequest(f"linkedin: cannot reply to {in_reply_to!r}; expected a post or comment urn")
        body, response = self.send(
            "POST", f"/socialActions/{quote(in_reply_to, safe='')}/comments", json=payload
        )
        return self.published(body, response)

    def delete(self, external_id: str) -> None:
        """Delete an organisation comment (comment urn) or post (share / ugcPost urn)."""
        m = COMMENT_URN.match(external_id)
        if m:
            self.send(
                "DELETE",
                f"/socialActions/{quote(m.group(1), safe='')}/comments/{quote(m.group(2), safe='')}",
                params={"actor": self.organisation},
            )
        else:
            self.send(
                "DELETE", f"/posts/{quote(external_id, safe='')}", headers={"X-RestLi-Method": "DELETE"}
            )

    def hide(self, external_id: str, *, hidden: bool = True) -> None:
        raise NotSupported(
            "linkedin: the API cannot hide comments; delete the organisation's own, or report others"
        )

    def metrics(self) -> Metrics:
        org = quote(self.organisation, safe="")
        size, _ = self.send("GET", f"/networkSizes/{org}", params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"})
        stats, response = self.send(
            "GET",
            "/organizationalEntityShareStatistics",
            params={"q": "organizationalEntity", "organizationalEntity": self.organisation},
        )
        try:
            totals = (stats.get("elements") or [{}])[0].get("totalShareStatistics") or {}
            followers = size.get("firstDegreeSize") if isinstance(size, dict) else None
        except (AttributeError, IndexError):
            raise MalformedPayload(
                "linkedin: unexpected statistics shape", status=response.status_code, body=response.text
            ) from None
        return Metrics(
            followers=followers,
            likes=totals.get("likeCount"),
            views=totals.get("impressionCount"),
        )

    # --- OAuth ----------------------------------------------------------------

    def authorise_url(self, *, redirect_uri: str, state: str) -> str:
        return helpers.oauth_authorise_url(
            self, redirect_uri=redirect_uri, state=state, scopes=self.app.scopes or self.default_scopes
        )

    def exchange_code(self, *, code: str, redirect_uri: str, state: str = "") -> Credentials:
        token = helpers.oauth_token(self, code=code, redirect_uri=redirect_uri)
        self.credentials = self._with_refresh_expiry(token)
        if not self.credentials.account_id:
            # the organisations this member administers; one is taken as the channel
            body, _ = self.send(
                "GET",
                "/organizationAcls",
                params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"},
            )
            orgs = [
                e.get("organization") for e in (body or {}).get("elements") or [] if e.get("organization")
            ]
            self.credentials.extra["organizations"] = orgs
            if len(orgs) == 1:
                self.credentials.account_id = orgs[0]
        return self.credentials

    def refresh(self) -> Credentials:
        if not self.credentials.refresh_token:
            raise AuthError("linkedin: no refresh token; re-authorise the channel")
        token = helpers.oauth_token(self, refresh_token=self.credentials.refresh_token)
        self.credentials = self._with_refresh_expiry(token)
        return self.credentials

    def _with_refresh_expiry(self, token: dict) -> Credentials:
        creds = helpers.credentials_from_token(token, self.credentials)
        if token.get("refresh_token_expires_in"):
            expiry = helpers.now() + timedelta(seconds=int(token["refresh_token_expires_in"]))
            creds.extra["refresh_expires_at"] = expiry.isoformat()
        return creds


def is_v1_error(body: Any) -> bool:
    """The v1 API's error body: {errorCode, message, requestId, status, timestamp}."""
    return isinstance(body, dict) and "errorCode" in body and isinstance(body.get("status"), int)


def v1_error(body: dict, *, status: int, text: str) -> PlatformError:
    message = f"linkedin: {body.get('message') or 'error ' + str(body.get('errorCode'))}"
    if status == 401:
        return AuthError(message, status=status, body=text)
    if status == 429 or (status == 403 and "throttle" in str(body.get("message", "")).lower()):
        # the daily call limit of a resource: it resets at midnight UTC
        return RateLimited(message, retry_at=next_utc_midnight(), status=status, body=text)
    return InvalidRequest(message, status=status, body=text)


def _profile_url(actor: str) -> str:
    if actor.startswith("urn:li:organization:"):
        return f"https://www.linkedin.com/company/{actor.rsplit(':', 1)[-1]}/"
    return ""  # member profiles need their vanity name, which comments do not carry
