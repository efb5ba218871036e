"""The performance scorecard against the database (issue 15 item 4): each indicator from what
the system knows, ranks, the version in force, bounded queries, and saved scores that a new
scorecard version leaves as they were."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cities.models import PilotBatch, PilotCity
from oversight.models import CityScore, Scorecard
from oversight.selectors.dashboard.city import cities_targets, city_dashboard
from oversight.selectors.scorecard import city_scorecards, scorecards_in_force
from oversight.services import city_scores_save
from sme_pilot.errors import DomainError
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory
from tests.oversight import scorecard_world as world

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def scored(city, other_city):
    world.build(city, other_city)
    return world.make_scorecard()


def _cities():
    return list(PilotCity.objects.select_related("batch").order_by("code"))


def _by_key(row):
    return {p["key"]: p for p in row.breakdown()}


def test_every_indicator_from_what_the_system_knows(scored):
    rows = city_scorecards(_cities(), world.AS_OF)
    assert [(r.city.code, r.rank, str(r.score), r.band) for r in rows] == [
        ("HHHT", 1, "63.1", "合格"),
        ("NB", 2, "0.0", "不合格"),
    ]
    parts = _by_key(rows[0])
    assert {k: (p["raw"], p["points"]) for k, p in parts.items()} == {
        "compliance_share": ("0.5000", "50.00"),
        "target_attainment": ("0.5000", "50.00"),
        "accepted_vs_plan": ("0.5000", "50.00"),
        "level_uplift": ("1.5000", "75.00"),
        "funds_share": ("0.7500", "75.00"),
        "provider_satisfaction": ("4.5000", "87.50"),
    }
    assert rows[0].as_json()["scorecard_version"] == 1
    assert all(p["missing"] for p in rows[1].breakdown())
    assert all(p["points"] == "0.00" for p in rows[1].breakdown())


def test_before_any_target_is_due_all_targets_count(scored, city):
    # On 2025-12-01 none is due: all three count; only level-2 enterprises (≥ 1) is met.
    rows = city_scorecards(_cities(), dt.date(2025, 12, 1))
    assert _by_key(rows[0])["target_attainment"]["raw"] == "0.3333"


def test_transformed_enterprises_is_the_plan_without_an_accepted_projects_target(scored, city):
    city.targets.filter(metric="accepted_projects").update(metric="transformed_enterprises")
    parts = _by_key(city_scorecards(_cities(), world.AS_OF)[0])
    assert parts["accepted_vs_plan"]["raw"] == "0.5000"
    city.targets.filter(metric="transformed_enterprises").delete()
    parts = _by_key(city_scorecards(_cities(), world.AS_OF)[0])
    assert parts["accepted_vs_plan"]["missing"]


def test_equal_scores_share_a_rank_and_the_next_skips(scored):
    for code in ("XA", "XB"):
        CityFactory(code=code)
    rows = city_scorecards(_cities(), world.AS_OF)
    assert [(r.city.code, r.rank) for r in rows] == [("HHHT", 1), ("NB", 2), ("XA", 2), ("XB", 2)]


def test_the_version_in_force_and_only_the_scorecards_batch(scored, city):
    v2 = world.make_scorecard(
        2,
        {"compliance_share": ("1", None)},
        valid_from=dt.date(2026, 6, 1),
    )
    chosen = scorecards_in_force([city.batch_id], world.AS_OF)[city.batch_id]
    assert chosen == v2
    assert scorecards_in_force([city.batch_id], dt.date(2026, 5, 31))[city.batch_id] == scored
    # Before every version: the earliest.
    assert scorecards_in_force([city.batch_id], dt.date(2020, 1, 1))[city.batch_id] == scored
    rows = city_scorecards(_cities(), world.AS_OF)
    assert str(rows[0].score) == "50.0" and rows[0].scorecard == v2
    other_batch = PilotBatch.objects.exclude(year=2024).order_by("year").first()
    assert other_batch is not None
    other_batch_city = CityFactory(code="OTH", batch=other_batch)
    codes = {r.city.code for r in city_scorecards(_cities(), world.AS_OF, scored)}
    assert other_batch_city.code not in codes and codes == {"HHHT", "NB"}


def test_uplift_and_satisfaction_count_only_what_each_project_has(scored, city):
    """The database's sums: the earliest on-site baseline, the latest post assessment in the
    project's completion-to-acceptance window, a project without a baseline (rated: satisfaction
    only), one without a rating (uplift only), one accepted after `as_of` (neither)."""
    sub = city.sub_industries.get(code="FOOD")
    later_baseline = world.accepted_project(sub, baseline=0, after=4, satisfaction=1)
    world.level(later_baseline.enterprise, world.Purpose.BASELINE, "2025-05-01", 3)  # not earliest
    world.level(later_baseline.enterprise, world.Purpose.POST, "2025-12-01", 1)  # after acceptance
    world.level(later_baseline.enterprise, world.Purpose.POST, "2025-09-01", 1)  # before completion
    unrated = world.accepted_project(sub, baseline=1, after=2, satisfaction=1)
    unrated.satisfaction = None
    unrated.save(update_fields=["satisfaction"])
    no_baseline = world.accepted_project(sub, baseline=1, after=4, satisfaction=3)
    no_baseline.enterprise.assessments.filter(purpose=world.Purpose.BASELINE).delete()
    late = world.accepted_project(sub, baseline=0, after=4, satisfaction=1)
    late.accepted_on = world.AS_OF + dt.timedelta(days=1)
    late.save(update_fields=["accepted_on"])
    parts = _by_key(city_scorecards(_cities(), world.AS_OF)[0])
    # Uplifts 2, 1 (the world's), 4 and 1: 8 / 4. Ratings 5, 4 (the world's), 1 and 3: 13 / 4.
    assert parts["level_uplift"]["raw"] == "2.0000"
    assert parts["provider_satisfaction"]["raw"] == "3.2500"


def _grow(n: int, prefix: str = "G") -> None:
    """n more cities, each with a sub-industry, an enterprise, an accepted project and a target."""
    for i in range(n):
        c = CityFactory(code=f"{prefix}{i:03d}")
        sub = SubIndustryFactory(city=c)
        EnterpriseFactory(sub_industry=sub)
        world.accepted_project(sub, baseline=1, after=2, satisfaction=3)
        c.targets.create(metric="accepted_projects", value=2, due_date=dt.date(2026, 12, 31))


def _queries() -> int:
    cities = _cities()
    with CaptureQueriesContext(connection) as ctx:
        city_scorecards(cities, world.AS_OF)
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_cities(scored):
    """Every read is batched: 15 queries with every indicator (2 scorecards, 4 compliance, 3
    targets, 3 funnel and plans, 2 funds, 1 accepted projects), at two sizes."""
    small = _queries()
    assert small == 15
    _grow(4)
    for i in range(3):
        CityFactory(code=f"H{i:03d}")
    assert _queries() == small
    Scorecard.objects.all().delete()
    weights = {k: v for k, v in world.WEIGHTS.items() if k != "target_attainment"}
    world.make_scorecard(weights=weights | {"compliance_share": ("0.40", None)})
    assert _queries() == 12  # only the indicators used are read: no target query


def test_saved_scores_stay_as_they_were_after_a_new_version(scored, city):
    saved = city_scores_save(cities=_cities(), as_of=world.AS_OF, scorecard=scored)
    assert [str(r.score) for r in saved] == ["63.1", "0.0"]
    before = list(
        CityScore.objects.order_by("city__code").values("score", "rank", "band", "breakdown")
    )
    assert scored.in_use
    # The method changes: a new version; the data changes too.
    v2 = world.make_scorecard(2, {"compliance_share": ("1", None)}, valid_from=dt.date(2026, 1, 1))
    city.targets.all().delete()
    after = list(
        CityScore.objects.order_by("city__code").values("score", "rank", "band", "breakdown")
    )
    assert after == before
    assert before[0]["score"] == D("63.1")
    assert before[0]["breakdown"][0]["key"] == "compliance_share"
    # Now computed under v2: a different score; the saved v1 rows are untouched.
    assert str(city_scorecards(_cities(), world.AS_OF)[0].score) == "50.0"
    city_scores_save(cities=_cities(), as_of=world.AS_OF, scorecard=v2)
    assert (
        list(
            CityScore.objects.filter(scorecard=scored)
            .order_by("city__code")
            .values("score", "rank", "band", "breakdown")
        )
        == before
    )


def test_saving_the_same_day_and_version_twice_is_refused(scored):
    city_scores_save(cities=_cities(), as_of=world.AS_OF, scorecard=scored)
    with pytest.raises(DomainError, match="已保存"):
        city_scores_save(cities=_cities(), as_of=world.AS_OF, scorecard=scored)
    assert CityScore.objects.count() == 2


def _run(*args: str) -> dict:
    out = StringIO()
    call_command("scorecard", *args, stdout=out)
    return json.loads(out.getvalue())


def test_command_prints_json_sorted_by_rank_then_code(scored):
    data = _run("--as-of", "2026-06-15")
    assert data["as_of"] == "2026-06-15"
    assert data["scorecard"]["version"] == 1
    assert [(c["city"], c["rank"], c["score"], c["band"]) for c in data["cities"]] == [
        ("HHHT", 1, "63.1", "合格"),
        ("NB", 2, "0.0", "不合格"),
    ]
    assert data["cities"][0]["indicators"][3] == {
        "key": "level_uplift",
        "label": "等级提升",
        "weight": "0.1500",
        "raw": "1.5000",
        "missing": False,
        "points": "75.00",
        "weighted": "11.25",
    }
    assert CityScore.objects.count() == 0
    saved = _run("--as-of", "2026-06-15", "--batch", "2024", "--save")
    assert saved["cities"] == data["cities"]
    assert CityScore.objects.count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--batch", "1999"), "不存在"),
        (("--batch", "20x4"), "四位年份"),
        (("--batch", "2024", "--scorecard", "9"), "没有版本 9"),
        (("--as-of", "2026-13-01"), "YYYY-MM-DD"),
    ],
)
def test_command_bad_input(scored, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("scorecard", *args, stdout=StringIO())


def test_command_without_any_scorecard(db):
    with pytest.raises(CommandError, match="尚无试点批次设置了绩效评分卡"):
        call_command("scorecard", stdout=StringIO())


def test_batched_targets_equal_each_city_dashboards(scored, city, other_city):
    # NB has a project target and no project: counted 0 (not "no actual"), so not met.
    other_city.targets.create(metric="filed_projects", value=1, due_date=dt.date(2026, 1, 1))
    other_city.targets.create(metric="level2_share", value=50, due_date=dt.date(2026, 1, 1))
    cities = _cities()
    batched = cities_targets(cities=cities, as_of=world.AS_OF)
    for c in cities:
        assert batched[c.pk] == city_dashboard(city=c, as_of=world.AS_OF).targets
    nb = batched[other_city.pk]
    assert [(r.metric, r.actual, r.met) for r in nb] == [
        ("filed_projects", D(0), False),
        ("level2_share", None, None),  # an empty roster has no share
    ]
    assert len(batched[city.pk]) == 3


def test_bands_broken_around_the_admin_are_a_clear_error(scored):
    Scorecard.objects.filter(pk=scored.pk).update(bands=[{"label": "优秀", "min": "90"}])
    with pytest.raises(DomainError, match="等级划分有误"):
        city_scorecards(_cities(), world.AS_OF)
    with pytest.raises(CommandError, match="等级划分有误"):
        call_command("scorecard", "--as-of", "2026-06-15", stdout=StringIO())
