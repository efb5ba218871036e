"""Reads of assessments, always scoped to the user (out of scope is 404), and current levels.

An enterprise's current level is the level of its most recent confirmed assessment (an on-site
assessment confirmed by an assessor, or a confirmed level imported from a city platform).
Self-assessments are shown but never count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import ExtractMonth, ExtractYear, Lead, RowNumber
from django.utils import timezone

from accounts import policy
from cities.models import Enterprise
from sme_pilot.errors import NotFound

from .models import Assessment, Evidence, LevelMonthCount, Method, PledgeText, Purpose, State

# The one order of confirmed assessments everywhere (current level = first of LATEST_FIRST,
# baseline = first of EARLIEST_FIRST). A missing confirmation time counts as the earliest, on
# PostgreSQL and SQLite alike (their default NULL orders differ).
LATEST_FIRST: tuple[OrderBy, ...] = (
    F("assessed_on").desc(),
    F("confirmed_at").desc(nulls_last=True),
    F("id").desc(),
)
EARLIEST_FIRST: tuple[OrderBy, ...] = (
    F("assessed_on").asc(),
    F("confirmed_at").asc(nulls_first=True),
    F("id").asc(),
)

# Another party's unsubmitted self-assessment is the enterprise's private work in progress.
_PRIVATE_DRAFTS = Q(method=Method.SELF, state=State.DRAFT)


def assessment_list_visible_to(*, user: object) -> QuerySet[Assessment]:
    qs = Assessment.objects.select_related(
        "enterprise", "enterprise__city", "revision", "revision__version", "confirmed_by"
    )
    scope = policy.scope_of(user)
    if scope.reach is policy.Reach.ENTERPRISE:
        assert scope.enterprise_id is not None
        return qs.filter(enterprise_id=scope.enterprise_id)  # its own drafts included
    if scope.is_nation:
        pass
    elif scope.reach is policy.Reach.CITY:
        qs = qs.filter(enterprise__city_id=scope.city_id)
    elif scope.reach is policy.Reach.DISTRICT:
        assert scope.district_id is not None
        qs = qs.filter(enterprise__city_id=scope.city_id, enterprise__district_id=scope.district_id)
    elif scope.reach is policy.Reach.PROVINCE:
        assert scope.province_id is not None
        qs = qs.filter(enterprise__city__province_id=scope.province_id)
    else:
        return qs.none()
    return qs if policy.sees_others_drafts(user) else qs.exclude(_PRIVATE_DRAFTS)


def assessment_get_visible(*, user: object, pk: int) -> Assessment:
    try:
        return assessment_list_visible_to(user=user).get(pk=pk)
    except (Assessment.DoesNotExist, ValueError):
        raise NotFound("没有找到该评测") from None


def evidence_list_visible_to(*, user: object) -> QuerySet[Evidence]:
    """Evidence files of every assessment the user can see (and of none other)."""
    visible = assessment_list_visible_to(user=user).values("pk")
    return Evidence.objects.filter(assessment__in=visible).select_related("uploaded_by")


def evidence_get_visible(*, user: object, assessment_id: int, pk: int) -> Evidence:
    found = evidence_list_visible_to(user=user).filter(assessment_id=assessment_id, pk=pk).first()
    if found is None:
        raise NotFound("没有找到该佐证材料")
    return found


def evidence_by_item(*, user: object, assessment: Assessment) -> dict[str, list[Evidence]]:
    """The assessment's evidence files, by question or scene code, in upload order."""
    by_item: dict[str, list[Evidence]] = {}
    rows = evidence_list_visible_to(user=user).filter(assessment=assessment)
    for row in rows.order_by("uploaded_at", "id"):
        by_item.setdefault(row.item, []).append(row)
    return by_item


def counting_assessments(*, as_of: dt.date | None = None) -> QuerySet[Assessment]:
    """Confirmed assessments that count for an enterprise's level (optionally up to a date)."""
    qs = Assessment.objects.filter(state=State.CONFIRMED)
    if as_of is not None:
        qs = qs.filter(assessed_on__lte=as_of)
    return qs


def _latest_counting(as_of: dt.date | None) -> QuerySet[Assessment]:
    return (
        counting_assessments(as_of=as_of).filter(enterprise=OuterRef("pk")).order_by(*LATEST_FIRST)
    )


def is_today(as_of: dt.date | None) -> bool:
    """Whether `as_of` asks for today's levels, which the enterprise rows keep (`kept_level`):
    no confirmed assessment is dated after today (confirmation and the import date them today at
    the latest), so up to today is all of them."""
    return as_of is None or as_of >= timezone.localdate()


