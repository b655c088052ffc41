"""Web sources of Kingsmere for the `web` platform: blogs, a news alerts feed and a forum, served
as RSS 2.0 and Atom feeds and as an HTML page, with ETags and Last-Modified (a matching
If-None-Match or If-Modified-Since gets a 304), a slow host and a broken feed.

  GET   /robots.txt                          the host's robots.txt (served at the root)
  GET   /web/sites/:site/feed                the site's feed: RSS 2.0, or Atom for the forum
  GET   /web/sites/:site/page                the site as one HTML page (a watched page)
  GET   /web/sites/:site/posts/:post_id      one entry as an HTML page
  PATCH /web/sites/:site/posts/:post_id      {text}: edit an entry (its feed and page change)

Each site is an account of the platform; /_sim/inject and /_sim/generate with platform "web"
and account "<site>" add entries. The site "slow-parish" answers after `SLOW_SECONDS`, and
"broken-feed" sends a feed cut off in the middle.
"""
from __future__ import annotations

import html
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from . import state as st
from .core import PlatformSim, Reply, Response, digest, route

SITES = {
    "kingsmere-blogs": ("Kingsmere blogs", "rss"),
    "kingsmere-news": ("Kingsmere news alerts", "rss"),
    "kingsmere-forum": ("Kingsmere residents' forum", "atom"),
    "slow-parish": ("Kingsmere parish newsletter", "rss"),
    "broken-feed": ("A broken feed", "rss"),
}
SLOW_SECONDS = 3.0
FEED_SIZE = 50
ROBOTS = "User-agent: *\nDisallow: /web/private/\n"


def _rfc822(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, tz=UTC), usegmt=True)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _title(text: str) -> str:
    first = text.strip().split("\n", 1)[0]
    for stop in (". ", "! ", "? "):
        if stop in first:
            first = first.split(stop, 1)[0] + stop.strip()
            break
    return first[:90]


