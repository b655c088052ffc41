"""The checks every page of the browser tests must pass, and the helpers a journey uses.

`Checked` wraps a Playwright page. It records, from the moment the page opens, every console
error, uncaught exception, Content-Security-Policy violation and dialog. `Checked.check()` runs
axe-core (vendored, injected through the DevTools protocol, so the page's CSP is enforced in full
and governs nothing we inject) with the WCAG 2.2 A and AA tags, and fails on any violation or
any problem recorded since the last check. `Checked.finish()` fails if a page was visited and
never checked. The keyboard helpers move with Tab alone and check the focus at every stop.
"""
from __future__ import annotations

import base64
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from django_otp.oath import totp

HERE = Path(__file__).resolve().parent
AXE_DIR = HERE / "vendor" / "axe-core"
AXE_VERSION = (AXE_DIR / "VERSION").read_text().strip()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
VIEWPORT = {"width": 1280, "height": 900}

# GOV.UK Frontend's focus colours: $govuk-focus-colour and $govuk-focus-text-colour.
FOCUS_YELLOW = "rgb(255, 221, 0)"
FOCUS_BLACK = "rgb(11, 12, 12)"

_axe_source: str | None = None


def axe_source() -> str:
    global _axe_source
    if _axe_source is None:
        _axe_source = (AXE_DIR / "axe.min.js").read_text(encoding="utf-8")
    return _axe_source


def wcag_criteria(tags: list[str]) -> list[str]:
    """axe's tags → WCAG success criteria: "wcag143" → "1.4.3", "wcag1411" → "1.4.11"."""
    return [f"{t[4]}.{t[5]}.{t[6:]}" for t in tags if re.fullmatch(r"wcag\d{3,}", t)]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        criteria = ", ".join(wcag_criteria(v["tags"])) or "no WCAG number"
        lines.append(f"- {v['id']} ({v['impact']}; WCAG {criteria}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"]:
            lines.append(f"    at {' '.join(node['target'])}: {node['html'][:300]}")
            parts = [" ".join(line.split()) for line in node["summary"].splitlines() if line.strip()]
            if len(parts) > 1 and parts[0].endswith(":"):
                parts = [f"{parts[0]} {parts[1]}", *parts[2:]]
            lines.append(f"      fix: {'; '.join(parts)}")
    return "\n".join(lines)


class PageProblem(AssertionError):
    """A page failed a check: axe violations, console errors, exceptions, CSP violations."""


_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
    nodes: v.nodes.map(n => ({target: n.target.map(String), html: n.html, summary: n.failureSummary || ""}))}));
}"""

# Runs before any script of every document (through the DevTools protocol, so the page's CSP does
# not apply to it): reports CSP violations to the test as they happen.
_CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (e) => {
  window.__reportCspViolation && window.__reportCspViolation(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
}, true);"""


