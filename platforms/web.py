"""The `web` platform: sources that are not social networks.

A source is one address: a **feed** (RSS 0.9x, 1.0, 2.0 or Atom, parsed with feedparser: blogs,
local news, forum and subreddit feeds, alert services that deliver web-wide keyword results
as a feed) or a **page** without a feed (a community site, a consultation page, a forum thread)
whose readable text is extracted with trafilatura; each new or changed paragraph becomes an
item with the page's address.

A source is **watched** (every entry kept) or **searched** (only entries that match one of
the council's watch terms are kept).

Polite fetching: every request goes through the guarded fetcher (platforms/fetch.py: no
private or loopback address unless an administrator allowed the host, size and time limits,
bounded redirects); a User-Agent naming the council's deployment; robots.txt read once a day
per source and obeyed; conditional GET (ETag and Last-Modified: a 304 costs no parsing); a
minimum interval per host, kept by the caller through `host_gate`.

The cursor (JSON) holds the validators, the robots.txt rules, and a fingerprint of each entry
or paragraph already returned, so a feed fetched again returns nothing and an edited entry is
returned once more, marked `edited`.

Plain Python, no Django.
"""
from __future__ import annotations

import calendar
import hashlib
import io
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib import robotparser
from urllib.parse import urlsplit, urlunsplit
from xml.sax import SAXException

from platforms.base import (
    KIND_MENTION,
    KIND_SEARCH_HIT,
    Author,
    InvalidRequest,
    Item,
    MalformedPayload,
    Metrics,
    NotSupported,
    Page,
    PlatformClient,
    RateLimited,
    TransientError,
    decode_cursor,
    encode_cursor,
    parse_time,
)
from platforms.fetch import FetchError, FetchRefused, guarded_get

FEED = "feed"
PAGE = "page"
WATCHED = "watched"
SEARCHED = "searched"
MAX_BYTES = 5 * 1024 * 1024
ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_TTL = 86400.0
MAX_REMEMBERED = 5000  # fingerprints kept in the cursor, newest last
DEFAULT_USER_AGENT = "CouncilSocial/1.0 (council social media listening)"


def fingerprint(*parts: str, length: int = 32) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:length]


def matches_terms(text: str, terms: Iterable[str]) -> list[str]:
    """The watch terms found in `text` (case-insensitive; a term of words matches as a phrase,
    on word boundaries; "#tag" and "@name" match as written)."""
    found = []
    lowered = text.lower()
    for term in terms:
        t = term.strip().lower()
        if not t:
            continue
        pattern = r"(?<![\w#@])" + re.escape(t) + r"(?!\w)"
        if re.search(pattern, lowered):
            found.append(term)
    return found


