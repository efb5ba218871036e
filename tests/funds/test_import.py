"""The `funds` import kind (docs/rules.md §4.6): booked once, all or nothing, the cap and the
other-uses limit applied across the file in date order."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from cities.imports import import_file
from funds import services
from funds.models import LedgerEntry
from funds.selectors import city_funds
from tests.cities.import_files import FORMATS, kind_file

from .funds_world import d

pytestmark = pytest.mark.django_db


def run(content: bytes, *, actor=None, dry_run=False):
    return import_file(kind="funds", content=content, actor=actor, dry_run=dry_run)


def messages(result) -> list[tuple[int | None, str, str]]:
    return [(e.row, e.column, e.message) for e in result.errors]


def row(reference: str, **overrides):
    values = {
        "city_code": "HHHT",
        "entry_on": "2025-03-01",
        "kind": "receipt",
        "source": "central",
        "category": "",
        "amount": "1000000",
        "reference": reference,
    }
    return {**values, **overrides}


GOOD = [
    row("Z-1"),
    row("L-1", kind="收入", source="地方", amount="500000.50"),
    row("Z-2", kind="expense", category="platform", amount="200000", entry_on="2025-03-02"),
    row("Z-3", kind="支出", category="数字化改造", amount="700000", entry_on="2025-03-03"),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_good_file_is_booked_and_a_second_import_changes_nothing(city, fmt):
    result = run(kind_file("funds", GOOD, fmt))
    assert result.ok and result.written, messages(result)
    assert result.created == 4
    funds = city_funds(city=city, as_of=d("2025-03-31"))
    assert funds["central"]["received"] == "1000000.00"
    assert funds["central"]["platform"] == "200000.00"
    assert funds["central"]["transformation"] == "700000.00"
    assert funds["local"]["received"] == "500000.50"
    again = run(kind_file("funds", GOOD, fmt))
    assert again.ok and again.created == 0 and again.unchanged == 4
    assert LedgerEntry.objects.count() == 4


def test_chinese_headers_and_a_dry_run(city):
    result = run(kind_file("funds", GOOD, chinese=True), dry_run=True)
    assert result.ok and result.created == 4 and not result.written
    assert not LedgerEntry.objects.exists()


def test_a_booked_reference_with_other_content_is_an_error(city):
    assert run(kind_file("funds", GOOD)).ok
    changed = [*GOOD[:1], row("L-1", kind="receipt", source="local", amount="500000.51")]
    result = run(kind_file("funds", changed))
    assert not result.written
    ((number, column, message),) = messages(result)
    assert (number, column) == (3, "reference")
    assert "已入账" in message and "冲正" in message


def test_every_bad_row_is_reported_and_nothing_is_written(city, other_city):
    bad = [
        row("A", amount="-5"),
        row("B", amount="abc"),
        row("C", amount="1.234"),
        row("D", category="platform"),  # receipt with category
        row("E", kind="expense"),  # expense without category
        row("F", kind="loan"),
        row("G", entry_on="2025-02-30"),
        row("H", city_code="NOPE"),
        row("I"),
        row("I"),  # duplicate key in the file
        row("J", amount="0"),
        row("K", entry_on="2999-01-01"),
    ]
    result = run(kind_file("funds", [*GOOD, *bad]))
    assert not result.written
    found = {(n, c) for n, c, _ in messages(result)}
    assert found == {
        (6, "amount"),
        (7, "amount"),
        (8, "amount"),
        (9, "category"),
        (10, "category"),
        (11, "kind"),
        (12, "entry_on"),
        (13, "city_code"),
        (15, "city_code、reference"),
        (16, "amount"),
        (17, "entry_on"),
    }
    assert not LedgerEntry.objects.exists()


def test_the_cap_applies_across_the_file_and_the_booked_entries(city, city_official):
    services.book_receipt(
        actor=city_official,
        city=city,
        entry_on=d("2025-01-01"),
        source="central",
        amount=Decimal("60000000.00"),
        reference="OLD",
    )
    rows = [
        row("Z-1", amount="30000000"),
        row("Z-2", amount="10000000.01", entry_on="2025-04-01"),
    ]
    result = run(kind_file("funds", rows))
    ((number, column, message),) = messages(result)
    assert (number, column) == (3, "amount") and "奖补上限" in message
    assert LedgerEntry.objects.count() == 1


def test_the_other_uses_limit_applies_in_date_order(city):
    rows = [
        # Listed first but dated after the receipt: fine in date order.
        row("Z-2", kind="expense", category="chain", amount="200000", entry_on="2025-03-05"),
        row("Z-1", amount="1000000"),
        # Dated before the receipt: breaks the limit on that day.
        row("Z-3", kind="expense", category="platform", amount="1", entry_on="2025-02-01"),
        row("Z-4", kind="expense", category="platform", amount="0.01", entry_on="2025-03-06"),
    ]
    result = run(kind_file("funds", rows))
    found = messages(result)
    assert [(n, c) for n, c, _ in found] == [(4, "amount"), (5, "amount")]
    assert "2025-02-01" in found[0][2]
    assert "上限" in found[1][2] and "20%" in found[1][2]
    assert not LedgerEntry.objects.exists()


def test_a_city_official_imports_only_their_city(city, other_city, city_official):
    rows = [row("Z-1", city_code=""), row("Z-2", city_code="NB")]
    result = run(kind_file("funds", rows), actor=city_official)
    assert [(n, c) for n, c, _ in messages(result)] == [(3, "city_code")]
    assert run(kind_file("funds", rows[:1]), actor=city_official).ok
    assert LedgerEntry.objects.get().created_by == city_official


def test_the_command_door(city, tmp_path):
    path = tmp_path / "funds.csv"
    path.write_bytes(kind_file("funds", GOOD))
    call_command("import_data", "funds", str(path), stdout=io.StringIO())
    assert LedgerEntry.objects.count() == 4
    path.write_bytes(kind_file("funds", [row("X", amount="-1")]))
    with pytest.raises(CommandError):
        call_command("import_data", "funds", str(path), stdout=io.StringIO())


def test_the_api_door(city, city_official, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    api = APIClient()
    api.force_authenticate(city_official)
    upload = SimpleUploadedFile("资金.csv", kind_file("funds", GOOD))
    response = api.post("/api/v1/imports/", {"kind": "funds", "file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert (response.json()["state"], response.json()["created"]) == ("done", 4)
    bad = SimpleUploadedFile("资金.csv", kind_file("funds", [row("X", category="chain")]))
    response = api.post("/api/v1/imports/", {"kind": "funds", "file": bad}, format="multipart")
    assert response.status_code == 400
    assert "收入不填支出类别" in str(response.json())
    assert LedgerEntry.objects.count() == 4
