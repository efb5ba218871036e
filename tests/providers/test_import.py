"""The `providers` import kind (§4.6): all or nothing, upserts, status history, scope."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from cities.imports.service import import_file
from cities.models import ImportJob
from providers.models import LibraryEntry, LibraryStatusChange, Provider
from tests.cities.import_files import FORMATS, enterprise_file, kind_file
from tests.providers.factories import LibraryEntryFactory, ProviderFactory, provider_uscc

pytestmark = pytest.mark.django_db


def record(n: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "uscc": provider_uscc(500 + n),
        "name": f"导入数字科技有限公司{n}",
        "category": "综合集成服务商",
        "city_code": "HHHT",
        "status": "在库",
    }
    row.update(overrides)
    return row


def run(actor: Any, *records: dict[str, Any], dry_run: bool = False, fmt: str = "utf-8") -> Any:
    return import_file(
        kind="providers", content=kind_file("providers", records, fmt), actor=actor, dry_run=dry_run
    )


def errors(result: Any) -> list[str]:
    return [str(e) for e in result.errors]


def nothing_written() -> bool:
    return not (
        Provider.objects.exists()
        or LibraryEntry.objects.exists()
        or LibraryStatusChange.objects.exists()
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_good_file_creates_providers_entries_and_first_changes(city, city_official, fmt):
    result = run(city_official, record(1), record(2, category="chain_leader", status="warned"))
    assert result.written and not result.errors, errors(result)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    second = LibraryEntry.objects.get(provider__uscc=provider_uscc(502))
    assert second.city == city and second.status == "warned"
    assert second.provider.category == "chain_leader"
    change = second.changes.get()
    assert (change.from_status, change.to_status) == ("", "warned")
    assert change.reason == "批量导入" and change.changed_by == city_official


def test_the_same_file_twice_changes_nothing(city, city_official):
    run(city_official, record(1))
    again = run(city_official, record(1))
    assert again.written and (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert LibraryStatusChange.objects.count() == 1


def test_a_status_change_writes_one_change_with_the_importer(city, city_official):
    entry = LibraryEntryFactory(city=city, provider=ProviderFactory(uscc=provider_uscc(501)))
    result = run(city_official, record(1, status="暂停"))
    assert result.written and result.updated == 1
    entry.refresh_from_db()
    assert entry.status == "suspended"
    latest = entry.changes.order_by("-id").first()
    assert (latest.from_status, latest.to_status, latest.reason) == (
        "active",
        "suspended",
        "批量导入",
    )
    assert latest.changed_by == city_official
    # The provider's name and category follow the file (an upsert).
    assert Provider.objects.get().name == record(1)["name"]


def test_an_existing_provider_joins_another_citys_library(city, other_city, admin_user_):
    LibraryEntryFactory(city=city, provider=ProviderFactory(uscc=provider_uscc(501)))
    result = run(admin_user_, record(1, city_code="NB"))
    assert result.written and result.created == 1
    assert Provider.objects.count() == 1
    assert LibraryEntry.objects.filter(city=other_city).count() == 1


def test_a_dry_run_writes_nothing(city, city_official):
    result = run(city_official, record(1), dry_run=True)
    assert not result.written and result.created == 1
    assert nothing_written()
    # A plan never written leaves nothing behind for the next import of another kind.
    run(city_official, record(2))
    assert Provider.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"category": "咨询公司"}, "category", "无效的值“咨询公司”"),
        ({"status": "黑名单"}, "status", "无效的值“黑名单”"),
        ({"uscc": "91110108551385082X"}, "uscc", "校验位错误"),
        ({"city_code": "NOPE"}, "city_code", "试点城市“NOPE”不存在"),
        ({"name": ""}, "name", "不能为空"),
    ],
)
def test_bad_cells_name_row_and_column_and_write_nothing(
    city, admin_user_, overrides, column, message
):
    result = run(admin_user_, record(1), record(2, **overrides))
    assert not result.written
    [error] = result.errors
    assert (error.row, error.column) == (3, column)
    assert message in error.message
    assert nothing_written()


def test_a_city_official_cannot_import_another_citys_library(city, other_city, city_official):
    result = run(city_official, record(1), record(2, city_code="NB"))
    assert not result.written
    assert errors(result) == ["row 3, city_code: 不能导入其他城市的服务商库"]
    assert nothing_written()


def test_an_empty_city_is_the_officials_own(city, city_official):
    result = run(city_official, record(1, city_code=""))
    assert result.written
    assert LibraryEntry.objects.get().city == city


def test_duplicate_keys_are_an_error(city, city_official):
    result = run(city_official, record(1), record(1, status="警示"))
    assert not result.written
    assert errors(result) == ["row 3, uscc、city_code: 与第 2 行重复"]
    assert nothing_written()


def test_one_provider_named_differently_in_two_rows_is_an_error(city, other_city, admin_user_):
    result = run(admin_user_, record(1), record(1, city_code="NB", name="另一个名字"))
    assert not result.written
    assert errors(result) == ["row 3, name: 与第 2 行同一服务商的名称“导入数字科技有限公司1”不一致"]
    assert nothing_written()


def test_the_status_of_an_untouched_entry_keeps_its_date(city, city_official):
    entry = LibraryEntryFactory(city=city, provider=ProviderFactory(uscc=provider_uscc(501)))
    entry.provider.name = record(1)["name"]
    entry.provider.category = "integrator"
    entry.provider.save()
    before = entry.status_changed_at
    run(city_official, record(1))
    entry.refresh_from_db()
    assert entry.status_changed_at == before and entry.changes.count() == 1


def test_the_command_imports_providers(city, tmp_path, capsys):
    path = tmp_path / "服务商.csv"
    path.write_bytes(kind_file("providers", [record(1)]))
    call_command("import_data", "providers", str(path))
    change = LibraryStatusChange.objects.get()
    assert change.changed_by is None and change.reason == "批量导入"


def test_a_dry_run_leaves_nothing_for_another_kinds_import(city, sub_industry, city_official):
    run(city_official, record(1), dry_run=True)
    result = import_file(
        kind="enterprises",
        content=enterprise_file(1),
        actor=city_official,
        dry_run=False,
    )
    assert result.written, errors(result)
    assert nothing_written()


def test_a_city_official_sees_the_kind_and_its_template(client, city_official):
    client.force_login(city_official)
    response = client.get(reverse("cities:import_template", args=["providers"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:5] == [
        "统一社会信用代码",
        "服务商名称",
        "类别",
        "入库城市",
        "状态",
    ]


def test_the_import_pages_validate_then_confirm(client, city, city_official, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(city_official)
    content = kind_file("providers", [record(1, status="警示")], "xlsx")
    response = client.post(
        reverse("cities:import_list"),
        {"kind": "providers", "file": SimpleUploadedFile("服务商库.xlsx", content)},
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert nothing_written()  # validation writes nothing
    client.post(reverse("cities:import_confirm", args=[job.pk]))
    change = LibraryStatusChange.objects.get()
    assert (change.to_status, change.changed_by, change.reason) == (
        "warned",
        city_official,
        "批量导入",
    )
