"""The checks of the browser tests can fail. Real pages of the live server, served with their real
Content-Security-Policy, are altered on the way to the browser (Playwright's request routing):
known accessibility faults are reported by axe with their WCAG criteria and fixes; an inline
script blocked by the CSP fails the page, and so do an inline style, a script error, a missing
file, a page that is not found and a page visited without a check. The keyboard checks fail a Tab
stop without a visible focus indicator, off screen or covered by something else."""
import re

import pytest

from tests.browser.harness import AXE_TAGS, AXE_VERSION, PageProblem, describe_violations, wcag_criteria

pytestmark = pytest.mark.browser


def serve_altered(checked, path: str, alter) -> None:
    """Serve `path` from the live server with its real headers (the CSP among them), its HTML
    passed through alter(html)."""
    def handle(route):
        response = route.fetch()
        route.fulfill(response=response, body=alter(response.text()))

    checked.page.route(re.compile(re.escape(checked.url(path)) + r"(\?.*)?$"), handle)


@pytest.mark.django_db(transaction=True)
def test_axe_reports_known_faults_with_their_wcag_criteria_and_fixes(browser_page, live_server):
    checked = browser_page()
    checked.goto("/sign-in/", check="the sign-in page as it is")

    def faults(html: str) -> str:
        html = html.replace('<html lang="en-GB"', "<html", 1)  # WCAG 3.1.1
        html = re.sub(r'<label[^>]*for="id_username"[^>]*>.*?</label>', "", html, count=1, flags=re.S)  # 1.3.1, 4.1.2
        html = html.replace("</h1>", '</h1><img src="/static/govuk/assets/images/favicon.svg">', 1)  # 1.1.1
        return html.replace('<button type="submit"', '<button type="submit" aria-label=""', 1).replace(
            ">Sign in</button>", "></button>", 1)  # 4.1.2: a button with no name

    serve_altered(checked, "/sign-in/", faults)
    checked.goto("/sign-in/", check=None)
    with pytest.raises(PageProblem) as failure:
        checked.check("the sign-in page with faults")
    message = str(failure.value)
    assert f"axe-core {AXE_VERSION}" in message
    for rule, criterion in [("html-has-lang", "3.1.1"), ("label", "4.1.2"), ("image-alt", "1.1.1"),
                            ("button-name", "4.1.2")]:
        line = next((line for line in message.splitlines() if line.startswith(f"- {rule} (")), None)
        assert line and criterion in line, (rule, message)
    assert "at #id_username" in message and "fix: Fix any of the following:" in message
    # Nothing else on the page is reported: the faults are exactly the ones put there.
    violations, _ = checked.collect()
    assert {v["id"] for v in violations} == {"html-has-lang", "label", "image-alt", "button-name"}


def test_the_report_names_each_rule_its_criteria_the_elements_and_the_fix():
    violation = {"id": "color-contrast", "impact": "serious", "help": "Elements must meet minimum color contrast",
                 "helpUrl": "https://dequeuniversity.com/rules/axe/4.14/color-contrast",
                 "tags": ["cat.color", "wcag2aa", "wcag143", "TTv5"],
                 "nodes": [{"target": [".app-tag"], "html": '<strong class="app-tag">New</strong>',
                            "summary": "Fix any of the following:\n  Element has insufficient color contrast of 2.1"}]}
    assert describe_violations([violation]).splitlines() == [
        "- color-contrast (serious; WCAG 1.4.3): Elements must meet minimum color contrast "
        "<https://dequeuniversity.com/rules/axe/4.14/color-contrast>",
        '    at .app-tag: <strong class="app-tag">New</strong>',
        "      fix: Fix any of the following: Element has insufficient color contrast of 2.1"]
    assert wcag_criteria(["wcag2a", "wcag1411", "wcag22aa", "wcag258", "best-practice"]) == ["1.4.11", "2.5.8"]
    assert AXE_TAGS == ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.mark.django_db(transaction=True)
