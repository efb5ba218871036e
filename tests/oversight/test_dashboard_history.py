"""The city dashboard's level history (trend, baseline distribution, below-scale uplift), read in
one statement, against a straightforward recomputation on randomised data."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest
from django.db.models import Count
from django.utils import timezone

from assessments.models import Method, Purpose, State
from assessments.selectors import counting_assessments, with_current_level
from cities.models import Enterprise, add_months
from oversight.selectors.compliance import compliance_for_cities, counted_q, with_baseline_level
from oversight.selectors.dashboard.city import _distribution_chart, city_dashboard
from oversight.selectors.dashboard.history import level_history, month_index
from oversight.selectors.dashboard.trend import TREND_MONTHS, month_end, months_between
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory

pytestmark = pytest.mark.django_db

EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def _world(seed: int, city_code: str):
    rng = random.Random(seed)
    today = timezone.localdate()
    city = CityFactory(
        code=city_code, plan_approved_on=today - dt.timedelta(days=rng.randint(0, 900))
    )
    subs = [SubIndustryFactory(city=city) for _ in range(3)]
    other = EnterpriseFactory(sub_industry=SubIndustryFactory(city=CityFactory()))
    enterprises = [
        EnterpriseFactory(
            sub_industry=rng.choice(subs),
            above_scale=rng.random() < 0.5,
            quality_tier=rng.choice(["none", "none", "little_giant", "provincial_srdi"]),
        )
        for _ in range(30)
    ]
    for e in [*enterprises, other]:
        days: list[int] = []
        for _ in range(rng.choice([0, 1, 1, 2, 3, 4])):
            # Often the same day or month as another one: ties are where orders differ.
            days.append(rng.choice(days) if days and rng.random() < 0.3 else rng.randint(0, 1300))
        imports: set[tuple[int, str]] = set()  # an import is unique per day and purpose
        for days_ago in days:
            purpose = rng.choice([Purpose.BASELINE, Purpose.POST])
            imported = rng.random() < 0.3 and (days_ago, purpose) not in imports
            if imported:
                imports.add((days_ago, purpose))
            AssessmentFactory(
                enterprise=e,
                method=Method.ONSITE,
                purpose=purpose,
                state=State.CONFIRMED,
                source="import" if imported else "online",
                level=rng.randint(0, 4),
                revision=None,
                assessed_on=today - dt.timedelta(days=days_ago),
                confirmed_at=None
                if imported and rng.random() < 0.5
                else timezone.now() - dt.timedelta(minutes=rng.randint(0, 10_000)),
            )
        if rng.random() < 0.3:  # never counts
            AssessmentFactory(enterprise=e, submitted=True, level=4)
    return city


def _reference_trend(city, as_of, rule):
    """The monthly counts per sub-industry, walking each enterprise's history month by month."""
    members = dict(
        Enterprise.objects.filter(city=city)
        .filter(counted_q(rule))
        .values_list("id", "sub_industry__code")
    )
    history: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    rows = counting_assessments(as_of=as_of).filter(enterprise_id__in=list(members))
    for a in sorted(
        rows,
        key=lambda a: (a.assessed_on, a.confirmed_at is not None, a.confirmed_at or EARLIEST, a.id),
    ):
        history[a.enterprise_id].append((a.assessed_on, a.level))
    first_day = min((h[0][0] for h in history.values()), default=as_of)
    if city.plan_approved_on is not None:
        first_day = min(first_day, city.plan_approved_on)
    start = dt.date(first_day.year, first_day.month, 1)
    if months_between(start, as_of) >= TREND_MONTHS:
        start = add_months(dt.date(as_of.year, as_of.month, 1), 1 - TREND_MONTHS)
    months = []
    while start <= as_of:
        months.append(start)
        start = month_end(start) + dt.timedelta(days=1)
    per_sub: dict[str, list[int]] = defaultdict(lambda: [0] * len(months))
    for enterprise_id, code in members.items():
        for k, month in enumerate(months):
            end = min(month_end(month), as_of)
            levels = [level for day, level in history[enterprise_id] if day <= end]
            if levels and levels[-1] >= rule.min_level:
                per_sub[code][k] += 1
    return months, per_sub


def _reference_distribution(city, as_of, subs):
    qs = with_baseline_level(
        with_current_level(Enterprise.objects.filter(city=city), as_of=as_of), as_of=as_of
    )
    base: dict[str, Counter] = defaultdict(Counter)
    now: dict[str, Counter] = defaultdict(Counter)
    for row in qs.values("sub_industry__code", "current_level", "baseline_level").annotate(
        n=Count("id")
    ):
        base[row["sub_industry__code"]][row["baseline_level"]] += row["n"]
        now[row["sub_industry__code"]][row["current_level"]] += row["n"]
    return _distribution_chart(subs, base, now)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_history_matches_a_recomputation(seed):
    city = _world(seed, f"R{seed}")
    for days_back in (0, 75, 400, 1000):
        _check(city, timezone.localdate() - dt.timedelta(days=days_back))


def _check(city, as_of):
    dash = city_dashboard(city=city, as_of=as_of)
    rule = dash.compliance.rule

    # The uplift's baseline: as `compliance_for_cities` reads it itself.
    assert dash.compliance == compliance_for_cities([city], as_of=as_of)[0]
    assert dash.distribution == _reference_distribution(city, as_of, dash.compliance.sub_industries)

    months, per_sub = _reference_trend(city, as_of, rule)
    n = len(months)
    assert dash.trend["labels"][:n] == [m.strftime("%Y-%m") for m in months]
    assert dash.trend["actual"][:n] == [sum(v[k] for v in per_sub.values()) for k in range(n)]
    assert all(v is None for v in dash.trend["actual"][n:])
    codes = {s.code for s in dash.compliance.sub_industries}
    counts = level_history(city, as_of, rule).counts([month_index(m) for m in months], codes)
    assert counts == {code: per_sub.get(code, [0] * n) for code in codes}
