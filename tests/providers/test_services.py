"""Library services: adding providers, status changes with reasons and history, products."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from providers import selectors, services
from providers.models import LibraryEntry, LibraryStatusChange, Product, Provider
from sme_pilot.errors import Conflict, Forbidden, Invalid, NotFound
from tests.providers.factories import (
    LibraryEntryFactory,
    ProductFactory,
    ProviderFactory,
    provider_uscc,
)

pytestmark = pytest.mark.django_db

NEW = services.NewProvider(name="新数字科技有限公司", category="product", contact_name="王工")


def test_adding_a_new_provider_creates_it_and_its_first_change(city, city_official):
    entry = services.library_add(
        actor=city_official, city=city, uscc=provider_uscc(1), new=NEW, reason="2026 年第一批"
    )
    assert entry.status == "active" and entry.provider.name == "新数字科技有限公司"
    change = entry.changes.get()
    assert (change.from_status, change.to_status) == ("", "active")
    assert (change.reason, change.changed_by) == ("2026 年第一批", city_official)


def test_an_existing_provider_is_added_by_uscc_alone(city, city_official, other_city):
    provider = ProviderFactory()
    LibraryEntryFactory(provider=provider, city=other_city)
    entry = services.library_add(actor=city_official, city=city, uscc=provider.uscc.lower())
    assert entry.provider == provider and Provider.objects.count() == 1


def test_a_provider_already_in_the_library_is_a_conflict(city, city_official):
    entry = LibraryEntryFactory(city=city)
    with pytest.raises(Conflict, match="已在本市服务商库中"):
        services.library_add(actor=city_official, city=city, uscc=entry.provider.uscc)


@pytest.mark.parametrize(
    ("uscc", "new", "message"),
    [
        ("91110108551385082X", NEW, "校验位错误"),
        (provider_uscc(2), None, "请填写服务商名称和类别"),
        (provider_uscc(2), services.NewProvider(name="某公司", category="x"), "请选择服务商类别"),
    ],
)
def test_adding_refuses_bad_input_and_writes_nothing(city, city_official, uscc, new, message):
    with pytest.raises(Invalid, match=message):
        services.library_add(actor=city_official, city=city, uscc=uscc, new=new)
    assert not Provider.objects.exists() and not LibraryEntry.objects.exists()


def test_only_city_officials_manage_the_library(city, assessor, ministry_user, admin_user_):
    for actor in (assessor, ministry_user, admin_user_):
        with pytest.raises(Forbidden):
            services.library_add(actor=actor, city=city, uscc=provider_uscc(3), new=NEW)


def test_a_status_change_records_who_when_and_why(city, city_official):
    entry = LibraryEntryFactory(city=city)
    services.library_change_status(
        actor=city_official, entry_id=entry.pk, to_status="warned", reason="  交付延期两次  "
    )
    entry.refresh_from_db()
    assert entry.status == "warned"
    latest = entry.changes.order_by("-id").first()
    assert (latest.from_status, latest.to_status) == ("active", "warned")
    assert (latest.reason, latest.changed_by) == ("交付延期两次", city_official)
    assert latest.changed_at == entry.status_changed_at


def test_a_change_to_the_same_status_is_refused(city, city_official):
    entry = LibraryEntryFactory(city=city)
    with pytest.raises(Conflict, match="当前状态已是“在库”"):
        services.library_change_status(
            actor=city_official, entry_id=entry.pk, to_status="active", reason="复核"
        )
    assert entry.changes.count() == 1


@pytest.mark.parametrize(
    ("reason", "message"), [("", "请填写"), ("   ", "请填写"), ("长" * 501, "500")]
)
def test_the_reason_is_required_and_bounded(city, city_official, reason, message):
    entry = LibraryEntryFactory(city=city)
    with pytest.raises(Invalid, match=message):
        services.library_change_status(
            actor=city_official, entry_id=entry.pk, to_status="removed", reason=reason
        )
    entry.refresh_from_db()
    assert entry.status == "active" and entry.changes.count() == 1


def test_a_reason_of_500_characters_is_accepted(city, city_official):
    entry = LibraryEntryFactory(city=city)
    services.library_change_status(
        actor=city_official, entry_id=entry.pk, to_status="removed", reason="长" * 500
    )
    assert entry.changes.count() == 2


def test_another_citys_entry_is_not_found_and_others_may_not_change(
    city, other_city, city_official, other_city_official, assessor, enterprise_user
):
    entry = LibraryEntryFactory(city=city)
    with pytest.raises(NotFound):
        services.library_change_status(
            actor=other_city_official, entry_id=entry.pk, to_status="warned", reason="x"
        )
    for actor in (assessor, enterprise_user):
        with pytest.raises(Forbidden):
            services.library_change_status(
                actor=actor, entry_id=entry.pk, to_status="warned", reason="x"
            )
    assert entry.changes.count() == 1


def test_constraints_hold_in_the_database(city):
    entry = LibraryEntryFactory(city=city)
    with pytest.raises(IntegrityError), transaction.atomic():
        LibraryEntry.objects.create(
            provider=entry.provider, city=city, status_changed_at=entry.status_changed_at
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LibraryStatusChange.objects.create(
            entry=entry,
            from_status="active",
            to_status="active",
            reason="x",
            changed_at=entry.created_at,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LibraryStatusChange.objects.create(
            entry=entry, from_status="", to_status="warned", reason="", changed_at=entry.created_at
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(price_min=Decimal("10.00"), price_max=Decimal("9.99"))


def data(**overrides: object) -> services.ProductData:
    values: dict[str, object] = {
        "name": "云MES",
        "scenes": ["S06", "S05"],
        "price_min": Decimal("30000"),
        "price_max": Decimal("80000.5"),
        "description": "轻量化生产管控",
    }
    values.update(overrides)
    return services.ProductData(**values)  # type: ignore[arg-type]


def test_products_are_added_edited_and_deleted(city, city_official):
    entry = LibraryEntryFactory(city=city)
    product = services.product_add(actor=city_official, provider_id=entry.provider.pk, data=data())
    assert product.scenes == ["S05", "S06"] and product.price_max == Decimal("80000.50")
    services.product_edit(
        actor=city_official, product_id=product.pk, data=data(name="云MES 专业版", scenes=["S07"])
    )
    product.refresh_from_db()
    assert (product.name, product.scenes) == ("云MES 专业版", ["S07"])
    services.product_delete(actor=city_official, product_id=product.pk)
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scenes": ["S17"]}, "未知的场景代码 S17"),
        ({"scenes": []}, "请至少选择一个场景"),
        ({"price_min": Decimal("9"), "price_max": Decimal("8")}, "最低价格不能高于最高价格"),
        ({"price_min": Decimal("-1")}, "最低价格（元）："),
    ],
)
def test_bad_products_are_refused(city, city_official, overrides, message):
    entry = LibraryEntryFactory(city=city)
    with pytest.raises(Invalid, match=message):
        services.product_add(
            actor=city_official, provider_id=entry.provider.pk, data=data(**overrides)
        )
    assert not Product.objects.exists()


def test_another_citys_provider_products_are_not_found(city, other_city_official):
    entry = LibraryEntryFactory(city=city)
    with pytest.raises(NotFound):
        services.product_add(actor=other_city_official, provider_id=entry.provider.pk, data=data())


def test_scene_names_come_from_the_2024_indicator(db):
    names = selectors.scene_names()
    assert len(names) == 16 and names["S01"] == "产品设计" and names["S16"] == "决策支持"


def test_a_bad_contact_email_names_the_field(city, city_official):
    bad = services.NewProvider(name="某数字科技公司", category="product", contact_email="not-mail")
    with pytest.raises(Invalid, match="联系邮箱："):
        services.library_add(actor=city_official, city=city, uscc=provider_uscc(9), new=bad)
    assert not Provider.objects.exists()
