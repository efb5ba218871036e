"""Issue 12: the roster export imports back as is, has a Chinese name and sized columns."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cities.imports import import_file, registry
from cities.models import Enterprise
from oversight.exports import header
from sme_pilot.xlsx import CONTENT_TYPE as XLSX
from sme_pilot.xlsx import display_width
from tests.assessments.factories import confirmed_level
from tests.cities.factories import DistrictFactory, EnterpriseFactory, SubIndustryFactory
from tests.conftest import drain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def roster(city, sub_industry):
    text = SubIndustryFactory(city=city, code="TEXT", name="纺织服装")
    made = [
        EnterpriseFactory(
            sub_industry=sub_industry,
            name="呼和浩特市赛罕区绿色特色食品精深加工集团股份有限公司",
            district=DistrictFactory(city=city, name="赛罕区"),
            quality_tier="little_giant",
        ),
        EnterpriseFactory(sub_industry=text, above_scale=False, district=None, size_class="micro"),
        EnterpriseFactory(sub_industry=text, name="=甲/乙公司", quality_tier="provincial_srdi"),
    ]
    confirmed_level(made[0], 2)
    return made


def export(client, user, code="HHHT"):
    client.force_login(user)
    response = client.get(reverse("oversight:roster_export", args=[code]))
    assert response.status_code == 200
    return response


def snapshot():
    return sorted(
        Enterprise.objects.values_list(
            "uscc",
            "name",
            "city_id",
            "sub_industry_id",
            "district_id",
            "above_scale",
            "quality_tier",
            "size_class",
        )
    )


def test_the_header_is_the_imports_then_its_read_only_columns():
    spec = registry.spec("enterprises")
    assert header() == (*(c.label for c in spec.columns), *spec.ignored)
    assert "当前等级（只读）" in spec.ignored


def test_an_exported_roster_imports_back_with_no_changes(client, city_official, roster):
    before = snapshot()
    content = drain(export(client, city_official))
    result = import_file(kind="enterprises", content=content, actor=city_official, dry_run=False)
    assert [str(e) for e in result.errors] == []
    assert (result.total_rows, result.created, result.updated) == (3, 0, 0)
    assert result.unchanged == 3
    assert snapshot() == before


def test_an_edited_export_imports_only_the_edits(client, city_official, roster):
    book = load_workbook(io.BytesIO(drain(export(client, city_official))))
    sheet = book.active
    titles = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == roster[1].uscc)
    row[titles.index("企业名称")].value = "青城改名科技有限公司"
    row[titles.index("是否规上")].value = "是"
    row[titles.index("当前等级（只读）")].value = "四级"  # read-only: not read
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_file(
        kind="enterprises", content=buffer.getvalue(), actor=city_official, dry_run=False
    )
    assert [str(e) for e in result.errors] == []
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    changed = Enterprise.objects.get(uscc=roster[1].uscc)
    assert (changed.name, changed.above_scale) == ("青城改名科技有限公司", True)


def test_the_export_has_a_chinese_name_and_columns_sized_to_their_content(
    client, city_official, roster
):
    response = export(client, city_official)
    name = f"呼和浩特市企业名录_{timezone.localdate().isoformat()}.xlsx"
    assert f"filename*=utf-8''{quote(name)}" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(drain(response))).active
    widths = {c.value: sheet.column_dimensions[c.column_letter].width for c in sheet[1] if c.value}
    # The long Chinese name counts two per character; a short column stays narrow.
    assert widths["企业名称"] == display_width(roster[0].name) + 2 == 54
    assert widths["是否规上"] == display_width("是否规上") + 2 == 10
    assert widths["统一社会信用代码"] == 20  # the 18-character code is wider than its header


def test_the_export_is_a_private_file_streamed_once_made(client, city_official, roster):
    response = export(client, city_official)
    assert response.streaming
    assert response["Content-Type"] == XLSX
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert int(response["Content-Length"]) == len(drain(response))


def test_display_width_counts_chinese_as_two():
    assert display_width("HHHT") == 4
    assert display_width("呼和浩特") == 8
    assert display_width("（只读）") == 8
