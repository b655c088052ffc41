"""The committee report as a PDF (ReportLab): a title page, the summary in words, then each
section's charts and tables, drawn from the same shapes and cells as the web pages."""
from __future__ import annotations

import io
from datetime import datetime
from xml.sax.saxutils import escape

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

MARGIN = 2 * cm
FRAME_WIDTH = A4[0] - 2 * MARGIN
STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=STYLES["BodyText"], fontName="Helvetica", fontSize=11, leading=15)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=9, leading=12)
H1 = ParagraphStyle("h1", parent=STYLES["Heading1"], fontName="Helvetica-Bold", fontSize=20, leading=24,
                    spaceAfter=10)
H2 = ParagraphStyle("h2", parent=STYLES["Heading2"], fontName="Helvetica-Bold", fontSize=14, leading=18,
                    spaceBefore=12, spaceAfter=6)
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
    return [KeepTogether(parts), table(fig.table)]


def committee_pdf(report: Report, *, council: str, generated_at: datetime) -> bytes:
    q = report.query
    buffer = io.BytesIO()
    title = f"Social media report: {q.period.label}"

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