def latest_counting_level(as_of: dt.date | None = None) -> tuple[Subquery, Subquery]:
    """The level and date of an enterprise's (`OuterRef("pk")`) latest confirmed assessment up to
    `as_of`, computed from history: the rule the kept columns are maintained and checked by."""
    latest = _latest_counting(as_of)
    return Subquery(latest.values("level")[:1]), Subquery(latest.values("assessed_on")[:1])


def with_current_level(
    qs: QuerySet[Enterprise], *, as_of: dt.date | None = None
) -> QuerySet[Enterprise]:
    """Annotate `current_level` and `current_level_on` (None: never confirmed) in one query.

    Today (`as_of` None or today) they are the enterprise's kept columns, a plain read; an earlier
    `as_of` computes them from the confirmed assessments up to that day."""
    if is_today(as_of):
        return qs.annotate(current_level=F("kept_level"), current_level_on=F("kept_level_on"))
    level, level_on = latest_counting_level(as_of)
    return qs.annotate(current_level=level, current_level_on=level_on)


@dataclass(frozen=True)
class KeptLevelDifference:
    """An enterprise whose kept current level is not what its confirmed assessments say."""

    enterprise_id: int
    kept_level: int | None
    kept_level_on: dt.date | None
    level: int | None  # recomputed from history (None: never confirmed)
    level_on: dt.date | None


# --- the kept level history (docs/rules.md "Kept level history") -------------------------------


def assessed_month() -> ExpressionWrapper:
    """An assessment's month as the level history counts it: year × 12 + month − 1."""
    return ExpressionWrapper(
        ExtractYear("assessed_on") * 12 + ExtractMonth("assessed_on") - 1,
        output_field=IntegerField(),
    )


def span_rows(enterprise_ids: Sequence[int] | None = None) -> QuerySet[Any, Any]:
    """Each confirmed assessment (of these enterprises, or all) with its span: `span_rn`, its
    place in its enterprise's confirmed assessments in EARLIEST_FIRST order (1: the first), and
    `span_to`, the month of the next one (NULL: none). The rule `kept_first` and
    `kept_to_month` are kept and checked by."""

    def ordered(expression: Any) -> Window:
        return Window(expression, partition_by=[F("enterprise_id")], order_by=list(EARLIEST_FIRST))

    qs = counting_assessments()
    if enterprise_ids is not None:
        qs = qs.filter(enterprise_id__in=enterprise_ids)
    return (
        qs.order_by()
        .annotate(span_rn=ordered(RowNumber()), span_to=ordered(Lead(assessed_month())))
        .values("id", "enterprise_id", "span_rn", "span_to")
    )


@dataclass(frozen=True)
class SpanDifference:
    """An assessment whose kept span is not the one its enterprise's history gives it."""

    assessment_id: int
    enterprise_id: int
    kept: tuple[bool | None, int | None]  # kept_first, kept_to_month
    recomputed: tuple[bool | None, int | None]


def span_differences(*, batch: int = 2000) -> Iterator[SpanDifference]:
    """Every assessment whose kept span differs from `span_rows` (a row that is not confirmed
    keeps none), by id, streamed: one statement over all assessments."""
    inner, params = span_rows().query.sql_with_params()
    table = Assessment._meta.db_table
    differ = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    sql = (
        f"SELECT a.id, a.enterprise_id, a.kept_first, a.kept_to_month, k.span_rn, k.span_to "  # noqa: S608 (compiled ORM SQL)
        f"FROM {table} a LEFT JOIN ({inner}) k ON k.id = a.id "
        f"WHERE a.kept_first {differ} (k.span_rn = 1) OR a.kept_to_month {differ} k.span_to "
        "ORDER BY a.id"
    )
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(batch):
            for pk, enterprise_id, first, to, rn, span_to in rows:
                yield SpanDifference(
                    pk,
                    enterprise_id,
                    (None if first is None else bool(first), to),
                    (None if rn is None else rn == 1, span_to),
                )


LevelKey = tuple[int, int, bool, str, int, int, int]  # LevelMonthCount.KEY


@dataclass(frozen=True)
class LevelCountDifference:
    """A level-history counter whose kept count is not the recount of the kept spans."""

    key: LevelKey
    kept: int
    recomputed: int


def level_count_differences() -> Iterator[LevelCountDifference]:
    """Every `LevelMonthCount` key whose kept count differs from a recount of the assessments'
    kept spans (one GROUP BY), in key order; a missing row counts 0."""
    from sme_pilot.db_triggers import differing

    from . import level_triggers

    with connection.cursor() as cursor:
        cursor.execute(level_triggers.RECOMPUTED[connection.vendor])
        recomputed: dict[LevelKey, int] = {
            (int(c), int(s), bool(a), str(t), int(k), int(lv), int(m)): int(n)
            for c, s, a, t, k, lv, m, n in cursor.fetchall()
        }
    kept: dict[LevelKey, int] = {
        (c, s, bool(a), t, k, lv, m): n
        for c, s, a, t, k, lv, m, n in LevelMonthCount.objects.values_list(
            *LevelMonthCount.KEY, "n"
        )
    }
    for key, mine, theirs in differing(kept, recomputed, 0):
        yield LevelCountDifference(key, mine, theirs)


