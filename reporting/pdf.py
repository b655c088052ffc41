"""The committee report as a PDF: a title page, the summary in words, then each section's charts
and tables, drawn from the same shapes and cells as the web pages.

Two ways to write it:
- tagged (PDF/UA-1), with WeasyPrint from templates/reporting/paper.html: a structure tree of
  headings, paragraphs, lists, tables with header cells and figures with alternative text, the
  document's language (en-GB) and title. A council can publish it. WeasyPrint needs Pango
  (Debian: libpango-1.0-0 libpangoft2-1.0-0), installed by the Dockerfile and CI;
- untagged, with ReportLab, on a machine without Pango: the same content, but a screen reader
  cannot follow it, so the run page says it is not ready to publish."""
from __future__ import annotations

import base64
import functools
import io
import logging
from datetime import datetime
from xml.sax.saxutils import escape

from django.template.loader import render_to_string
from django.utils import timezone
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from . import charts
from .figures import day_label
from .sections import Figure, Report
from .sections import Table as ReportTable

log = logging.getLogger(__name__)
MARGIN = 2 * cm
FRAME_WIDTH = A4[0] - 2 * MARGIN
STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=STYLES["BodyText"], fontName="Helvetica", fontSize=11, leading=15)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=9, leading=12)
# Headings stay with what follows them, never alone at the foot of a page.
H1 = ParagraphStyle("h1", parent=STYLES["Heading1"], fontName="Helvetica-Bold", fontSize=20, leading=24,
                    spaceAfter=10, keepWithNext=1)
H2 = ParagraphStyle("h2", parent=STYLES["Heading2"], fontName="Helvetica-Bold", fontSize=14, leading=18,
                    spaceBefore=12, spaceAfter=6, keepWithNext=1)
SHORT_TABLE = 12  # rows: a table this short is kept whole on one page; a longer one repeats its header row
TITLE = ParagraphStyle("title", parent=H1, fontSize=28, leading=34, spaceAfter=18)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8, leading=10)
CELL_NUMBER = ParagraphStyle("cell-number", parent=CELL, alignment=TA_RIGHT)
CELL_HEAD = ParagraphStyle("cell-head", parent=CELL_NUMBER, fontName="Helvetica-Bold", fontSize=7, leading=9)
PAD = 3
INK = colors.HexColor(charts.INK)


def _p(text: str, style=BODY) -> Paragraph:
    return Paragraph(escape(text), style)


def drawing(chart: charts.Chart, width: float = FRAME_WIDTH) -> Drawing:
    """The chart's shapes in PDF coordinates (y up), scaled to `width`."""
    s = width / chart.width
    height = chart.height * s
    d = Drawing(width, height)

    def y(v: float) -> float:
        return height - v * s

    for shape in chart.shapes:
        a = shape.attrs
        dash = [float(n) * s for n in a["stroke-dasharray"].split()] if a.get("stroke-dasharray") else None
        if shape.tag == "rect":
            d.add(Rect(a["x"] * s, y(a["y"] + a["height"]), a["width"] * s, a["height"] * s,
                       fillColor=colors.HexColor(a["fill"]), strokeColor=None))
        elif shape.tag == "line":
            d.add(Line(a["x1"] * s, y(a["y1"]), a["x2"] * s, y(a["y2"]), strokeColor=colors.HexColor(a["stroke"]),
                       strokeWidth=a["stroke-width"] * s, strokeDashArray=dash))
        elif shape.tag == "polyline":
            points = [c for x, py in a["points"] for c in (x * s, y(py))]
            d.add(PolyLine(points, strokeColor=colors.HexColor(a["stroke"]), strokeWidth=a["stroke-width"] * s,
                           strokeDashArray=dash))
        elif shape.tag == "circle":
            d.add(Circle(a["cx"] * s, y(a["cy"]), a["r"] * s, fillColor=colors.HexColor(a["fill"]), strokeColor=None))
        elif shape.tag == "text":
            d.add(String(a["x"] * s, y(a["y"]), shape.text, fontSize=a["font-size"] * s,
                         fontName="Helvetica-Bold" if a.get("font-weight") == "bold" else "Helvetica",
                         fillColor=colors.HexColor(a.get("fill", charts.INK)), textAnchor=a.get("text-anchor", "start")))
    return d


def table(t: ReportTable) -> Table | Paragraph:
    if not t.rows:
        return _p("No figures for this period.", SMALL)
    head = [_p(h, CELL_HEAD if i else CELL) for i, h in enumerate(t.head)]
    rows = [[_p(c.text, CELL_NUMBER if i else CELL) for i, c in enumerate(row)] for row in t.rows]
    # The first column as wide as its longest label (within a third of the page), the rest shared.
    longest = max(stringWidth(row[0].text, "Helvetica", CELL.fontSize) for row in t.rows)
    first = min(max(longest, stringWidth(t.head[0], "Helvetica", CELL.fontSize)) + 2 * PAD + 2, FRAME_WIDTH / 3)
    rest = (FRAME_WIDTH - first) / max(len(t.head) - 1, 1)
    out = Table([head, *rows], colWidths=[first] + [rest] * (len(t.head) - 1), repeatRows=1)
    out.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, 0), 1, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor(charts.GRID)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
    ]))
    return out


