"""我的服务商 (/providers/me/): the provider's own profile, libraries with the latest reasons,
contacts and products, through the same services as the library; another provider's products
and every other role are 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from providers import services
from providers.models import Product
from sme_pilot.errors import Invalid, NotFound
from tests.providers.factories import LibraryEntryFactory, ProductFactory

pytestmark = pytest.mark.django_db

ME = reverse("providers:my_provider")
ADD = reverse("providers:my_product_add")


def _edit(product: Product) -> str:
    return reverse("providers:my_product_edit", args=[product.pk])


def _delete(product: Product) -> str:
    return reverse("providers:my_product_delete", args=[product.pk])


def _product(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "name": "云MES",
        "scenes": ["S05", "S06"],
        "price_min": "30000",
        "price_max": "80000.50",
        "description": "轻量化生产管控",
    }
    values.update(overrides)
    return values


def test_the_provider_sees_its_profile_libraries_with_the_latest_reason_and_products(
    client, provider_user, provider, city, other_city, city_official, other_city_official
):
    LibraryEntryFactory(provider=provider, city=city)
    warned = LibraryEntryFactory(provider=provider, city=other_city)
    services.library_change_status(
        actor=other_city_official, entry_id=warned.pk, to_status="warned", reason="交付延期"
    )
    ProductFactory(provider=provider, name="云排产", scenes=["S05"])
    ProductFactory(name="别家的产品")  # another provider's
    client.force_login(provider_user)
    page = client.get(ME).content.decode()
    assert provider.name in page and provider.uscc in page and "综合集成服务商" in page
    assert 'id="nav-my-provider">我的服务商' in page
    assert city.name in page and other_city.name in page
    assert 'class="badge warn">警示' in page and "交付延期" in page
    # Every change, with its reason, in the status history.
    history = page.split('id="provider-status-changes"')[1].split("</section>")[0]
    assert "在库 → 警示" in history and "交付延期" in history and history.count("<tr>") == 4
    assert "云排产" in page and "S05 计划排程" in page and "别家的产品" not in page
    # A city official has no such page.
    client.force_login(city_official)
    assert client.get(ME).status_code == 404


def test_the_provider_edits_its_contacts_but_not_its_name(client, provider_user, provider):
    client.force_login(provider_user)
    response = client.post(
        ME,
        {
            "contact_name": " 王工 ",
            "contact_phone": "0471-1234567",
            "contact_email": "wang@example.com",
            "name": "改名公司",
        },
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.contact_name, provider.contact_phone) == ("王工", "0471-1234567")
    assert provider.name == "示例数字科技有限公司"
    bad = client.post(ME, {"contact_phone": "call me", "contact_email": "not-mail"})
    body = bad.content.decode()
    assert bad.status_code == 200 and "合法的邮件地址" in body
    bad = client.post(ME, {"contact_phone": "call me"})
    assert bad.status_code == 200 and "请填写有效的电话号码" in bad.content.decode()
    provider.refresh_from_db()
    assert provider.contact_phone == "0471-1234567"


def test_the_contacts_service_refuses_library_fields_and_other_roles(
    provider_user, provider, city_official
):
    with pytest.raises(Invalid, match="以城市服务商库为准"):
        services.provider_update_contacts(actor=provider_user, changes={"name": "改名公司"})
    with pytest.raises(Invalid, match="联系邮箱："):
        services.provider_update_contacts(actor=provider_user, changes={"contact_email": "x@"})
    with pytest.raises(NotFound):
        services.provider_update_contacts(actor=city_official, changes={"contact_name": "张三"})
    provider.refresh_from_db()
    assert (provider.name, provider.contact_email, provider.contact_name) == (
        "示例数字科技有限公司",
        "",
        "",
    )


def test_the_provider_adds_edits_and_deletes_its_products(client, provider_user, provider):
    client.force_login(provider_user)
    assert 'id="scene-choices"' in client.get(ADD).content.decode()
    response = client.post(ADD, _product())
    assert response.status_code == 302, response.content.decode()
    product = Product.objects.get(provider=provider)
    assert product.scenes == ["S05", "S06"] and product.price_max == Decimal("80000.50")
    edit_page = client.get(_edit(product)).content.decode()
    assert 'value="云MES"' in edit_page and edit_page.count("checked") == 2
    response = client.post(_edit(product), _product(name="云MES 专业版", scenes=["S07"]))
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.scenes) == ("云MES 专业版", ["S07"])
    confirm = client.get(_delete(product))
    assert confirm.status_code == 200 and "确认删除" in confirm.content.decode()
    assert Product.objects.filter(pk=product.pk).exists()
    assert client.post(_delete(product)).status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"price_min": "9", "price_max": "8"}, "最高价格不能低于最低价格"),
        ({"price_min": "-1"}, "大于或等于0"),
        ({"price_max": "1000000000000"}, "不超过 12 位"),
        ({"price_min": "1.005"}, "小数不超过 2 位"),
        ({"price_min": "abc"}, "输入一个数字"),
        ({"scenes": []}, "请至少选择一个场景"),
        ({"scenes": ["S17"]}, "S17 不在可用的选项中"),
        ({"name": ""}, "该字段是必填项"),
        ({"description": "长" * 2001}, "不超过 2000 字符"),
    ],
)
def test_bad_products_are_shown_on_the_form(client, provider_user, overrides, message):
    client.force_login(provider_user)
    response = client.post(ADD, _product(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Product.objects.exists()


def test_a_duplicate_name_is_an_error_on_the_form(client, provider_user, provider):
    ProductFactory(provider=provider, name="云MES")
    client.force_login(provider_user)
    response = client.post(ADD, _product())
    assert response.status_code == 200 and "已有名为“云MES”的产品" in response.content.decode()


@pytest.mark.parametrize(
    ("price_min", "message"),
    [
        (Decimal("NaN"), "请填写金额"),
        (Decimal("Infinity"), "请填写金额"),
        (Decimal("-0.01"), "不能为负数"),
        (Decimal("1E+30"), "不能超过"),
        (Decimal("0.001"), "最多保留两位小数"),
    ],
)
def test_the_product_service_refuses_bad_prices(provider_user, provider, price_min, message):
    data = services.ProductData(
        name="云MES", scenes=["S05"], price_min=price_min, price_max=Decimal(100)
    )
    with pytest.raises(Invalid, match=message):
        services.product_add(actor=provider_user, provider_id=provider.pk, data=data)
    assert not Product.objects.exists()


def test_another_providers_products_are_not_found(client, provider_user, provider, city):
    others = ProductFactory(provider=LibraryEntryFactory(city=city).provider)
    client.force_login(provider_user)
    for url in (_edit(others), _delete(others)):
        assert client.get(url).status_code == 404
        assert client.post(url, _product()).status_code == 404
    data = services.ProductData(
        name="x", scenes=["S05"], price_min=Decimal(1), price_max=Decimal(2)
    )
    with pytest.raises(NotFound):
        services.product_add(actor=provider_user, provider_id=others.provider_id, data=data)
    with pytest.raises(NotFound):
        services.product_edit(actor=provider_user, product_id=others.pk, data=data)
    with pytest.raises(NotFound):
        services.product_delete(actor=provider_user, product_id=others.pk)
    others.refresh_from_db()
    assert others.name.startswith("云MES系统")


@pytest.mark.parametrize("products", [1, 20])
def test_my_provider_page_queries_do_not_grow_with_products_or_cities(
    client, provider_user, provider, django_assert_max_num_queries, products
):
    from tests.cities.factories import CityFactory

    for n in range(products):
        ProductFactory(provider=provider, name=f"产品{n:02d}")
    for _ in range(1 if products == 1 else 5):
        entry = LibraryEntryFactory(provider=provider, city=CityFactory())
        entry.changes.update(changed_at=timezone.now())
    client.force_login(provider_user)
    # 10: the page's 8 (its status changes included) plus the navigation's 待办 and unread counts
    with django_assert_max_num_queries(10):
        response = client.get(ME)
    assert response.status_code == 200
    assert response.content.decode().count('<tr id="product-') == products
