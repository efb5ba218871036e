"""The performance scorecard on the national dashboard (issue 15 item 4): each city's score,
rank and band as `manage.py scorecard` prints them, the breakdown and the version, sorting, the
rank within the whole batch whatever the table shows, the cache following every change the
score depends on, and a constant number of queries."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from cities.models import CityTarget
from funds import services as funds_services
from oversight.models import ScorecardIndicator
from tests.cities.factories import (
    CityFactory,
    EnterpriseFactory,
    SubIndustryFactory,
    UserFactory,
)
from tests.oversight import scorecard_world
from tests.reports import national_world

pytestmark = pytest.mark.django_db

AS_OF = national_world.AS_OF


@pytest.fixture
def world(city, other_city):
    scorecard = national_world.build(city, other_city)
    cache.clear()
    return scorecard


def url(query: str = "") -> str:
    return f"{reverse('oversight:national_dashboard')}?as_of={AS_OF.isoformat()}" + (
        f"&{query}" if query else ""
    )


def cells(client, query: str = "") -> dict[str, tuple[str, str, str]]:
    """Per city code: (score, rank, band) as the table shows them."""
    html = client.get(url(query)).content.decode()
    body = html[html.index('id="national-table"') : html.index("<tfoot>")]
    found = {}
    for row in body.split('<tr data-city="')[1:]:
        code = row[: row.index('"')]
        score = re.search(r'class="num score">(?:<details[^>]*><summary>)?([^<]+)<', row)
        rank = re.search(r'class="num score-rank">([^<]+)<', row)
        band = re.search(r'class="score-band">([^<]+)<', row)
        assert score and rank and band, row
        found[code] = (score.group(1).strip(), rank.group(1).strip(), band.group(1).strip())
    return found


def test_scores_ranks_and_bands_are_what_manage_py_scorecard_prints(client, ministry_user, world):
    client.force_login(ministry_user)
    out = io.StringIO()
    call_command("scorecard", "--batch", "2024", "--as-of", AS_OF.isoformat(), stdout=out)
    printed = json.loads(out.getvalue())["cities"]
    shown = cells(client)
    assert {
        c["city"]: (c["score"], f"{c['rank']} / {len(printed)}", c["band"]) for c in printed
    } == {code: v for code, v in shown.items() if code != "XA"}
    assert shown["HHHT"] == ("63.1", "1 / 2", "合格")
    assert shown["XA"] == ("—", "—", "未设评分卡")  # the 2025 batch has no scorecard

    html = client.get(url()).content.decode()
    versions = re.search(r'<p class="hint" id="scorecard-versions">(.*?)</p>', html, re.S)
    assert versions and "2024 年批次按评分卡 v1（第 1 版，2025-01-01 起适用）" in versions.group(1)
    # The breakdown: each indicator's raw value, points and weighted points.
    row = html[html.index('<tr data-city="HHHT"') :]
    part = re.search(r'<tr data-key="level_uplift">(.*?)</tr>', row, re.S)
    assert part and re.findall(r">([^<>]+)</td>", part.group(1)) == [
        "等级提升",
        "0.15",
        "1.5000",
        "75.00",
        "11.25",
    ]


def test_the_table_sorts_by_score_and_rank(client, ministry_user, world):
    client.force_login(ministry_user)

    def order(sort: str) -> list[str]:
        return [r.code for r in client.get(url(f"sort={sort}")).context["dash"].rows]

    assert order("score") == ["NB", "HHHT", "XA"]  # no score: last either way
    assert order("-score") == ["HHHT", "NB", "XA"]
    assert order("rank") == ["HHHT", "NB", "XA"]
    assert order("-rank") == ["NB", "HHHT", "XA"]
    html = client.get(url("sort=score")).content.decode()
    assert "sort=-score" in html and "sort=rank" in html


def test_the_rank_is_within_the_whole_batch_whatever_the_table_shows(
    client, ministry_user, world, other_city
):
    # A province official sees NB alone, ranked among the batch as the ministry sees it.
    official = UserFactory(username="zj", role=Role.PROVINCE_OFFICIAL, province=other_city.province)
    client.force_login(official)
    assert cells(client) == {"NB": ("0.0", "2 / 2", "不合格")}
    client.force_login(ministry_user)
    assert cells(client, f"province={other_city.province.code}") == {
        "NB": ("0.0", "2 / 2", "不合格")
    }


def test_the_score_follows_funds_targets_and_the_scorecard(
    client, ministry_user, world, city, django_capture_on_commit_callbacks
):
    client.force_login(ministry_user)
    assert cells(client)["HHHT"][0] == "63.1"
    with CaptureQueriesContext(connection) as cached:
        assert cells(client)["HHHT"][0] == "63.1"
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        cells(client)
    assert len(cached) < len(cold) - 5

    # 80 % of central money on transformation: funds_share 75 → 100 points (+3.75).
    with django_capture_on_commit_callbacks(execute=True):
        funds_services.book_expense(
            actor=None,
            city=city,
            entry_on=dt.date(2026, 6, 1),
            source="central",
            category="transformation",
            amount=Decimal("200.00"),
            reference="Z-1",
        )
    assert cells(client)["HHHT"][0] == "66.9"
    # The level-2 target no longer met: target_attainment 50 → 0 points (−7.5).
    with django_capture_on_commit_callbacks(execute=True):
        target = CityTarget.objects.get(city=city, metric="level2_enterprises")
        target.value = Decimal(5)
        target.save()
    assert cells(client)["HHHT"][0] == "59.4"
    # New weights show at once (the scorecard is read on every request).
    ScorecardIndicator.objects.filter(scorecard=world, key="compliance_share").update(
        weight=Decimal("0.10")
    )
    ScorecardIndicator.objects.filter(scorecard=world, key="provider_satisfaction").update(
        weight=Decimal("0.30")
    )
    assert cells(client)["HHHT"][0] == "65.0"  # 59.375 − 0.15 × 50 + 0.15 × 87.5


def test_the_scores_queries_do_not_grow_with_cities(client, ministry_user, world):
    client.force_login(ministry_user)

    def count() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url()).status_code == 200
        return len(queries)

    few = count()
    for i in range(5):
        sub = SubIndustryFactory(city=CityFactory(code=f"T{i:02d}"))
        scorecard_world.level(EnterpriseFactory(sub_industry=sub), "baseline", "2025-03-01", i % 3)
    assert count() == few
