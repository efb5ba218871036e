"""Compliance counts from the database: confirmed-only levels, as_of, supersession, batch rules,
the `compliance` command and `GET /api/v1/cities/{code}/compliance/`."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from assessments.models import Assessment
from assessments.services import refresh_current_level
from oversight.selectors.compliance import city_compliance, compliance_for_cities
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


def level(
    enterprise,
    value,
    *,
    on=None,
    method="onsite",
    state="confirmed",
    purpose="baseline",
    supersedes=None,
):
    """A stored level as the import or an assessor leaves it."""
    stored = Assessment.objects.create(
        enterprise=enterprise, purpose=purpose, method=method, state=state, source="import",
        level=value, assessed_on=on or TODAY - 10 * DAY,
        confirmed_at=timezone.now() if state == "confirmed" else None, supersedes=supersedes,
        pledged_at=timezone.now(), pledge_signer="x",
        pledge_text_id=None,
    )  # fmt: skip
    refresh_current_level([enterprise.pk])  # written past the services, as they would
    return stored


def food(city, n, **kw):
    sub = SubIndustryFactory(city=city, code="FOOD", name="特色食品")
    return sub, [EnterpriseFactory(sub_industry=sub, **kw) for _ in range(n)]


def counts(city, code="FOOD", **kw):
    result = city_compliance(city=city, **kw)
    sub = next(s for s in result.sub_industries if s.code == code)
    return sub.denominator, sub.at_or_above, sub.compliant, sub.shortfall


def test_nine_of_ten_is_compliant(city):
    _, ents = food(city, 10)
    for e in ents[:9]:
        level(e, 2)
    level(ents[9], 1)
    assert counts(city) == (10, 9, True, 0)


def test_eight_of_nine_is_not(city):
    _, ents = food(city, 9)
    for e in ents[:8]:
        level(e, 3)
    assert counts(city) == (9, 8, False, 1)


def test_self_assessments_and_unconfirmed_levels_never_count(city):
    _, ents = food(city, 2)
    level(ents[0], 4, method="self", state="submitted")
    level(ents[1], 4, state="submitted")
    assert counts(city) == (2, 0, False, 2)


def test_latest_confirmed_level_counts_and_as_of_ignores_later_ones(city):
    _, (ent,) = food(city, 1)
    level(ent, 1, on=TODAY - 30 * DAY)
    level(ent, 2, on=TODAY - 5 * DAY, purpose="post")
    assert counts(city) == (1, 1, True, 0)
    assert counts(city, as_of=TODAY - 10 * DAY) == (1, 0, False, 1)


def test_a_superseded_confirmation_is_replaced_by_its_correction(city):
    _, (ent,) = food(city, 1)
    wrong = level(ent, 3, on=TODAY - 3 * DAY)
    level(ent, 1, on=TODAY - DAY, supersedes=wrong)
    assert counts(city) == (1, 0, False, 1)


def test_denominator_counts_above_scale_and_the_batchs_tiers(city):
    sub = SubIndustryFactory(city=city, code="FOOD", name="特色食品")
    EnterpriseFactory(sub_industry=sub, above_scale=True, quality_tier="none")
    EnterpriseFactory(sub_industry=sub, above_scale=False, quality_tier="provincial_srdi")
    EnterpriseFactory(sub_industry=sub, above_scale=False, quality_tier="little_giant")
    EnterpriseFactory(sub_industry=sub, above_scale=False, quality_tier="innovative")
    EnterpriseFactory(sub_industry=sub, above_scale=False, quality_tier="none")
    assert counts(city)[0] == 3
    city.batch.counted_tiers = ["provincial_srdi", "little_giant", "innovative"]
    city.batch.save()
    assert counts(city)[0] == 4
    city.batch.count_above_scale = False
    city.batch.save()
    assert counts(city)[0] == 3


def test_minimum_level_and_threshold_come_from_the_batch(city):
    _, ents = food(city, 10)
    for e in ents[:9]:
        level(e, 2)
    city.batch.min_level = 3
    city.batch.save()
    assert counts(city) == (10, 0, False, 9)
    city.batch.min_level = 2
    city.batch.threshold = Decimal("0.95")
    city.batch.save()
    assert counts(city) == (10, 9, False, 1)


def test_little_giants_never_assessed_are_listed(city):
    sub, _ = food(city, 0)
    giant = EnterpriseFactory(sub_industry=sub, quality_tier="little_giant", above_scale=False)
    ok = EnterpriseFactory(sub_industry=sub, quality_tier="little_giant")
    level(ok, 2)
    giants = city_compliance(city=city).little_giants
    assert giants.below == (giant.uscc,)
    assert (giants.total, giants.at_or_above, giants.compliant) == (2, 1, False)


def test_below_scale_uplift_from_earliest_to_latest_confirmed(city):
    sub, _ = food(city, 0)
    rising = EnterpriseFactory(sub_industry=sub, above_scale=False)
    level(rising, 1, on=TODAY - 60 * DAY)
    level(rising, 2, on=TODAY - 5 * DAY, purpose="post")
    steady = EnterpriseFactory(sub_industry=sub, above_scale=False)
    level(steady, 2, on=TODAY - 60 * DAY)
    EnterpriseFactory(sub_industry=sub, above_scale=False)  # never assessed: not counted
    below = city_compliance(city=city).below_scale
    assert (below.assessed, below.baseline_share, below.current_share) == (
        2,
        Decimal("0.5000"),
        Decimal("1.0000"),
    )
    assert below.uplift_pp == Decimal("50.00")


def test_empty_city_is_not_applicable_and_compliant(city):
    result = city_compliance(city=city)
    assert result.sub_industries == ()
    assert result.city_compliant is True
    SubIndustryFactory(city=city, code="FOOD")
    (sub,) = city_compliance(city=city).sub_industries
    assert (sub.denominator, sub.ratio, sub.compliant) == (0, None, None)


@pytest.mark.parametrize("cities", [2, 8])
def test_all_cities_take_a_constant_number_of_queries(django_assert_max_num_queries, cities):
    objs = []
    for i in range(cities):
        c = CityFactory(code=f"Q{i}")
        _, ents = food(c, 3)
        level(ents[0], 2)
        objs.append(c)
    from cities.models import PilotCity

    with django_assert_max_num_queries(8):
        results = compliance_for_cities(PilotCity.objects.select_related("batch"))
    assert [r.city for r in results] == sorted(c.code for c in objs)


# --- command and API -----------------------------------------------------------------------------


def _command(*args):
    out = io.StringIO()
    call_command("compliance", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_command_prints_the_exchange_json(city):
    _, ents = food(city, 10)
    for e in ents[:9]:
        level(e, 2)
    (doc,) = _command("HHHT")
    assert doc["city"] == "HHHT" and doc["threshold"] == "0.90" and doc["min_level"] == 2
    assert doc["sub_industries"] == [
        {"code": "FOOD", "name": "特色食品", "denominator": 10, "at_or_above": 9,
         "ratio": "0.9000", "compliant": True, "shortfall": 0}
    ]  # fmt: skip
    assert doc["as_of"] == timezone.localdate().isoformat()  # today when it ran, not at import


def test_command_all_prints_one_object_per_city(city, other_city):
    assert [d["city"] for d in _command("--all")] == ["HHHT", "NB"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOPE"], "不存在"),
        (["HHHT", "--as-of", "2026-13-01"], "YYYY-MM-DD"),
        (["HHHT", "--as-of", "2999-01-01"], "不能晚于今天"),
        ([], "城市代码"),
    ],
)
def test_command_bad_input(city, args, message):
    with pytest.raises(CommandError, match=message):
        _command(*args)


def test_api_matches_the_command(client, city_official, city):
    _, ents = food(city, 3)
    level(ents[0], 2)
    client.force_login(city_official)
    response = client.get("/api/v1/cities/HHHT/compliance/")
    assert response.status_code == 200
    assert response.json() == _command("HHHT")[0]
    past = (TODAY - 20 * DAY).isoformat()
    assert (
        client.get(f"/api/v1/cities/HHHT/compliance/?as_of={past}").json()
        == _command("HHHT", "--as-of", past)[0]
    )


@pytest.mark.parametrize(
    ("value", "message"), [("yesterday", "YYYY-MM-DD"), ("2999-01-01", "不能晚于今天")]
)
def test_api_bad_as_of_is_a_clear_400(client, city_official, city, value, message):
    client.force_login(city_official)
    response = client.get(f"/api/v1/cities/HHHT/compliance/?as_of={value}")
    assert response.status_code == 400
    assert message in response.json()["as_of"][0]


# fmt: off
API_STATUS = {
    "anonymous": 403, "enterprise_user": 404, "assessor": 404, "city_official": 200,
    "other_city_official": 404, "ministry_user": 200, "admin_user_": 200,
}
# fmt: on


@pytest.mark.parametrize("persona", list(API_STATUS))
def test_api_compliance_scope(client, request, city, other_city, enterprise, persona):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    assert client.get("/api/v1/cities/HHHT/compliance/").status_code == API_STATUS[persona]
    if persona != "anonymous":
        assert client.get("/api/v1/cities/NOPE/compliance/").status_code == 404


@pytest.mark.parametrize("size", [3, 40])
def test_api_compliance_query_count_is_bounded(
    client, city_official, city, django_assert_max_num_queries, size
):
    _, ents = food(city, size)
    for e in ents[::2]:
        level(e, 2)
    client.force_login(city_official)
    with django_assert_max_num_queries(10):
        assert client.get("/api/v1/cities/HHHT/compliance/").status_code == 200
