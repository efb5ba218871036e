"""The project funnel of a city (docs/rules.md §4.6): selector, command, API."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from cities import uscc
from cities.models import PilotBatch, PilotCity
from projects import rules
from projects.models import Project
from projects.selectors.funnel import cities_funnel, city_funnel
from tests.cities.factories import EnterpriseFactory, SubIndustryFactory
from tests.sqlite_mirror import mirror_env, run

from . import funnel_world
from .funnel_world import AS_OF, build

pytestmark = pytest.mark.django_db

STAGES = (
    "applied",
    "admitted",
    "diagnosed",
    "provider_selected",
    "contract_filed",
    "completed",
    "acceptance_applied",
    "accepted",
    "subsidy_approved",
    "subsidy_paid",
)


def reached(*counts: int) -> dict[str, int]:
    return dict(zip(STAGES, counts, strict=True))


EXPECTED = {
    "city": "FNL",
    "as_of": "2026-06-15",
    "reached": reached(11, 9, 9, 9, 9, 7, 3, 2, 2, 1),
    "rejected": 1,
    "withdrawn": 2,
    "acceptance_failed": 1,
    "overdue": {"acceptance": 2, "completion": 1},
    "by_sub_industry": [
        {"code": "A01", "reached": reached(8, 6, 6, 6, 6, 4, 2, 2, 2, 1)},
        {"code": "B02", "reached": reached(3, 3, 3, 3, 3, 3, 1, 0, 0, 0)},
        {"code": "C03", "reached": reached(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
    ],
}


def _city(code: str = funnel_world.CODE) -> PilotCity:
    return PilotCity.objects.select_related("batch").get(code=code)


def test_funnel_of_a_hand_built_city():
    build()
    assert city_funnel(city=_city(), as_of=AS_OF) == EXPECTED


def test_as_of_leaves_out_later_dates():
    build()
    funnel = city_funnel(city=_city(), as_of=dt.date(2025, 3, 1))
    # Ten applied by then (one on that very day, rejected only on 2025-04-01), nine diagnosed.
    assert funnel["reached"] == reached(10, 9, 9, 0, 0, 0, 0, 0, 0, 0)
    assert (funnel["rejected"], funnel["withdrawn"], funnel["acceptance_failed"]) == (0, 0, 0)
    assert funnel["overdue"] == {"acceptance": 0, "completion": 0}


def test_withdrawn_projects_keep_the_stages_they_reached():
    build()
    withdrawn = Project.objects.filter(enterprise__city__code="FNL", withdrawn_on__isnull=False)
    before = city_funnel(city=_city(), as_of=AS_OF)
    withdrawn.update(withdrawn_on=None)
    after = city_funnel(city=_city(), as_of=AS_OF)
    assert after["reached"] == before["reached"]
    assert after["withdrawn"] == 0
    # No longer withdrawn: the in-progress one is overdue for completion, the completed one for
    # acceptance.
    assert after["overdue"] == {"acceptance": 3, "completion": 2}


def test_the_policy_window_decides_acceptance_overdue():
    build()
    PilotBatch.objects.filter(year=2024).update(acceptance_window_months=4)
    # 2026-03-14 + 4 months is after as_of; 2025-11-30 + 4 months (2026-03-30) is not.
    assert city_funnel(city=_city(), as_of=AS_OF)["overdue"]["acceptance"] == 1


@pytest.mark.parametrize(
    ("completed_on", "as_of", "overdue"),
    [
        # 31 Jan + 1 month is 29 Feb in a leap year, 28 Feb otherwise: not before as_of.
        ("2024-01-31", "2024-02-29", False),
        ("2024-01-31", "2024-03-01", True),
        ("2025-01-31", "2025-02-28", False),
        ("2025-01-31", "2025-03-01", True),
        ("2025-03-31", "2025-04-30", False),
        ("2025-03-31", "2025-05-01", True),
    ],
)
def test_acceptance_overdue_clamps_to_the_month_end(completed_on, as_of, overdue):
    PilotBatch.objects.filter(year=2024).update(acceptance_window_months=1)
    enterprise = EnterpriseFactory()
    Project.objects.create(
        enterprise=enterprise,
        **{f: dt.date(2023, 6, 1) for f in ("applied_on", "admitted_on", "diagnosed_on")},
        provider_selected_on=dt.date(2023, 6, 1),
        contract_filed_on=dt.date(2023, 6, 1),
        completed_on=dt.date.fromisoformat(completed_on),
    )
    funnel = city_funnel(city=_city(enterprise.city.code), as_of=dt.date.fromisoformat(as_of))
    assert funnel["overdue"]["acceptance"] == int(overdue)


def _world(size: int, first_uscc: int) -> PilotCity:
    sub = SubIndustryFactory()
    for n in range(size):
        enterprise = EnterpriseFactory(sub_industry=sub, uscc=uscc.synthetic(first_uscc + n))
        Project.objects.create(
            enterprise=enterprise,
            applied_on=dt.date(2025, 1, 1),
            admitted_on=dt.date(2025, 1, 2),
            diagnosed_on=dt.date(2025, 1, 3),
            provider_selected_on=dt.date(2025, 1, 4),
            contract_filed_on=dt.date(2025, 1, 5),
            completed_on=dt.date(2025, 2, 1),
        )
    return PilotCity.objects.select_related("batch").get(pk=sub.city_id)


@pytest.mark.parametrize("size", [2, 30])
def test_query_count_does_not_grow_with_the_projects(size, django_assert_num_queries):
    city = _world(size, 8_000_000)
    with django_assert_num_queries(2):
        funnel = city_funnel(city=city, as_of=AS_OF)
    assert funnel["reached"]["completed"] == size
    assert funnel["overdue"]["acceptance"] == size


@pytest.mark.parametrize("size", [1, 6])
def test_all_cities_in_two_queries_each_as_alone(size, django_assert_num_queries):
    """`funnel --all` reads every city at once; each city's JSON is the one it has alone, with
    different acceptance windows per batch."""
    fnl = build()
    ids = [fnl.pk, *(_world(3, 8_100_000 + 100 * i).pk for i in range(size))]
    # The hand-built city on another batch, with a one-month window: its March completions are
    # overdue there, not under the others' three months.
    PilotBatch.objects.filter(year=2023).update(acceptance_window_months=1)
    PilotCity.objects.filter(pk=fnl.pk).update(batch=PilotBatch.objects.get(year=2023))
    cities = list(PilotCity.objects.select_related("batch").filter(pk__in=ids).order_by("code"))
    with django_assert_num_queries(2):
        together = cities_funnel(cities=cities, as_of=AS_OF)
    alone = [city_funnel(city=c, as_of=AS_OF) for c in cities]
    assert together == alone
    assert {d["city"]: d["overdue"]["acceptance"] for d in alone}[funnel_world.CODE] == 3


def test_command_prints_the_json():
    build()
    out = io.StringIO()
    call_command("funnel", "FNL", "--as-of", "2026-06-15", stdout=out)
    assert json.loads(out.getvalue()) == EXPECTED


def test_command_refuses_an_unknown_city_and_a_bad_date():
    with pytest.raises(CommandError, match="不存在"):
        call_command("funnel", "NOPE", stdout=io.StringIO())
    build()
    with pytest.raises(CommandError):
        call_command("funnel", "FNL", "--as-of", "2026-13-01", stdout=io.StringIO())


def test_api_answers_the_json_in_scope_only(client, ministry_user):
    build()
    client.force_login(ministry_user)
    url = reverse("city-funnel", kwargs={"code": "FNL"})
    response = client.get(url, {"as_of": "2026-06-15"})
    assert response.status_code == 200
    assert response.json() == EXPECTED
    bad = client.get(url, {"as_of": "15/06/2026"})
    assert bad.status_code == 400
    assert "as_of" in bad.json()


def test_api_is_404_for_another_city_official(client, city_official):
    build()
    client.force_login(city_official)
    response = client.get(reverse("city-funnel", kwargs={"code": "FNL"}))
    assert response.status_code == 404


def test_funnel_is_identical_on_postgresql_and_sqlite(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("compares PostgreSQL with SQLite: run with DATABASE_URL=postgres://…")
    build()
    out = io.StringIO()
    call_command("funnel", "FNL", "--as-of", "2026-06-15", stdout=out)
    here = json.loads(out.getvalue())
    assert here == EXPECTED
    env = mirror_env(tmp_path)
    run(["shell", "-c", "from tests.projects.funnel_world import build; build()"], env)
    there = json.loads(run(["funnel", "FNL", "--as-of", "2026-06-15"], env))
    assert there == here, "PostgreSQL and SQLite disagree"


@pytest.mark.parametrize(
    "as_of",
    ["2025-01-09", "2025-03-01", "2025-09-20", "2025-12-31", "2026-02-28", "2026-06-15"],
)
def test_sql_agrees_with_the_pure_rules(as_of):
    """Each counter equals what `projects.rules` says project by project."""
    build()
    day = dt.date.fromisoformat(as_of)
    months = PilotBatch.objects.get(year=2024).acceptance_window_months
    dates = [rules.Dates(**d) for _, d in funnel_world.PROJECTS]
    funnel = city_funnel(city=_city(), as_of=day)
    assert funnel["reached"] == {
        s.value: sum(rules.reached(d, s, day) for d in dates) for s in rules.STAGES
    }
    for name in ("rejected", "withdrawn", "acceptance_failed"):
        on = [getattr(d, f"{name}_on") for d in dates]
        assert funnel[name] == sum(v is not None and v <= day for v in on)
    assert funnel["overdue"] == {
        "acceptance": sum(rules.acceptance_overdue(d, day, months) for d in dates),
        "completion": sum(rules.completion_overdue(d, day) for d in dates),
    }
