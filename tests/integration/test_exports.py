"""Exports: the list's rows, scope and masks, as CSV (with a BOM) and XLSX; formulas neutralised."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from test_api import act, report

from civicgrid.analytics import exports
from conftest import Civic


def rows_of_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # Excel in China opens UTF-8 right only with the mark
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def column(rows: list[list[str]], header: str) -> list[str]:
    """The cells under a header (in the file's language), the header row aside."""
    at = rows[0].index(header)
    return [row[at] for row in rows[1:]]


def test_a_case_list_exports_as_csv_with_translated_headers_and_labels(civic: Civic) -> None:
    first = report(civic)
    report(civic, description="路灯不亮", category_code="C0101")
    answer = civic.client.get("/exports/cases.csv", headers=civic.as_("operator"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="cases-' in answer.headers["content-disposition"]
    rows = rows_of_csv(answer.content)
    assert rows[0][:3] == ["案件编号", "状态", "来源"]
    assert len(rows) == 3 and rows[2][0] == first["number"] and rows[2][1] == "已上报"
    english = rows_of_csv(
        civic.client.get(
            "/exports/cases.csv", headers=civic.as_("operator") | {"accept-language": "en"}
        ).content
    )
    assert english[0][0] == "Case number"
    # Names where the pages show names, the codes a spreadsheet filters by beside them; no raw codes.
    assert column(rows, "事项分类") == ["井盖", "井盖"] and column(rows, "小类编码")[0] == "C0101"
    assert column(english, "Category")[0] == "Manhole cover" and "none" not in column(rows, "预警")
    assert column(rows, "街道")[0].startswith("高新区") and column(rows, "微网格编码")[0].startswith("D")


def test_the_export_takes_the_lists_filters(civic: Civic) -> None:
    report(civic, description="东苑小区井盖缺失")
    report(civic, description="路灯不亮")
    rows = rows_of_csv(
        civic.client.get("/exports/cases.csv", params={"q": "路灯"}, headers=civic.as_("operator")).content
    )
    assert len(rows) == 2 and "路灯" in column(rows, "问题描述")[0]
    bad = civic.client.get("/exports/cases.csv", params={"status": "nonsense"}, headers=civic.as_("operator"))
    assert bad.status_code == 422


def test_exports_mask_personal_data_as_the_list_does_and_keep_scope(civic: Civic) -> None:
    number = report(civic)["number"]
    act(civic, "operator", number, "register")
    act(civic, "operator", number, "dispatch", org_code="chengguan", assignee_code="F0001")
    full = rows_of_csv(civic.client.get("/exports/cases.csv", headers=civic.as_("operator")).content)
    assert [column(full, "反映人")[0], column(full, "电话")[0]] == ["张三", "13812341234"]
    leader = rows_of_csv(civic.client.get("/exports/cases.csv", headers=civic.as_("leader")).content)
    assert [column(leader, "反映人")[0], column(leader, "电话")[0]] == ["张*", "138****1234"]
    other_grid = rows_of_csv(civic.client.get("/exports/cases.csv", headers=civic.as_("worker2")).content)
    assert len(other_grid) == 1  # headers only: the case is in another grid


def test_text_a_spreadsheet_would_run_is_neutralised(civic: Civic) -> None:
    report(civic, description='=HYPERLINK("http://evil.example","click")')
    rows = rows_of_csv(civic.client.get("/exports/cases.csv", headers=civic.as_("operator")).content)
    assert column(rows, "问题描述")[0].startswith("'=HYPERLINK")
    book = load_workbook(
        io.BytesIO(civic.client.get("/exports/cases.xlsx", headers=civic.as_("operator")).content)
    )
    headers = [c.value for c in book.active[1]]
    assert book.active.cell(2, headers.index("问题描述") + 1).value.startswith("'=")


def test_a_case_list_exports_as_a_workbook_with_real_dates(civic: Civic) -> None:
    report(civic)
    answer = civic.client.get("/exports/cases.xlsx", headers=civic.as_("supervisor"))
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet["A1"].value == "案件编号" and sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    headers = [c.value for c in sheet[1]]
    submitted = sheet.cell(row=2, column=headers.index("上报时间") + 1).value
    assert isinstance(submitted, datetime) and submitted.hour == 9  # 09:00 in Beijing, not 01:00 UTC


def test_figures_export_per_group(civic: Civic) -> None:
    report(civic)
    answer = civic.client.get(
        "/exports/figures.csv",
        params={"from": "2026-11-01T00:00:00+08:00", "to": "2026-11-03T00:00:00+08:00", "group_by": "street"},
        headers=civic.as_("leader"),
    )
    rows = rows_of_csv(answer.content)
    assert rows[0][:3] == ["代码", "名称", "上报量"] and len(rows) == 2 and rows[1][2] == "1"
    book = civic.client.get("/exports/figures.xlsx", params={"group_by": "org"}, headers=civic.as_("leader"))
    assert book.status_code == 200
    assert (
        civic.client.get(
            "/exports/figures.csv", params={"group_by": "x"}, headers=civic.as_("leader")
        ).status_code
        == 422
    )


@pytest.mark.parametrize("name", ["workers", "organisations", "categories", "users", "apikeys", "audit"])
def test_every_reference_list_exports_in_both_formats(civic: Civic, name: str) -> None:
    for fmt in ("csv", "xlsx"):
        answer = civic.client.get(f"/exports/{name}.{fmt}", headers=civic.as_("admin"))
        assert answer.status_code == 200, (name, fmt, answer.text[:200])
    rows = rows_of_csv(civic.client.get(f"/exports/{name}.csv", headers=civic.as_("admin")).content)
    assert len(rows) > 1 or name == "apikeys"


def test_roster_exports_mask_phones_and_accounts_are_for_administrators(civic: Civic) -> None:
    rows = rows_of_csv(civic.client.get("/exports/workers.csv", headers=civic.as_("supervisor")).content)
    assert all("****" in r[2] for r in rows[1:])
    for name in ("users", "apikeys", "audit"):
        assert civic.client.get(f"/exports/{name}.csv", headers=civic.as_("supervisor")).status_code == 403
    stranger = civic.client.get("/exports/cases.csv", follow_redirects=False)
    assert stranger.status_code == 303 and stranger.headers["location"].startswith("/login?next=")


def test_an_export_too_large_is_refused_with_a_clear_message(
    civic: Civic, monkeypatch: pytest.MonkeyPatch
) -> None:
    report(civic)
    report(civic)
    monkeypatch.setattr(exports, "MAX_ROWS", 1)
    answer = civic.client.get("/exports/cases.csv", headers=civic.as_("operator"))
    # Exports are links on pages: the refusal is a page in the reader's language.
    assert answer.status_code == 400 and "export_too_large" in answer.text and "缩小筛选范围" in answer.text


def test_the_supervisors_export_links_filter_by_warning_escalation_and_supervision(civic: Civic) -> None:
    number = report(civic)["number"]
    report(civic, description="路灯不亮")
    act(civic, "operator", number, "register")
    act(civic, "supervisor", number, "supervise", note="请尽快处理", respond_by="2026-11-03T09:00:00+08:00")
    for params, expected in (({"supervised": "true"}, [number]), ({"escalated": "true"}, [])):
        rows = rows_of_csv(
            civic.client.get("/exports/cases.csv", params=params, headers=civic.as_("operator")).content
        )
        assert [r[0] for r in rows[1:]] == expected, params
    assert (
        civic.client.get(
            "/exports/cases.csv", params={"warning": "blue"}, headers=civic.as_("operator")
        ).status_code
        == 422
    )