@dataclass
class Checked:
    """A page whose every visit must pass check(). Make it with Checked.open(context)."""

    page: object
    cdp: object
    base_url: str
    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)
    checked_at: set[int] = field(default_factory=set)
    checked: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, context, base_url: str) -> Checked:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        me = cls(page=page, cdp=cdp, base_url=base_url.rstrip("/"))
        page.on("console", me._console)
        page.on("pageerror", lambda exc: me.problems.append(f"uncaught exception: {exc}"))
        page.on("dialog", me._dialog)
        page.on("load", me._loaded)
        page.on("response", me._response)
        page.expose_function("__reportCspViolation", lambda text: me.problems.append(f"CSP violation: {text}"))
        page.add_init_script(_CSP_LISTENER)
        return me

    def _console(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and url == self.page.url:
            return  # the page itself: its status is judged by _response
        self.problems.append(f"console error: {message.text} ({url})")

    def _response(self, response) -> None:
        # A form sent back with its errors (400) or against a stale version (409) is on purpose;
        # any other error status of a page, and a server error of anything, is a problem.
        page = response.request.is_navigation_request() and response.request.frame == self.page.main_frame
        if response.status >= 500 or (page and response.status >= 400 and response.status not in (400, 409)):
            self.problems.append(f"{response.status} for {response.request.method} {response.url}")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        self.problems.append(f"a dialog opened: {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    def _loaded(self, page) -> None:
        # Each new document (not a move to a #fragment in the same one).
        self.navigations.append(page.url)

    # --- navigation ----------------------------------------------------------------------

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"

    def goto(self, path: str, *, check: str | None = "") -> Checked:
        """Open a page and check it (check=None to check it later, after more steps)."""
        response = self.page.goto(self.url(path))
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        if check is not None:
            self.check(check or path)
        return self

    @property
    def path(self) -> str:
        return self.page.url.removeprefix(self.base_url)

    # --- the checks ----------------------------------------------------------------------

    def axe(self) -> list[dict]:
        self.page.wait_for_load_state("load")
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            result = self.cdp.send("Runtime.evaluate", {"expression": axe_source(), "returnByValue": False})
            assert "exceptionDetails" not in result, result["exceptionDetails"]
        return self.page.evaluate(_AXE_RUN, AXE_TAGS)

    def check(self, label: str = "") -> list[dict]:
        """axe (WCAG 2.2 A and AA), and no console error, uncaught exception, CSP violation, error
        status or dialog since the last check: any of them fails the page."""
        label = label or self.path
        violations, problems = self.collect()
        message = []
        if violations:
            message.append(f"axe-core {AXE_VERSION} found WCAG 2.2 A/AA violations:\n{describe_violations(violations)}")
        if problems:
            message.append("problems:\n" + "\n".join(f"- {p}" for p in problems))
        if message:
            raise PageProblem(f"{label} ({self.page.url}):\n" + "\n".join(message))
        return violations

    def collect(self) -> tuple[list[dict], list[str]]:
        """Run the checks and return (axe violations, problems) without failing; marks the page
        checked."""
        violations = self.axe()
        problems, self.problems[:] = list(self.problems), []
        self.checked_at.add(len(self.navigations))
        self.checked.append(self.path)
        return violations, problems

    def finish(self) -> None:
        """Every page visited was checked, and nothing happened after the last check."""
        unchecked = [url for i, url in enumerate(self.navigations, start=1) if i not in self.checked_at]
        assert not unchecked, f"pages visited but never checked: {unchecked}"
        assert not self.problems, f"after the last check: {self.problems}"

    # --- forms ---------------------------------------------------------------------------

    def submit(self, button_text: str, *, check: str | None = "") -> Checked:
        """Press a form's button (by its text) with the mouse-free Enter key, and check the page."""
        button = self.page.get_by_role("button", name=button_text, exact=True)
        with self.page.expect_navigation():
            button.focus()
            self.page.keyboard.press("Enter")
        if check is not None:
            self.check(check or f"after {button_text!r}")
        return self

    def follow(self, link_text: str, *, check: str | None = "", exact: bool = True) -> Checked:
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=link_text, exact=exact).first.click()
        if check is not None:
            self.check(check or f"after the link {link_text!r}")
        return self

    def error_summary(self) -> str:
        """A form sent back with errors: "Error: " title, and the summary focused with links to fields."""
        page = self.page
        assert page.title().startswith("Error: "), page.title()
        summary = page.locator(".govuk-error-summary")
        summary.wait_for()
        page.wait_for_function("() => document.activeElement && document.activeElement.closest('.govuk-error-summary')")
        for link in summary.locator("a").all():
            target = link.get_attribute("href")
            found = page.locator(target).count()
            assert target.startswith("#") and found == 1, f"the error summary links to {target}: {found} found"
        return summary.inner_text()

    # --- keyboard ------------------------------------------------------------------------

    def focus_state(self) -> dict:
        return self.page.evaluate(_FOCUS_STATE, [FOCUS_YELLOW, FOCUS_BLACK])

    def tab(self, key: str = "Tab") -> dict:
        """One Tab stop, checked: a visible focus indicator, on screen and not hidden."""
        self.page.keyboard.press(key)
        state = self.focus_state()
        where = f"{self.path}: Tab stop {state['description']}"
        assert state["focused"], f"{where}: focus left the page"
        assert state["indicator"], f"{where}: no visible focus indicator ({state['styles']})"
        assert state["on_screen"], f"{where}: not on screen ({state['rect']})"
        assert state["unobscured"], f"{where}: hidden behind {state['hit']}"
        return state

    def tab_to(self, matches, *, limit: int = 120) -> dict:
        """Tab until `matches(state)` (state: tag, text, name, id, href, type...); every stop is checked."""
        seen = []
        for _ in range(limit):
            state = self.tab()
            seen.append(state["description"])
            if matches(state):
                return state
        raise AssertionError(f"{self.path}: never reached by Tab; stops were: {seen}")

    def tab_to_text(self, text: str, **kwargs) -> dict:
        return self.tab_to(lambda s: s["text"] == text, **kwargs)

    def press(self, key: str, *, navigates: bool = False) -> None:
        if navigates:
            with self.page.expect_navigation():
                self.page.keyboard.press(key)
        else:
            self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)


