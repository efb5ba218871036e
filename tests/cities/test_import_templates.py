"""Issue 12: downloadable XLSX templates per import kind, and the Chinese column guide."""

import io
from urllib.parse import quote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cities.imports import import_file, registry
from cities.imports.template_files import OPTIONS_SHEET, template_xlsx
from cities.models import Enterprise, SubIndustry

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
    assert header == [column.label for column in spec.columns]
    assert example == [column.example for column in spec.columns]
    assert all(example[:-1])  # only an optional last column may lack an example
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


def test_the_officials_template_imports_back_after_filling_the_example_row(
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
    # The example row fits the official: their city and one of its sub-industries.
    assert (example[2], example[3]) == ("HHHT", "FOOD")
    for index, value in enumerate(
        [
            "91350100M000100Y43",
            "呼市某某科技有限公司",
            "",
            "特色食品",
            "赛罕区",
            "否",
            "无",
            "微型",
        ],
        start=1,
    ):
        data.cell(row=2, column=index, value=value)
    result = import_file(kind="enterprises", content=save(book), actor=city_official, dry_run=False)
    assert [str(e) for e in result.errors] == []
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


def test_the_sub_industries_template_as_downloaded_imports(client, city_official, city):
    client.force_login(city_official)
    content = template(client, "sub_industries").content
    result = import_file(kind="sub_industries", content=content, actor=city_official, dry_run=False)
    assert [str(e) for e in result.errors] == []
    assert SubIndustry.objects.get().city == city


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
