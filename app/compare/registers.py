"""Reading and checking a department's register file (.xlsx or .csv).

In two steps, so that no request does work that grows with the file:
- `inspect`, at upload: what is cheap to check (size, type, an .xlsx's zip directory, the encoding
  of a CSV's beginning, a header row with a data row below it). A file refused here is refused whole
  (Problem) with what to fix, and nothing is stored;
- `records`, in the comparison job: every row, streamed from the stored file with bounded memory
  (app.compare.xlsx for Excel; a CSV decoded as it is read), checked into a record. A formula, a
  merged cell, a broken CSV line or more than REGISTER_MAX_ROWS rows refuses the file there
  (Problem), and the job marks the register failed with the message.
`map_columns` finds the register's fields among the headers; `check_row` turns one row into a record
with a Chinese message per bad field, so that one bad row never fails the upload.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from openpyxl.utils import get_column_letter

from app.errors import Problem
from app.spreadsheets import FORMULA_START
from app.standards import credit_code

from . import xlsx
from .xlsx import megabytes

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 50_000
HEADER_WITHIN = 1000  # the header is in the first rows; a file of empty rows is not read to its end
NAME_MAX = 128
ADDRESS_MAX = 255
CODE_MAX = 64
CHUNK = 64 * 1024

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
# What Excel shows as it is when it opens a CSV, though it begins with + or -: a number, a dash.
_NOT_A_FORMULA = re.compile(r"[+-]?\d+(\.\d+)?|-+")
_ENCODINGS = (("utf-8", "utf-8-sig"), ("gb18030", "gb18030"))


def _refuse(detail: str) -> Problem:
    return Problem("validation.failed", detail=detail, field="file")


@dataclass
class Upload:
    """What a register file says about itself at upload."""
    format: str  # "xlsx" or "csv"
    headers: list[str]


def inspect(data: bytes, filename: str) -> Upload:
    """The format and header row of the register in `data`, checked as far as that is cheap, or
    Problem(validation.failed / request.too_large, field="file")."""
    limit = current_app.config.get("REGISTER_MAX_BYTES", DEFAULT_MAX_BYTES)
    if len(data) > limit:
        raise Problem("request.too_large", field="file",
                      detail=f"文件大小 {megabytes(len(data))}，超过上限 {megabytes(limit)}，请拆分成几个文件分批上传")
    ext = os.path.splitext(filename or "")[1].lower()
    if ext == ".xls":
        raise _refuse("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后上传")
    if ext not in (".xlsx", ".csv"):
        raise _refuse(f"不支持“{ext or '无扩展名'}”文件，请上传 Excel（.xlsx）或 CSV（.csv）文件")
    with RegisterFile(io.BytesIO(data), ext[1:], whole=False) as source:
        if source.format == "csv" and b"\x00" in data:
            raise _refuse("文件内容不是 CSV 文本，请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后上传")
        headers = None
        for number, values in source:
            if not any(values):
                if number >= HEADER_WITHIN:
                    break
                continue
            if headers is not None:
                return Upload(source.format, headers)
            headers = _trimmed(values)
    if headers is None:
        raise _refuse("文件是空的：第一行应是表头（如“单位名称”“地址”），下面每行一个单位")
    raise _refuse("文件只有表头，没有数据行：请在表头下面每行填一个单位后再上传")


def records(source: "RegisterFile", columns: dict[str, int]) -> Iterator[dict]:
    """The data rows of a stored register as checked records (see `check_row`), in file order;
    Problem(validation.failed) when the file is refused, e.g. beyond REGISTER_MAX_ROWS rows."""
    most = current_app.config.get("REGISTER_MAX_ROWS", DEFAULT_MAX_ROWS)
    width = None
    count = 0
    for number, values in source:
        if not any(values):
            continue
        if width is None:
            width = len(_trimmed(values))
            continue
        count += 1
        if count > most:
            raise _refuse(f"登记表超过 {most:,} 行，超出一次比对的上限（{most:,} 行）。请按区县、街道或类别拆分成几个文件，"
                          f"每个不超过 {most:,} 行（另加一行表头），分批上传")
        yield check_row(number, (values + [""] * width)[:width], columns)


def _trimmed(headers: list[str]) -> list[str]:
    while headers and not headers[-1]:
        headers = headers[:-1]
    return headers


class RegisterFile:
    """A register file's rows, streamed: (row number as Excel shows it, [cell texts]), empty rows
    too. `source` is a path or a binary file; with whole=False (at upload) a CSV's encoding is told
    from its beginning only. A formula or a merged cell refuses the file (Problem)."""

    def __init__(self, source, format: str, whole: bool = True):
        self.format = format
        self.encoding: str | None = None
        self._file = open(source, "rb") if isinstance(source, (str, os.PathLike)) else source
        try:
            if format == "xlsx":
                self._sheet = xlsx.FirstSheet(self._file, dates=whole)
            elif self._file.read(4) == b"PK\x03\x04":
                raise _refuse("文件扩展名是 .csv，内容却是 Excel 文件，请把扩展名改为 .xlsx，或在 Excel 中另存为 CSV")
            else:
                self.encoding, self._codec = _csv_encoding(self._file, whole)
                self._size = self._file.seek(0, io.SEEK_END)
        except xlsx.Refused as e:
            self.close()
            raise _refuse(str(e)) from None
        except Problem:
            self.close()
            raise

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    @property
    def fraction(self) -> float:
        """How much of the file has been read, 0 to 1."""
        if self.format == "xlsx":
            return self._sheet.fraction
        return min(self._file.tell() / self._size, 1.0) if self._size else 1.0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        try:
            yield from (self._xlsx_rows() if self.format == "xlsx" else self._csv_rows())
        except xlsx.Refused as e:
            raise _refuse(str(e)) from None

    def _xlsx_rows(self):
        for number, cells in self._sheet.rows():
            values = [""] * (cells[-1]["column"] if cells else 0)
            for cell in cells:
                if cell["data_type"] == "f" or (isinstance(cell["value"], str) and cell["value"].startswith("=")):
                    raise _formula(number, cell["column"])
                values[cell["column"] - 1] = _text(cell["value"])
            yield number, values
        if self._sheet.merged:
            raise _refuse(f"{self._sheet.merged} 是合并单元格，请取消合并后再上传（每个单元格只填一个值）")

    def _csv_rows(self):
        self._file.seek(0)
        text = io.TextIOWrapper(self._file, encoding=self._codec, newline="")
        reader = csv.reader(text)
        try:
            # Numbered by record, as Excel shows the file; a quoted value may span several lines.
            for number, values in enumerate(reader, start=1):
                values = [v.strip() for v in values]
                for column, value in enumerate(values, start=1):
                    if value.startswith(FORMULA_START) and not _NOT_A_FORMULA.fullmatch(value):
                        raise _formula(number, column, value[0])
                yield number, values
        except csv.Error as e:
            raise _refuse(f"CSV 格式有误（第 {reader.line_num} 行附近：{e}），请用 Excel 打开后重新另存为 CSV") from None
        except UnicodeDecodeError:
            raise _refuse(f"第 {reader.line_num} 行附近的文字编码有误：请把整个文件另存为 UTF-8 或 GB18030 编码的 CSV") from None
        finally:
            text.detach()  # the file stays open: it is this object's to close


def _csv_encoding(file, whole: bool) -> tuple[str, str]:
    """(encoding, codec) of a CSV: UTF-8 when it decodes as UTF-8, else GB18030. Decoded chunk by
    chunk and dropped: only whether it decodes is kept. whole=False looks at the first chunk only."""
    for encoding, codec in _ENCODINGS:
        decoder = codecs.getincrementaldecoder(codec)()
        file.seek(0)
        try:
            while chunk := file.read(CHUNK):
                decoder.decode(chunk)
                if not whole:
                    break
            else:
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding, codec
    raise _refuse("文件编码无法识别：请另存为 UTF-8 或 GB18030 编码的 CSV")


def _formula(row: int, column: int, first: str = "=") -> Problem:
    where = f"第 {row} 行 {get_column_letter(column)} 列"
    if first == "=":
        return _refuse(f"{where}是公式，系统不读取公式。请全选表格，复制后“只粘贴数值”再上传")
    return _refuse(f"{where}以“{first}”开头，打开时会被 Excel 当作公式。请删去开头的“{first}”"
                   "（电话号码不要带 +86），或把这一列设为文本后另存，再上传")


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


def check_row(number: int, values: list[str], columns: dict[str, int]) -> dict:
    """The row as a record {"row": n, field: value…}: every field, "" when it has no column; credit
    codes normalised. A bad row also has "errors" {field: message}. A credit code that fails its check
    does not make a row bad: comparing it is what shows the department the problem (the row is
    suspicious), so the row carries "code_problem", the message for it."""
    record = {name: values[columns[name]] if name in columns else "" for name, _, _ in FIELDS}
    errors = _row_errors(record)
    code_problem = _code_problem(record)
    if errors:
        return {"row": number, **record, "errors": errors}
    return {"row": number, **record, **({"code_problem": code_problem} if code_problem else {})}


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
