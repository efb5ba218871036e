"""Issue 12: downloadable XLSX templates per import kind, and the Chinese column guide."""

import io
from urllib.parse import quote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cities.imports import import_file, registry
from cities.imports.results import EXAMPLE_MARK
from cities.imports.template_files import OPTIONS_SHEET, template_xlsx
from cities.models import Enterprise, ImportJob, PilotCity, SubIndustry

pytestmark = pytest.mark.django_db


def workbook(content):
    return load_workbook(io.BytesIO(content))


def rows(sheet):
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def columns(sheet):
    """Each column's header and its non-empty values."""
    return {col[0].value: [c.value for c in col[1:] if c.value] for col in sheet.iter_cols()}


def save(book):
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template(client, kind):
    return client.get(reverse("cities:import_template", args=[kind]))


@pytest.mark.parametrize("kind", ["cities", "sub_industries", "enterprises", "levels"])
def test_every_kind_has_chinese_headers_an_example_and_the_allowed_values(kind):
    spec = registry.spec(kind)
    book = workbook(template_xlsx(spec))
    data, options = book.worksheets
    assert options.title == OPTIONS_SHEET == "可选值"
    header, example = rows(data)
    assert header == [column.label for column in spec.columns] + [None]
    assert example == [column.example for column in spec.columns] + [EXAMPLE_MARK]
    assert all(example[:-2])  # only an optional last column may lack an example
    listed = columns(options)
    expected = {c.label: list(c.options) for c in spec.columns if c.options}
    assert listed == (expected or {"本类型没有枚举列": []})


def test_enumerated_columns_list_their_chinese_labels():
    book = workbook(template_xlsx(registry.spec("enterprises")))
    listed = columns(book[OPTIONS_SHEET])
    assert listed == {
        "是否规上": ["是", "否"],
        "优质企业梯度": ["无", "创新型中小企业", "省级专精特新", "国家级专精特新小巨人"],
        "企业规模": ["中型", "小型", "微型"],
    }


def test_the_officials_template_imports_the_rows_filled_below_the_example(
    client, city_official, sub_industry
):
    client.force_login(city_official)
    response = template(client, "enterprises")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert quote("企业名录导入模板.xlsx") in response["Content-Disposition"]
    book = workbook(response.content)
    data = book.worksheets[0]
    header, example = rows(data)
    assert header[:4] == ["统一社会信用代码", "企业名称", "城市代码", "细分行业代码"]
    # The example row fits the official: their city and one of its sub-industries; it is
    # marked as the example in the cell after its last column.
    assert (example[2], example[3], example[-1]) == ("HHHT", "FOOD", EXAMPLE_MARK)
    data.append(
        ["91350100M000100Y43", "呼市某某科技有限公司", "", "特色食品", "赛罕区", "否", "无", "微型"]
    )
    result = import_file(kind="enterprises", content=save(book), actor=city_official, dry_run=False)
    assert [str(e) for e in result.errors] == []
    assert (result.total_rows, result.created, result.skipped_examples) == (1, 1, (2,))
    enterprise = Enterprise.objects.get()
    assert (enterprise.uscc, enterprise.city, enterprise.sub_industry) == (
        "91350100M000100Y43",
        sub_industry.city,
        sub_industry,
    )
    assert (enterprise.above_scale, enterprise.quality_tier, enterprise.size_class) == (
        False,
        "none",
        "micro",
    )


def test_the_example_row_overwritten_with_the_mark_cleared_is_imported(
    client, city_official, sub_industry
):
    client.force_login(city_official)
    book = workbook(template(client, "sub_industries").content)
    data = book.worksheets[0]
    for index, value in enumerate([None, "TEXT", "纺织服装", None], start=1):
        data.cell(row=2, column=index).value = value  # the city left empty: the official's
    result = import_file(
        kind="sub_industries", content=save(book), actor=city_official, dry_run=False
    )
    assert [str(e) for e in result.errors] == []
    assert (result.created, result.skipped_examples) == (1, ())
    assert SubIndustry.objects.filter(code="TEXT", city=sub_industry.city).exists()


@pytest.mark.parametrize("kind", ["cities", "sub_industries", "enterprises", "levels"])
def test_every_template_as_downloaded_imports_with_nothing_written(
    client, city_official, admin_user_, sub_industry, kind
):
    """The example row is skipped and reported, never imported as a sample record."""
    user = admin_user_ if kind == "cities" else city_official
    client.force_login(user)
    content = template(client, kind).content
    before = (PilotCity.objects.count(), SubIndustry.objects.count(), Enterprise.objects.count())
    result = import_file(kind=kind, content=content, actor=user, dry_run=False)
    assert [str(e) for e in result.errors] == []
    assert (result.total_rows, result.created, result.updated) == (0, 0, 0)
    assert result.skipped_examples == (2,)
    assert result.skipped_note == "已跳过示例行（第 2 行）"
    after = (PilotCity.objects.count(), SubIndustry.objects.count(), Enterprise.objects.count())
    assert after == before


def test_the_import_page_says_the_example_row_was_skipped(client, city_official, sub_industry):
    client.force_login(city_official)
    content = template(client, "sub_industries").content
    upload = io.BytesIO(content)
    upload.name = "细分行业导入模板.xlsx"
    response = client.post(
        reverse("cities:import_list"), {"kind": "sub_industries", "file": upload}, follow=True
    )
    assert response.status_code == 200
    job = ImportJob.objects.get()
    assert "已跳过示例行（第 2 行）" in job.progress_message
    assert 'id="import-skipped"' in response.content.decode()
    assert "已跳过示例行（第 2 行）" in response.content.decode()


def test_out_of_scope_and_unknown_kinds_are_404(client, city_official, admin_user_):
    client.force_login(city_official)
    assert template(client, "cities").status_code == 404
    assert template(client, "nope").status_code == 404
    client.force_login(admin_user_)
    assert template(client, "cities").status_code == 200


def test_upload_page_has_the_chinese_column_guide_and_template_links(client, city_official):
    client.force_login(city_official)
    page = client.get(reverse("cities:import_list")).content.decode()
    assert reverse("cities:import_template", args=["enterprises"]) in page
    assert reverse("cities:import_template", args=["cities"]) not in page
    guide = page[page.index('id="import-guide"') :]
    for text in ("列名", "含义", "是否必填", "示例", "可选值"):
        assert f"<th>{text}</th>" in guide
    row = '<td class="nowrap">统一社会信用代码</td><td>18 位统一社会信用代码</td><td>必填</td>'
    assert row in guide
    assert "必填（城市官员可留空，表示本市）" in guide
    assert "无、创新型中小企业、省级专精特新、国家级专精特新小巨人" in guide
