"""The one CSV writer for every export (subject access, audit trail, alert subscribers, reports).

A cell that begins with =, +, -, @, a tab or a carriage return is read as a formula by
spreadsheets (CSV injection); OWASP's rule is to write such a cell as text, with a single quote
in front. Numbers are written as they are (a negative number is a number, not a formula).
"""
import csv
import io
from decimal import Decimal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if value is None or isinstance(value, bool):
        return "" if value is None else value
    if isinstance(value, (int, float, Decimal)):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


class SafeWriter:
    """csv.writer with every cell neutralised; writerow returns what the file object's write did
    (so it streams through an echo object)."""

    def __init__(self, fileobj, **kwargs):
        self._writer = csv.writer(fileobj, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(fileobj, **kwargs) -> SafeWriter:
    return SafeWriter(fileobj, **kwargs)


def to_text(rows) -> str:
    out = io.StringIO()
    writer(out).writerows(rows)
    return out.getvalue()


class _Echo:
    def write(self, value):
        return value


def stream(rows):
    """Each row as one line of CSV, for a StreamingHttpResponse."""
    w = writer(_Echo())
    return (w.writerow(row) for row in rows)
