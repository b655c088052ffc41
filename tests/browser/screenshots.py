"""The README's screenshots, shot by Debian's Chromium from a live server loaded with the demo
council and the simulator's mentions, with every page shot checked like the journeys' pages
(axe-core, no console error, no uncaught exception, no CSP violation).

    .venv/bin/python tests/browser/screenshots.py [--out DIR]

It writes the PNGs into docs/screenshots/ (or DIR), 1280 pixels wide, each page at its full height.
Emoji in the demo's mentions need an emoji font (Debian: fonts-noto-color-emoji), else they show
as boxes. This file is not collected by the test suite (its name does not start with test_); it
runs its one test through pytest, to use the suite's fixtures.
"""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "docs" / "screenshots"))

# file name, who (a demo username, or None for a resident), the page
HOMES = [
    ("home-web-team", "webteam"), ("home-communications-officer", "comms"),
    ("home-head-of-service", "head.libraries"), ("home-service-editor", "editor.libraries"),
    ("home-customer-services", "customer.services"), ("home-councillor", "cllr.patel"),
    ("home-monitoring-officer", "monitoring.officer"), ("home-administrator", "admin"),
]
PAGES = [
    ("dashboard", "webteam", "/dashboard/"),
    ("cases", "webteam", "/cases/?clear=1"),
    ("inbox-preview", "webteam", "/cases/?case={case_id}"),
    ("case", "webteam", "{case}"),
    ("mentions", "webteam", "/mentions/"),
    ("system-status", "webteam", "/status/"),
    ("rules", "webteam", "/rules/"),
    ("triage-quality", "webteam", "/triage/quality/"),
    ("channel-registry", "webteam", "/channels/"),
    ("post-editor", "editor.libraries", "/posts/new/"),
    ("posts-to-approve", "head.libraries", "/posts/?list=to_approve"),
    ("calendar", "comms", "/calendar/"),
    ("reports", "comms", "/reports/"),
    ("policies", "cllr.patel", "/policies/"),
    ("resident-alerts-subscribe", None, "/alerts/"),
    ("sign-in", None, "/sign-in/"),
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_screenshots(demo_mentions, signed_in, browser_page):
    from triage.models import Case

    OUT.mkdir(parents=True, exist_ok=True)
    # A case worth showing: a resident asking for help, on X, with its classification.
    case = Case.objects.filter(route="customer_service", mention__platform="x").order_by("pk").first() or \
        Case.objects.exclude(route="no_action").order_by("pk").first()
    pages: dict[str | None, object] = {}

    def page_for(username):
        if username not in pages:
            pages[username] = signed_in(username) if username else browser_page()
        return pages[username]

    shot = []
    for name, username in HOMES:
        checked = page_for(username)
        checked.goto("/", check=f"{name}")
        checked.page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
        shot.append(name)
    for name, username, path in PAGES:
        checked = page_for(username)
        if name == "sign-in":
            checked = browser_page()
        checked.goto(path.format(case=case.get_absolute_url(), case_id=case.pk), check=name)
        checked.page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
        shot.append(name)
    print(f"\n{len(shot)} screenshots in {OUT}, axe-core clean on every one: {', '.join(shot)}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--out"] and len(args) > 1:
        os.environ["SCREENSHOTS_DIR"] = str(Path(args[1]).resolve())
        args = args[2:]
    os.chdir(ROOT)
    sys.exit(pytest.main([str(Path(__file__).relative_to(ROOT)), "-q", "-s", "-p", "no:warnings", *args]))