def _figure(fig: Figure) -> list:
    parts = [_p(fig.title, H2)]
    if fig.chart is not None:
        parts.append(drawing(fig.chart))
        parts.append(_p(fig.chart.description, SMALL))
        parts.append(Spacer(1, 6))
    body = table(fig.table)
    if len(fig.table.rows) <= SHORT_TABLE:
        return [KeepTogether([*parts, body])]
    return [KeepTogether(parts), body]


@functools.cache
def _weasyprint():
    """WeasyPrint's HTML class, or None where it or its system library (Pango) is missing."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the library is installed, Pango is not
        log.info("No tagged PDF: WeasyPrint cannot run here (%s)", type(exc).__name__)
        return None
    return HTML


def tagged_pdf_available() -> bool:
    return _weasyprint() is not None


def _title(report: Report) -> str:
    return f"Social media report: {report.query.period.label}"


def _css_string(text: str) -> str:
    """Text inside a CSS string in a <style> element."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")


def tagged_pdf(report: Report, *, council: str, generated_at: datetime) -> bytes:
    """The paper as a tagged PDF (PDF/UA-1) with WeasyPrint. Each chart is an image whose
    alternative text is its title and description."""
    html_class = _weasyprint()
    if html_class is None:
        raise RuntimeError("WeasyPrint cannot run here: install Pango.")
    q = report.query
    title = _title(report)
    local = timezone.localtime(generated_at)
    for section in report.sections:
        for fig in section.figures:
            fig.svg_uri = ("data:image/svg+xml;base64," + base64.b64encode(fig.chart.svg().encode()).decode()
                           if fig.chart else "")
    html = render_to_string("reporting/paper.html", {
        "report": report, "query": q, "council": council, "title": title,
        "footer": _css_string(f"{council} · {title}"),
        "period_from": day_label(q.period.start), "period_to": day_label(q.period.end),
        "comparison_from": day_label(q.comparison.start), "comparison_to": day_label(q.comparison.end),
        "as_at": f"{day_label(local.date())}, {local:%H:%M}",
    })
    return _header_scopes(html_class(string=html).write_pdf(pdf_variant="pdf/ua-1"))


def _header_scopes(data: bytes) -> bytes:
    """Give every header cell its scope: columns for the header row, rows for the first cell
    of each body row. WeasyPrint links each data cell to its headers by id; some readers
    need the scope too."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))

    def walk(node, part: str) -> None:
        node = node.get_object()
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid, part)
            return
        if not isinstance(node, DictionaryObject) or "/S" not in node:
            return
        tag = node["/S"]
        if tag in ("/THead", "/TBody", "/TFoot"):
            part = tag
        if tag == "/TH":
            attrs = node.get("/A")
            if not isinstance(attrs, DictionaryObject):
                attrs = DictionaryObject({NameObject("/O"): NameObject("/Table")})
                node[NameObject("/A")] = attrs
            attrs[NameObject("/Scope")] = NameObject("/Column" if part == "/THead" else "/Row")
        if "/K" in node:
            walk(node["/K"], part)

    walk(writer.root_object["/StructTreeRoot"]["/K"], "")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def committee_pdf(report: Report, *, council: str, generated_at: datetime) -> bytes:
    """Tagged where WeasyPrint can run; otherwise the untagged ReportLab paper."""
    if tagged_pdf_available():
        return tagged_pdf(report, council=council, generated_at=generated_at)
    return untagged_pdf(report, council=council, generated_at=generated_at)


def untagged_pdf(report: Report, *, council: str, generated_at: datetime) -> bytes:
    q = report.query
    buffer = io.BytesIO()
    title = _title(report)

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(MARGIN, MARGIN / 2, f"{council} · {title}")
        canvas.drawRightString(A4[0] - MARGIN, MARGIN / 2, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=title, author=council, subject="Report to committee",
                            creator="Council Social")
    local = timezone.localtime(generated_at)
    story = [
        Spacer(1, 4 * cm), _p(council, H2), _p("Social media report to committee", TITLE),
        _p(f"Period: {q.period.label} ({day_label(q.period.start)} to {day_label(q.period.end)})"),
        _p(f"Compared with: {q.comparison.label} ({day_label(q.comparison.start)} to {day_label(q.comparison.end)})"),
        _p(f"Service: {q.service_label}"),
        _p(f"Figures as at {day_label(local.date())}, {local:%H:%M}"),
        PageBreak(),
        _p("Summary", H1),
        ListFlowable([ListItem(_p(f"{line}."), leftIndent=12) for line in report.headlines], bulletType="bullet",
                     start="•"),
    ]
    for section in report.sections:
        story += [PageBreak(), _p(section.title, H1), _p(section.intro)]
        for fig in section.figures:
            story += _figure(fig)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
