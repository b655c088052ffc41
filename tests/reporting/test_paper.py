"""The committee paper a council can publish: a tagged PDF (PDF/UA-1) whose structure tree a
screen reader follows (headings, paragraphs, tables with header cells, a figure with
alternative text for every chart), with its language and title, and follower figures equal to
the Channels page's. Read back with pypdf.

The tagged paper needs Pango; without it these tests are skipped on a developer's machine and
fail under CI (CI=true), where scripts/setup_test_pdf.py installs it."""
import csv
import io
import os
import re

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from accounts.models import Channel
from accounts.roles import Role
from reporting import pdf, sections, selectors
from reporting import services as reporting
from reporting.filters import ReportQuery
from reporting.models import ReportRun
from tests.reporting.data import APRIL_2015, APRIL_2016, NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def tagged():
    if not pdf.tagged_pdf_available():
        if os.environ.get("CI"):
            pytest.fail("WeasyPrint cannot run: Pango is missing (scripts/setup_test_pdf.py installs it)")
        pytest.skip("Pango is not installed: the committee paper is ReportLab's untagged one here")


def _generate(user, **fields) -> ReportRun:
    run = ReportRun.objects.create(requested_by=user, requested_by_name=str(user), period_start=APRIL_2016.start,
                                   period_end=APRIL_2016.end, compare_start=APRIL_2015.start,
                                   compare_end=APRIL_2015.end, **fields)
    run = reporting.report_run_generate(run_id=run.pk, now=NOW)
    assert run.state == ReportRun.State.DONE, run.error
    return run


def _reader(run: ReportRun) -> PdfReader:
    with run.pdf.open("rb") as f:
        return PdfReader(io.BytesIO(f.read()))


def _tree(node, part: str = ""):
    """(table part, element) for every structure element under node, in the tree's order (the
    reading order); the part is /THead or /TBody inside a table."""
    node = node.get_object()
    if isinstance(node, ArrayObject):
        for kid in node:
            yield from _tree(kid, part)
    elif isinstance(node, DictionaryObject) and "/S" in node:
        part = node["/S"] if node["/S"] in ("/THead", "/TBody") else part
        yield part, node
        if "/K" in node:
            yield from _tree(node["/K"], part)


def _elements(reader: PdfReader) -> list[DictionaryObject]:
    return [e for _, e in _tree(reader.trailer["/Root"]["/StructTreeRoot"]["/K"])]


def _charts(user) -> list:
    query = ReportQuery(period=APRIL_2016, comparison=APRIL_2015, service=None, bucket="day", include_estimates=False)
    report = sections.report(query=query, **selectors.report_figures(query=query, now=NOW, user=user))
    return [fig.chart for section in report.sections for fig in section.figures if fig.chart is not None]


def test_the_paper_is_tagged_with_its_title_and_language(tagged, staff, client_for, snapshots, triage_data, foi_data,
                                                         publishing_data):
    run = _generate(staff[Role.COMMUNICATIONS_OFFICER])
    reader = _reader(run)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert "tagged for screen readers (PDF/UA)" in client_for(staff[Role.COMMUNICATIONS_OFFICER]).get(
        f"/reports/committee/{run.pk}/").content.decode()
    assert root["/Lang"] == "en-GB"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == "Social media report: April 2016"
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()  # says it is PDF/UA-1

    tags = [e["/S"] for e in _elements(reader)]
    assert tags[0] == "/Document"
    assert tags.count("/H1") == 6  # the title, the summary and the four sections
    assert tags.count("/H2") >= 10 and "/P" in tags and "/L" in tags and "/LI" in tags
    # Reading order: the title page, then the summary, then the sections in order.
    assert tags.index("/H1") < tags.index("/L") < tags.index("/Table")


def test_every_chart_is_a_figure_with_alternative_text(tagged, staff, snapshots, triage_data, foi_data,
                                                      publishing_data):
    user = staff[Role.COMMUNICATIONS_OFFICER]
    reader = _reader(_generate(user))
    figures = [e for e in _elements(reader) if e["/S"] == "/Figure"]
    charts = _charts(user)
    assert len(charts) >= 8
    assert len(figures) == len(charts)
    alts = [str(f["/Alt"]) for f in figures]
    for chart, alt in zip(charts, alts, strict=True):  # in the paper's order
        assert alt == f"{chart.title}. {chart.description}"
    assert all(len(alt) > 40 for alt in alts)


