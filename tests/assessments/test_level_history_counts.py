"""The kept level history (docs/rules.md "Kept level history", issue 17): the spans
`refresh_current_level` keeps on the assessment rows equal their recomputation from history, and
the triggers on `assessments_assessment` and `cities_enterprise` keep `LevelMonthCount` equal to
a recount of those spans, after every write path (confirmations, corrections, the levels import,
returned self-assessments, stale saves, enterprises reclassified, moved to another city,
imported, deleted); today's level history of a city read from the counters equals the one
computed from the assessments (trend, first month, baselines, the below-scale baseline);
`verify_aggregates` reports a wrong span or counter and `--fix` repairs both."""

from __future__ import annotations

import io
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from assessments import level_triggers
from assessments.models import Assessment, LevelMonthCount, Method, Purpose, State
from assessments.selectors import level_count_differences, span_differences
from assessments.services import refresh_current_level
from cities.models import PilotCity, QualityTier
from oversight.selectors.compliance import rule_for
from oversight.selectors.dashboard import history
from tests.assessments.factories import AssessmentFactory
from tests.assessments.test_kept_level import DAY, TODAY
from tests.assessments.test_roster_counts import RosterWorld, run_verify
from tests.cities.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def summary(h: history.LevelHistory) -> tuple:
    """What the dashboard reads of a history: the month-end counts per sub-industry over the
    last 40 months, the first month, the baselines, the below-scale baseline."""
    now = history.month_index(timezone.localdate())
    months = list(range(now - 39, now + 1))
    codes = {code for code, *_ in h.intervals} | set(h.baseline)
    return (
        h.counts(months, codes),
        h.first_month,
        {code: dict(levels) for code, levels in h.baseline.items() if sum(levels.values())},
        h.below_scale_baseline_at_or_above,
    )


def from_history(city: PilotCity, monkeypatch) -> history.LevelHistory:
    with monkeypatch.context() as m:
        m.setattr(history, "is_today", lambda as_of: False)
        return history.level_history(city, TODAY, rule_for(city.batch))


def exact(monkeypatch) -> None:
    assert list(span_differences()) == []
    assert list(level_count_differences()) == []
    for city in PilotCity.objects.all():
        kept = history.level_history(city, TODAY, rule_for(city.batch))
        assert summary(kept) == summary(from_history(city, monkeypatch)), city.code


class HistoryWorld(RosterWorld):
    def import_old_levels(self) -> None:
        """Levels dated over the last 500 days (some in one month, same days and keys
        rewritten), so that spans open and close in different months."""
        self.import_levels(days_ago=(0, 1, 31, 45, 90, 200, 500))


def workload(world: HistoryWorld, steps: int, monkeypatch) -> None:
    choices = [*world.steps(), *[world.import_old_levels] * 3, world.return_self_assessment]
    for _ in range(steps):
        world.rng.choice(choices)()
        exact(monkeypatch)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomised_workload_keeps_the_level_history_exact(city, seed, monkeypatch):
    world = HistoryWorld(city, random.Random(seed))
    workload(world, 16, monkeypatch)
    kept = history.level_history(city, TODAY, rule_for(city.batch))
    assert kept.first_month is not None and kept.intervals and kept.baseline
    assert LevelMonthCount.objects.filter(kind=level_triggers.SPANS, n__lt=0).exists()


def test_a_stale_save_does_not_write_an_old_span_back(city, monkeypatch):
    world = HistoryWorld(city, random.Random(5))
    world.confirm_onsite()
    first = Assessment.objects.filter(state=State.CONFIRMED).order_by("pk").first()
    stale = Assessment.objects.get(pk=first.pk)
    for _ in range(3):  # later confirmations of the same enterprise close its span
        world.pick = lambda: first.enterprise  # type: ignore[method-assign]
        world.confirm_onsite()
    assert Assessment.objects.get(pk=first.pk).kept_to_month is not None
    stale.return_comment = "仅更新备注"
    stale.save()
    assert Assessment.objects.get(pk=first.pk).kept_to_month is not None
    exact(monkeypatch)


def _counter_past_the_triggers(city, n: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {level_triggers.TABLE} ({level_triggers.KEY}, n) "  # noqa: S608
            "VALUES (%s, 0, false, 'none', 0, 3, 24300, %s)",
            [city.pk, n],
        )


