"""The first worksheet of an untrusted .xlsx, read row by row in bounded memory.

An .xlsx is a zip of XML parts, and a small one can unpack to gigabytes. openpyxl reads some parts
whole (the shared strings even in read-only mode), builds each <row> element whole before handing it
over and keeps every row it has read attached to its tree: a crafted sheet (one row of millions of
cells, millions of empty rows) exhausts a worker. So:
- `check_archive` looks at the zip's directory only, before anything is inflated: how many entries,
  their declared sizes and compression ratios. Python's zipfile never inflates a member beyond its
  declared size (it stops there and fails the CRC check), so the declared sizes bound all below.
- `FirstSheet` reads the workbook part (which sheet is first, its date system), the styles (which
  numbers are dates) only when asked, the shared strings only as far as the cells refer to them, and
  the sheet through expat: each row becomes a small element tree handed to openpyxl's own cell parser
  (types, dates, shared and inline strings, formulas) and is then dropped. A row whose XML outgrows
  ROW_MAX_BYTES is refused before it is built; merged ranges are noted as they pass.

Pure: no Flask, no database. Refusals are `Refused` with a message in Chinese for the department.
"""
from __future__ import annotations

import zipfile
from collections.abc import Iterator
from xml.etree.ElementTree import SubElement, TreeBuilder, iterparse
from xml.parsers import expat

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import range_boundaries
# openpyxl's own cell parser, also behind its read-only worksheets (the version is pinned).
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

ENTRIES_MAX = 1000  # a register's workbook has about ten parts; a hundred images would still pass
UNPACKED_MAX_BYTES = 200 * 1024 * 1024  # everything, as declared
STRINGS_MAX_BYTES = 64 * 1024 * 1024  # the shared strings, held in memory while the sheet is read
PART_MAX_BYTES = 16 * 1024 * 1024  # any other part but worksheets: openpyxl reads those whole
RATIO_MAX = 100  # real workbooks compress 5-30 to 1; a zip bomb by hundreds or a thousand
RATIO_FROM_BYTES = 1024 * 1024  # a small part may compress well and harm no one
ROW_MAX_BYTES = 256 * 1024  # one row's XML: a register's is a few hundred bytes, Excel's longest cell 100 KB
CHUNK = 64 * 1024
_SI, _INLINE, _VALUE = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("si", "is", "v"))
_TEXT, _RUN_TEXT = f"{{{SHEET_MAIN_NS}}}t", f"{{{SHEET_MAIN_NS}}}r/{{{SHEET_MAIN_NS}}}t"
_INLINE_CELL = f"{{{SHEET_MAIN_NS}}}c[@t='inlineStr']"

NOT_EXCEL = ("不是有效的 Excel（.xlsx）文件：文件可能已损坏、设置了密码，或其实是其他格式。"
             "请用 Excel 打开后另存为 .xlsx 再上传")
_TRIM = "请删去无关的工作表、图片和格式，或拆分成几个文件分批上传"


class Refused(Exception):
    """The file is not read; the message says why and what to do, in Chinese."""


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0") + " MB"


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refused unless the zip's directory looks like a workbook's: few entries, bounded sizes."""
    entries = archive.infolist()
    if len(entries) > ENTRIES_MAX:
        raise Refused(f"Excel 文件里有 {len(entries)} 个部件，超过上限 {ENTRIES_MAX} 个，不像一份登记表：{_TRIM}")
    unpacked = sum(e.file_size for e in entries)
    if unpacked > UNPACKED_MAX_BYTES:
        raise Refused(f"Excel 文件解压后有 {megabytes(unpacked)}，超过上限 {megabytes(UNPACKED_MAX_BYTES)}：{_TRIM}")
    for e in entries:
        if e.file_size > RATIO_FROM_BYTES and e.file_size > RATIO_MAX * max(e.compress_size, 1):
            raise Refused(f"Excel 文件中的“{e.filename}”压缩了 {e.file_size // max(e.compress_size, 1)} 倍"
                          f"（正常的表格不超过 {RATIO_MAX} 倍），文件可能经过特殊构造，未予读取。"
                          "请在 Excel 中打开后另存为新的 .xlsx 文件再上传")
        most = (None if e.filename.startswith("xl/worksheets/")
                else STRINGS_MAX_BYTES if "sharedStrings" in e.filename else PART_MAX_BYTES)
        if most is not None and e.file_size > most:
            raise Refused(f"Excel 文件中的“{e.filename}”解压后有 {megabytes(e.file_size)}，"
                          f"超过上限 {megabytes(most)}：{_TRIM}")


class SharedStrings:
    """The workbook's shared strings, read from the archive only as far as cells refer to them."""

    def __init__(self, archive: zipfile.ZipFile, name: str | None):
        self._items: list[str] = []
        self._events = iterparse(archive.open(name), events=("start", "end")) if name else iter(())
        self._root = None

    def __getitem__(self, index: int) -> str:
        while len(self._items) <= index:
            event, node = next(self._events, (None, None))
            if event is None:
                break
            if self._root is None:
                self._root = node
            elif event == "end" and node.tag == _SI:
                self._items.append(text_of(node))
                self._root.clear()  # read strings leave the tree
        return self._items[index]  # IndexError for a cell pointing past the table: a damaged file


def text_of(node) -> str:
    """The text of a shared or inline string (<si>, <is>): its <t>, or the <t> of each run <r>; not
    the phonetic guide (<rPh>). What openpyxl's Text.content gives, at a fraction of its cost."""
    texts = [*node.iterfind(_TEXT), *node.iterfind(_RUN_TEXT)]
    return "".join(t.text or "" for t in texts).replace("x005F_", "")