def kept_level_differences(*, batch: int = 2000) -> Iterator[KeptLevelDifference]:
    """Every enterprise whose kept level or date differs from the recomputation from history,
    by id, streamed: one statement comparing the whole roster.

    On PostgreSQL the recomputation is a DISTINCT ON over the confirmed assessments in
    LATEST_FIRST order (one sort, then a hash join with the roster); elsewhere the correlated
    subqueries of `latest_counting_level`. Both are built from the same ORM definitions the
    reads use, so the rule is written once."""
    enterprises = Enterprise._meta.db_table
    if connection.vendor == "postgresql":
        latest = (
            counting_assessments()
            .order_by("enterprise_id", *LATEST_FIRST)
            .distinct("enterprise_id")
            .values("enterprise_id", "level", "assessed_on")
        )
        inner, params = latest.query.sql_with_params()
        sql = (
            f"SELECT e.id, e.kept_level, e.kept_level_on, r.level, r.assessed_on "  # noqa: S608 (compiled ORM SQL)
            f"FROM {enterprises} e LEFT JOIN ({inner}) r ON r.enterprise_id = e.id "
            "WHERE e.kept_level IS DISTINCT FROM r.level "
            "OR e.kept_level_on IS DISTINCT FROM r.assessed_on ORDER BY e.id"
        )
    else:
        level, level_on = latest_counting_level()
        recomputed = (
            Enterprise.objects.order_by()
            .annotate(h_level=level, h_level_on=level_on)
            .values_list("id", "kept_level", "kept_level_on", "h_level", "h_level_on")
        )
        inner, params = recomputed.query.sql_with_params()
        sql = (
            f"SELECT * FROM ({inner}) r "  # noqa: S608 (compiled ORM SQL)
            "WHERE r.kept_level IS NOT r.h_level OR r.kept_level_on IS NOT r.h_level_on "
            "ORDER BY r.id"
        )
    date_field = Enterprise._meta.get_field("kept_level_on")
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(batch):
            for pk, kept, kept_on, level_now, on in rows:
                yield KeptLevelDifference(
                    pk,
                    kept,
                    date_field.to_python(kept_on),
                    level_now,
                    date_field.to_python(on),
                )