def test_verify_reports_a_wrong_span_and_counter_and_fix_repairs_both(city, monkeypatch):
    world = HistoryWorld(city, random.Random(9))
    for _ in range(3):
        world.confirm_onsite()
    a = Assessment.objects.filter(state=State.CONFIRMED, kept_first=True).first()
    # A span written past refresh_current_level (by hand): the triggers follow it, so the
    # counters equal the kept spans but not the history.
    Assessment.objects.filter(pk=a.pk).update(kept_first=False, kept_to_month=24299)
    _counter_past_the_triggers(city, 2)
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 处等级历史与评测记录不符"):
        call_command("verify_aggregates", stdout=out)
    text = out.getvalue()
    assert (
        f"评测 assessment {a.pk} (企业 enterprise {a.enterprise_id}): "
        "保存 kept 后续 later, 至 to 2024-12 ≠ 重算 recomputed 首次 first"
    ) in text
    assert "kind=0 level=3 month=2025-01: 保存 kept 2 ≠ 重算 recomputed 0" in text
    fixed = run_verify("--fix")
    assert "已重建等级历史 rebuilt the level history (2 处差异 differed)" in fixed
    exact(monkeypatch)


def test_the_rebuild_equals_the_triggers(city, monkeypatch):
    world = HistoryWorld(city, random.Random(13))
    workload(world, 6, monkeypatch)
    kept = set(LevelMonthCount.objects.exclude(n=0).values_list(*LevelMonthCount.KEY, "n"))
    with connection.cursor() as cursor:
        level_triggers.rebuild(connection, cursor)
    assert set(LevelMonthCount.objects.values_list(*LevelMonthCount.KEY, "n")) == kept


def test_a_lost_trigger_is_put_back_and_the_counters_recounted_after_migrate(city, monkeypatch):
    world = HistoryWorld(city, random.Random(15))
    assert level_triggers.missing(connection) == []
    lost = level_triggers.TRIGGERS[connection.vendor][level_triggers.ASSESSMENTS][1]  # update
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TRIGGER {lost}"
            + (f" ON {level_triggers.ASSESSMENTS}" if connection.vendor == "postgresql" else "")
        )
    assert level_triggers.missing(connection) == [lost]
    world.confirm_onsite()
    world.confirm_onsite()
    assert list(level_count_differences()) != []  # the spans' update went uncounted
    assert level_triggers.reinstall_if_missing(connection)
    assert level_triggers.missing(connection) == []
    exact(monkeypatch)


def test_an_assessment_no_longer_confirmed_leaves_the_history(city, monkeypatch):
    """No write path of the product un-confirms an assessment; SQL by hand or the admin could,
    and the next refresh of its enterprise takes its span out."""
    world = HistoryWorld(city, random.Random(21))
    world.import_old_levels()
    a = Assessment.objects.filter(state=State.CONFIRMED, kept_first=True).first()
    Assessment.objects.filter(pk=a.pk).update(state=State.RETURNED)
    refresh_current_level([a.enterprise_id])
    a.refresh_from_db()
    assert (a.kept_first, a.kept_to_month) == (None, None)
    exact(monkeypatch)


def test_the_first_month_is_that_of_a_counted_enterprise(city, monkeypatch):
    """An enterprise the rule does not count (below scale, no tier) assessed earliest does not
    start the trend; its baseline still counts among the below-scale baselines."""
    world = HistoryWorld(city, random.Random(23))
    rule = rule_for(city.batch)
    uncounted = EnterpriseFactory(
        sub_industry=world.subs[0], above_scale=False, quality_tier=QualityTier.NONE
    )
    counted = EnterpriseFactory(sub_industry=world.subs[0], above_scale=True)
    for e, days, level in ((uncounted, 500, 4), (counted, 45, 3)):
        AssessmentFactory(
            enterprise=e,
            method=Method.ONSITE,
            purpose=Purpose.BASELINE,
            state=State.CONFIRMED,
            level=level,
            revision=None,
            assessed_on=TODAY - days * DAY,
            confirmed_at=timezone.now(),
        )
    kept = history.level_history(city, TODAY, rule)
    assert kept.first_month == history.month_index(TODAY - 45 * DAY)
    assert kept.below_scale_baseline_at_or_above == 1
    exact(monkeypatch)
