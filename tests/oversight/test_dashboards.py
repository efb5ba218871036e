"""City and national dashboards, the roster export, and the dashboard cache."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessments.models import Method, Purpose
from assessments.services import assessment_confirm
from cities.imports.service import import_file
from cities.models import CityTarget, PilotBatch, Province
from oversight import compliance
from oversight.selectors.compliance import city_compliance
from oversight.selectors.dashboard import (
    NationalRow,
    linear_projection,
    sort_rows,
    traffic_light,
)
from oversight.selectors.roster import RosterFilters, roster_for_city
from tests.assessments.factories import AssessmentFactory, confirmed_level, example_document
from tests.cities.factories import (
    CityFactory,
    DistrictFactory,
    EnterpriseFactory,
    SubIndustryFactory,
)
from tests.cities.import_files import kind_file
from tests.conftest import drain

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def confirmed(enterprise, level: int, days_ago: int = 0) -> None:
    confirmed_level(enterprise, level, days_ago=days_ago)


def dashboard_url(code="HHHT", **params):
    url = reverse("oversight:city_dashboard", args=[code])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def rows(html):
    """{code: {"denominator": …, "at": …, "ratio_text": …, "data_ratio": …, "shortfall": …}}."""
    found = {}
    for match in re.finditer(
        r'<tr data-code="([^"]+)"[^>]*data-ratio="([^"]*)"(.*?)</tr>', html, re.S
    ):
        code, data_ratio, body = match.groups()

        def cell(cls, body=body):
            m = re.search(rf'class="num {cls}">(?:<a [^>]*>)?([^<]*)', body)
            return m.group(1).strip()

        found[code] = {
            "denominator": int(cell("denominator")),
            "at": int(cell("at-or-above")),
            "ratio_text": cell("ratio"),
            "data_ratio": data_ratio or None,
            "shortfall": int(cell("shortfall")),
        }
    return found


@pytest.fixture
def seeded(city, sub_industry):
    """FOOD: 10 counted enterprises, 8 at level 2+ (80%, short 1); TEXT: 3 counted, all at 2+."""
    text = SubIndustryFactory(city=city, code="TEXT", name="纺织服装")
    food = [EnterpriseFactory(sub_industry=sub_industry) for _ in range(10)]
    for i, e in enumerate(food):
        confirmed(e, 2 if i < 8 else 1, days_ago=40)
    for e in [EnterpriseFactory(sub_industry=text) for _ in range(3)]:
        confirmed(e, 3)
    giant = EnterpriseFactory(
        sub_industry=sub_industry, quality_tier="little_giant", name="小巨人甲"
    )
    confirmed(giant, 1)
    below = EnterpriseFactory(sub_industry=text, above_scale=False)
    confirmed(below, 0, days_ago=100)
    confirmed(below, 2, days_ago=1)
    return {"food": food, "giant": giant, "text": text}


# ---------------------------------------------------------------- permissions


@pytest.mark.parametrize("name", ["oversight:city_dashboard", "oversight:roster_export"])
def test_city_official_sees_own_city_and_404_for_another(
    client, city, other_city, city_official, name
):
    client.force_login(city_official)
    response = client.get(reverse(name, args=[city.code]))
    assert response.status_code == 200
    if response.streaming:
        drain(response)  # the export's temporary file closed
    assert client.get(reverse(name, args=[other_city.code])).status_code == 404


@pytest.mark.parametrize("name", ["oversight:city_dashboard", "oversight:roster_export"])
def test_other_city_official_gets_404(client, city, other_city_official, name):
    client.force_login(other_city_official)
    assert client.get(reverse(name, args=[city.code])).status_code == 404


@pytest.mark.parametrize("persona", ["ministry_user", "admin_user_"])
def test_ministry_and_admin_see_every_city_and_the_national_dashboard(
    client, request, city, other_city, persona
):
    client.force_login(request.getfixturevalue(persona))
    for code in (city.code, other_city.code):
        assert client.get(dashboard_url(code)).status_code == 200
        export = client.get(reverse("oversight:roster_export", args=[code]))
        assert export.status_code == 200
        drain(export)  # the export's temporary file closed
    assert client.get(reverse("oversight:national_dashboard")).status_code == 200


@pytest.mark.parametrize("persona", ["enterprise_user", "assessor", "city_official"])
def test_national_dashboard_is_404_outside_ministry_and_admin(client, db, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("oversight:national_dashboard")).status_code == 404


@pytest.mark.parametrize("persona", ["enterprise_user", "assessor"])
@pytest.mark.parametrize("name", ["oversight:city_dashboard", "oversight:roster_export"])
def test_enterprise_and_assessor_get_404(client, db, request, city, persona, name):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(name, args=[city.code])).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        lambda: dashboard_url(),
        lambda: reverse("oversight:national_dashboard"),
        lambda: reverse("oversight:roster_export", args=["HHHT"]),
    ],
)
def test_anonymous_is_sent_to_login(client, city, url):
    response = client.get(url())
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


# ---------------------------------------------------------------- figures


def test_dashboard_shows_the_compliance_figures(client, city_official, seeded, city):
    client.force_login(city_official)
    response = client.get(dashboard_url())
    html = response.content.decode()
    expected = compliance.to_json(city_compliance(city=city))
    shown = rows(html)
    assert set(shown) == {s["code"] for s in expected["sub_industries"]} == {"FOOD", "TEXT"}
    for s in expected["sub_industries"]:
        row = shown[s["code"]]
        assert row["denominator"] == s["denominator"]
        assert row["at"] == s["at_or_above"]
        assert row["data_ratio"] == s["ratio"]
        assert row["shortfall"] == s["shortfall"]
    # FOOD: 8 of 11 counted (the giant is counted too) → 72.73%, short ⌈9.9⌉ − 8 = 2.
    assert shown["FOOD"] == {
        "denominator": 11,
        "at": 8,
        "ratio_text": "72.73%",
        "data_ratio": "0.7273",
        "shortfall": 2,
    }
    assert 'data-code="FOOD" data-light="amber"' in html  # short by 2
    assert 'data-code="TEXT" data-light="green"' in html
    assert "未达标" in html and "小巨人甲" in html  # the giant below level 2, by name
    assert "提高 100.00 个百分点" in html  # below-scale: 0% → 100%
    assert expected["city_compliant"] is False


def test_closest_ranks_by_fewest_changes_and_never_assessed_last(
    client, city_official, city, sub_industry
):
    never = EnterpriseFactory(sub_industry=sub_industry, name="从未评测")
    imported = EnterpriseFactory(sub_industry=sub_industry, name="仅导入等级")
    confirmed(imported, 1)
    ready = EnterpriseFactory(sub_industry=sub_industry, name="自评已达二级")
    AssessmentFactory(enterprise=ready, submitted=True)  # the §3.1 example: level 2
    low = EnterpriseFactory(sub_industry=sub_industry, name="零级企业")
    doc = example_document()
    doc["scenes"] = {k: 0 for k in doc["scenes"]}
    AssessmentFactory(enterprise=low, submitted=True, document=doc)
    client.force_login(city_official)
    response = client.get(dashboard_url())
    closest = response.context["dash"].closest
    assert [r.name for r in closest] == ["自评已达二级", "零级企业", "仅导入等级", "从未评测"]
    zero = closest[1].distance
    assert zero.level == 0 and zero.points_short == Decimal(0)  # 44.975 ≥ 40
    assert (zero.scenes_short, zero.constraint_scenes_short, zero.fewest_changes) == (6, 3, 6)
    html = response.content.decode()
    assert 'id="closest"' in html and "已满足，待现场评定确认" in html
    assert never.uscc in html


def test_targets_show_actual_against_target(client, city_official, seeded, city):
    CityTarget.objects.create(
        city=city, metric="level2_enterprises", value=20, due_date=dt.date(2027, 6, 30)
    )
    CityTarget.objects.create(
        city=city, metric="level2_share", value=50, due_date=dt.date(2027, 6, 30)
    )
    client.force_login(city_official)
    targets = {t.metric: t for t in client.get(dashboard_url()).context["dash"].targets}
    assert targets["level2_enterprises"].actual == 12  # 8 FOOD + 3 TEXT + 1 below-scale
    assert targets["level2_share"].actual == Decimal("80.00")  # 12 of 15 enterprises


def test_targets_counted_from_projects(client, city_official, seeded, city):
    """Project targets count the projects that reached their stage by as_of, per sub-industry
    when the target names one; transformed enterprises are the accepted projects."""
    from projects.models import Project

    today = dt.date.today()
    food, text = seeded["food"], seeded["text"]
    dates = {
        "applied_on": today - dt.timedelta(days=90),
        "admitted_on": today - dt.timedelta(days=80),
        "diagnosed_on": today - dt.timedelta(days=70),
        "provider_selected_on": today - dt.timedelta(days=60),
        "contract_filed_on": today - dt.timedelta(days=50),
        "completed_on": today - dt.timedelta(days=40),
        "acceptance_applied_on": today - dt.timedelta(days=30),
        "accepted_on": today - dt.timedelta(days=20),
        "subsidy_approved_on": today - dt.timedelta(days=10),
        "subsidy_paid_on": today - dt.timedelta(days=5),
    }
    Project.objects.create(enterprise=food[0], **dates)  # paid
    Project.objects.create(enterprise=seeded["giant"], **dates)  # paid, a 小巨人
    accepted = {k: v for k, v in dates.items() if not k.startswith("subsidy")}
    Project.objects.create(enterprise=food[1], **accepted)
    filed = {k: dates[k] for k in list(dates)[:5]}
    Project.objects.create(enterprise=food[2], **filed)
    text_firm = EnterpriseFactory(sub_industry=text)
    Project.objects.create(enterprise=text_firm, **{k: dates[k] for k in list(dates)[:3]})
    # Accepted only tomorrow: not counted today.
    Project.objects.create(
        enterprise=food[3], **{**accepted, "accepted_on": today + dt.timedelta(days=1)}
    )
    due = dt.date(2027, 6, 30)
    for metric in (
        "diagnosed_projects",
        "filed_projects",
        "accepted_projects",
        "subsidies_paid",
        "transformed_enterprises",
        "srdi_transformed",
    ):
        CityTarget.objects.create(city=city, metric=metric, value=3, due_date=due)
    CityTarget.objects.create(
        city=city, sub_industry=text, metric="diagnosed_projects", value=1, due_date=due
    )
    client.force_login(city_official)
    response = client.get(dashboard_url())
    targets = {(t.metric, t.scope): t for t in response.context["dash"].targets}
    assert targets["diagnosed_projects", "全市"].actual == 6
    assert targets["diagnosed_projects", text.name].actual == 1
    assert targets["diagnosed_projects", text.name].met is True
    assert targets["filed_projects", "全市"].actual == 5
    assert targets["accepted_projects", "全市"].actual == 3
    assert targets["accepted_projects", "全市"].unit == "个"
    assert targets["transformed_enterprises", "全市"].actual == 3
    assert targets["transformed_enterprises", "全市"].unit == "家"
    assert targets["transformed_enterprises", "全市"].met is True
    assert targets["subsidies_paid", "全市"].actual == 2
    assert targets["subsidies_paid", "全市"].met is False
    assert targets["srdi_transformed", "全市"].actual == 1  # the 小巨人 only
    yesterday = (today - dt.timedelta(days=21)).isoformat()
    past = client.get(dashboard_url(as_of=yesterday)).context["dash"].targets
    assert {(t.metric, t.scope): t.actual for t in past}["accepted_projects", "全市"] == 0


def test_empty_city_renders_dashes_without_dividing_by_zero(client, city_official, city):
    client.force_login(city_official)
    response = client.get(dashboard_url())
    assert response.status_code == 200
    assert "尚未导入细分行业" in response.content.decode()
    SubIndustryFactory(city=city, code="EMPTY", name="空行业")
    cache.clear()
    html = client.get(dashboard_url()).content.decode()
    assert rows(html)["EMPTY"] == {
        "denominator": 0,
        "at": 0,
        "ratio_text": "—",
        "data_ratio": None,
        "shortfall": 0,
    }
    assert 'data-light="grey"' in html and "不适用" in html


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-13-01", "YYYY-MM-DD"), ("yesterday", "YYYY-MM-DD"), ("2999-01-01", "不能晚于今天")],
)
def test_bad_as_of_is_400_with_a_message(
    client, city_official, ministry_user, city, value, message
):
    client.force_login(city_official)
    response = client.get(dashboard_url(as_of=value))
    assert response.status_code == 400
    assert message in response.content.decode()
    client.force_login(ministry_user)
    response = client.get(reverse("oversight:national_dashboard") + f"?as_of={value}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_as_of_counts_only_assessments_up_to_that_day(client, city_official, seeded):
    client.force_login(city_official)
    earlier = (TODAY() - dt.timedelta(days=50)).isoformat()
    shown = rows(client.get(dashboard_url(as_of=earlier)).content.decode())
    assert shown["FOOD"]["at"] == 0 and shown["TEXT"]["at"] == 0


def test_trend_ends_at_the_current_count(client, city_official, seeded, city):
    client.force_login(city_official)
    dash = client.get(dashboard_url()).context["dash"]
    actual = [v for v in dash.trend["actual"] if v is not None]
    assert actual[-1] == dash.counted_at_or_above == 11
    assert "最近 6 个月的变化趋势" in dash.method_text
    assert "⌈" not in dash.method_text and "×" not in dash.method_text  # words, not formulas


# ---------------------------------------------------------------- roster filters and export


def test_roster_filters_for_denominator_and_level(city_official, seeded, city):
    def count(**kw):
        return roster_for_city(user=city_official, city=city, filters=RosterFilters(**kw)).count()

    assert count(sub_industry="FOOD", counted="1") == 11
    assert count(sub_industry="FOOD", counted="1", level="at_or_above") == 8
    assert count(sub_industry="FOOD", counted="1", level="below") == 3
    never = EnterpriseFactory(sub_industry=seeded["text"])
    assert count(sub_industry="TEXT", level="below") == 1  # never confirmed counts as below
    assert never.uscc in client_roster_html(city_official, "?sub_industry=TEXT&level=below")


def client_roster_html(user, query):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c.get(reverse("oversight:roster", args=["HHHT"]) + query).content.decode()


def test_export_has_levels_and_keeps_formulas_as_text(client, city_official, seeded, sub_industry):
    EnterpriseFactory(
        sub_industry=sub_industry,
        name='=HYPERLINK("http://x","点我")',
        district=DistrictFactory(city=sub_industry.city, name="@SUM(A1)"),
    )
    client.force_login(city_official)
    response = client.get(reverse("oversight:roster_export", args=["HHHT"]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(drain(response))).active
    table = [list(r) for r in ws.iter_rows(values_only=True)]
    assert table[0][0] == "统一社会信用代码" and table[0][10] == "当前等级（只读）"
    by_name = {r[1]: r for r in table[1:]}
    assert by_name["小巨人甲"][10] == "一级"
    assert sum(1 for r in table[1:] if r[10] == "二级") == 9
    # Formula-looking text is a text cell (quote prefix), never a formula, and reads back as is.
    evil = by_name['=HYPERLINK("http://x","点我")']
    assert evil[4] == "@SUM(A1)" and evil[10] == "未评定"
    cells = {c.value: c for row in ws.iter_rows() for c in row}
    for text in ('=HYPERLINK("http://x","点我")', "@SUM(A1)"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix
    assert len(table) == 1 + 16


# ---------------------------------------------------------------- query counts


def _enterprises(sub_industry, n):
    for i in range(n):
        e = EnterpriseFactory(
            sub_industry=sub_industry, quality_tier="little_giant" if i % 7 == 0 else "none"
        )
        if i % 2:
            confirmed(e, i % 4, days_ago=i * 9)
        if i % 3 == 0:
            AssessmentFactory(enterprise=e, submitted=True)


# Measured 16 at 5 and at 60 enterprises; headroom for `compliance_for_cities`, which another
# change is reworking (18 with it), 6 for the project funnel section (23 measured with it) and 5 for
# the funds section (figures with the plan, 3; the monthly spending, 2).
# What matters: the same bound holds at 5 and at 60 (tests/oversight/test_funnel_dashboard.py
# checks the funnel section's count is equal at two sizes of projects).
BOUND = 32  # and the navigation's unread notifications (the bell, issue 16)


@pytest.mark.parametrize("n", [5, 60])
def test_city_dashboard_queries_do_not_grow_with_enterprises(
    client, city_official, sub_industry, django_assert_max_num_queries, n
):
    _enterprises(sub_industry, n)
    client.force_login(city_official)
    with django_assert_max_num_queries(BOUND):
        assert client.get(dashboard_url()).status_code == 200


@pytest.mark.parametrize("n", [5, 60])
def test_export_queries_do_not_grow_with_enterprises(
    client, city_official, sub_industry, django_assert_max_num_queries, n
):
    _enterprises(sub_industry, n)
    client.force_login(city_official)
    with django_assert_max_num_queries(4):
        export = client.get(reverse("oversight:roster_export", args=["HHHT"]))
        assert export.status_code == 200
    drain(export)


@pytest.mark.parametrize("n", [2, 12])
def test_national_dashboard_queries_do_not_grow_with_cities(
    client, ministry_user, django_assert_max_num_queries, n
):
    for i in range(n):
        sub = SubIndustryFactory(city=CityFactory(code=f"T{i:02d}"))
        for j in range(3):
            confirmed(EnterpriseFactory(sub_industry=sub), j)
    client.force_login(ministry_user)
    # 16, 5 for the performance scores' raw values (tests/oversight/test_national_scores.py) and
    # 1 for the navigation's unread notifications (the bell, issue 16)
    with django_assert_max_num_queries(22):
        response = client.get(reverse("oversight:national_dashboard"))
    assert len(response.context["dash"].rows) == n


def test_repeated_view_uses_the_cache(client, city_official, seeded, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(city_official)
    with CaptureQueriesContext(connection) as first:
        client.get(dashboard_url())
    with CaptureQueriesContext(connection) as second:
        client.get(dashboard_url())
    assert len(second) < len(first) - 5


# ---------------------------------------------------------------- national dashboard


def test_national_table_filters_sorts_and_totals(client, ministry_user, seeded, city, other_city):
    west = Province.objects.get(short_name="内蒙古")
    city.province = west
    city.save()
    sub = SubIndustryFactory(city=other_city)
    for _ in range(2):
        confirmed(EnterpriseFactory(sub_industry=sub), 2)
    client.force_login(ministry_user)
    html = client.get(reverse("oversight:national_dashboard")).content.decode()
    assert 'data-city="HHHT"' in html and 'data-city="NB"' in html
    assert 'id="national-totals"' in html and "全国合计（2 个城市）" in html
    dash = client.get(reverse("oversight:national_dashboard") + "?sort=-share").context["dash"]
    assert [r.code for r in dash.rows] == ["NB", "HHHT"]  # 100% before 11/14
    assert dash.totals.denominator == 16 and dash.totals.at_or_above == 13
    only_west = client.get(reverse("oversight:national_dashboard") + "?region=west").context["dash"]
    assert [r.code for r in only_west.rows] == ["HHHT"]
    assert f'href="{reverse("oversight:city_dashboard", args=["HHHT"])}"' in html


# ---------------------------------------------------------------- cache invalidation


def _food(client):
    return rows(client.get(dashboard_url()).content.decode())["FOOD"]


def test_figures_change_right_after_an_assessment_is_confirmed(
    client, city_official, assessor, seeded, django_capture_on_commit_callbacks
):
    client.force_login(city_official)
    assert _food(client)["at"] == 8
    target = seeded["food"][9]
    onsite = AssessmentFactory(
        enterprise=target, complete=True, method=Method.ONSITE, purpose=Purpose.POST
    )
    with django_capture_on_commit_callbacks(execute=True):
        assessment_confirm(actor=assessor, assessment_id=onsite.pk)
    assert _food(client)["at"] == 9


def test_figures_change_right_after_an_import(
    client, city_official, seeded, django_capture_on_commit_callbacks
):
    client.force_login(city_official)
    assert _food(client)["at"] == 8
    records = [
        {
            "uscc": e.uscc,
            "assessed_on": TODAY().isoformat(),
            "purpose": "post",
            "method": "onsite",
            "level": 3,
        }
        for e in seeded["food"][8:]
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = import_file(
            kind="levels", content=kind_file("levels", records), actor=city_official, dry_run=False
        )
    assert result.written
    assert _food(client)["at"] == 10


def test_figures_change_right_after_the_batch_threshold_changes(
    client, city_official, seeded, django_capture_on_commit_callbacks
):
    client.force_login(city_official)
    assert _food(client)["shortfall"] == 2
    batch = PilotBatch.objects.get(year=2024)
    batch.threshold = Decimal("0.70")
    with django_capture_on_commit_callbacks(execute=True):
        batch.save()
    assert _food(client)["shortfall"] == 0


def test_nav_links_to_the_dashboards(client, city_official, ministry_user):
    client.force_login(city_official)
    assert (
        reverse("oversight:city_dashboard", args=["HHHT"])
        in client.get(reverse("cities:city_detail", args=["HHHT"])).content.decode()
    )
    client.force_login(ministry_user)
    assert (
        reverse("oversight:national_dashboard")
        in client.get(reverse("cities:city_list")).content.decode()
    )


# ---------------------------------------------------------------- pure helpers (no database)


def _sub(den, at, threshold=Decimal("0.90")):
    return compliance.evaluate_sub_industry(
        compliance.SubIndustryCounts("X", "x", den, at), compliance.Rule(threshold, 2, frozenset())
    )


def test_traffic_light():
    t = Decimal("0.90")
    assert traffic_light(_sub(0, 0), t) == "grey"
    assert traffic_light(_sub(10, 9), t) == "green"
    assert traffic_light(_sub(100, 80), t) == "amber"  # exactly 10 points below the line
    assert traffic_light(_sub(100, 79), t) == "red"
    assert traffic_light(_sub(10, 5), t) == "red"  # short 4, 40 points below
    assert traffic_light(_sub(3, 1), t) == "amber"  # short 2


def test_linear_projection_follows_the_last_six_months():
    assert linear_projection([0, 0, 0, 1, 2, 3, 4, 5, 6], 4) == 10
    assert linear_projection([5], 12) == 5
    assert linear_projection([], 3) == 0


def test_sort_rows_puts_missing_values_last_in_both_directions():
    def row(code, den, at):
        return NationalRow(
            code, code, 2024, "east", "东部", "", "", None, None, 0, 0, 0, 0, True, den, at
        )

    rows_ = [row("A", 10, 5), row("B", 0, 0), row("C", 10, 9)]
    assert [r.code for r in sort_rows(rows_, "share")] == ["A", "C", "B"]
    assert [r.code for r in sort_rows(rows_, "-share")] == ["C", "A", "B"]
    assert [r.code for r in sort_rows(rows_, "bogus")] == ["A", "B", "C"]


def test_roster_filter_form_keeps_the_dashboard_filters(client, city_official, city):
    client.force_login(city_official)
    body = client.get("/cities/HHHT/enterprises/?counted=1&level=below").content.decode()
    assert '<option value="1" selected>' in body
    assert '<option value="below" selected>' in body
