"""A city official imports an XLSX roster in a real browser: an error first, then success."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from accounts.models import Role
from cities.models import Enterprise
from tests.cities.factories import SubIndustryFactory, UserFactory, make_uscc
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HEADER = [
    "统一社会信用代码",
    "企业名称",
    "城市代码",
    "细分行业代码",
    "区县",
    "是否规上",
    "优质企业梯度",
    "企业规模",
]


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_city_official_fixes_a_bad_row_and_sees_the_roster(live_server, page, city, tmp_path):
    SubIndustryFactory(city=city, code="FOOD", name="特色食品")
    SubIndustryFactory(city=city, code="TEXT", name="纺织服装")
    UserFactory(username="hhht_official", role=Role.CITY_OFFICIAL, city=city)
    good = [
        [
            make_uscc(9000 + i),
            f"青城示范企业{i}号有限公司",
            "HHHT",
            "FOOD" if i % 2 else "TEXT",
            "赛罕区",
            "是" if i % 3 else "否",
            "省级专精特新" if i == 4 else "无",
            "小型",
        ]
        for i in range(1, 8)
    ]
    bad = [row[:] for row in good]
    bad[3][0] = bad[3][0][:17] + ("A" if bad[3][0][17] != "A" else "B")  # wrong check character
    bad_file = tmp_path / "名录-有误.xlsx"
    bad_file.write_bytes(_xlsx(bad))
    good_file = tmp_path / "名录.xlsx"
    good_file.write_bytes(_xlsx(good))

    login(page, live_server, "hhht_official", "Sme-pilot-2026!")
    page.goto(f"{live_server.url}/imports/")
    page.select_option("select[name=kind]", "enterprises")
    page.set_input_files("input[name=file]", str(bad_file))
    page.get_by_role("button", name="上传并校验").click()

    errors = page.locator("#import-errors")
    errors.wait_for()
    text = errors.inner_text()
    assert "5" in text  # the spreadsheet row: header is row 1, the fourth data row is row 5
    assert "校验位错误" in text
    assert Enterprise.objects.count() == 0
    assert page.get_by_role("button", name="确认导入").count() == 0

    page.goto(f"{live_server.url}/imports/")
    page.select_option("select[name=kind]", "enterprises")
    page.set_input_files("input[name=file]", str(good_file))
    page.get_by_role("button", name="上传并校验").click()
    page.locator("#import-counts").wait_for()
    assert "7" in page.locator("#import-counts").inner_text()
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_load_state("domcontentloaded")

    page.goto(f"{live_server.url}/cities/HHHT/enterprises/")
    table = page.locator("#roster-table")
    for row in good:
        assert row[1] in table.inner_text()
    assert page.locator("#roster-count").inner_text() == "共 7 家企业"
    assert Enterprise.objects.filter(city=city).count() == 7
