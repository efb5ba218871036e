"""Deadline reminders (issue 16 item 3): the daily task that tells city and district officials
what is overdue or about to run out, once per item and threshold.

- acceptance overdue (§4.6 `overdue.acceptance`: completion plus the batch's window, calendar
  months clamped to the month's end, before `as_of`, no application by then);
- planned completion passed (§4.6 `overdue.completion`);
- the pilot period ending in 90 / 30 / 7 days with sub-industries still below the threshold.

Idempotent: each reminder is keyed (`notifications.DeadlineNotice`: item, threshold) and the
key is written with the notifications, so running the task twice sends nothing new. The keys
name the date they are about (a re-planned completion is a new item). Keys already sent are
read in one query per kind, so a daily run over many overdue projects writes only what is new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cities.models import PilotCity
from notifications import recipients
from notifications.choices import Kind
from notifications.models import DeadlineNotice
from notifications.services import Event, notify_once
from projects.models import Project
from projects.selectors.funnel import acceptance_overdue_q, completion_overdue_q

from .selectors.compliance import compliance_for_cities

PILOT_END_THRESHOLDS = (7, 30, 90)  # days before the pilot's end, smallest first


@dataclass(frozen=True)
class Sent:
    acceptance_overdue: int = 0
    completion_overdue: int = 0
    pilot_ending: int = 0


def _already(items: Iterable[str], threshold: int = 0) -> set[str]:
    keys = list(items)
    return set(
        DeadlineNotice.objects.filter(item__in=keys, threshold=threshold).values_list(
            "item", flat=True
        )
    )


def _officials(project: Project) -> recipients.Audience:
    ent = project.enterprise
    return recipients.of(city_officials=ent.city_id, district=ent.district_id)


def _projects(q: Q) -> list[Project]:
    return list(
        Project.objects.filter(q)
        .select_related("enterprise")
        .only(
            "pk",
            "completed_on",
            "planned_completion_on",
            "enterprise__name",
            "enterprise__city_id",
            "enterprise__district_id",
        )
        .order_by("pk")
    )


def _project_reminders(
    projects: list[Project], kind: str, key_of: str, title: str, body: str
) -> int:
    keys = {p.pk: key_of.format(p=p) for p in projects}
    done = _already(keys.values())
    sent = 0
    for p in projects:
        if keys[p.pk] in done:
            continue
        event = Event(
            kind=kind,
            title=title.format(p=p),
            body=body.format(p=p),
            link=reverse("projects:project_detail", args=[p.pk]),
            subject_type="project",
            subject_id=p.pk,
        )
        sent += notify_once(item=keys[p.pk], threshold=0, recipients=_officials(p), event=event)
    return sent


def _pilot_threshold(end: dt.date, as_of: dt.date) -> int | None:
    days = (end - as_of).days
    if days < 0:
        return None
    return next((t for t in PILOT_END_THRESHOLDS if days <= t), None)


def _pilot_reminders(as_of: dt.date) -> int:
    due: dict[int, tuple[PilotCity, int]] = {}
    for city in PilotCity.objects.select_related("batch").filter(plan_approved_on__isnull=False):
        end = city.pilot_end_date
        threshold = _pilot_threshold(end, as_of) if end else None
        if threshold is not None:
            due[city.pk] = (city, threshold)
    if not due:
        return 0
    sent = 0
    results = compliance_for_cities([c for c, _ in due.values()], as_of=as_of, uplift=False)
    by_code = {r.city: r for r in results}
    for city, threshold in due.values():
        below = [s for s in by_code[city.code].sub_industries if s.compliant is False]
        if not below:
            continue  # nothing to warn about; a later threshold may still apply
        names = "、".join(s.name for s in below[:10]) + ("等" if len(below) > 10 else "")
        event = Event(
            kind=Kind.PILOT_ENDING,
            title=f"{city.name}试点期将于 {city.pilot_end_date:%Y-%m-%d} 结束（{threshold} 天内），"
            f"仍有 {len(below)} 个细分行业未达标",
            body=f"未达标细分行业：{names}",
            link=reverse("oversight:city_dashboard", args=[city.code]),
            subject_type="city",
            subject_id=city.pk,
        )
        sent += notify_once(
            item=f"pilot_ending:city:{city.pk}:{city.pilot_end_date:%Y-%m-%d}",
            threshold=threshold,
            recipients=recipients.of(city_officials=city.pk, district_officials_of_city=city.pk),
            event=event,
        )
    return sent


def deadlines_notify(*, as_of: dt.date | None = None) -> Sent:
    """Send the reminders due on `as_of` (today) that were not sent before."""
    as_of = as_of or timezone.localdate()
    months = dict(PilotCity.objects.values_list("pk", "batch__acceptance_window_months"))
    late_acceptance = _projects(acceptance_overdue_q(as_of, months))
    late_completion = _projects(completion_overdue_q(as_of))
    return Sent(
        acceptance_overdue=_project_reminders(
            late_acceptance,
            Kind.ACCEPTANCE_OVERDUE,
            "acceptance_overdue:project:{p.pk}:{p.completed_on:%Y-%m-%d}",
            "逾期未申请验收：{p.enterprise.name}",
            "完工日期 {p.completed_on:%Y-%m-%d}，已超过验收申请期限，尚未申请验收",
        ),
        completion_overdue=_project_reminders(
            late_completion,
            Kind.COMPLETION_OVERDUE,
            "completion_overdue:project:{p.pk}:{p.planned_completion_on:%Y-%m-%d}",
            "逾期未完工：{p.enterprise.name}",
            "计划完工日期 {p.planned_completion_on:%Y-%m-%d}，尚未完工",
        ),
        pilot_ending=_pilot_reminders(as_of),
    )
