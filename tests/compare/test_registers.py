"""Reading and checking department register files, built in memory as real .xlsx and .csv files."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from app.compare.registers import FIELDS, Table, check_rows, map_columns, read_table
from app.errors import Problem
from app.standards import credit_code
from tests.factories import credit_code_for

HEADER = ["单位名称", "统一社会信用代码", "地址", "联系人", "联系电话"]


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


def refused(data: bytes, filename: str) -> Problem:
    with pytest.raises(Problem) as caught:
        read_table(data, filename)
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

    table = read_table(data, "运输企业.XLSX")

    assert table.encoding is None
    assert table.headers == HEADER
    assert table.rows == [
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


def test_too_large_names_size_and_limit(app_ctx):
    app_ctx.config["REGISTER_MAX_BYTES"] = 1024 * 1024
    try:
        problem = refused(b"x" * (3 * 1024 * 1024 // 2), "register.csv")
    finally:
        del app_ctx.config["REGISTER_MAX_BYTES"]

    assert problem.code == "request.too_large"
    assert problem.status == 413
    assert problem.errors["file"] == "文件大小 1.5 MB，超过上限 1 MB，请拆分成几个文件分批上传"


def test_default_limit_is_20_mib(app_ctx):
    problem = refused(b"x" * (20 * 1024 * 1024 + 1), "register.csv")

    assert "超过上限 20 MB" in problem.detail


def test_csv_utf8_with_bom(app_ctx):
    data = "\ufeff" + "单位名称,统一社会信用代码,地址\r\n甲公司, 91420606MA000001X ,\"樊城区,长征路1号\"\r\n,,\r\n"

    table = read_table(data.encode("utf-8"), "register.csv")

    assert table.encoding == "utf-8"
    assert table.headers == ["单位名称", "统一社会信用代码", "地址"]
    assert table.rows == [(2, ["甲公司", "91420606MA000001X", "樊城区,长征路1号"])]


def test_csv_utf8_without_bom(app_ctx):
    table = read_table(csv_bytes([["单位名称", "地址"], ["甲公司", "樊城区"]], "utf-8"), "r.csv")

    assert (table.encoding, table.headers, table.rows) == ("utf-8", ["单位名称", "地址"], [(2, ["甲公司", "樊城区"])])


def test_csv_gb18030(app_ctx):
    data = csv_bytes([["企业名称", "经营地址", "负责人"], ["襄阳顺达运输有限公司", "樊城区长征路1号", "张三"]], "gb18030")

    table = read_table(data, "运输企业.csv")

    assert table.encoding == "gb18030"
    assert table.rows == [(2, ["襄阳顺达运输有限公司", "樊城区长征路1号", "张三"])]


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
    table = read_table(b"name,address,\r\na\r\nb,c,d,e\r\n", "r.csv")

    assert table.headers == ["name", "address"]
    assert table.rows == [(2, ["a", ""]), (3, ["b", "c"])]


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
    table = Table(HEADER, [
        (2, ["甲公司", good_code.lower(), "樊城区长征路1号", "张三", "0710-3456789"]),
        (3, ["", "", "", "", ""]),
        (4, ["乙公司", wrong_code, "地址", "", "１３８００００００００"]),
        (5, ["丙" * 129, "", "址" * 256, "", "12345"]),
        (6, ["丁公司", "", "樊城区", "", "138 0000 0000"]),
    ])

    good, bad = check_rows(table, map_columns(HEADER))

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
    table = Table(["名称", "地址"], [(2, ["甲公司", "樊城区"])])

    good, bad = check_rows(table, map_columns(table.headers))

    assert good == [{"row": 2, "name": "甲公司", "credit_code": "", "address": "樊城区", "contact": "", "phone": ""}]
    assert bad == []


def test_xlsx_end_to_end_with_numbers(app_ctx):
    # Excel keeps 15 significant digits, so an 18-digit credit code typed as a number has already lost
    # its last digits: that row carries the credit code's message and the likely cause; numeric
    # phones are fine.
    data = xlsx([["企业名称", "统一社会信用代码", "经营地址", "联系电话"],
                 ["顺达运输", credit_code_for(), "樊城区长征路1号", 13800000000],
                 ["快捷物流", 914206060000000199, "樊城区人民路2号", 7103456789.0]])

    table = read_table(data, "r.xlsx")
    good, bad = check_rows(table, map_columns(table.headers))

    assert [(g["row"], g["phone"]) for g in good] == [(2, "13800000000"), (3, "7103456789")]
    assert bad == [] and "code_problem" not in good[0]
    message = good[1]["code_problem"]
    assert message.startswith(credit_code.problems(table.rows[1][1][1])[0].message) and "存成了数字" in message


def test_an_xlsx_that_unpacks_too_large_is_refused_before_it_is_opened(app_ctx, monkeypatch):
    from app.compare import registers

    monkeypatch.setattr(registers, "UNPACKED_MAX_BYTES", 2000)
    ws_rows = [["单位名称", "地址"]] + [[f"单位{i}", "人民路" * 20] for i in range(200)]
    problem = refused(xlsx(ws_rows), "big.xlsx")
    assert "解压后" in problem.detail and "超过上限" in problem.detail

