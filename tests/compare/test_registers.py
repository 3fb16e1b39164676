"""Reading and checking department register files, built in memory as real .xlsx and .csv files:
what the upload checks (`inspect`) and what the comparison job reads (`records`)."""
from __future__ import annotations

import io
import itertools
import random
import subprocess
import sys
import time
import tracemalloc
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from app.compare.registers import FIELDS, RegisterFile, check_row, inspect, map_columns, records
from app.errors import Problem
from app.standards import credit_code
from tests.factories import credit_code_for

HEADER = ["单位名称", "统一社会信用代码", "地址", "联系人", "联系电话"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def app_ctx(app):
    with app.app_context():
        yield app


def xlsx(rows, build=None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if build:
        build(book, sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding: str) -> bytes:
    return "\r\n".join(",".join(row) for row in rows).encode(encoding)


def read_table(data: bytes, filename: str):
    """(headers, non-empty data rows as (row number, values), encoding): the upload's view of the
    file, then the job's."""
    found = inspect(data, filename)
    with RegisterFile(io.BytesIO(data), found.format) as source:
        rows = [(n, values) for n, values in source if any(values)][1:]
        return found.headers, rows, source.encoding


def read_records(data: bytes, filename: str, columns=None) -> list[dict]:
    found = inspect(data, filename)
    with RegisterFile(io.BytesIO(data), found.format) as source:
        return list(records(source, columns or map_columns(found.headers)))


def refused(data: bytes, filename: str, columns=None) -> Problem:
    """The problem the upload or, reading on, the job finds in a file."""
    with pytest.raises(Problem) as caught:
        read_records(data, filename, columns or {"name": 0, "address": 1})
    return caught.value


def test_fields_in_order():
    assert [(f, label, required) for f, label, required in FIELDS] == [
        ("name", "单位名称", True), ("credit_code", "统一社会信用代码", False), ("address", "地址", True),
        ("contact", "联系人", False), ("phone", "联系电话", False)]


def test_xlsx_values_rows_and_first_sheet_only(app_ctx):
    def extra_sheet(book, _):
        book.create_sheet("别的表").append(["不读这里"])

    data = xlsx([HEADER, [" 襄阳顺达运输有限公司 ", 420606123, "樊城区长征路1号", "张三", 13800000000.0],
                 [None, None, None, None, None],
                 ["襄阳快捷物流", None, "樊城区人民路2号", None, "0710-3456789"],
                 [],
                 ["成立日期", None, datetime(2024, 3, 1), 1.5, datetime(2024, 3, 1, 8, 30)]],
                extra_sheet)

    headers, rows, encoding = read_table(data, "运输企业.XLSX")

    assert encoding is None
    assert headers == HEADER
    assert rows == [
        (2, ["襄阳顺达运输有限公司", "420606123", "樊城区长征路1号", "张三", "13800000000"]),
        (4, ["襄阳快捷物流", "", "樊城区人民路2号", "", "0710-3456789"]),
        (6, ["成立日期", "", "2024-03-01", "1.5", "2024-03-01 08:30:00"]),
    ]


def test_xlsx_formula_is_refused_naming_the_cell(app_ctx):
    data = xlsx([HEADER, ["甲公司", None, "地址1", None, None], ["乙公司", None, "=A3&\"路\"", None, None]])

    problem = refused(data, "register.xlsx")

    assert problem.code == "validation.failed"
    assert problem.errors["file"].startswith("第 3 行 C 列是公式")
    assert "只粘贴数值" in problem.detail


def test_xlsx_merged_cells_are_refused_naming_the_range(app_ctx):
    def merge(_, sheet):
        sheet.merge_cells("D3:E3")
        sheet.merge_cells("B2:C2")

    problem = refused(xlsx([HEADER, ["甲公司", "x", "", "", ""], ["乙公司", "", "地址", "", ""]], merge),
                      "register.xlsx")

    assert problem.errors["file"].startswith("B2:C2 是合并单元格，请取消合并后再上传")


def test_file_that_is_not_really_xlsx(app_ctx):
    problem = refused("单位名称,地址\n甲,乙\n".encode(), "register.xlsx")

    assert "不是有效的 Excel（.xlsx）文件" in problem.detail


@pytest.mark.parametrize("filename, words", [
    ("register.xls", "不支持旧版 Excel（.xls）"), ("register.txt", "不支持“.txt”文件"),
    ("register", "不支持“无扩展名”文件")])
def test_unknown_extensions(app_ctx, filename, words):
    assert words in refused(b"anything", filename).detail


def test_excel_content_named_csv(app_ctx):
    problem = refused(xlsx([HEADER]), "register.csv")

    assert "内容却是 Excel 文件" in problem.detail


def test_too_large_names_size_and_limit(app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "REGISTER_MAX_BYTES", 1024 * 1024)
    problem = refused(b"x" * (3 * 1024 * 1024 // 2), "register.csv")

    assert problem.code == "request.too_large"
    assert problem.status == 413
    assert problem.errors["file"] == "文件大小 1.5 MB，超过上限 1 MB，请拆分成几个文件分批上传"


def test_default_limit_is_20_mib(app_ctx):
    problem = refused(b"x" * (20 * 1024 * 1024 + 1), "register.csv")

    assert "超过上限 20 MB" in problem.detail


def test_csv_utf8_with_bom(app_ctx):
    data = "\ufeff" + "单位名称,统一社会信用代码,地址\r\n甲公司, 91420606MA000001X ,\"樊城区,长征路1号\"\r\n,,\r\n"

    headers, rows, encoding = read_table(data.encode("utf-8"), "register.csv")

    assert encoding == "utf-8"
    assert headers == ["单位名称", "统一社会信用代码", "地址"]
    assert rows == [(2, ["甲公司", "91420606MA000001X", "樊城区,长征路1号"])]


def test_csv_utf8_without_bom(app_ctx):
    assert read_table(csv_bytes([["单位名称", "地址"], ["甲公司", "樊城区"]], "utf-8"), "r.csv") == (
        ["单位名称", "地址"], [(2, ["甲公司", "樊城区"])], "utf-8")


def test_csv_gb18030(app_ctx):
    data = csv_bytes([["企业名称", "经营地址", "负责人"], ["襄阳顺达运输有限公司", "樊城区长征路1号", "张三"]], "gb18030")

    _, rows, encoding = read_table(data, "运输企业.csv")

    assert encoding == "gb18030"
    assert rows == [(2, ["襄阳顺达运输有限公司", "樊城区长征路1号", "张三"])]


def test_csv_in_neither_encoding(app_ctx):
    data = "单位名称,地址\n".encode() + b"\xff\xfe\x00bad\x80\n"

    problem = refused(data, "register.csv")

    assert problem.code == "validation.failed"
    assert problem.errors == {"file": "文件编码无法识别：请另存为 UTF-8 或 GB18030 编码的 CSV"}


def test_empty_file_and_header_only(app_ctx):
    assert "文件是空的" in refused(b"\r\n,,\r\n", "register.csv").detail
    assert "文件是空的" in refused(xlsx([]), "register.xlsx").detail
    assert "只有表头，没有数据行" in refused(csv_bytes([HEADER, ["", ""]], "utf-8"), "register.csv").detail
    assert "只有表头，没有数据行" in refused(xlsx([HEADER]), "register.xlsx").detail


def test_rows_are_padded_and_cut_to_the_header(app_ctx):
    assert inspect(b"name,address,\r\na\r\nb,c,d,e\r\n", "r.csv").headers == ["name", "address"]
    found = read_records(b"name,address,\r\na\r\nb,c,d,e\r\n", "r.csv", {"name": 0, "address": 1})

    assert [(r["row"], r["name"], r["address"]) for r in found] == [(2, "a", ""), (3, "b", "c")]


def test_map_columns_guesses_from_header_text():
    headers = ["序号", "企业名称", "信用代码", "注册地址", "经营地址", "负责人", "手机"]

    assert map_columns(headers, None) == {"name": 1, "credit_code": 2, "address": 4, "contact": 5, "phone": 6}
    assert map_columns(["*单位名称（全称）", " 地 址 "]) == {"name": 0, "address": 1}


def test_map_columns_missing_required_fields():
    with pytest.raises(Problem) as caught:
        map_columns(["序号", "联系电话", "备注"], None)

    problem = caught.value
    assert problem.code == "validation.failed"
    assert problem.errors == {"name": "找不到“单位名称”列", "address": "找不到“地址”列"}
    assert "文件的表头是：“序号”、“联系电话”、“备注”" in problem.detail
    assert problem.extra["headers"] == ["序号", "联系电话", "备注"]


def test_map_columns_with_a_mapping():
    headers = ["运输企业", "道路运输地址", "企业电话", "地址"]

    assert map_columns(headers, {"name": "运输企业", "address": "道路运输地址", "phone": "企业电话"}) == {
        "name": 0, "address": 1, "phone": 2}
    with pytest.raises(Problem) as caught:
        map_columns(headers, {"name": "单位全称", "phone": "企业电话", "fax": "传真"})
    assert caught.value.errors == {"name": "文件表头中没有“单位全称”列（单位名称）", "fax": "“fax”不是登记表的字段",
                                   "address": "找不到“地址”列"}


def test_check_rows_splits_good_and_bad_rows():
    good_code = credit_code_for()
    wrong_code = good_code[:17] + ("0" if good_code[17] != "0" else "1")
    rows = [
        (2, ["甲公司", good_code.lower(), "樊城区长征路1号", "张三", "0710-3456789"]),
        (3, ["", "", "", "", ""]),
        (4, ["乙公司", wrong_code, "地址", "", "１３８００００００００"]),
        (5, ["丙" * 129, "", "址" * 256, "", "12345"]),
        (6, ["丁公司", "", "樊城区", "", "138 0000 0000"]),
    ]

    checked = [check_row(n, values, map_columns(HEADER)) for n, values in rows]
    good, bad = [r for r in checked if "errors" not in r], [r for r in checked if "errors" in r]

    assert good == [
        {"row": 2, "name": "甲公司", "credit_code": good_code, "address": "樊城区长征路1号", "contact": "张三",
         "phone": "0710-3456789"},
        # A code failing its check is compared (and found suspicious), with its message.
        {"row": 4, "name": "乙公司", "credit_code": wrong_code, "address": "地址", "contact": "", "phone": "13800000000",
         "code_problem": credit_code.problems(wrong_code)[0].message},
        {"row": 6, "name": "丁公司", "credit_code": "", "address": "樊城区", "contact": "", "phone": "138 0000 0000"},
    ]
    assert [(b["row"], b["errors"]) for b in bad] == [
        (3, {"name": "请填写单位名称", "address": "请填写地址"}),
        (5, {"name": "单位名称不能超过 128 个字（现有 129 个）", "address": "地址不能超过 255 个字（现有 256 个）",
             "phone": "联系电话只能有数字、短横线和空格，共 7–20 位，如 0710-3456789 或 13800000000"}),
    ]
    assert bad[1]["name"] == "丙" * 129  # what the department wrote, to show beside the message
    assert good[1]["code_problem"].startswith("校验码错误")


def test_check_rows_without_optional_columns():
    assert check_row(2, ["甲公司", "樊城区"], map_columns(["名称", "地址"])) == {
        "row": 2, "name": "甲公司", "credit_code": "", "address": "樊城区", "contact": "", "phone": ""}


def test_xlsx_end_to_end_with_numbers(app_ctx):
    # Excel keeps 15 significant digits, so an 18-digit credit code typed as a number has already lost
    # its last digits: that row carries the credit code's message and the likely cause; numeric
    # phones are fine.
    data = xlsx([["企业名称", "统一社会信用代码", "经营地址", "联系电话"],
                 ["顺达运输", credit_code_for(), "樊城区长征路1号", 13800000000],
                 ["快捷物流", 914206060000000199, "樊城区人民路2号", 7103456789.0]])

    good = read_records(data, "r.xlsx")

    assert [(g["row"], g["phone"]) for g in good] == [(2, "13800000000"), (3, "7103456789")]
    assert all("errors" not in g for g in good) and "code_problem" not in good[0]
    message = good[1]["code_problem"]
    assert message.startswith(credit_code.problems(good[1]["credit_code"])[0].message) and "存成了数字" in message


def test_an_xlsx_that_unpacks_too_large_is_refused_before_it_is_opened(app_ctx, monkeypatch):
    from app.compare import xlsx as xlsx_reader

    monkeypatch.setattr(xlsx_reader, "UNPACKED_MAX_BYTES", 2000)
    ws_rows = [["单位名称", "地址"]] + [[f"单位{i}", "人民路" * 20] for i in range(200)]
    problem = refused(xlsx(ws_rows), "big.xlsx")
    assert "解压后" in problem.detail and "超过上限" in problem.detail



# --- files made to hurt: refused before they cost memory or time ----------------------------

def repacked(data: bytes, members: dict) -> bytes:
    """The .xlsx in `data` with `members` replaced or added: name -> bytes, or chunks to stream."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in members:
                target.writestr(info, source.read(info))
        for name, content in members.items():
            with target.open(name, "w", force_zip64=True) as member:
                for chunk in [content] if isinstance(content, bytes) else content:
                    member.write(chunk)
    return out.getvalue()


SHEET_START = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
               b'<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="inlineStr"><is><t>address</t>'
               b'</is></c></row>')


def sheet(*parts) -> list:
    return [SHEET_START, *parts, b"</sheetData></worksheet>"]


def with_shared_strings(strings: list[str], rows: list[list[int]]) -> bytes:
    """An .xlsx as Excel writes one: every cell an index into the shared strings."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sst = f'<sst xmlns="{ns}">' + "".join(strings) + "</sst>"
    cells = "".join(f'<row r="{r}">' + "".join(f'<c r="{"ABCDE"[c]}{r}" t="s"><v>{i}</v></c>' for c, i in enumerate(row))
                    + "</row>" for r, row in enumerate(rows, start=1))
    base = xlsx([["x"]])
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        types = z.read("[Content_Types].xml").replace(b"</Types>", (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'spreadsheetml.sharedStrings+xml"/></Types>'))
    return repacked(base, {"[Content_Types].xml": types, "xl/sharedStrings.xml": sst.encode(),
                           "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{ns}"><sheetData>{cells}</sheetData></worksheet>'.encode()})


def test_an_excel_workbook_of_shared_strings_is_read_as_excel_shows_it(app_ctx):
    strings = ["<si><t>单位名称</t></si>", "<si><t>地址</t></si>",
               '<si><r><t>襄阳</t></r><r><rPr><b/></rPr><t xml:space="preserve">顺达 运输</t></r>'
               '<rPh sb="0" eb="2"><t>xiangyang</t></rPh></si>', "<si><t>樊城区_x005F_x000D_长征路1号</t></si>"]
    data = with_shared_strings(strings, [[0, 1], [2, 3], [3, 2]])

    assert read_table(data, "excel.xlsx") == (["单位名称", "地址"], [(2, ["襄阳顺达 运输", "樊城区_x000D_长征路1号"]),
                                                                      (3, ["樊城区_x000D_长征路1号", "襄阳顺达 运输"])], None)
    damaged = with_shared_strings(strings, [[0, 1], [2, 9]])
    assert "不是有效的 Excel（.xlsx）文件" in refused(damaged, "excel.xlsx").detail


def quickly_refused(data: bytes, filename="bomb.xlsx", within_s: float = 1.0) -> Problem:
    started = time.perf_counter()
    tracemalloc.start()
    try:
        with pytest.raises(Problem) as caught:
            inspect(data, filename)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < within_s and peak < 8 * 1024 * 1024, (time.perf_counter() - started, peak)
    return caught.value


def test_a_zip_bomb_xlsx_is_refused_from_its_directory_in_a_moment(app_ctx):
    # 300 MB of rows that deflate to a few hundred KB: the directory says so before anything is inflated.
    rows = (b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 20_000 for _ in range(300))
    bomb = repacked(xlsx([HEADER, ["甲", "", "地址", "", ""]]), {"xl/worksheets/sheet1.xml": sheet(*rows)})
    assert len(bomb) < 2 * 1024 * 1024

    problem = quickly_refused(bomb)

    assert problem.code == "validation.failed" and problem.errors["file"].startswith("Excel 文件解压后有 28")
    assert "超过上限 200 MB" in problem.detail


def test_a_part_that_inflates_a_hundredfold_is_refused_though_the_total_is_allowed(app_ctx):
    # The 187 MB register that held a worker for a minute unpacked to less than the total allowed.
    padding = (b" " * (1024 * 1024) for _ in range(150))
    bomb = repacked(xlsx([HEADER, ["甲", "", "地址", "", ""]]), {"xl/worksheets/sheet1.xml": sheet(*padding)})

    problem = quickly_refused(bomb)

    assert "“xl/worksheets/sheet1.xml”压缩了" in problem.detail and "正常的表格不超过 100 倍" in problem.detail


def test_a_workbook_of_thousands_of_parts_is_refused(app_ctx):
    parts = {f"xl/media/image{i}.png": b"" for i in range(1001)}

    problem = quickly_refused(repacked(xlsx([HEADER, ["甲", "", "地址", "", ""]]), parts))

    assert "个部件，超过上限 1000 个" in problem.detail


def test_shared_strings_beyond_their_limit_are_refused_before_they_are_read(app_ctx, monkeypatch):
    from app.compare import xlsx as xlsx_reader

    monkeypatch.setattr(xlsx_reader, "STRINGS_MAX_BYTES", 1024)
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + b"<si><t>abc</t></si>" * 500 + b"</sst>"

    problem = quickly_refused(repacked(xlsx([HEADER, ["甲", "", "地址", "", ""]]), {"xl/sharedStrings.xml": strings}))

    assert "“xl/sharedStrings.xml”解压后有" in problem.detail


def test_a_row_of_megabytes_is_refused_before_it_is_built(app_ctx):
    # A row of a million cells builds gigabytes of cell objects in openpyxl; random numbers so that it
    # compresses like a real sheet and passes the zip's checks.
    rng = random.Random(7)
    cells = b"".join(b"<c><v>%d</v></c>" % rng.randrange(10 ** 9) for _ in range(120_000))
    data = repacked(xlsx([HEADER, ["甲", "", "地址", "", ""]]),
                    {"xl/worksheets/sheet1.xml": sheet(b'<row r="2">', cells, b"</row>")})

    problem = quickly_refused(data, within_s=2.0)

    assert "第 2 行附近有一行超过 256 KB" in problem.detail


def test_a_document_type_declaration_is_refused(app_ctx):
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
           + SHEET_START + b"<row><c t=\"inlineStr\"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>")

    problem = quickly_refused(repacked(xlsx([HEADER]), {"xl/worksheets/sheet1.xml": lol}))

    assert "不是有效的 Excel（.xlsx）文件" in problem.detail


def big_register(path, rows: int, format: str) -> None:
    """A department's register of `rows` distinct organisations, written as a department's tool would."""
    def row(i):
        return [f"襄阳市第{i}号商贸有限公司", f"91420606MA{i:08d}", f"襄阳市樊城区人民路{i % 997 + 1}号{i}室", "王伟",
                f"138{i:08d}"]

    if format == "csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(",".join(HEADER) + "\r\n")
            for i in range(rows):
                f.write(",".join(row(i)) + "\r\n")
        return
    book = Workbook(write_only=True)
    sheet_ = book.create_sheet("登记表")
    sheet_.append(HEADER)
    for i in range(rows):
        sheet_.append(row(i))
    book.save(path)


@pytest.fixture(scope="module")
def registers_of_50_000_rows(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("registers")
    paths = {format: folder / f"register.{format}" for format in ("xlsx", "csv")}
    for format, path in paths.items():
        big_register(path, 50_000, format)
    return paths


READ_IN_A_CHILD = """
import resource, sys
from app.compare.registers import RegisterFile
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with RegisterFile(sys.argv[1], sys.argv[2]) as source:
    rows = sum(1 for _, values in source if any(values))
print(rows, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.parametrize("format", ["xlsx", "csv"])
def test_reading_a_50_000_row_register_to_its_end_takes_little_memory(registers_of_50_000_rows, format):
    # In a process of its own, for its peak resident memory: reading the .xlsx into a table whole, as
    # uploads did, grew it by 130 MB (a 200,000-row file by half a gigabyte).
    done = subprocess.run([sys.executable, "-c", READ_IN_A_CHILD, str(registers_of_50_000_rows[format]), format],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    rows, grown_mb = map(int, done.stdout.split())

    assert rows == 50_001 and grown_mb < 30, (rows, grown_mb, done.stderr[-2000:])


@pytest.mark.parametrize("format", ["xlsx", "csv"])
def test_the_job_reads_a_register_as_a_stream(app_ctx, registers_of_50_000_rows, format):
    tracemalloc.start()
    try:
        with RegisterFile(registers_of_50_000_rows[format], format) as source:
            first = list(itertools.islice(records(source, map_columns(HEADER)), 1000))
            read, peak = source.fraction, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert [r["row"] for r in first] == list(range(2, 1002))
    assert read < 0.05 and peak < 4 * 1024 * 1024, (read, peak)  # a thousand rows: a little of the file


def test_a_register_over_the_row_limit_is_refused_saying_the_limit_and_how_to_split_it(app_ctx):
    app_ctx.config["REGISTER_MAX_ROWS"] = 3
    try:
        data = csv_bytes([HEADER] + [[f"单位{i}", "", f"地址{i}", "", ""] for i in range(4)], "utf-8")
        assert len(read_records(data[:data.rindex(b"\r\n")], "r.csv")) == 3  # three rows: not over

        problem = refused(data, "r.csv")
    finally:
        app_ctx.config["REGISTER_MAX_ROWS"] = 50_000

    assert problem.errors["file"] == ("登记表超过 3 行，超出一次比对的上限（3 行）。请按区县、街道或类别拆分成几个文件，"
                                      "每个不超过 3 行（另加一行表头），分批上传")


# --- a CSV's formulas, as an Excel file's ---------------------------------------------------

@pytest.mark.parametrize("value, message", [
    ('=HYPERLINK("http://evil","x")', "第 3 行 B 列是公式"),
    ("=cmd|' /C calc'!A0", "第 3 行 B 列是公式"),
    ("+1+1", "第 3 行 B 列以“+”开头，打开时会被 Excel 当作公式"),
    ("-2+3", "第 3 行 B 列以“-”开头"),
    ("@SUM(A1)", "第 3 行 B 列以“@”开头"),
    ("\t=1+1", "第 3 行 B 列是公式"),
])
def test_a_csv_cell_excel_would_run_as_a_formula_is_refused_as_in_an_xlsx(app_ctx, value, message):
    data = csv_bytes([["单位名称", "地址"], ["甲", "樊城区人民路1号"], ["乙", '"' + value.replace('"', '""') + '"']], "utf-8")

    assert refused(data, "r.csv").errors["file"].startswith(message)
    as_excel = xlsx([["单位名称", "地址"], ["甲", "樊城区人民路1号"], ["乙", value]])
    if value.startswith("="):
        assert refused(as_excel, "r.xlsx").errors["file"].startswith(message)  # the same words


def test_dashes_and_signed_numbers_in_a_csv_are_values(app_ctx):
    data = csv_bytes([["单位名称", "地址", "联系人", "联系电话"], ["甲", "樊城区人民路1号", "-", "+8613800000000"],
                      ["乙", "樊城区人民路2号", "--", "-5"]], "utf-8")

    assert [(r["contact"], r["phone"]) for r in read_records(data, "r.csv")] == [("-", "+8613800000000"), ("--", "-5")]
