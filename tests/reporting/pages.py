"""Reading report pages in tests: the charts' data points and the tables' cells."""
import re
from html.parser import HTMLParser

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.I)
HANDLERS = re.compile(r"\son[a-z]+\s*=", re.I)


def assert_clean(html: str, url: str):
    """GOV.UK Frontend, and no inline script, style or event handler (as tests/accounts/test_pages.py)."""
    assert 'class="govuk-template"' in html and "govuk/council-social" in html, url
    assert not INLINE_SCRIPT.search(html), f"inline script on {url}"
    assert not INLINE_STYLE.search(html), f"inline style on {url}"
    assert not HANDLERS.search(html), f"event handler attribute on {url}"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.charts: dict[str, dict] = {}  # svg id → {"attrs", "points", "ids"}
        self.tables: dict[str, list[list[str]]] = {}  # table id → rows of cell texts (head first)
        self._svg = None
        self._table = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self._svg = a["id"]
            self.charts[self._svg] = {"attrs": a, "points": [], "ids": set(), "tags": set()}
        elif self._svg:
            chart = self.charts[self._svg]
            chart["tags"].add(tag)
            if "id" in a:
                chart["ids"].add(a["id"])
            if "data-value" in a:
                chart["points"].append((a["data-series"], a["data-label"], a["data-value"]))
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("th", "td") and self._table:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg = None
        elif tag == "table":
            self._table = None
        elif tag in ("th", "td") and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def table_dict(rows: list[list[str]]) -> dict[tuple[str, str], str]:
    """(row label, column heading) → cell text."""
    head = rows[0]
    return {(row[0], head[i]): cell for row in rows[1:] for i, cell in enumerate(row) if i}
