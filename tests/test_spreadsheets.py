"""Spreadsheets we write keep text as text: a value that a spreadsheet program would run as a formula
(OWASP's CSV injection) is written as an inert text cell, whichever export writes it."""
from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook, load_workbook

from app.spreadsheets import append

# What an attacker types as a shop's name, a grid worker's note, a department's cell.
FORMULAS = ['=HYPERLINK("http://evil","x")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)",
            "\t=1+1", "\r=1+1"]


def cells_of(book) -> list:
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_inert(data: bytes, planted=FORMULAS) -> None:
    """No cell of the workbook in `data` is a formula, and each planted text is there, as text, with
    the apostrophe that keeps a spreadsheet from reading it as one."""
    cells = cells_of(load_workbook(io.BytesIO(data)))
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value for c in cells if c.data_type == "s"}
    for value in planted:  # (XML reads a carriage return back as a line feed)
        assert "'" + value.replace("\r", "\n") in texts, (value, sorted(t for t in texts if t and t[0] == "'"))


def test_text_that_starts_like_a_formula_is_written_as_inert_text():
    book = Workbook(write_only=True)
    sheet = book.create_sheet("表")
    append(sheet, ["名称", "数量", "时间"])
    for value in FORMULAS:
        append(sheet, [value, 12, datetime(2026, 12, 1, 8, 30)])
    append(sheet, ["普通名称", -3.5, None])
    append(sheet, ["控制字符\x01\x1f删去", 0, None])
    append(sheet, ["#N/A", "#REF!", None])  # text, not Excel's error values
    out = io.BytesIO()
    book.save(out)

    assert_inert(out.getvalue())
    rows = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())
    assert [(c.value, c.data_type) for c in rows[1]] == [("'" + FORMULAS[0], "s"), (12, "n"),
                                                         (datetime(2026, 12, 1, 8, 30), "d")]
    assert [(c.value, c.data_type) for c in rows[-3]][:2] == [("普通名称", "s"), (-3.5, "n")]  # ours stay numbers
    assert rows[-2][0].value == "控制字符删去"
    assert [(c.value, c.data_type) for c in rows[-1][:2]] == [("#N/A", "s"), ("#REF!", "s")]


def test_a_sheet_that_is_not_write_only_gets_the_same_cells():
    book = Workbook()
    append(book.active, ["=1+1", 2])
    out = io.BytesIO()
    book.save(out)

    assert_inert(out.getvalue(), ["=1+1"])
