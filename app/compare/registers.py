"""Reading and checking a department's register file (.xlsx or .csv) before anything is imported.

`read_table` refuses a whole file only for what makes it unreadable or untrustworthy (too large,
wrong format or encoding, formulas, merged cells, no header or data); `map_columns` finds the
register's fields among the headers; `check_rows` then splits the rows into good and bad ones, each
bad row with a Chinese message per field, so that one bad row never fails the upload.
"""
from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask import current_app
from openpyxl import load_workbook

from app.errors import Problem
from app.standards import credit_code

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
UNPACKED_MAX_BYTES = 200 * 1024 * 1024
NAME_MAX = 128
ADDRESS_MAX = 255
CODE_MAX = 64

# (field, label, required), in the register's order.
FIELDS: list[tuple[str, str, bool]] = [
    ("name", "单位名称", True),
    ("credit_code", "统一社会信用代码", False),
    ("address", "地址", True),
    ("contact", "联系人", False),
    ("phone", "联系电话", False),
]
LABELS = {name: label for name, label, _ in FIELDS}
REQUIRED = [name for name, _, required in FIELDS if required]

# Header texts taken for each field when no mapping is given; earlier ones win when several are present.
SYNONYMS = {
    "name": ["单位名称", "名称", "企业名称", "公司名称", "机构名称", "单位", "企业"],
    "credit_code": ["统一社会信用代码", "信用代码", "社会信用代码", "统一代码"],
    "address": ["地址", "经营地址", "单位地址", "企业地址", "详细地址", "注册地址", "住所"],
    "contact": ["联系人", "负责人"],
    "phone": ["联系电话", "电话", "手机", "手机号", "手机号码", "联系方式"],
}

_PHONE = re.compile(r"[0-9\- ]{7,20}")


@dataclass
class Table:
    """The first sheet's header and its non-empty rows, each with its 1-based row number in the file."""
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    encoding: str | None = None  # "utf-8" or "gb18030" for CSV, None for Excel


def _refuse(detail: str) -> Problem:
    return Problem("validation.failed", detail=detail, field="file")


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0") + " MB"


def read_table(data: bytes, filename: str) -> Table:
    """The register in `data`, or Problem(validation.failed / request.too_large, field="file")."""
    limit = current_app.config.get("REGISTER_MAX_BYTES", DEFAULT_MAX_BYTES)
    if len(data) > limit:
        raise Problem("request.too_large", field="file",
                      detail=f"文件大小 {megabytes(len(data))}，超过上限 {megabytes(limit)}，请拆分成几个文件分批上传")
    ext = os.path.splitext(filename or "")[1].lower()
    if ext == ".xlsx":
        encoding, rows = None, _xlsx_rows(data)
    elif ext == ".csv":
        encoding, rows = _csv_rows(data)
    elif ext == ".xls":
        raise _refuse("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后上传")
    else:
        raise _refuse(f"不支持“{ext or '无扩展名'}”文件，请上传 Excel（.xlsx）或 CSV（.csv）文件")
    return _table(rows, encoding)


def _xlsx_rows(data: bytes):
    try:  # a small .xlsx can unpack to gigabytes, all held in memory by openpyxl: look before opening
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
    except zipfile.BadZipFile:
        unpacked = 0  # openpyxl says what is wrong with it below
    if unpacked > UNPACKED_MAX_BYTES:
        raise _refuse(f"Excel 文件解压后有 {megabytes(unpacked)}，超过上限 {megabytes(UNPACKED_MAX_BYTES)}："
                      "请删去无关的工作表、图片和格式，或拆分成几个文件分批上传")
    try:
        # Not read-only: read-only sheets do not know their merged cells.
        book = load_workbook(io.BytesIO(data), data_only=False)
    except Exception:  # a damaged, encrypted or renamed file fails in many different ways inside openpyxl
        raise _refuse("不是有效的 Excel（.xlsx）文件：文件可能已损坏、设置了密码，或其实是其他格式。"
                      "请用 Excel 打开后另存为 .xlsx 再上传") from None
    if not book.worksheets:
        raise _refuse("Excel 文件里没有工作表，请把登记表放在第一个工作表后再上传")
    sheet = book.worksheets[0]
    merged = sorted(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))
    if merged:
        raise _refuse(f"{merged[0].coord} 是合并单元格，请取消合并后再上传（每个单元格只填一个值）")
    rows = []
    for cells in sheet.iter_rows():
        for cell in cells:
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
                raise _refuse(f"第 {cell.row} 行 {cell.column_letter} 列是公式，系统不读取公式。"
                              "请全选表格，复制后“只粘贴数值”再上传")
        rows.append((cells[0].row, [_text(c.value) for c in cells]))
    return rows