def with_latest_self_assessment(qs: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
    """Annotate the newest submitted self-assessment's id, level and score (for assessors)."""
    latest = Assessment.objects.filter(
        enterprise=OuterRef("pk"), method=Method.SELF, state=State.SUBMITTED
    ).order_by("-submitted_at", "-id")
    return qs.annotate(
        self_assessment_id=Subquery(latest.values("id")[:1]),
        self_assessment_level=Subquery(latest.values("level")[:1]),
        self_assessment_score=Subquery(latest.values("total_score")[:1]),
    )


def current_assessment_of(
    *, enterprise: Enterprise, as_of: dt.date | None = None
) -> Assessment | None:
    """The assessment whose level is the enterprise's current level: first of LATEST_FIRST."""
    return (
        counting_assessments(as_of=as_of)
        .filter(enterprise=enterprise)
        .order_by(*LATEST_FIRST)
        .first()
    )


def current_level_of(*, enterprise: Enterprise, as_of: dt.date | None = None) -> int | None:
    current = current_assessment_of(enterprise=enterprise, as_of=as_of)
    return None if current is None else current.level


def latest_submitted_self_assessment(
    *, enterprise: Enterprise, purpose: str | None = None
) -> Assessment | None:
    """The enterprise's newest submitted self-assessment (of one purpose, when given)."""
    qs = Assessment.objects.filter(enterprise=enterprise, method=Method.SELF, state=State.SUBMITTED)
    if purpose is not None:
        qs = qs.filter(purpose=purpose)
    return qs.order_by("-submitted_at", "-id").first()


# --- the on-site assessor's queue (待评定) -------------------------------------------------------

# Purposes an on-site assessment can have, so the purposes of a self-assessment that waits for
# one. A 自评 (self_check) is the enterprise's own check: no on-site assessment answers it.
QUEUE_PURPOSES = (Purpose.BASELINE, Purpose.POST)


def onsite_queue_visible_to(*, user: object, purpose: str | None = None) -> QuerySet[Assessment]:
    """Submitted self-assessments of the user's reach waiting for an on-site assessment.

    In the queue: a self-assessment that is submitted (a returned one is the enterprise's again),
    of purpose 改造前 or 改造后, the newest submitted one of its enterprise and purpose (an older
    submission is overtaken by the newer), and not yet answered: no on-site assessment of the
    same enterprise and purpose was confirmed (`confirmed_at`, imported levels included) at or
    after it was submitted. An on-site draft of the same enterprise and purpose in progress
    leaves it listed, with `onsite_draft_id` set (评定中). Newest submission first.

    Only assessors get rows (the queue is their work); everyone else an empty queryset.
    """
    if not policy.has(user, policy.Ability.ASSESS_ONSITE):
        return Assessment.objects.none()
    same = {"enterprise": OuterRef("enterprise"), "purpose": OuterRef("purpose")}
    newer_submission = Assessment.objects.filter(
        **same, method=Method.SELF, state=State.SUBMITTED
    ).filter(
        Q(submitted_at__gt=OuterRef("submitted_at"))
        | Q(submitted_at=OuterRef("submitted_at"), id__gt=OuterRef("id"))
    )
    answered = Assessment.objects.filter(
        **same,
        method=Method.ONSITE,
        state=State.CONFIRMED,
        confirmed_at__gte=OuterRef("submitted_at"),
    )
    draft = Assessment.objects.filter(**same, method=Method.ONSITE, state=State.DRAFT).order_by(
        "-id"
    )
    qs = (
        assessment_list_visible_to(user=user)
        .select_related("enterprise__sub_industry")
        .filter(
            method=Method.SELF,
            state=State.SUBMITTED,
            purpose__in=QUEUE_PURPOSES,
            submitted_at__isnull=False,
        )
        .filter(~Exists(newer_submission), ~Exists(answered))
        .annotate(onsite_draft_id=Subquery(draft.values("id")[:1]))
    )
    if purpose:
        qs = qs.filter(purpose=purpose)
    return qs.order_by("-submitted_at", "-id")


def enterprise_assessment_history(*, user: object, enterprise: Enterprise) -> QuerySet[Assessment]:
    """Every assessment of one enterprise the user may see, newest first."""
    return (
        assessment_list_visible_to(user=user)
        .filter(enterprise=enterprise)
        .order_by("-assessed_on", "-id")
    )


def current_pledge_text() -> PledgeText | None:
    return PledgeText.objects.order_by("-created_at", "-id").first()


@dataclass(frozen=True)
class RescoreChange:
    assessment_id: int
    enterprise_uscc: str
    state: str
    revision: int
    old_level: int
    new_level: int
    old_total: Decimal | None
    new_total: Decimal


@dataclass(frozen=True)
class RescorePreview:
    """What a rescore preview found: only counts, its changes went to `on_change` one by one."""

    version: str
    newest_revision: int
    examined: int
    level_changes: int


# What a rescore reads of each stored assessment (bench/rescore.py's floor reads the same).
RESCORE_FIELDS = (
    "id",
    "enterprise__uscc",
    "state",
    "revision__number",
    "level",
    "total_score",
    "answers",
    "scenes",
    "data",
)


def rescore_preview(
    *,
    version_code: str,
    on_change: Callable[[RescoreChange], object] = lambda change: None,
    chunk_size: int = 2000,
) -> RescorePreview:
    """Scored assessments of a version whose level would change under its newest revision, each
    handed to `on_change` as it is found; the counts returned.

    Reads only; nothing is changed. Assessments already on the newest revision are skipped.
    Streams: the assessments are read `chunk_size` at a time and nothing is kept of them but
    the counts, so memory does not grow with their number (issue 17 item 5).
    """
    from . import indicators, scoring

    newest = indicators.current_revision(version_code)
    if newest is None:
        raise NotFound(f"评测指标版本 {version_code} 不存在")
    indicator = indicators.indicator_for(newest)
    rows = (
        Assessment.objects.filter(
            revision__version=newest.version,
            state__in=[State.SUBMITTED, State.CONFIRMED],
            level__isnull=False,
        )
        .exclude(revision=newest)
        .order_by("id")
        .values_list(*RESCORE_FIELDS)
    )
    examined = changes = 0
    for pk, uscc, state, number, level, total, answers, scenes, data in rows.iterator(
        chunk_size=chunk_size
    ):
        examined += 1
        if scoring.validate_answers(answers, scenes, data, indicator, complete=True):
            continue  # no longer a complete document under the new revision: not comparable
        result = scoring.score(answers, scenes, data, indicator)
        if level is not None and result.level != level:
            changes += 1
            on_change(
                RescoreChange(pk, uscc, state, number, level, result.level, total, result.total)
            )
    return RescorePreview(version_code, newest.number, examined, changes)