def test_tables_have_header_cells_with_their_scope(tagged, staff, snapshots, triage_data, foi_data, publishing_data):
    reader = _reader(_generate(staff[Role.COMMUNICATIONS_OFFICER]))
    elements = _elements(reader)
    tables = [e for e in elements if e["/S"] == "/Table"]
    assert len(tables) >= 10
    for table in tables:
        inside = list(_tree(table["/K"]))
        heads = [(part, n) for part, n in inside if n["/S"] == "/TH"]
        cells = [n for _, n in inside if n["/S"] == "/TD"]
        assert {part for part, _ in heads} == {"/THead", "/TBody"}
        for part, th in heads:
            assert th["/A"]["/Scope"] == ("/Column" if part == "/THead" else "/Row")
        ids = {str(th["/ID"]) for _, th in heads}
        for td in cells:  # each data cell names its row and column headers
            assert len(td["/A"]["/Headers"]) == 2 and {str(h) for h in td["/A"]["/Headers"]} <= ids


def _channels_page(client) -> dict[str, int | None]:
    html = client.get("/channels/").content.decode()
    rows = re.findall(r'<a class="govuk-link" href="/channels/\d+/">([^<]+)</a>.*?'
                      r'<td class="govuk-table__cell govuk-table__cell--numeric">([^<]+)</td>', html, re.S)
    assert rows
    return {handle: None if shown == "–" else int(shown.replace(",", "")) for handle, shown in rows}


@pytest.mark.parametrize("role", [Role.COMMUNICATIONS_OFFICER, Role.HEAD_OF_SERVICE])
def test_followers_equal_the_channels_page(role, staff, services, snapshots, client_for, channels):
    # The registry's figure differs from the stored history (as the demo's did): the paper shows
    # the Channels page's, today, beside the history at the ends of the periods.
    Channel.objects.filter(pk=channels["corporate"].pk).update(followers=48044)
    Channel.objects.filter(handle="@Libs").update(followers=10597)
    user = staff[role]
    run = _generate(user, service=services["libraries"] if role == Role.HEAD_OF_SERVICE else None)
    page = _channels_page(client_for(user))
    rows = list(csv.DictReader(io.StringIO(run.csv.open("rb").read().decode("utf-8-sig"))))
    today = {r["row"]: r for r in rows if r["table"] == "Followers today, as on the Channels page"}
    total = today.pop("All channels")
    assert {row.lstrip("'").split(" (", 1)[0]: (int(r["value"]) if r["value"] != "" else None) for row, r in today.items()} == page
    assert int(total["value"]) == sum(v for v in page.values() if v is not None)
    text = " ".join(" ".join(p.extract_text() for p in _reader(run).pages).split())
    assert "Followers today, as on the Channels page" in text and total["as shown"] in text


def test_without_pango_the_paper_is_reportlabs_untagged_one_and_the_page_says_so(staff, client_for, snapshots,
                                                                               monkeypatch):
    monkeypatch.setattr(pdf, "tagged_pdf_available", lambda: False)
    run = _generate(staff[Role.WEB_TEAM])
    reader = _reader(run)
    assert "/StructTreeRoot" not in reader.trailer["/Root"]
    assert "Followers by platform" in reader.pages[2].extract_text() or any(
        "Followers by platform" in p.extract_text() for p in reader.pages)
    html = client_for(staff[Role.WEB_TEAM]).get(f"/reports/committee/{run.pk}/").content.decode()
    assert "not tagged" in html and "Pango" in html and "PDF/UA" not in html


def test_no_heading_ends_half_said(tagged, staff, snapshots, triage_data, foi_data, publishing_data):
    run = _generate(staff[Role.COMMUNICATIONS_OFFICER])
    text = " ".join(" ".join(p.extract_text() for p in _reader(run).pages).split())
    assert "Activity: April 2016 compared with April 2015" in text
    assert not re.search(r"compared with (Bar chart|Platform)", text)


def test_weasyprint_that_cannot_load_means_no_tagged_paper(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    pdf._weasyprint.cache_clear()
    monkeypatch.setattr(builtins, "__import__", without_pango)
    try:
        assert pdf.tagged_pdf_available() is False
    finally:
        monkeypatch.undo()
        pdf._weasyprint.cache_clear()