class FirstSheet:
    """The first worksheet of an .xlsx (a path or a binary file): `rows()` yields
    (row number, [openpyxl cell dicts: row, column, value, data_type]) for each row in the sheet,
    empty ones too; `merged` is the first merged range seen, `fraction` how much has been read."""

    def __init__(self, source, dates: bool = True):
        try:
            self._reader = reader = ExcelReader(source, read_only=True, keep_links=False)
        except Exception:  # not a zip, or an encrypted workbook (an OLE file)
            raise Refused(NOT_EXCEL) from None
        check_archive(reader.archive)
        try:
            reader.read_manifest()
            reader.read_workbook()
            if dates:  # only which cell formats are dates is taken from the styles
                apply_stylesheet(reader.archive, reader.wb)
            sheets = [rel.target for _, rel in reader.parser.find_sheets()
                      if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
            strings = reader.package.find(SHARED_STRINGS)
        except Exception:  # openpyxl fails in many ways on a damaged part
            raise Refused(NOT_EXCEL) from None
        if not sheets:
            raise Refused("Excel 文件里没有工作表，请把登记表放在第一个工作表后再上传")
        self.path = sheets[0]
        self.size = reader.archive.getinfo(self.path).file_size
        self.strings = SharedStrings(reader.archive, strings.PartName[1:] if strings is not None else None)
        self.merged: str | None = None
        self.read = 0

    @property
    def fraction(self) -> float:
        return min(self.read / self.size, 1.0) if self.size else 1.0

    def rows(self) -> Iterator[tuple[int, list[dict]]]:
        wb = self._reader.wb
        cells = WorkSheetParser(None, self.strings, epoch=wb.epoch, date_formats=wb._date_formats,
                                timedelta_formats=wb._timedelta_formats)
        scan = _RowScanner(cells, self._note_merged)
        with self._reader.archive.open(self.path) as member:
            while chunk := member.read(CHUNK):
                self.read += len(chunk)
                yield from scan.feed(chunk, self.read)
            yield from scan.feed(b"", self.read, final=True)

    def _note_merged(self, ref: str) -> None:
        # Reported as the first in reading order, as Excel's own messages do.
        key = lambda r: range_boundaries(r)[1::-1]  # noqa: E731  (min_row, min_col)
        if self.merged is None or key(ref) < key(self.merged):
            self.merged = ref


class _RowScanner:
    """expat over the sheet's XML: each <row> of <sheetData> built into a small tree and parsed into
    cells by openpyxl's parser, everything else passed over without building anything."""

    def __init__(self, cells: WorkSheetParser, merged):
        self.cells, self.merged = cells, merged
        self.parser = p = expat.ParserCreate(namespace_separator="}")
        p.StartElementHandler, p.EndElementHandler = self._start, self._end
        p.CharacterDataHandler = self._data
        p.StartDoctypeDeclHandler = self._doctype  # no part of a workbook has one: entity tricks
        self.depth = 0
        self.in_data = False
        self.row: TreeBuilder | None = None
        self.row_depth = self.row_start = 0
        self.ready: list[tuple[int, list[dict]]] = []

    def feed(self, chunk: bytes, read: int, final: bool = False):
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError:
            raise Refused(NOT_EXCEL) from None
        if self.row is not None and read - self.row_start > ROW_MAX_BYTES:
            raise Refused(f"工作表中第 {self.cells.row_counter + 1} 行附近有一行超过 {ROW_MAX_BYTES // 1024} KB，"
                          "不像登记表的一行（每行一个单位），请检查后另存为新的 .xlsx 再上传")
        ready, self.ready = self.ready, []
        return ready

    def _start(self, name: str, attrs: dict) -> None:
        self.depth += 1
        local = name.rpartition("}")[2]
        if self.row is not None:
            self.row.start(_tag(name), {_tag(k): v for k, v in attrs.items()})
        elif self.in_data and local == "row":
            self.row, self.row_depth = TreeBuilder(), self.depth
            self.row_start = self.parser.CurrentByteIndex
            self.row.start(_tag(name), {_tag(k): v for k, v in attrs.items()})
        elif self.depth == 2 and local == "sheetData":
            self.in_data = True
        elif local == "mergeCell" and attrs.get("ref"):
            try:
                range_boundaries(attrs["ref"])
            except (ValueError, TypeError):
                return
            self.merged(attrs["ref"])

    def _end(self, name: str) -> None:
        if self.row is not None:
            self.row.end(_tag(name))
            if self.depth == self.row_depth:
                element, self.row = self.row.close(), None
                for cell in element.iterfind(_INLINE_CELL):  # openpyxl's own reading of these is slow
                    inline = cell.find(_INLINE)
                    cell.set("t", "str")
                    if inline is not None:
                        cell.remove(inline)
                        SubElement(cell, _VALUE).text = text_of(inline)
                try:
                    self.ready.append(self.cells.parse_row(element))
                except Exception:  # a cell pointing past the shared strings, a bad reference…
                    raise Refused(NOT_EXCEL) from None
                self.cells.row_dimensions.clear()  # kept per row by openpyxl: not needed here
        elif self.depth == 2 and self.in_data:
            self.in_data = False
        self.depth -= 1

    def _data(self, text: str) -> None:
        if self.row is not None:
            self.row.data(text)

    def _doctype(self, *_) -> None:
        raise Refused(NOT_EXCEL)


def _tag(name: str) -> str:
    """expat's "namespace}local" as ElementTree's "{namespace}local"."""
    return "{" + name if "}" in name else name
