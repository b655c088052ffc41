"""The post and reply boxes count as each platform counts, live, with the server's numbers: the
script (static/js/character-count.js) is given the server's rules (publishing.checks.counting_rules)
and must agree with the server's check (publishing.checks._measure) on X's weighting, emoji and
CJK text."""
import json

import pytest

from publishing import checks

pytestmark = pytest.mark.browser

SAMPLES = [
    "Libraries open late on Thursday",
    "図書館は木曜日に遅くまで開いています",  # CJK: 2 each on X
    "東京 and Kingsmere 한국어 مرحبا Привет",
    "Bins 🗑️ out tonight 👍🏽 👨‍👩‍👧‍👦 🇬🇧 🏴󠁧󠁢󠁥󠁮󠁧󠁿 1️⃣ ©️ © ™ ❤",
    "Read more at https://www.kingsmere.gov.uk/libraries/opening-times?x=1 today",
    "Not a link: https://www.kingsmere.example/libraries, but kingsmere.gov.uk/bins is",
    "Line one\r\nline two\rline three – “quoted” … ’",
    "e\u0301 cafe\u0301 \u200d \ufe0f zero-width",
    "@someone@mastodon.social thanks for https://example.org/a",
]


def test_the_live_count_agrees_with_the_server(demo, signed_in):
    editor = signed_in("editor.libraries")
    editor.goto("/posts/new/")
    page = editor.page
    page.wait_for_function("window.CouncilSocialCount !== undefined")
    rules = checks.counting_rules(["x", "bluesky", "mastodon", "facebook"])
    for platform, rule in rules.items():
        for text in SAMPLES:
            browser = page.evaluate("([t, r]) => window.CouncilSocialCount.measure(t, r)", [text, rule])
            assert browser == checks._measure(platform, text), (platform, text)


def test_the_post_box_shows_the_count_of_each_ticked_channel(demo, signed_in):
    editor = signed_in("editor.libraries")
    editor.goto("/posts/new/")
    page = editor.page
    box = page.locator("#id_text")
    assert json.loads(box.get_attribute("data-count-rules"))
    box.fill("図" * 150)  # 300 on X (limit 280), 150 graphemes on Bluesky
    message = page.locator(".app-character-count").first
    x_line = message.locator(".app-character-count__line", has_text="X:")
    assert x_line.count() == 1
    assert "20 characters too many" in x_line.inner_text()
    editor.check("post editor with a count")
