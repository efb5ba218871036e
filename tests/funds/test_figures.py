"""A city's funds (docs/rules.md §4.6): selector, command, API; SQLite and PostgreSQL agree."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from cities.models import PilotCity
from funds.selectors import cities_funds, city_figures, city_funds
from tests.cities.factories import CityFactory
from tests.sqlite_mirror import mirror_env, run

from .funds_world import AS_OF, EXPECTED, build, d

pytestmark = pytest.mark.django_db


def test_city_funds_is_the_documented_json():
    city = build()
    assert city_funds(city=city, as_of=AS_OF) == EXPECTED


def test_as_of_leaves_out_everything_later():
    city = build()
    early = city_funds(city=city, as_of=d("2025-05-10"))
    assert early["central"] == {
        "received": "60000000.00",
        "transformation": "0.00",
        "platform": "5000000.00",
        "chain": "2000000.00",
        "procured_services": "1333333.33",  # the reversal comes on 2025-05-20
    }
    assert early["local"] == {"received": "30000000.00", "spent": "0.00"}
    assert early["transformation_share"] == "0.0000"
    assert early["subsidies"] == {
        "approved": 0,
        "approved_amount": "0.00",
        "paid": 0,
        "paid_amount": "0.00",
    }
    later = city_funds(city=city, as_of=d("2026-08-02"))
    assert later["central"]["received"] == "100000000.00"
    assert later["central"]["platform"] == "6000000.00"
    assert later["subsidies"]["paid"] == 3


def test_paid_subsidies_are_transformation_expenses_of_each_source():
    city = build()
    before = city_figures(city=city, as_of=d("2026-02-28"))
    after = city_figures(city=city, as_of=d("2026-03-01"))
    assert after.central_transformation - before.central_transformation == 15000000
    assert (
        after.spent_on("local", "transformation") - before.spent_on("local", "transformation")
        == 1500000
    )
    assert after.local_spent - before.local_spent == 1500000


def test_nothing_received_gives_null_shares():
    city = CityFactory(code="EMPTY")
    out = city_funds(city=city, as_of=AS_OF)
    assert out["transformation_share"] is None and out["other_share"] is None
    assert out["other_within_limit"] is True
    assert out["transformation_target_met"] is False
    assert out["award_cap"] == "100000000.00"


def test_shares_follow_the_batch_policy_data():
    city = build()
    city.batch.funds_transformation_min_share = "0.60"
    city.batch.save()
    city = PilotCity.objects.select_related("batch").get(pk=city.pk)
    assert city_funds(city=city, as_of=AS_OF)["transformation_target_met"] is True


def test_a_constant_number_of_queries(django_assert_num_queries):
    city = build()
    cities = list(PilotCity.objects.select_related("batch").all())
    with django_assert_num_queries(2):
        city_funds(city=city, as_of=AS_OF)
    with django_assert_num_queries(2):
        everything = cities_funds(cities=cities, as_of=AS_OF)
    assert [f["city"] for f in everything] == [c.code for c in cities]
    assert next(f for f in everything if f["city"] == "FND") == EXPECTED


def test_command_prints_the_json():
    build()
    out = io.StringIO()
    call_command("funds", "FND", "--as-of", "2026-06-30", stdout=out)
    assert json.loads(out.getvalue()) == EXPECTED
    out = io.StringIO()
    call_command("funds", "--all", "--as-of", "2026-06-30", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert EXPECTED in lines


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOPE"], "不存在"),
        ([], "请给出城市代码"),
        (["FND", "--all"], "不能同时使用"),
        (["FND", "--as-of", "2026-13-01"], "YYYY-MM-DD"),
    ],
)
def test_command_errors(args, message):
    build()
    with pytest.raises(CommandError, match=message):
        call_command("funds", *args, stdout=io.StringIO())


def test_api_returns_the_same_json(client, city_official):
    build()
    city_official.city = PilotCity.objects.get(code="FND")
    city_official.save()
    client.force_login(city_official)
    url = reverse("city-funds", kwargs={"code": "FND"})
    response = client.get(url, {"as_of": "2026-06-30"})
    assert response.status_code == 200
    assert response.json() == EXPECTED
    assert client.get(url, {"as_of": "tomorrow"}).status_code == 400


def test_api_is_scoped(client, other_city_official, enterprise_user, ministry_user):
    build()
    url = reverse("city-funds", kwargs={"code": "FND"})
    client.force_login(other_city_official)
    assert client.get(url).status_code == 404
    client.force_login(enterprise_user)
    assert client.get(url).status_code == 404
    client.force_login(ministry_user)
    assert client.get(url).status_code == 200


def test_funds_is_identical_on_postgresql_and_sqlite(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("compares PostgreSQL with SQLite: run with DATABASE_URL=postgres://…")
    build()
    out = io.StringIO()
    call_command("funds", "FND", "--as-of", "2026-06-30", stdout=out)
    here = out.getvalue()
    assert json.loads(here) == EXPECTED
    env = mirror_env(tmp_path)
    run(["shell", "-c", "from tests.funds.funds_world import build; build()"], env)
    there = run(["funds", "FND", "--as-of", "2026-06-30"], env)
    assert there == here, "PostgreSQL and SQLite disagree"