_FOCUS_STATE = """([yellow, black]) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) {
    return {focused: false, description: "body", indicator: false, on_screen: false, unobscured: false, styles: "",
            rect: null, hit: ""};
  }
  const label = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) || null;
  const text = (el.innerText || el.value || "").trim().replace(/\\s+/g, " ");
  const describe = (e) => e ? `<${e.tagName.toLowerCase()}${e.id ? " id=" + e.id : ""}` +
      `${e.className && typeof e.className === "string" ? " class=" + e.className.split(" ")[0] : ""}>` : "";
  const hasColour = (value, colour) => value && value.includes(colour);
  const marks = (style) => (
      (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 && style.outlineColor === yellow) ||
      style.backgroundColor === yellow ||
      (hasColour(style.boxShadow, yellow) || hasColour(style.boxShadow, black)) && style.boxShadow !== "none");
  const own = getComputedStyle(el);
  // A GOV.UK checkbox or radio is an invisible input over its label; the focus ring is the label's box.
  const box = label && /govuk-(checkboxes|radios)__input/.test(el.className) ? getComputedStyle(label, "::before") : null;
  const indicator = (el.type === "checkbox" || el.type === "radio") && box ? marks(box) || marks(own) : marks(own);
  // A GOV.UK checkbox's invisible input lies over its visible box, as its click target.
  const r = el.getBoundingClientRect();
  const on_screen = r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 &&
      r.top < window.innerHeight && r.left < window.innerWidth;
  const cx = Math.min(Math.max(r.left + Math.min(r.width, 20) / 2, 0), window.innerWidth - 1);
  const cy = Math.min(Math.max(r.top + r.height / 2, 0), window.innerHeight - 1);
  const hit = document.elementFromPoint(cx, cy);
  const unobscured = !!hit && (hit === el || el.contains(hit) || hit.contains(el) || (label && label.contains(hit)));
  return {
    focused: true, tag: el.tagName.toLowerCase(), type: el.type || "", id: el.id || "", name: el.name || "",
    href: el.getAttribute("href") || "", text, label: label ? label.innerText.trim() : "",
    description: `${describe(el)} ${JSON.stringify(text.slice(0, 40))}`, indicator, on_screen, unobscured,
    styles: `outline ${own.outlineStyle} ${own.outlineWidth} ${own.outlineColor}; background ${own.backgroundColor};` +
            ` box-shadow ${own.boxShadow}`,
    rect: [r.left, r.top, r.width, r.height], hit: describe(hit),
  };
}"""


# --- signing in ----------------------------------------------------------------------------

def totp_code(key_base32: str) -> str:
    """What an authenticator app shows now for this key (RFC 6238)."""
    return f"{totp(base64.b32decode(key_base32)):06d}"


def fill(page, label: str, value: str) -> None:
    page.get_by_label(label, exact=True).fill(value)


def sign_in(checked: Checked, username: str, password: str, *, next_path: str = "/") -> dict:
    """Sign in through the real pages. The web team and administrators set up their authenticator
    app the first time (the key read off the page, the code computed as a phone would) and keep
    their backup codes; later they type a code. Returns what was learnt (key, backup codes)."""
    page, learnt = checked.page, {}
    checked.goto(f"/sign-in/?next={next_path}", check="sign-in")
    fill(page, "Username", username)
    fill(page, "Password", password)
    checked.submit("Sign in", check=None)
    if checked.path.startswith("/sign-in/set-up-authenticator/"):
        checked.check("authenticator set-up")
        key = page.locator("#totp-secret code").inner_text().replace(" ", "")
        learnt["key"] = key
        fill(page, "Code from the app", totp_code(key))
        checked.submit("Continue", check="backup codes")
        learnt["backup_codes"] = page.locator("#backup-codes li").all_inner_texts()
        assert len(learnt["backup_codes"]) == 10
        with page.expect_navigation():
            page.get_by_role("button", name="I have kept my codes – continue").click()
    elif checked.path.startswith("/sign-in/code/"):
        raise AssertionError("this user already has an authenticator app; pass its key")
    checked.check(f"signed in as {username}")
    assert not checked.path.startswith("/sign-in"), checked.path
    return learnt


def sign_out(checked: Checked) -> None:
    with checked.page.expect_navigation():
        checked.page.get_by_role("button", name="Sign out").click()
    checked.check("signed out")