def _csv_rows(data: bytes):
    if data.startswith(b"PK\x03\x04"):
        raise _refuse("文件扩展名是 .csv，内容却是 Excel 文件，请把扩展名改为 .xlsx，或在 Excel 中另存为 CSV")
    for encoding, codec in (("utf-8", "utf-8-sig"), ("gb18030", "gb18030")):
        try:
            text = data.decode(codec)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _refuse("文件编码无法识别：请另存为 UTF-8 或 GB18030 编码的 CSV")
    if "\x00" in text:
        raise _refuse("文件内容不是 CSV 文本，请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后上传")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        # Numbered by record, as Excel shows the file; a quoted value may span several lines.
        for number, values in enumerate(reader, start=1):
            rows.append((number, [v.strip() for v in values]))
    except csv.Error as e:
        raise _refuse(f"CSV 格式有误（第 {reader.line_num} 行附近：{e}），请用 Excel 打开后重新另存为 CSV") from None
    return encoding, rows


def _text(value) -> str:
    """A cell as text: integers without ".0" (codes and phone numbers typed as numbers), dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip()


def _table(rows, encoding) -> Table:
    rows = [(n, values) for n, values in rows if any(values)]
    if not rows:
        raise _refuse("文件是空的：第一行应是表头（如“单位名称”“地址”），下面每行一个单位")
    (_, headers), data = rows[0], rows[1:]
    while headers and not headers[-1]:
        headers = headers[:-1]
    if not data:
        raise _refuse("文件只有表头，没有数据行：请在表头下面每行填一个单位后再上传")
    width = len(headers)
    return Table(headers, [(n, (values + [""] * width)[:width]) for n, values in data], encoding)


def _header_key(text: str) -> str:
    # "* 单位名称（全称）" -> "单位名称": templates mark required columns and add notes in brackets.
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"\(.*?\)$", "", re.sub(r"[\s*]", "", text))
    return text.lower()


def map_columns(headers: list[str], mapping: dict[str, str] | None = None) -> dict[str, int]:
    """field -> column index. `mapping` names a header per field; without one the headers are guessed
    from their text. Problem(validation.failed) names each required field that has no column."""
    keys = [_header_key(h) for h in headers]
    columns: dict[str, int] = {}
    errors: dict[str, str] = {}
    if mapping is None:
        for name, _, _ in FIELDS:
            for synonym in [name, *SYNONYMS[name]]:
                if synonym in keys:
                    columns[name] = keys.index(synonym)
                    break
    else:
        for name, header in mapping.items():
            if name not in LABELS:
                errors[name] = f"“{name}”不是登记表的字段"
            elif header:
                if _header_key(header) in keys:
                    columns[name] = keys.index(_header_key(header))
                else:
                    errors[name] = f"文件表头中没有“{header}”列（{LABELS[name]}）"
    for name in REQUIRED:
        if name not in columns and name not in errors:
            errors[name] = f"找不到“{LABELS[name]}”列"
    if errors:
        found = "、".join(f"“{h}”" for h in headers if h) or "（无）"
        raise Problem("validation.failed", errors=errors, headers=list(headers),
                      detail=f"{'；'.join(errors.values())}。文件的表头是：{found}。请修改表头或设置列的对应关系后再上传")
    return columns


def check_rows(table: Table, columns: dict[str, int]) -> tuple[list[dict], list[dict]]:
    """(good rows, bad rows), each {"row": n, field: value…}; a bad row also has "errors" {field:
    message}. Every field is in a row, "" when it has no column; credit codes are normalised. A credit
    code that fails its check does not make a row bad: comparing it is what shows the department the
    problem (the row is suspicious), so the row carries "code_problem", the message for it."""
    good, bad = [], []
    for number, values in table.rows:
        record = {name: values[columns[name]] if name in columns else "" for name, _, _ in FIELDS}
        errors = _row_errors(record)
        code_problem = _code_problem(record)
        if errors:
            bad.append({"row": number, **record, "errors": errors})
        else:
            good.append({"row": number, **record, **({"code_problem": code_problem} if code_problem else {})})
    return good, bad


def _row_errors(record: dict) -> dict[str, str]:
    errors = {}
    for name in REQUIRED:
        if not record[name]:
            errors[name] = f"请填写{LABELS[name]}"
    for name, most in (("name", NAME_MAX), ("address", ADDRESS_MAX)):
        if len(record[name]) > most:
            errors[name] = f"{LABELS[name]}不能超过 {most} 个字（现有 {len(record[name])} 个）"
    if record["phone"]:
        record["phone"] = unicodedata.normalize("NFKC", record["phone"])
        if not _PHONE.fullmatch(record["phone"]) or sum(c.isdigit() for c in record["phone"]) < 7:
            errors["phone"] = "联系电话只能有数字、短横线和空格，共 7–20 位，如 0710-3456789 或 13800000000"
    return errors


def _code_problem(record: dict) -> str | None:
    if not record["credit_code"]:
        return None
    record["credit_code"] = credit_code.normalise(record["credit_code"])[:CODE_MAX]
    if credit_code.acceptable(record["credit_code"]):
        return None
    message = credit_code.problems(record["credit_code"])[0].message
    if record["credit_code"].isdigit() and len(record["credit_code"]) > 15:
        message += ("（这一格可能在 Excel 中存成了数字：超过 15 位的数字会丢掉末尾几位。"
                    "请把该列设为“文本”后重新输入）")
    return message
