"""The figures of a report as CSV: one line for each cell of each table, so the CSV holds
exactly what the PDF and the pages show, as numbers a spreadsheet can use. Cells a spreadsheet
would read as formulas are written as text by the one CSV writer (council_social/csv_export.py)."""
import io

from council_social import csv_export

from .sections import Report

HEADER = ["section", "table", "row", "column", "value", "as shown"]


def figures_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv_export.writer(out)
    q = report.query
    writer.writerow(HEADER)
    writer.writerow(["report", "", "period", "", f"{q.period.start:%Y-%m-%d} to {q.period.end:%Y-%m-%d}",
                     q.period.label])
    writer.writerow(["report", "", "compared with", "", f"{q.comparison.start:%Y-%m-%d} to {q.comparison.end:%Y-%m-%d}",
                     q.comparison.label])
    writer.writerow(["report", "", "service", "", q.service.slug if q.service else "", q.service_label])
    for section in report.sections:
        for fig in section.figures:
            for row in fig.table.rows:
                label = row[0].text
                for column, cell in zip(fig.table.head[1:], row[1:], strict=True):
                    value = cell.value if cell.numeric else ""
                    if isinstance(value, float):
                        value = round(value, 4)
                    writer.writerow([section.title, fig.title, label, column, value, cell.text])
    return out.getvalue()
