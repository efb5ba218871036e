"""The provider's own API: /api/v1/providers/me/ (profile, contacts) and its products, through
the same services as the pages; another provider's product and every other role are 404."""

from __future__ import annotations

import pytest

from providers.models import Product
from tests.providers.factories import LibraryEntryFactory, ProductFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/providers/me/"
PRODUCTS = "/api/v1/providers/me/products/"
JSON = "application/json"


def test_the_profile_carries_the_libraries_with_the_latest_reason(
    client, provider_user, provider, city, city_official
):
    entry = LibraryEntryFactory(provider=provider, city=city)
    client.force_login(city_official)
    assert client.get(ME).status_code == 404
    client.post(
        f"/api/v1/providers/{entry.pk}/status/",
        {"status": "suspended", "reason": "合同纠纷"},
        content_type=JSON,
    )
    client.force_login(provider_user)
    body = client.get(ME).json()
    assert body["provider"]["uscc"] == provider.uscc
    [library] = body["libraries"]
    assert (library["city"], library["status"], library["reason"]) == (
        "HHHT",
        "suspended",
        "合同纠纷",
    )


def test_contacts_are_patched_and_library_fields_refused(client, provider_user, provider):
    client.force_login(provider_user)
    response = client.patch(ME, {"contact_name": "王工"}, content_type=JSON)
    assert response.status_code == 200 and response.json()["provider"]["contact_name"] == "王工"
    refused = client.patch(ME, {"name": "改名公司", "contact_name": "李工"}, content_type=JSON)
    assert refused.status_code == 400 and "以城市服务商库为准" in refused.json()["name"][0]
    phone = client.patch(ME, {"contact_phone": "abc"}, content_type=JSON)
    assert phone.status_code == 400 and "联系电话" in phone.json()["detail"]
    provider.refresh_from_db()
    assert (provider.name, provider.contact_name, provider.contact_phone) == (
        "示例数字科技有限公司",
        "王工",
        "",
    )


def test_products_are_listed_created_patched_and_deleted(client, provider_user, provider):
    ProductFactory(name="别家的产品")
    client.force_login(provider_user)
    created = client.post(
        PRODUCTS,
        {"name": "云MES", "scenes": ["S06", "S05"], "price_min": "100", "price_max": "200.5"},
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["scenes"] == [
        {"code": "S05", "name": "计划排程"},
        {"code": "S06", "name": "生产管控"},
    ]
    assert body["price_max"] == "200.50"
    url = f"{PRODUCTS}{body['id']}/"
    assert [p["name"] for p in client.get(PRODUCTS).json()["results"]] == ["云MES"]
    patched = client.patch(url, {"price_min": "150"}, content_type=JSON)
    assert patched.status_code == 200 and patched.json()["price_min"] == "150.00"
    # Checked against the stored maximum too.
    over = client.patch(url, {"price_min": "300"}, content_type=JSON)
    assert over.status_code == 400 and "最低价格不能高于最高价格" in over.json()["detail"]
    assert client.delete(url).status_code == 204
    assert not Product.objects.filter(provider=provider).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"price_min": "9", "price_max": "8"}, "price_max"),
        ({"price_min": "-1"}, "price_min"),
        ({"price_max": "1e30"}, "price_max"),
        ({"price_min": "NaN"}, "price_min"),
        ({"scenes": []}, "scenes"),
        ({"scenes": "S05"}, "scenes"),
        ({"provider": 1}, "provider"),
    ],
)
def test_bad_products_are_400_naming_the_field(client, provider_user, payload, field):
    client.force_login(provider_user)
    data = {"name": "云MES", "scenes": ["S05"], "price_min": "1", "price_max": "2", **payload}
    response = client.post(PRODUCTS, data, content_type=JSON)
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Product.objects.exists()


def test_unknown_scenes_and_duplicate_names_are_refused(client, provider_user, provider):
    ProductFactory(provider=provider, name="云MES")
    client.force_login(provider_user)
    data = {"name": "云MES", "scenes": ["S05"], "price_min": "1", "price_max": "2"}
    assert client.post(PRODUCTS, data, content_type=JSON).status_code == 409
    unknown = client.post(PRODUCTS, {**data, "name": "新品", "scenes": ["S99"]}, content_type=JSON)
    assert unknown.status_code == 400 and "S99" in unknown.json()["detail"]


def test_another_providers_product_and_other_roles_are_404(
    client, provider_user, city, city_official
):
    others = ProductFactory(provider=LibraryEntryFactory(city=city).provider)
    url = f"{PRODUCTS}{others.pk}/"
    client.force_login(provider_user)
    assert client.get(url).status_code == 404
    assert client.patch(url, {"name": "x"}, content_type=JSON).status_code == 404
    assert client.delete(url).status_code == 404
    assert client.get(f"{PRODUCTS}abc/").status_code == 404
    client.force_login(city_official)  # manages the product's provider, but not here
    assert client.get(PRODUCTS).status_code == 404
    assert client.get(url).status_code == 404
    assert Product.objects.filter(pk=others.pk, name=others.name).exists()
