"""The daily deadline reminders (issue 16 item 3): `as_of` boundaries (exactly the acceptance
window of 3 calendar months, month ends), the right officials, and idempotence — a second run,
or a run on a later day, sends nothing already sent."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Role
from cities.models import PilotCity
from notifications.choices import KINDS_BY_ROLE, Kind
from notifications.models import DeadlineNotice, Notification
from oversight.deadlines import Sent, deadlines_notify
from projects.models import Project
from tests.cities.factories import (
    CityFactory,
    DistrictFactory,
    EnterpriseFactory,
    SubIndustryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def people():
    city = CityFactory(code="HHHT", name="呼和浩特市")
    other = CityFactory(code="NB", name="宁波市")
    d1 = DistrictFactory(city=city, code="D1", name="赛罕区")
    d2 = DistrictFactory(city=city, code="D2", name="新城区")
    sub = SubIndustryFactory(city=city, code="FOOD", name="特色食品")
    firm = EnterpriseFactory(sub_industry=sub, district=d1, name="甲公司")
    users = {
        "off": UserFactory(role=Role.CITY_OFFICIAL, city=city),
        "off2": UserFactory(role=Role.CITY_OFFICIAL, city=other),
        "dst": UserFactory(role=Role.DISTRICT_OFFICIAL, city=city, district=d1),
        "dst2": UserFactory(role=Role.DISTRICT_OFFICIAL, city=city, district=d2),
        "ent": UserFactory(role=Role.ENTERPRISE, enterprise=firm),
    }
    return city, firm, users


def _received(users, kind):
    ids = {u.pk: name for name, u in users.items()}
    notes = list(Notification.objects.filter(kind=kind).select_related("recipient"))
    assert all(kind in KINDS_BY_ROLE[n.recipient.role] for n in notes)  # offered to the role
    return sorted(ids[n.recipient_id] for n in notes)


def _project(firm, **dates):
    base = {f: D(2025, 1, 1) for f in ("applied_on", "admitted_on", "diagnosed_on")}
    base["provider_selected_on"] = D(2025, 1, 2)
    base["contract_filed_on"] = D(2025, 1, 3)
    return Project.objects.create(enterprise=firm, **base, **dates)


def test_acceptance_overdue_exactly_after_three_calendar_months_at_a_month_end(people):
    _, firm, users = people
    # Completed on 31 January: the window ends on 30 April (the day clamped to the month's end).
    _project(firm, completed_on=D(2026, 1, 31), planned_completion_on=D(2026, 1, 31))
    assert deadlines_notify(as_of=D(2026, 4, 30)) == Sent()
    assert deadlines_notify(as_of=D(2026, 5, 1)) == Sent(acceptance_overdue=1)
    assert _received(users, Kind.ACCEPTANCE_OVERDUE) == ["dst", "off"]
    # Idempotent: the same day again, and every later day, send nothing new.
    assert deadlines_notify(as_of=D(2026, 5, 1)) == Sent()
    assert deadlines_notify(as_of=D(2026, 6, 30)) == Sent()
    assert Notification.objects.count() == 2
    assert DeadlineNotice.objects.count() == 1


def test_an_application_by_as_of_is_not_overdue(people):
    _, firm, users = people
    _project(
        firm,
        completed_on=D(2026, 2, 28),
        acceptance_applied_on=D(2026, 5, 28),
        planned_completion_on=D(2026, 2, 28),
    )
    # 28 February + 3 months = 28 May: applied that day, on time; looking from before the
    # application (as_of 29 May, applied 28 May) it is not overdue either.
    assert deadlines_notify(as_of=D(2026, 5, 29)) == Sent()
    assert deadlines_notify(as_of=D(2026, 8, 1)) == Sent()
    assert _received(users, Kind.ACCEPTANCE_OVERDUE) == []


def test_planned_completion_passed_from_the_day_after(people):
    _, firm, users = people
    project = _project(firm, planned_completion_on=D(2026, 3, 31))
    assert deadlines_notify(as_of=D(2026, 3, 31)).completion_overdue == 0
    assert deadlines_notify(as_of=D(2026, 4, 1)).completion_overdue == 1
    assert deadlines_notify(as_of=D(2026, 4, 2)).completion_overdue == 0
    assert _received(users, Kind.COMPLETION_OVERDUE) == ["dst", "off"]
    # A new planned date is a new item: overdue again once that one passes.
    Project.objects.filter(pk=project.pk).update(planned_completion_on=D(2026, 6, 30))
    assert deadlines_notify(as_of=D(2026, 6, 30)).completion_overdue == 0
    assert deadlines_notify(as_of=D(2026, 7, 1)).completion_overdue == 1


def test_pilot_ending_at_90_30_and_7_days_once_each(people):
    city, _, users = people
    # Approved 2024-12-31, 24 months: the pilot ends on 2026-12-31. Its one sub-industry has an
    # enterprise without a level: below the threshold.
    PilotCity.objects.filter(pk=city.pk).update(plan_approved_on=D(2024, 12, 31))
    end = D(2026, 12, 31)
    sent = [
        deadlines_notify(as_of=end - dt.timedelta(days=days)).pilot_ending
        for days in (91, 90, 89, 31, 30, 8, 7, 3, 0, -1)
    ]
    assert sent == [0, 1, 0, 0, 1, 0, 1, 0, 0, 0]
    # Every official of the city and of its districts, three times; nobody of city B.
    assert _received(users, Kind.PILOT_ENDING) == sorted(["dst", "dst2", "off"] * 3)
    titles = list(
        Notification.objects.filter(recipient=users["off"]).values_list("title", flat=True)
    )
    assert all("1 个细分行业未达标" in t for t in titles)


def test_a_skipped_day_sends_the_nearest_threshold_only(people):
    city, _, _ = people
    PilotCity.objects.filter(pk=city.pk).update(plan_approved_on=D(2024, 12, 31))
    assert deadlines_notify(as_of=D(2026, 12, 20)).pilot_ending == 1  # 11 days left: "30"
    assert list(DeadlineNotice.objects.values_list("threshold", flat=True)) == [30]


def test_a_compliant_pilot_gets_no_reminder(people):
    # A city whose sub-industry has no enterprise: nothing below the threshold to warn about.
    quiet = CityFactory(code="BT", name="包头市", plan_approved_on=D(2024, 12, 31))
    SubIndustryFactory(city=quiet, code="WOOL", name="羊绒")
    UserFactory(role=Role.CITY_OFFICIAL, city=quiet)
    assert deadlines_notify(as_of=D(2026, 12, 30)) == Sent()
