"""The real feeds in shared/platform-payloads/web/ through `ingest_file --platform web`: every entry
stored with its title, text, author, link and time, read here from the XML itself (not through
the parser under test); the same file again stores nothing; a broken feed is quarantined."""
from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html import unescape
from pathlib import Path

import lxml.html
import pytest
from django.core.management import call_command
from lxml import etree

from accounts.models import Channel
from monitoring.models import Mention, Quarantine

FOLDER = Path(__file__).resolve().parents[2].parent / "shared" / "platform-payloads" / "web"
FEEDS = sorted(p.name for p in FOLDER.glob("*.xml")) if FOLDER.is_dir() else []
NS = {"atom": "http://www.w3.org/2005/Atom", "dc": "http://purl.org/dc/elements/1.1/",
      "rss1": "http://purl.org/rss/1.0/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
      "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd", "content": "http://purl.org/rss/1.0/modules/content/"}
pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not FEEDS, reason=f"recorded feeds not found at {FOLDER}")]


def first(node, *paths):
    for path in paths:
        found = node.find(path, NS)
        if found is not None and (found.text or "").strip():
            return found.text.strip()
    return ""


def inner(node, *paths) -> str:
    """All the text inside an element (HTML given as escaped text, or as raw child elements)."""
    for path in paths:
        found = node.find(path, NS)
        if found is not None:
            text = "".join(found.itertext()).strip()
            if text:
                return text
    return ""


def rss_author(value: str) -> str:
    match = re.match(r"^\S+@\S+\s+\((.+)\)$", value)  # "email (Name)"
    return match.group(1) if match else value


def plain(html: str) -> str:
    if not html.strip():
        return ""
    text = lxml.html.fromstring(html).text_content() if "<" in html else html
    return re.sub(r"\s+", "", unescape(text))


def expected_entries(path: Path) -> list[dict]:
    """id, title, link, author, time and the start of the text of each entry, from the XML."""
    root = etree.parse(str(path)).getroot()
    out = []
    if root.tag == f"{{{NS['atom']}}}feed":
        feed_author = first(root, "atom:author/atom:name") or first(root, "atom:title")
        for e in root.findall("atom:entry", NS):
            links = [lk for lk in e.findall("atom:link", NS) if lk.get("rel", "alternate") == "alternate"]
            body = [inner(e, "atom:content"), inner(e, "atom:summary")]
            out.append({"id": first(e, "atom:id"), "title": first(e, "atom:title"),
                        "link": links[0].get("href") if links else "",
                        "author": first(e, "atom:author/atom:name") or feed_author,
                        "time": datetime.fromisoformat(first(e, "atom:published", "atom:updated")),
                        "body": body})
        return out
    channel = root.find("channel") if root.find("channel") is not None else root.find("rss1:channel", NS)
    items = channel.findall("item") or root.findall("rss1:item", NS)
    feed_author = (first(channel, "managingEditor", "dc:creator", "itunes:author", "rss1:title", "title"))
    for item in items:
        link = first(item, "link", "rss1:link")
        when = first(item, "pubDate")
        time = parsedate_to_datetime(when) if when else datetime.fromisoformat(first(item, "dc:date"))
        author = first(item, "dc:creator", "author", "itunes:author")
        out.append({"id": first(item, "guid") or link, "title": first(item, "title", "rss1:title"), "link": link,
                    "author": rss_author(author) if author else rss_author(feed_author),
                    "time": time.astimezone(UTC),
                    "body": [inner(item, p) for p in ("content:encoded", "itunes:summary", "description",
                                                      "rss1:description")]})
    return out


@pytest.fixture
def source(services):
    return Channel.objects.create(platform="web", handle="recorded-feeds", display_name="Recorded feeds",
                                  service=services["communications"], kind="corporate")


def ingest(path: Path, handle="recorded-feeds") -> dict:
    out = io.StringIO()
    call_command("ingest_file", "--platform", "web", "--channel", handle, str(path), stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("name", FEEDS)
def test_each_recorded_feed_is_stored_with_title_text_author_link_and_time(name, source):
    expected = expected_entries(FOLDER / name)
    assert expected, "the file holds entries"
    summary = ingest(FOLDER / name)
    assert summary["created"] == len({e["id"] for e in expected})
    assert summary["quarantined"] == 0
    stored = {m.external_id: m for m in Mention.objects.filter(platform="web").select_related("author")}
    for entry in expected:
        mention = stored[entry["id"]]
        assert mention.text.startswith(entry["title"])
        text = re.sub(r"\s+", "", mention.text)
        assert any(plain(body)[:40] in text for body in entry["body"] if body)
        assert mention.url == entry["link"]
        assert mention.author.display_name == entry["author"]
        assert mention.posted_at == entry["time"]
        assert mention.channel == source

    again = ingest(FOLDER / name)
    assert again["created"] == 0 and again["quarantined"] == 0
    assert Mention.objects.filter(platform="web").count() == len(stored)


def test_a_broken_feed_is_quarantined_with_its_reason(source, tmp_path):
    good = (FOLDER / FEEDS[0]).read_text(encoding="utf-8")
    broken = tmp_path / "broken.xml"
    broken.write_text(good[: len(good) // 3].replace("<channel>", "<channel><<"), encoding="utf-8")
    summary = ingest(broken)
    assert summary == {"created": 0, "duplicates": 0, "quarantined": 1}
    entry = Quarantine.objects.get(platform="web")
    assert "not a feed that can be read" in entry.error and "broken.xml" in entry.error
    assert entry.body == broken.read_text(encoding="utf-8")
    assert not Mention.objects.exists()


def test_a_json_body_given_as_a_feed_is_quarantined_not_a_traceback(source, tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"data": []}', encoding="utf-8")
    assert ingest(wrong)["quarantined"] == 1
    assert "not an RSS or Atom feed" in Quarantine.objects.get(platform="web").error
