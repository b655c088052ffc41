"""Charts people can read: accessible SVG, and on every report page a table with the same numbers."""
import re

import pytest

from accounts.roles import Role
from reporting import charts
from reporting.figures import fmt_number
from tests.reporting.data import PERIOD_PARAMS
from tests.reporting.pages import parse, table_dict

REPORT_PAGES = ["/reports/growth/", "/reports/mentions/", "/reports/triage/", "/reports/publishing/"]


def _luminance(hex_colour: str) -> float:
    def channel(c):
        c = int(c, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(hex_colour[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_colours_contrast_with_white_and_lines_differ_by_dashes():
    for colour, _ in charts.PALETTE:
        assert (1.05) / (_luminance(colour) + 0.05) >= 3, colour  # WCAG 1.4.11: 3:1 for graphics
    dashes = [dash for _, dash in charts.PALETTE]
    assert len(set(dashes)) == len(dashes)


@pytest.mark.parametrize("make", ["bar", "line"])
def test_svg_is_an_accessible_image_without_style_or_script(make):
    series = [("Followers, April 2015", [7680, None]), ("Followers, <b>April</b> 2016", [10597, 1500])]
    kwargs = {"id": "chart-test", "title": "Followers & more", "description": "What it shows.",
              "series": series, "fmt": fmt_number}
    if make == "bar":
        chart = charts.bar_chart(categories=["X <script>", "Facebook"], **kwargs)
    else:
        chart = charts.line_chart(labels=["X <script>", "Facebook"], **kwargs)
    svg = chart.svg()
    assert re.search(r'<svg [^>]*role="img"', svg)
    assert 'aria-labelledby="chart-test-title chart-test-desc"' in svg
    assert '<title id="chart-test-title">Followers &amp; more</title>' in svg
    assert '<desc id="chart-test-desc">What it shows.</desc>' in svg
    assert "<script" not in svg and "<b>" not in svg and "&lt;script&gt;" in svg
    assert " style=" not in svg and "<style" not in svg
    assert ("Followers, <b>April</b> 2016", "Facebook", "1,500") in chart.points()
    assert ("Followers, April 2015", "X <script>", "7,680") in chart.points()


def test_nice_scale():
    assert charts.nice_scale(0, 3294) == [0, 1000, 2000, 3000, 4000]
    assert charts.nice_scale(-25, 46) == [-40, -20, 0, 20, 40, 60]
    assert charts.nice_scale(0, 0) == [0, 1, 2, 3, 4, 5]  # not 0 to 1 in fifths, which read 0, 0, 0, 1, 1, 1


@pytest.mark.django_db
@pytest.mark.parametrize("url", REPORT_PAGES)
def test_every_chart_has_a_table_with_the_same_numbers(url, staff, client_for, snapshots, triage_data, foi_data,
                                                       publishing_data, mention_of):
    html = client_for(staff[Role.WEB_TEAM]).get(url, PERIOD_PARAMS).content.decode()
    page = parse(html)
    assert page.charts, url
    for chart_id, chart in page.charts.items():
        assert chart["attrs"]["role"] == "img"
        assert set(chart["attrs"]["aria-labelledby"].split()) <= chart["ids"]
        assert {"title", "desc"} <= chart["tags"] and "style" not in chart["tags"] and "script" not in chart["tags"]
        assert f"{chart_id}-table" in page.tables, f"{chart_id} has no table"
        cells = table_dict(page.tables[f"{chart_id}-table"])
        assert chart["points"], chart_id
        for series, label, value in chart["points"]:
            assert cells[(label, series)] == value, (chart_id, series, label)
