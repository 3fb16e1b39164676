"""Spreadsheets we write (exports, reports): every piece of text stays text.

Text that begins with =, +, -, @, a tab or a carriage return is what Excel, WPS and LibreOffice take
for a formula when a cell is typed or a CSV file is opened (OWASP, "CSV Injection"): a shop named
=HYPERLINK("http://evil","点此") would become a live link in a reviewer's export, =cmd|' /C calc'!A0 a
command. Every writer appends its rows through `append`, which writes each string as a text cell
(never a formula) with an apostrophe before such a first character, so the text reads the same and
stays inert even when the file is edited or saved again as CSV. Numbers, dates and times stay what
they are. Control characters XML cannot hold are dropped (openpyxl would refuse the whole row).
"""
from __future__ import annotations

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """`text` as it is written into a cell: never read as a formula."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if text.startswith(FORMULA_START) else text


def cell(sheet, value):
    """What to append for `value`: text made inert, anything else (numbers, dates, None) as it is.
    openpyxl writes text as a text cell unless it begins with "=" (a formula, which inert text never
    does) or is an error code (#N/A, #REF!…): that is given as a cell of type text."""
    if not isinstance(value, str):
        return value
    value = inert(value)
    if value not in ERROR_CODES:
        return value
    c = WriteOnlyCell(sheet, value=value)
    c.data_type = "s"
    return c


def append(sheet, values) -> None:
    """Append one row of `values` to `sheet` (write-only or not)."""
    sheet.append([cell(sheet, v) for v in values])
