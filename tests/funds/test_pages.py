"""The 资金台账 pages: the city official books, reverses and plans; others read or see nothing;
no door edits or deletes a booked entry (page, API, admin)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from funds import services
from funds.models import FundsPlan, LedgerEntry
from tests.cities.factories import CityFactory

pytestmark = pytest.mark.django_db

D = Decimal
DAY = dt.date(2025, 3, 1)


def book(city, actor, reference, amount="1000000.00", **extra):
    values = {
        "entry_on": DAY,
        "kind": "receipt",
        "source": "central",
        "category": "",
        "amount": D(amount),
        "reference": reference,
    }
    values.update(extra)
    return services.book_entry(actor=actor, city=city, data=services.EntryData(**values))


def test_the_official_books_from_the_page_and_sees_the_figures(client, city, city_official):
    client.force_login(city_official)
    assert client.get(reverse("funds:funds_home")).url == reverse("funds:ledger", args=["HHHT"])
    url = reverse("funds:entry_book", args=["HHHT"])
    form = {
        "entry_on": "2025-03-01",
        "kind": "receipt",
        "source": "central",
        "amount": "1000000",
        "reference": "Z-1",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert entry.created_by == city_official and entry.amount == D("1000000.00")
    page = client.get(reverse("funds:ledger", args=["HHHT"])).content.decode()
    assert 'data-reference="Z-1"' in page and "100.00" in page  # 100 万元


def test_an_expense_over_the_limit_is_refused_on_the_page_with_the_figures(
    client, city, city_official
):
    book(city, city_official, "Z-1")
    client.force_login(city_official)
    response = client.post(
        reverse("funds:entry_book", args=["HHHT"]),
        {
            "entry_on": "2025-03-02",
            "kind": "expense",
            "source": "central",
            "category": "platform",
            "amount": "200000.01",
            "reference": "Z-2",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "超过中央资金其他用途上限" in text and "200,000.01" in text and "200,000.00" in text
    assert LedgerEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"amount": "-1"}, "不能小于 0"),
        ({"amount": "abc"}, "请填写数字"),
        ({"amount": "1e5"}, "请填写数字"),
        ({"amount": "1.234"}, "最多 2 位小数"),
        ({"category": "platform"}, "收入不填支出类别"),
        ({"kind": "expense"}, "支出必须填写支出类别"),
        ({"reference": ""}, "该字段是必填项"),
    ],
)
def test_bad_input_on_the_page_writes_nothing(client, city, city_official, changes, text):
    client.force_login(city_official)
    form = {
        "entry_on": "2025-03-01",
        "kind": "receipt",
        "source": "local",
        "amount": "10",
        "reference": "L-1",
        **changes,
    }
    response = client.post(reverse("funds:entry_book", args=["HHHT"]), form)
    assert response.status_code == 400
    assert text in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_reversing_from_the_page_needs_a_reason(client, city, city_official):
    entry = book(city, city_official, "L-1", source="local")
    client.force_login(city_official)
    url = reverse("funds:entry_reverse", args=["HHHT", entry.pk])
    response = client.post(url, {"entry_on": "2025-03-02", "reference": "L-1-R", "reason": ""})
    assert response.status_code == 200 and "该字段是必填项" in response.content.decode()
    response = client.post(url, {"entry_on": "2025-03-02", "reference": "L-1-R", "reason": "错"})
    assert response.status_code == 302
    assert LedgerEntry.objects.get(reference="L-1-R").reverses == entry
    response = client.post(url, {"entry_on": "2025-03-02", "reference": "L-1-R2", "reason": "错"})
    assert "已冲正过" in response.content.decode()
    assert LedgerEntry.objects.count() == 2


def test_the_plan_from_the_page(client, city, city_official):
    client.force_login(city_official)
    url = reverse("funds:plan_edit", args=["HHHT"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"central__receipt": "90000000", "central__platform": "x"})
    assert response.status_code == 200 and not FundsPlan.objects.exists()
    response = client.post(url, {"central__receipt": "90000000", "central__platform": "100"})
    assert response.status_code == 302
    assert FundsPlan.objects.count() == 2
    page = client.get(reverse("funds:ledger", args=["HHHT"])).content.decode()
    assert "9,000.00" in page


def test_readers_see_no_forms_and_may_not_act(client, city, city_official, ministry_user):
    entry = book(city, city_official, "Z-1")
    client.force_login(ministry_user)
    page = client.get(reverse("funds:ledger", args=["HHHT"]))
    assert page.status_code == 200
    assert 'id="entry-form"' not in page.content.decode()
    response = client.post(
        reverse("funds:entry_reverse", args=["HHHT", entry.pk]),
        {"entry_on": "2025-03-02", "reference": "R", "reason": "错"},
    )
    assert response.status_code == 403
    listing = client.get(reverse("funds:funds_home"))
    assert 'data-city="HHHT"' in listing.content.decode()


def test_other_cities_and_other_roles_get_404(
    client, city, city_official, other_city_official, enterprise_user
):
    entry = book(city, city_official, "Z-1")
    for user in (other_city_official, enterprise_user):
        client.force_login(user)
        assert client.get(reverse("funds:ledger", args=["HHHT"])).status_code == 404
        url = reverse("funds:entry_reverse", args=["HHHT", entry.pk])
        assert client.get(url).status_code == 404


def test_an_entry_of_another_city_is_not_found_under_this_one(
    client, city, other_city, city_official, other_city_official
):
    theirs = book(other_city, other_city_official, "Z-9")
    client.force_login(city_official)
    url = reverse("funds:entry_reverse", args=["HHHT", theirs.pk])
    assert client.get(url).status_code == 404


def test_the_admin_neither_edits_nor_deletes(client, city, city_official, admin_user_):
    admin_user_.is_staff = True
    admin_user_.save()
    entry = book(city, city_official, "Z-1")
    client.force_login(admin_user_)
    change = reverse("admin:funds_ledgerentry_change", args=[entry.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"amount": "2"}).status_code == 403
    delete = reverse("admin:funds_ledgerentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert LedgerEntry.objects.get().amount == D("1000000.00")


def test_the_api_has_no_way_to_change_an_entry(client, city, city_official):
    book(city, city_official, "Z-1")
    client.force_login(city_official)
    url = reverse("city-funds", args=["HHHT"])
    for method in (client.put, client.patch, client.delete, client.post):
        assert method(url, {}, content_type="application/json").status_code == 405


@pytest.mark.parametrize("entries", [3, 40])
def test_the_ledger_page_takes_a_bounded_number_of_queries(
    client, city, city_official, django_assert_max_num_queries, entries
):
    for n in range(entries):
        book(city, city_official, f"L-{n}", amount="10.00", source="local")
    client.force_login(city_official)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("funds:ledger", args=["HHHT"]))
    assert response.status_code == 200


@pytest.mark.parametrize("cities", [2, 30])
def test_the_national_list_takes_a_bounded_number_of_queries(
    client, city, city_official, ministry_user, django_assert_max_num_queries, cities
):
    for _ in range(cities):
        book(CityFactory(), None, "Z-1", amount="10.00")
    client.force_login(ministry_user)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("funds:funds_home"))
    assert response.content.decode().count("data-city=") == cities + 1


def test_an_entry_booked_by_no_one_shows_as_imported(client, city, city_official):
    """`manage.py import` books with no actor: the page says 导入 (it used to answer 500)."""
    book(city, None, "CMD-1")
    client.force_login(city_official)
    response = client.get(reverse("funds:ledger", args=["HHHT"]))
    assert response.status_code == 200
    assert "<td>导入 " in response.content.decode()
