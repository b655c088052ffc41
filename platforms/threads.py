"""Threads (Meta's Threads API, graph.threads.net/v1.0).

Endpoints:
  mentions  GET /{threads-user-id}/mentions: public posts in which the account is tagged
            (threads_manage_mentions), newest first, since the watermark.
  replies   replies to the council's own posts: GET /{threads-user-id}/threads lists its posts
            of the last `lookback`; GET /{media-id}/conversation reads each one's replies (all
            levels, flattened) for those with replies.
  search    GET /keyword_search?q=…&search_type=RECENT per watch term (threads_keyword_search).
            A user may send at most 2,200 queries in a rolling 24 hours: the cursor counts the
            queries per hour, a term is skipped while the day's queries are used, and the page's
            rate limit shows how many remain. Without the permission (not in the app's scopes)
            the endpoint reads nothing.

Writing: a post is a container (POST /{user}/threads: TEXT, IMAGE with alt_text, or CAROUSEL of
image items) then POST /{user}/threads_publish?creation_id=…; a reply is the same with
reply_to_id. POST /{reply-id}/manage_reply?hide=true hides a reply (and those under it).

Webhooks (replies, mentions) arrive one value per delivery: {"target_id", "values": {"field",
"value": {media object}}}; parse reads them.

OAuth like Facebook's: threads.net/oauth/authorize gives a code; POST /oauth/access_token swaps
it for a short-lived token, GET /access_token?grant_type=th_exchange_token for a 60-day one, and
GET /refresh_access_token?grant_type=th_refresh_token renews that before it ends.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from .base import (
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
    Published,
    RateLimit,
    TransientError,
    decode_cursor,
    encode_cursor,
)
from .graph import GraphClient, epoch, malformed, paging_params

MEDIA_FIELDS = ("id,text,username,permalink,timestamp,media_type,is_reply,has_replies,"
                "replied_to,root_post,hide_status")
SEARCH_QUERIES_PER_DAY = 2200
MAX_CAROUSEL = 20


class ThreadsClient(GraphClient):
    platform = "threads"
    endpoints = ("mentions", "replies", "search")
    shared_endpoints = ("search",)
    max_text_length = 500
    default_base_url = "https://graph.threads.net/v1.0"
    default_authorize_url = "https://threads.net/oauth/authorize"
    default_token_url = "https://graph.threads.net/oauth/access_token"
    default_scopes = ("threads_basic", "threads_content_publish", "threads_manage_replies",
                      "threads_read_replies", "threads_manage_mentions", "threads_keyword_search")
    page_size = 50
    lookback = timedelta(days=7)
    margin = timedelta(minutes=5)
    publish_poll_interval = 2.0
    publish_poll_attempts = 30

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def _params(self, params: dict | None = None, token: str | None = None) -> dict:
        """Threads takes the token as a parameter and has no appsecret_proof."""
        token = self.credentials.access_token if token is None else token
        return {**(params or {}), **({"access_token": token} if token else {})}

    # --- parsing ---------------------------------------------------------------

    def parse(self, body: Any, *, endpoint: str | None = None) -> list[Item]:
        """Items in a Threads response: a page of media ({"data": [...]}), one media object, or a
        webhook delivery. `endpoint` is "mentions", "replies", "search" or None to guess."""
        body = self._check_body(body)
        if isinstance(body.get("values"), dict) and "target_id" in body:
            return self._parse_webhook(body)
        if "data" in body:
            elements = self._data_list(body)
        elif "id" in body and ("text" in body or "timestamp" in body):
            elements = [body]
        elif set(body) <= {"paging", "id", "success", "status", "error_message"}:
            elements = []  # an empty page, a create response or a container status
        else:
            raise malformed(self.platform, "no data in response", body)
        return [self._media(e, body, endpoint) for e in elements if not (endpoint is None and set(e) <= {"id"})]

    def _parse_webhook(self, body: dict) -> list[Item]:
        values = body["values"]
        field, value = values.get("field"), values.get("value")
        if field not in ("replies", "mentions"):
            return []
        if not isinstance(value, dict):
            raise malformed(self.platform, "webhook without value", body)
        return [self._media(value, body, "mentions" if field == "mentions" else "replies")]

    def _media(self, element: dict, body: dict, endpoint: str | None) -> Item:
        media_id = self._id(element.get("id"), body)
        username = str(element.get("username") or "")
        replied_to = element.get("replied_to") if isinstance(element.get("replied_to"), dict) else {}
        root = element.get("root_post") if isinstance(element.get("root_post"), dict) else {}
        if endpoint == "search":
            kind = KIND_SEARCH_HIT
        elif endpoint == "replies" or (endpoint is None and element.get("is_reply")):
            kind = KIND_REPLY
        else:
            kind = KIND_MENTION
        return Item(
            platform=self.platform,
            external_id=media_id,
            kind=kind,
            text=self._text(element.get("text"), body),
            posted_at=self._time(element.get("timestamp"), body),
            author=Author(external_id=username, handle=username,
                          profile_url=f"https://www.threads.net/@{username}" if username else ""),
            url=str(element.get("permalink") or ""),
            conversation_id=str(root.get("id") or media_id),
            in_reply_to_id=str(replied_to.get("id") or ""),
            raw=element,
        )

    def _is_own(self, item: Item) -> bool:
        handle = self.credentials.handle.lower().lstrip("@")
        return bool(handle) and item.author.handle.lower() == handle

    # --- polling ----------------------------------------------------------------

    def fetch(self, endpoint: str, cursor: str | None, *, watch_terms: Iterable[str] = ()) -> Page:
        state = decode_cursor(cursor)
        account = self._require_account()
        if endpoint == "mentions":
            return self._listing(f"/{account}/mentions", {}, state, "mentions")
        if endpoint == "replies":
            return self._replies(account, state)
        if endpoint == "search":
            return self._search(list(watch_terms), state)
        raise InvalidRequest(f"threads: unknown endpoint {endpoint!r}")

    def _listing(self, path: str, params: dict, state: dict, endpoint: str) -> Page:
        """A newest-first listing since the watermark, page by page; the watermark moves (less
        the margin) once the last page is read. Items seen again in the margin are repeats the
        store ignores."""
        query = {**params, "fields": MEDIA_FIELDS, "limit": self.page_size}
        if state.get("since"):
            query["since"] = state["since"]
        if state.get("after"):
            query["after"] = state["after"]
        body, response = self.get(path, query)
        items = self._parse_page(body, response, endpoint)
        seen = state.get("seen") or {}  # ids already returned within the margin
        new = [i for i in items if i.external_id not in seen]
        newest = max([epoch(i.posted_at) for i in items] + [state.get("pending") or 0])
        run_seen = {**(state.get("run_seen") or {}), **{i.external_id: epoch(i.posted_at) for i in items}}
        nxt = paging_params(body) if items else None
        if nxt and nxt.get("after"):
            state.update(after=nxt["after"], pending=newest, run_seen=run_seen)
        else:
            for key in ("after", "pending", "run_seen"):
                state.pop(key, None)
            if newest:
                state["since"] = max(state.get("since") or 0, newest - int(self.margin.total_seconds()))
            state["seen"] = {k: t for k, t in {**seen, **run_seen}.items() if t >= (state.get("since") or 0)}
        return Page(items=[i for i in new if not self._is_own(i)], next_cursor=encode_cursor(state),
                    has_more="after" in state, rate_limit=self.rate_limit_from(response), raw_body=response.text)

    def _parse_page(self, body: Any, response, endpoint: str) -> list[Item]:
        from .base import MalformedPayload

        try:
            return self.parse(body, endpoint=endpoint)
        except MalformedPayload as exc:
            raise MalformedPayload(str(exc), status=response.status_code, body=response.text) from None

    def _replies(self, account: str, state: dict) -> Page:
        """Replies under the council's posts of the last `lookback` that have replies. A run lists
        those posts, then reads each one's conversation newest first, one page a fetch, down to
        the newest reply the last run saw there (less the margin)."""
        marks = state.get("marks") or {}  # post id → newest reply time seen
        run = state.get("run")
        response = None
        if not run:
            since = int(self._now() - self.lookback.total_seconds())
            body, response = self.get(f"/{account}/threads", {"fields": "id,timestamp,has_replies", "since": since,
                                                              "limit": 100})
            posts = [self._id(p.get("id"), body) for p in self._data_list(self._check_body(body))
                     if p.get("has_replies")]
            run = {"queue": [{"id": p} for p in posts], "marks": {}}
            if not posts:
                return Page(items=[], next_cursor=encode_cursor({"marks": marks}) or "{}",
                            rate_limit=self.rate_limit_from(response), raw_body=response.text)
        task = run["queue"][0]
        params = {"fields": MEDIA_FIELDS, "reverse": "true", "limit": self.page_size, **task.get("page", {})}
        body, response = self.get(f"/{task['id']}/conversation", params)
        items = self._parse_page(body, response, "replies")
        floor = (marks.get(task["id"]) or 0) - int(self.margin.total_seconds())
        seen = state.get("seen") or {}
        times = [epoch(i.posted_at) for i in items]
        run["marks"][task["id"]] = max(times + [run["marks"].get(task["id"]) or 0, marks.get(task["id"]) or 0])
        nxt = paging_params(body)
        if nxt and items and min(times) >= floor:
            task["page"] = nxt
        else:
            run["queue"].pop(0)
        new = [i for i in items if epoch(i.posted_at) >= floor and i.external_id not in seen and not self._is_own(i)]
        run["seen"] = {**(run.get("seen") or {}), **{i.external_id: epoch(i.posted_at) for i in items}}
        if run["queue"]:
            state = {"marks": marks, "seen": seen, "run": run}
        else:
            marks = {**marks, **run["marks"]}
            low = min(marks.values(), default=0) - int(self.margin.total_seconds())
            state = {"marks": marks, "seen": {k: t for k, t in {**seen, **run["seen"]}.items() if t >= low}}
        return Page(items=new, next_cursor=encode_cursor(state), has_more="run" in state,
                    rate_limit=self.rate_limit_from(response), raw_body=response.text)

    def search_allowed(self) -> bool:
        return "threads_keyword_search" in (self.app.scopes or self.default_scopes)

    def _search(self, terms: list[str], state: dict) -> Page:
        now = int(self._now())
        hour = now // 3600
        # Queries sent, per hour, over the last 24 hours (counted whole hours: never more than allowed).
        queries = {int(h): n for h, n in (state.get("queries") or {}).items() if int(h) > hour - 24}
        since_by_term = state.get("since") or {}
        items: list[Item] = []
        bodies = {}
        skipped = []
        response = None
        for term in terms if self.search_allowed() else []:
            if sum(queries.values()) >= SEARCH_QUERIES_PER_DAY:
                skipped.append(term)
                continue
            params = {"q": term, "search_type": "RECENT", "fields": MEDIA_FIELDS, "limit": self.page_size}
            if since_by_term.get(term):
                params["since"] = since_by_term[term]
            body, response = self.get("/keyword_search", params)
            found = self._parse_page(body, response, "search")
            if found:  # a query that finds nothing does not count against the limit
                queries[hour] = queries.get(hour, 0) + 1
                newest = max(epoch(i.posted_at) for i in found)
                since_by_term[term] = max(since_by_term.get(term) or 0, newest - int(self.margin.total_seconds()))
            bodies[term] = body
            items += found
        remaining = SEARCH_QUERIES_PER_DAY - sum(queries.values())
        oldest = min(queries) if queries else None
        state = {"queries": {str(h): n for h, n in queries.items()},
                 "since": {t: s for t, s in since_by_term.items() if t in terms},
                 **({"skipped": skipped} if skipped else {})}
        return Page(items=[i for i in items if not self._is_own(i)], next_cursor=encode_cursor(state),
                    rate_limit=RateLimit(limit=SEARCH_QUERIES_PER_DAY, remaining=remaining,
                                         reset_at=datetime.fromtimestamp((oldest + 25) * 3600, tz=UTC)
                                         if remaining <= 0 and oldest is not None else None),
                    raw_body=json.dumps(bodies))

    # --- writing ----------------------------------------------------------------

    def _container(self, data: dict) -> str:
        account = self._require_account()
        body, _ = self.post(f"/{account}/threads", data)
        return self.published_from(body).external_id

    def _publish_container(self, container: str) -> Published:
        account = self._require_account()
        self._wait_for_container(container)
        body, _ = self.post(f"/{account}/threads_publish", {"creation_id": container})
        published = self.published_from(body)
        try:
            link, _ = self.get(f"/{published.external_id}", {"fields": "permalink"})
            if isinstance(link, dict) and isinstance(link.get("permalink"), str):
                published.url = link["permalink"]
        except Exception:  # the post is out; a missing permalink is not a failure
            pass
        return published

    def _wait_for_container(self, container: str) -> None:
        for attempt in range(self.publish_poll_attempts):
            body, _ = self.get(f"/{container}", {"fields": "status,error_message"})
            status = body.get("status") if isinstance(body, dict) else None
            if not isinstance(status, str):
                raise malformed(self.platform, "container status without status", body)
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status in ("ERROR", "EXPIRED"):
                raise InvalidRequest(f"threads: media container {status}: {body.get('error_message') or ''}".strip(),
                                     body=json.dumps(body))
            if attempt + 1 < self.publish_poll_attempts:
                self._sleep(self.publish_poll_interval)
        raise TransientError(f"threads: media container {container} not ready in time")

    def publish(self, text: str, *, link: str = "", images: Iterable[tuple[str, str]] = ()) -> Published:
        images = list(images)
        text = f"{text}\n\n{link}" if link and link not in text else text
        if len(images) > MAX_CAROUSEL:
            raise InvalidRequest(f"threads: at most {MAX_CAROUSEL} images in one post")
        if not images:
            container = self._container({"media_type": "TEXT", "text": text})
        elif len(images) == 1:
            url, alt = images[0]
            container = self._container({"media_type": "IMAGE", "image_url": url, "text": text,
                                         **({"alt_text": alt} if alt else {})})
        else:
            children = [self._container({"media_type": "IMAGE", "image_url": url, "is_carousel_item": "true",
                                         **({"alt_text": alt} if alt else {})}) for url, alt in images]
            container = self._container({"media_type": "CAROUSEL", "children": ",".join(children), "text": text})
        return self._publish_container(container)

    def reply(self, in_reply_to: str, text: str) -> Published:
        return self._publish_container(self._container({"media_type": "TEXT", "text": text,
                                                        "reply_to_id": in_reply_to}))

    def hide(self, external_id: str, *, hidden: bool = True) -> None:
        body, _ = self.post(f"/{external_id}/manage_reply", {"hide": "true" if hidden else "false"})
        self._success(body, "hide")

    def delete(self, external_id: str) -> None:
        body, _ = self.send("DELETE", f"/{external_id}", params=self._params())
        self._success(body, "delete")

    def metrics(self) -> Metrics:
        account = self._require_account()
        body, _ = self.get(f"/{account}/threads_insights", {"metric": "followers_count,views,likes"})
        values = {}
        for entry in self._data_list(self._check_body(body)):
            total = entry.get("total_value") if isinstance(entry.get("total_value"), dict) else {}
            value = total.get("value")
            if value is None and isinstance(entry.get("values"), list):
                value = sum(v.get("value", 0) for v in entry["values"] if isinstance(v, dict))
            values[entry.get("name")] = self._int_or_none(value)
        return Metrics(followers=values.get("followers_count"), views=values.get("views"), likes=values.get("likes"))

    def publishing_quota(self) -> dict:
        """Posts the account may still publish in the rolling 24 hours (250 a day)."""
        account = self._require_account()
        body, _ = self.get(f"/{account}/threads_publishing_limit", {"fields": "quota_usage,config"})
        first = (self._data_list(self._check_body(body)) or [{}])[0]
        config = first.get("config") if isinstance(first.get("config"), dict) else {}
        return {"quota_total": self._int_or_none(config.get("quota_total")),
                "quota_duration": self._int_or_none(config.get("quota_duration")),
                "quota_usage": self._int_or_none(first.get("quota_usage"))}

    # --- OAuth --------------------------------------------------------------------

    def authorise_url(self, *, redirect_uri: str, state: str) -> str:
        from urllib.parse import urlencode

        scopes = ",".join(self.app.scopes or self.default_scopes)
        return self.authorize_url + "?" + urlencode({"client_id": self.app.client_id, "redirect_uri": redirect_uri,
                                                     "scope": scopes, "response_type": "code", "state": state})

    def exchange_code(self, *, code: str, redirect_uri: str, state: str = "") -> Credentials:
        try:
            body, _ = self.send("POST", self.token_url, data={
                "client_id": self.app.client_id, "client_secret": self.app.client_secret,
                "grant_type": "authorization_code", "redirect_uri": redirect_uri, "code": code})
        except InvalidRequest as exc:
            raise AuthError(f"threads: the code was refused ({exc})", status=exc.status, body=exc.body) from None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise malformed(self.platform, "token response without access_token", body)
        long_lived = self._token_call("/access_token", {"grant_type": "th_exchange_token",
                                                        "client_secret": self.app.client_secret,
                                                        "access_token": body["access_token"]})
        return self._credentials(long_lived, user_id=str(body.get("user_id") or ""))

    def refresh(self) -> Credentials:
        if not self.credentials.access_token:
            raise AuthError("threads: no token to refresh; re-authorise the channel")
        token = self._token_call("/refresh_access_token", {"grant_type": "th_refresh_token",
                                                           "access_token": self.credentials.access_token})
        self.credentials = self._credentials(token, user_id=self.credentials.account_id)
        return self.credentials

    def _token_call(self, path: str, params: dict) -> dict:
        root = self.base_url.rsplit("/v1.0", 1)[0]
        body, _ = self.send("GET", root + path, params=params)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise malformed(self.platform, "token response without access_token", body)
        return body

    def _credentials(self, token: dict, *, user_id: str) -> Credentials:
        me, _ = self.get("/me", {"fields": "id,username"}, token=token["access_token"])
        if not isinstance(me, dict) or not me.get("id"):
            raise malformed(self.platform, "/me without id", me)
        return Credentials(access_token=token["access_token"], account_id=str(me.get("id") or user_id),
                           handle=str(me.get("username") or ""), expires_at=self._token_expiry(token))