class WebSim(PlatformSim):
    name = "web"
    default_account = {"id": "kingsmere-blogs", "handle": "kingsmere-blogs", "name": "Kingsmere blogs"}
    generated_kinds = (st.KIND_MENTION,)
    refresh_tokens = False

    # --- accounts and entries -----------------------------------------------------------

    def new_council(self, account_id):
        name = SITES.get(account_id, (account_id.replace("-", " ").title(), "rss"))[0]
        return st.Account(self.name, account_id, account_id, name, extra={"council": False})

    def mention_for(self, account, kind):
        return "Kingsmere Borough Council"

    def make_author(self, persona):
        return st.Account(self.name, f"writer{persona.key}", persona.handle, persona.name,
                          followers=persona.followers, verified=persona.verified)

    def add_item(self, account_id, kind, text, author, created_at, in_reply_to="", **engagement):
        site = self.council(account_id)
        order, created_at = self.state.new_order(self.name, created_at)
        post = st.Post(self.name, f"{site.id}-{order}", order, site.id, st.KIND_MENTION, text, author, created_at,
                       in_reply_to=in_reply_to, replies=engagement.get("replies", 0))
        post.extra["title"] = _title(text)
        post.extra["revision"] = 0
        self.state.add_post(post, [f"site:{site.id}"])
        return post

    def describe(self, post):
        return {"id": post.id, "site": post.account_id, "title": post.extra.get("title", "")}

    def entries(self, site: str) -> list[st.Post]:
        """The site's visible entries, newest first."""
        posts, _ = self.state.index(self.name, f"site:{site}").window(self.state.now(), limit=FEED_SIZE)
        return [p for p in posts if not p.deleted]

    # --- HTTP -----------------------------------------------------------------------------

    def _site(self, req) -> str:
        site = req.params["site"]
        if site not in SITES and self.state.account(self.name, site) is None:
            raise Reply(Response(404, b"Not found", content_type="text/plain; charset=utf-8"))
        self.council(site)
        return site

    def _conditional(self, req, body: bytes, content_type: str, newest: float | None) -> Response:
        etag = '"' + digest(body, length=20) + '"'
        modified = _rfc822(newest) if newest else None
        headers = {"ETag": etag, "Cache-Control": "max-age=60"}
        if modified:
            headers["Last-Modified"] = modified
        match = req.headers.get("If-None-Match")
        since = req.headers.get("If-Modified-Since")
        unchanged = match == etag if match else False
        if not match and since and newest:
            try:
                unchanged = parsedate_to_datetime(since).timestamp() >= int(newest)
            except (TypeError, ValueError):
                unchanged = False
        if unchanged:
            return Response.empty(304, headers)
        return Response(200, body, headers, content_type=content_type)

    def _slow(self, req, response: Response) -> Response:
        if req.params.get("site") == "slow-parish":
            response.delay = SLOW_SECONDS  # the HTTP layer waits before it answers
        return response

    def link(self, req, post: st.Post) -> str:
        return f"{req.host_url}/web/sites/{post.account_id}/posts/{post.id}"

    @route("GET", "/robots.txt", auth=False)
    def robots(self, req):
        return Response(200, ROBOTS.encode(), content_type="text/plain; charset=utf-8")

    @route("GET", "/sites/:site/feed", auth=False)
    def feed(self, req):
        site = self._site(req)
        account = self.council(site)
        posts = self.entries(site)
        fmt = SITES.get(site, ("", "rss"))[1]
        body = (self.atom(req, account, posts) if fmt == "atom" else self.rss(req, account, posts)).encode("utf-8")
        if site == "broken-feed":
            body = body[: max(60, len(body) // 2)]
        kind = "application/atom+xml; charset=utf-8" if fmt == "atom" else "application/rss+xml; charset=utf-8"
        newest = max((p.extra.get("edited_at", p.created_at) for p in posts), default=None)
        return self._slow(req, self._conditional(req, body, kind, newest))

    @route("GET", "/sites/:site/page", auth=False)
    def page(self, req):
        site = self._site(req)
        account = self.council(site)
        posts = list(reversed(self.entries(site)))
        paragraphs = "".join(f"<p>{html.escape(p.text)}</p>" for p in posts)
        body = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(account.name)}"
                f"</title></head><body><header><nav><a href=\"/\">Home</a> <a href=\"/about\">About us</a></nav>"
                f"</header><main><article><h1>{html.escape(account.name)}</h1>{paragraphs}</article></main>"
                f"<footer>Copyright Kingsmere residents. Cookies help us run this site.</footer></body></html>")
        newest = max((p.extra.get("edited_at", p.created_at) for p in posts), default=None)
        return self._slow(req, self._conditional(req, body.encode("utf-8"), "text/html; charset=utf-8", newest))

    @route("GET", "/sites/:site/posts/:post_id", auth=False)
    def post_page(self, req):
        post = self.state.post(self.name, req.params["post_id"])
        if post is None or post.account_id != req.params["site"] or not post.visible(self.state.now()):
            return Response(404, b"Not found", content_type="text/plain; charset=utf-8")
        return Response.html(f"<!DOCTYPE html><html lang=\"en\"><head><title>{html.escape(post.extra['title'])}"
                             f"</title></head><body><article><p>{html.escape(post.text)}</p></article></body></html>")

    @route("PATCH", "/sites/:site/posts/:post_id", auth=False)
    def edit(self, req):
        post = self.state.post(self.name, req.params["post_id"])
        text = req.arg("text")
        if post is None or post.account_id != req.params["site"]:
            return Response.json({"error": "no such entry"}, 404)
        if not text:
            return Response.json({"error": "text is required"}, 400)
        post.text = text
        post.extra["revision"] += 1
        post.extra["edited_at"] = self.state.now()
        return Response.json(self.describe(post))

    # --- wire formats ------------------------------------------------------------------------

    def rss(self, req, account: st.Account, posts: list[st.Post]) -> str:
        items = "".join(
            f"<item><title>{html.escape(p.extra['title'])}</title><link>{self.link(req, p)}</link>"
            f"<guid isPermaLink=\"false\">{p.id}</guid><dc:creator>{html.escape(p.author.name)}</dc:creator>"
            f"<pubDate>{_rfc822(p.created_at)}</pubDate><description>{html.escape(p.text)}</description>"
            f"<slash:comments>{p.replies}</slash:comments></item>"
            for p in posts)
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/">'
                f"<channel><title>{html.escape(account.name)}</title>"
                f"<link>{req.host_url}/web/sites/{account.id}/page</link>"
                f"<description>{html.escape(account.name)}</description>{items}</channel></rss>")

    def atom(self, req, account: st.Account, posts: list[st.Post]) -> str:
        updated = _iso(max((p.created_at for p in posts), default=self.state.now()))
        entries = "".join(
            f"<entry><id>tag:forum.kingsmere.example,2025:{p.id}</id><title>{html.escape(p.extra['title'])}</title>"
            f"<link rel=\"alternate\" href=\"{self.link(req, p)}\"/><author><name>{html.escape(p.author.name)}"
            f"</name></author><published>{_iso(p.created_at)}</published>"
            f"<updated>{_iso(p.extra.get('edited_at', p.created_at))}</updated>"
            f"<content type=\"text\">{html.escape(p.text)}</content></entry>"
            for p in posts)
        return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<id>tag:forum.kingsmere.example,2025:{account.id}</id><title>{html.escape(account.name)}</title>"
                f"<updated>{updated}</updated><link rel=\"alternate\" href=\"{req.host_url}/web/sites/{account.id}/page\"/>"
                f"{entries}</feed>")