def test_a_blocked_inline_script_or_style_a_script_error_or_a_missing_file_fails_the_page(browser_page, live_server):
    # An inline script: the CSP is enforced (not bypassed), so it does not run, and the page fails.
    checked = browser_page()
    serve_altered(checked, "/sign-in/", lambda html: html.replace(
        "</main>", '<script>window.inlineRan = true;</script></main>', 1))
    checked.goto("/sign-in/", check=None)
    assert checked.page.evaluate("() => window.inlineRan") is None
    with pytest.raises(PageProblem) as failure:
        checked.check()
    message = str(failure.value)
    assert "CSP violation: script-src-elem blocked inline" in message
    assert "console error: Executing inline script violates the following Content Security Policy" in message

    # An inline style attribute.
    checked = browser_page()
    serve_altered(checked, "/sign-in/", lambda html: html.replace(
        '<h1 class="govuk-heading-l">', '<h1 class="govuk-heading-l" style="color: red">', 1))
    checked.goto("/sign-in/", check=None)
    with pytest.raises(PageProblem, match="CSP violation: style-src-attr blocked inline"):
        checked.check()

    # A script of our own origin, so the CSP allows it: it runs, and throws.
    checked = browser_page()
    checked.page.route(checked.url("/static/js/broken.js"), lambda route: route.fulfill(
        status=200, content_type="text/javascript", body='document.body.dataset.ran = "yes"; null.missing;'))
    serve_altered(checked, "/sign-in/", lambda html: html.replace(
        "</body>", '<script src="/static/js/broken.js"></script></body>', 1))
    checked.goto("/sign-in/", check=None)
    assert checked.page.evaluate("() => document.body.dataset.ran") == "yes"
    with pytest.raises(PageProblem, match=r"uncaught exception: .*Cannot read properties of null"):
        checked.check()

    # A file that is not there: a console error.
    checked = browser_page()
    serve_altered(checked, "/sign-in/", lambda html: html.replace(
        "</body>", '<img src="/static/no-such-picture.png" alt="A picture"></body>', 1))
    checked.goto("/sign-in/", check=None)
    with pytest.raises(PageProblem, match=r"console error: Failed to load resource: .* 404"):
        checked.check()

    # A page that is not there.
    checked = browser_page()
    checked.page.goto(checked.url("/no-such-page/"))
    with pytest.raises(PageProblem, match=r"404 for GET http://.*/no-such-page/"):
        checked.check()

    # A page visited and never checked fails the test.
    checked = browser_page()
    checked.goto("/sign-in/")
    checked.goto("/alerts/", check=None)
    with pytest.raises(AssertionError, match=r"pages visited but never checked: \['http://.*/alerts/'\]"):
        checked.finish()
    checked.check()  # so that this test's own teardown passes


@pytest.mark.django_db(transaction=True)
def test_the_keyboard_checks_fail_without_a_focus_indicator_off_screen_or_covered(browser_page, live_server):
    def with_css(checked, css: str) -> None:
        def handle(route):
            response = route.fetch()
            route.fulfill(response=response, body=response.text() + css)

        checked.page.route(re.compile(r".*/council-social\.min\.css(\?.*)?$"), handle)

    # The skip link's focus style taken away.
    checked = browser_page()
    with_css(checked, ".govuk-skip-link:focus{outline:none!important;box-shadow:none!important;"
                      "background:transparent!important}")
    checked.goto("/sign-in/")
    with pytest.raises(AssertionError, match=r"Tab stop <a class=govuk-skip-link> .*no visible focus indicator"):
        checked.tab()
    assert browser_page().goto("/sign-in/").tab()["text"] == "Skip to main content"  # GOV.UK's own style passes

    # A link that takes focus off screen, and one covered by something else.
    checked = browser_page()
    with_css(checked, ".app-test-away{position:absolute;left:-9999px}"
                      ".app-test-cover{position:fixed;inset:0;background:#fff;z-index:1000}")
    serve_altered(checked, "/sign-in/", lambda html: html.replace(
        '<a href="#main-content"', '<a class="app-test-away" href="/alerts/">Away</a><a href="#main-content"', 1))
    checked.goto("/sign-in/")
    with pytest.raises(AssertionError, match=r"Tab stop <a class=app-test-away> \"Away\": not on screen"):
        checked.tab()
    checked = browser_page()
    with_css(checked, ".app-test-cover{position:fixed;inset:0;background:#fff;z-index:1000}")
    serve_altered(checked, "/sign-in/", lambda html: html.replace(
        "</body>", '<div class="app-test-cover"></div></body>', 1))
    checked.goto("/sign-in/")
    with pytest.raises(AssertionError, match=r"Skip to main content.*hidden behind <div class=app-test-cover>"):
        checked.tab()