class _Text(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr",
              "table", "pre", "section", "article", "hr", "figure", "figcaption", "dd", "dt"}
    SKIP = {"script", "style", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_text(content: str) -> str:
    """The text a reader sees in an entry's HTML: tags dropped, paragraphs kept as lines."""
    if "<" not in content and "&" not in content:
        return content.strip()
    parser = _Text()
    parser.feed(content)
    parser.close()
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


# --- feeds --------------------------------------------------------------------------------


def _entry_time(entry: Any) -> datetime | None:
    """When the entry was published (else updated): ISO 8601 read as written (to the
    millisecond), other forms (RFC 822) through feedparser's reading."""
    for key in ("published", "updated", "created"):
        try:
            found = parse_time(entry.get(key))
        except (TypeError, ValueError):
            found = None
        if found is not None:
            return found
        value = entry.get(f"{key}_parsed")
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _entry_body(entry: Any) -> str:
    """The entry's fullest text: its content, else its summary, as a reader sees it."""
    for content in entry.get("content") or ():
        value = content.get("value") or ""
        if value.strip():
            return html_text(value)
    return html_text(entry.get("summary") or entry.get("description") or "")


def _author(entry: Any, feed: Any, host: str) -> Author:
    detail = entry.get("author_detail") or feed.get("author_detail") or {}
    name = ""
    for found in (entry.get("author_detail") or {}, entry, feed.get("author_detail") or {}, feed):
        name = ((found.get("name") if found is not entry and found is not feed else found.get("author")) or "").strip()
        if name:
            break
    if not name:
        name = (feed.get("title") or host).strip()
    href = detail.get("href") or ""
    return Author(external_id=f"{host}/{name}"[:200], handle=name, display_name=name,
                  profile_url=href if href.startswith(("http://", "https://")) else (feed.get("link") or ""))


def parse_feed(body: bytes | str, *, source_url: str = "", kind: str = KIND_MENTION,
               now: datetime | None = None) -> list[Item]:
    """The entries of an RSS or Atom document, newest first. MalformedPayload when it is not a
    feed that can be read (the reason is feedparser's)."""
    import feedparser

    data = body.encode("utf-8", "surrogateescape") if isinstance(body, str) else body
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise MalformedPayload("web: the body is not an RSS or Atom feed (it is not XML)",
                               body=data.decode("utf-8", "replace"))
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    version = parsed.get("version") or ""
    reason = parsed.get("bozo_exception")
    # Not well-formed XML (cut off, damaged) is refused whole even when feedparser recovered some
    # entries; a wrong declared encoding or content type is only a warning.
    if parsed.get("bozo") and (not parsed.entries or isinstance(reason, SAXException)):
        raise MalformedPayload(f"web: not a feed that can be read ({type(reason).__name__}: {reason})",
                               body=data.decode("utf-8", "replace"))
    if not version and not parsed.entries:
        raise MalformedPayload("web: the body is not an RSS or Atom feed", body=data.decode("utf-8", "replace"))
    feed = parsed.feed
    host = urlsplit(feed.get("link") or source_url).hostname or "feed"
    when = now or datetime.now(UTC)
    items = []
    for entry in parsed.entries:
        link = (entry.get("link") or "").strip()
        title = (entry.get("title") or "").strip()
        body_text = _entry_body(entry)
        external = (entry.get("id") or link or "").strip()
        if not external:
            external = "entry:" + fingerprint(host, title, body_text)
        if len(external) > 300:
            external = "entry:" + fingerprint(external)
        text = f"{title}\n\n{body_text}" if title and body_text and body_text != title else (title or body_text)
        items.append(Item(
            platform="web", external_id=external, kind=kind, text=text, posted_at=_entry_time(entry) or when,
            author=_author(entry, feed, host), url=link, conversation_id=external,
            replies=_int(entry.get("slash_comments") or entry.get("thr_total")),
            raw={"title": title, "feed": feed.get("title") or "", "format": version},
        ))
    return items


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


# --- pages --------------------------------------------------------------------------------


def page_paragraphs(html: str, url: str = "") -> tuple[str, list[str]]:
    """(title, the page's readable paragraphs) with boilerplate (menus, footers) left out."""
    import trafilatura

    text = trafilatura.extract(html, url=url or None, include_comments=True, include_tables=True,
                               favor_recall=True, deduplicate=False) or ""
    meta = trafilatura.extract_metadata(html)
    title = (meta.title if meta and meta.title else "") or ""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
    return title, paragraphs


def page_items(html: str, *, url: str, known: set[str], now: datetime, kind: str = KIND_MENTION
               ) -> tuple[list[Item], list[str]]:
    """Items for the paragraphs of a page not seen before, and every paragraph's fingerprint.
    The first time a page is read it becomes one item (the whole text); after that each new or
    changed paragraph is one item with the page's address."""
    title, paragraphs = page_paragraphs(html, url)
    prints = [fingerprint(url, p) for p in paragraphs]
    host = urlsplit(url).hostname or "page"
    author = Author(external_id=f"{host}/{title or host}"[:200], handle=host, display_name=title or host,
                    profile_url=url)
    if not paragraphs:
        return [], prints
    if not known:
        whole = "\n\n".join(paragraphs)
        text = f"{title}\n\n{whole}" if title else whole
        return [Item(platform="web", external_id="page:" + fingerprint(url, whole), kind=kind, text=text,
                     posted_at=now, author=author, url=url, conversation_id="page:" + fingerprint(url),
                     raw={"title": title, "page": url})], prints
    items = []
    for paragraph, print_ in zip(paragraphs, prints, strict=True):
        if print_ in known:
            continue
        items.append(Item(platform="web", external_id="page:" + print_, kind=kind, text=paragraph, posted_at=now,
                          author=author, url=url, conversation_id="page:" + fingerprint(url),
                          raw={"title": title, "page": url}))
    return items, prints


# --- robots.txt ---------------------------------------------------------------------------


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def robots_allows(rules: str, url: str, user_agent: str) -> bool:
    parser = robotparser.RobotFileParser()
    parser.parse(rules.splitlines())
    return parser.can_fetch(user_agent, url)


# --- the client ---------------------------------------------------------------------------


class WebClient(PlatformClient):
    """One web source. `source_url` is its address, `source_kind` "feed" or "page", `mode`
    "watched" or "searched". `host_gate(host)` returns None when a request to that host may
    be made now (and counts it), or the time before which none may."""

    platform = "web"
    endpoints = ("source",)
    needs_credentials = False
    default_base_url = ""

    def __init__(self, *, source_url: str = "", source_kind: str = FEED, mode: str = WATCHED,
                 user_agent: str = DEFAULT_USER_AGENT, host_gate: Callable[[str], datetime | None] | None = None,
                 max_bytes: int = MAX_BYTES, **kwargs):
        super().__init__(**kwargs)
        self.source_url = source_url
        self.source_kind = source_kind
        self.mode = mode
        self.user_agent = user_agent
        self.host_gate = host_gate
        self.max_bytes = max_bytes
        self.parsed = 0  # bodies parsed (a 304 parses none)

    # --- HTTP -------------------------------------------------------------------------

    def get(self, url: str, headers: dict | None = None, *, max_bytes: int | None = None):
        """One GET through the guarded fetcher."""
        host = (urlsplit(url).hostname or "").lower()
        try:
            response = guarded_get(url, allow_hosts=self.allow_hosts, timeout=self.timeout,
                                   max_bytes=max_bytes or self.max_bytes,
                                   headers={"User-Agent": self.user_agent, **(headers or {})})
        except FetchRefused as exc:
            raise InvalidRequest(f"web: {exc}") from None
        except FetchError as exc:
            raise TransientError(f"web: {exc}") from None
        status = response.status
        if status == 429:
            raise RateLimited(f"web: {host} asked us to slow down", retry_at=self._retry_at(response), status=429)
        if status >= 500:
            raise TransientError(f"web: HTTP {status} from {host}", status=status)
        if status >= 400 and status != 404:
            raise InvalidRequest(f"web: HTTP {status} from {url}", status=status)
        return response

    def _robots(self, state: dict) -> None:
        """Fetch robots.txt once a day; InvalidRequest when it disallows the source."""
        cached = state.get("robots") or {}
        if not cached or time.time() - float(cached.get("at", 0)) > ROBOTS_TTL:
            try:
                response = self.get(robots_url(self.source_url), max_bytes=ROBOTS_MAX_BYTES)
                rules = response.text if response.status == 200 else ""
            except InvalidRequest as exc:
                if exc.status is None or not 400 <= exc.status < 500:
                    raise
                rules = ""  # robots.txt refused (401, 403…): as the convention says, nothing is disallowed
            cached = state["robots"] = {"at": time.time(), "rules": rules[:ROBOTS_MAX_BYTES]}
        if cached.get("rules") and not robots_allows(cached["rules"], self.source_url, self.user_agent):
            raise InvalidRequest(f"web: robots.txt of {urlsplit(self.source_url).hostname} disallows "
                                 f"{self.source_url} to {self.user_agent}")

    # --- reading ----------------------------------------------------------------------

    def fetch(self, endpoint: str, cursor: str | None, *, watch_terms: Iterable[str] = ()) -> Page:
        if endpoint != "source":
            raise InvalidRequest(f"web: unknown endpoint {endpoint!r}")
        if not self.source_url:
            raise InvalidRequest("web: the source has no address")
        state = decode_cursor(cursor)
        host = (urlsplit(self.source_url).hostname or "").lower()
        if self.host_gate is not None:  # one visit to the host per poll, at most one per interval
            wait = self.host_gate(host)
            if wait is not None:
                raise RateLimited(f"web: {host} was visited moments ago; next at {wait:%H:%M:%S}", retry_at=wait)
        self._robots(state)
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        response = self.get(self.source_url, headers)
        if response.status == 304:  # unchanged: nothing to parse
            return Page(items=[], next_cursor=encode_cursor(state), raw_body="")
        if response.status == 404:
            raise InvalidRequest(f"web: {self.source_url} was not found (HTTP 404)", status=404)
        kind = KIND_SEARCH_HIT if self.mode == SEARCHED else KIND_MENTION
        now = datetime.now(UTC)
        self.parsed += 1
        seen: dict[str, str] = dict(state.get("seen") or {})
        if self.source_kind == PAGE:
            known = set(seen)
            items, prints = page_items(response.text, url=self.source_url, known=known, now=now, kind=kind)
            # Paragraphs seen before stay remembered (a paragraph put back is not new), the current ones last
            # so that they survive the bound.
            seen = {p: "" for p in seen if p not in prints} | {p: "" for p in prints}
        else:
            try:
                parsed = parse_feed(response.body, source_url=self.source_url, kind=kind, now=now)
            except MalformedPayload as exc:
                exc.status = response.status
                raise
            items = []
            for item in reversed(parsed):  # oldest first, so the newest are remembered last
                print_ = fingerprint(item.text, item.url)
                before = seen.get(item.external_id)
                if before == print_:
                    continue
                seen.pop(item.external_id, None)
                seen[item.external_id] = print_
                items.append(item if before is None else _edited(item))
        if self.mode == SEARCHED:
            terms = list(watch_terms)
            items = [i for i in items if matches_terms(i.text, terms)]
        state["seen"] = dict(list(seen.items())[-MAX_REMEMBERED:])
        for key, header in (("etag", "ETag"), ("modified", "Last-Modified")):
            value = _header(response.headers, header)
            if value:
                state[key] = value
            else:
                state.pop(key, None)
        return Page(items=items, next_cursor=encode_cursor(state), raw_body=response.text)

    def decode(self, text: str) -> Any:
        return text  # feeds are XML: parse() reads the text itself

    def parse(self, body: Any, *, endpoint: str | None = None) -> list[Item]:
        if isinstance(body, (bytes, str)):
            return parse_feed(body, source_url=self.source_url)
        raise MalformedPayload("web: a feed is XML text", body=str(body)[:10000])

    # --- writing: a web source is read only ------------------------------------------

    def publish(self, text: str, *, link: str = "", images=()):
        raise NotSupported("web sources are listened to, not published to")

    def reply(self, in_reply_to: str, text: str):
        raise NotSupported("web sources are listened to: answer on the site itself")

    def metrics(self) -> Metrics:
        return Metrics()

    def authorise_url(self, *, redirect_uri: str, state: str) -> str:
        raise NotSupported("web sources need no sign-in")

    def exchange_code(self, *, code: str, redirect_uri: str, state: str = ""):
        raise NotSupported("web sources need no sign-in")


def _edited(item: Item) -> Item:
    import dataclasses

    return dataclasses.replace(item, edited=True)


def _header(headers, name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""
