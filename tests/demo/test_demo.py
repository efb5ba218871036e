"""The demo lives in the present: its dates are relative to the day it is loaded."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from assessments import indicators, scoring
from assessments.models import Assessment
from cities.models import PilotCity, add_months
from demo.services import demo_seed
from funds.models import FundsPlan
from funds.selectors import city_funds
from notifications.selectors import unread_count
from oversight.deadlines import Sent, deadlines_notify
from oversight.selectors.dashboard.city import city_dashboard
from oversight.selectors.scorecard import city_scorecards

pytestmark = pytest.mark.django_db


def test_one_city_ends_within_three_months_and_one_is_mid_pilot_with_a_projection():
    demo_seed()
    today = timezone.localdate()
    ends = {c.code: c.pilot_end_date for c in PilotCity.objects.select_related("batch")}
    assert today < ends["NB"] <= add_months(today, 3)
    hhht = PilotCity.objects.select_related("batch").get(code="HHHT")
    assert hhht.plan_approved_on is not None
    assert hhht.plan_approved_on <= add_months(today, -6) and ends["HHHT"] >= add_months(today, 6)

    trend = city_dashboard(city=hhht, as_of=today).trend
    actual = [v for v in trend["actual"] if v is not None]
    projected_ahead = trend["projected"][len(actual) :]
    assert len(actual) >= 6 and actual[-1] > actual[0]  # a year of history that moves
    assert projected_ahead and all(v is not None for v in projected_ahead)
    assert trend["labels"][-1] == ends["HHHT"].strftime("%Y-%m")


def test_nothing_is_dated_in_the_future():
    demo_seed()
    latest = Assessment.objects.order_by("-assessed_on").values_list("assessed_on", flat=True)[0]
    assert latest <= timezone.localdate()
    assert isinstance(latest, dt.date)
    # No project step after today either (the kept project counters read "has the date" as
    # "reached by today"), and every kept aggregate equals its recount from history.
    from projects.models import Project

    assert Project.objects.filter(subsidy_paid_on__isnull=False).exists()
    out = io.StringIO()
    call_command("verify_aggregates", stdout=out)  # CommandError on any difference
    assert "晚于今天的项目日期 / projects dated after today: 0 个项目" in out.getvalue()


def test_the_mid_pilot_city_has_enterprises_just_below_the_line_from_answered_questionnaires():
    demo_seed()
    hhht = PilotCity.objects.select_related("batch").get(code="HHHT")
    dash = city_dashboard(city=hhht, as_of=timezone.localdate())
    measured = [r for r in dash.closest if r.distance.fewest_changes is not None]
    assert len(measured) >= 24  # a few dozen, each measured from its answers
    methods = {r.distance.method for r in measured}
    assert methods == {"self", "onsite"}  # submitted self-assessments, some confirmed on site
    # Every one is below the rule's level by the real scoring of its stored answers.
    usccs = [r.uscc for r in measured]
    answered = Assessment.objects.filter(
        enterprise__uscc__in=usccs, revision__isnull=False
    ).select_related("revision")
    assert {a.enterprise.uscc for a in answered.select_related("enterprise")} == set(usccs)
    for a in answered:
        assert a.revision is not None and a.answers
        result = scoring.score(a.answers, a.scenes, a.data, indicators.indicator_for(a.revision))
        assert result.level == a.level < hhht.batch.min_level
        assert result.total == a.total_score
    assert all(r.distance.fewest_changes <= 3 for r in measured)  # type: ignore[operator]


def test_the_demo_has_districts_and_a_login_for_each_new_role():
    from accounts.models import Role, User
    from cities.models import District, Enterprise

    result = demo_seed()
    for city_code in ("HHHT",):
        assert District.objects.filter(city__code=city_code).count() >= 3
    assert not Enterprise.objects.filter(district__isnull=True).exists()
    assert not Enterprise.objects.exclude(district__city=models.F("city")).exists()
    by_name = {u.username: u for u in User.objects.filter(username__startswith="demo_")}
    district_official = by_name["demo_district"]
    assert district_official.role == Role.DISTRICT_OFFICIAL
    assert district_official.district is not None
    assert district_official.district.city == district_official.city
    assert by_name["demo_provider"].provider is not None
    assert by_name["demo_province"].province == district_official.city.province
    listed = {login.username: login for login in result.logins}
    assert {"demo_district", "demo_provider", "demo_province"} <= set(listed)
    assert listed["demo_province"].scope == "内蒙古自治区"


def test_the_demo_is_a_living_pilot_with_libraries_policies_and_projects_at_every_stage():
    from projects import rules
    from projects.models import Project, SubsidyRule
    from projects.selectors.funnel import city_funnel
    from providers.models import LibraryEntry

    demo_seed()
    today = timezone.localdate()
    hhht = PilotCity.objects.get(code="HHHT")
    by_status = set(LibraryEntry.objects.filter(city=hhht).values_list("status", flat=True))
    assert {"active", "warned", "suspended"} <= by_status
    demo_provider_entry = LibraryEntry.objects.get(city=hhht, provider__name__contains="草原云")
    assert demo_provider_entry.status == "active"  # the demo provider login serves projects
    assert SubsidyRule.objects.filter(city=hhht).exists()
    funnel = city_funnel(city=hhht, as_of=today)
    assert all(funnel["reached"][s.value] > 0 for s in rules.STAGES), funnel["reached"]
    assert funnel["rejected"] > 0
    assert Project.objects.filter(acceptance_failed_on__isnull=False).exists()
    assert Project.objects.filter(withdrawn_on__isnull=False).exists()
    # Nothing after today, and every paid subsidy within the entitlement (the import checked it).
    latest = Project.objects.aggregate(models.Max("applied_on"))["applied_on__max"]
    assert latest is not None and latest <= today
    assert Project.objects.filter(enterprise__city=hhht, provider__isnull=False).exists()


def test_every_demo_role_that_moves_projects_finds_work_in_its_queue():
    from accounts.models import User
    from projects.selectors import queues

    demo_seed()
    for username, queue in (
        ("demo_city", "admit"),
        ("demo_city", "filings"),
        ("demo_city", "schedule"),
        ("demo_city", "record_acceptance"),
        ("demo_provider", "provider_diagnose"),
        ("demo_assessor", "onsite_acceptance"),
    ):
        counts = queues.queue_counts(User.objects.get(username=username))
        assert counts[queue] > 0, (username, queue, counts)
    district = User.objects.get(username="demo_district")
    assert queues.waiting_count(district) > 0


def test_the_demo_cities_keep_a_funds_ledger_within_the_limits():
    demo_seed()
    today = timezone.localdate()
    hhht = PilotCity.objects.select_related("batch").get(code="HHHT")
    funds = city_funds(city=hhht, as_of=today)
    assert Decimal(funds["central"]["received"]) > 0
    assert Decimal(funds["central"]["platform"]) > 0
    assert Decimal(funds["central"]["transformation"]) > 0  # the paid subsidies
    assert funds["other_within_limit"] is True
    assert Decimal(funds["central"]["received"]) <= Decimal(funds["award_cap"])
    assert FundsPlan.objects.filter(city=hhht).count() == 8


def test_every_demo_city_gets_a_performance_score():
    demo_seed()
    today = timezone.localdate()
    cities = list(PilotCity.objects.select_related("batch"))
    rows = city_scorecards(cities, today)
    assert {r.city.code for r in rows} == {c.code for c in cities}
    hhht = next(r for r in rows if r.city.code == "HHHT")
    assert hhht.score > 0
    assert not hhht.result.parts[0].missing  # compliance share
    assert {r.scorecard.version for r in rows} == {1}


def test_the_demo_city_official_finds_todays_deadline_reminders_behind_the_bell():
    from accounts.models import User

    demo_seed()
    assert unread_count(user=User.objects.get(username="demo_city")) > 0
    assert deadlines_notify() == Sent()  # the daily task sends none of them again


def test_the_demo_city_has_transformation_samples_its_reports_list():
    from projects.selectors.samples import city_samples

    demo_seed()
    hhht = PilotCity.objects.get(code="HHHT")
    rows = city_samples(hhht, timezone.localdate())
    assert len(rows) == 3
    for row in rows:
        # Each one an accepted project with the level it reached, as the report prints it.
        assert row.after_level is not None and row.after_level >= 2, row
