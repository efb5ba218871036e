"""The kept current level (docs/rules.md "Kept current level", issue 17): every write path keeps
`Enterprise.kept_level`/`kept_level_on` equal to what the confirmed assessments say, today's
figures read it, `manage.py verify_aggregates` finds and `--fix` repairs any difference, and the
migration's back-fill computes the same thing."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import random
from collections import defaultdict
from collections.abc import Callable, Sequence

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from assessments import selectors, services
from assessments.models import Assessment, Method, Purpose, State
from cities.imports.service import import_file
from cities.models import Enterprise, QualityTier
from cities.services.registry import enterprise_update
from oversight.selectors import compliance as compliance_selectors
from oversight.selectors.compliance import compliance_for_cities, rule_for
from oversight.selectors.dashboard import history as dashboard_history
from oversight.selectors.dashboard.city import city_dashboard
from tests.assessments.factories import AssessmentFactory, example_document, top_document
from tests.cities.factories import EnterpriseFactory, SubIndustryFactory, UserFactory
from tests.cities.import_files import enterprise_record, kind_file

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def run_verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_aggregates", *args, stdout=out)
    return out.getvalue()


def kept() -> dict[int, tuple[int | None, dt.date | None]]:
    return {
        pk: (lv, on) for pk, lv, on in Enterprise.objects.values_list("pk", *Enterprise.KEPT_FIELDS)
    }


def oracle(as_of: dt.date | None = None) -> dict[int, tuple[int | None, dt.date | None]]:
    """Each enterprise's current level from the assessment rows, in Python (docs/rules.md §1:
    latest assessed_on, then confirmed_at with a missing one earliest, then id)."""
    best: dict[int, Assessment] = {}
    for a in Assessment.objects.filter(state=State.CONFIRMED):
        if as_of is not None and a.assessed_on > as_of:
            continue
        key = (a.assessed_on, a.confirmed_at or EPOCH, a.pk)
        old = best.get(a.enterprise_id)
        if old is None or key > (old.assessed_on, old.confirmed_at or EPOCH, old.pk):
            best[a.enterprise_id] = a
    out: dict[int, tuple[int | None, dt.date | None]] = {}
    for pk in Enterprise.objects.values_list("pk", flat=True):
        a = best.get(pk)
        out[pk] = (None, None) if a is None else (a.level, a.assessed_on)
    return out


def history_today(monkeypatch):
    """Make the readers compute today from history too (the path an earlier as_of takes)."""
    monkeypatch.setattr(selectors, "is_today", lambda as_of: False)
    monkeypatch.setattr(compliance_selectors, "is_today", lambda as_of: False)
    monkeypatch.setattr(dashboard_history, "is_today", lambda as_of: False)


# --- a randomised workload through the real write paths -----------------------------------------


class World:
    def __init__(self, city, rng: random.Random) -> None:
        self.city = city
        self.rng = rng
        self.subs = [
            SubIndustryFactory(city=city, code="FOOD", name="特色食品"),
            SubIndustryFactory(city=city, code="MOLD", name="模具"),
        ]
        self.assessor = UserFactory(role=Role.ASSESSOR, city=city)
        self.official = UserFactory(role=Role.CITY_OFFICIAL, city=city)
        self.enterprises = [
            EnterpriseFactory(
                sub_industry=self.subs[i % 2],
                above_scale=i % 3 != 0,
                quality_tier=QualityTier.LITTLE_GIANT if i % 4 == 0 else QualityTier.NONE,
            )
            for i in range(8)
        ]
        self.imported = 0

    def pick(self) -> Enterprise:
        return self.rng.choice(list(Enterprise.objects.filter(city=self.city)))

    def confirm_onsite(self) -> None:
        e = self.pick()
        draft = services.assessment_create(
            actor=self.assessor,
            enterprise=e,
            purpose=self.rng.choice([Purpose.BASELINE, Purpose.POST]),
        )
        doc = self.rng.choice([example_document, top_document])()  # level 2 or 4
        Assessment.objects.filter(pk=draft.pk).update(
            answers=doc["answers"], scenes=doc["scenes"], data=doc.get("data", {})
        )
        services.assessment_confirm(actor=self.assessor, assessment_id=draft.pk)

    def correct(self) -> None:
        candidates = list(
            Assessment.objects.filter(
                enterprise__city=self.city,
                state=State.CONFIRMED,
                method=Method.ONSITE,
                revision__isnull=False,
                superseded_by__isnull=True,
            )
        )
        if not candidates:
            return
        old = self.rng.choice(candidates)
        correction = services.assessment_correct(actor=self.assessor, assessment=old)
        doc = self.rng.choice([example_document, top_document])()
        Assessment.objects.filter(pk=correction.pk).update(
            answers=doc["answers"], scenes=doc["scenes"], data=doc.get("data", {})
        )
        services.assessment_confirm(actor=self.assessor, assessment_id=correction.pk)

    def return_self_assessment(self) -> None:
        e = self.pick()
        submitted = AssessmentFactory(enterprise=e, submitted=True, purpose=Purpose.BASELINE)
        services.assessment_return(
            actor=self.assessor, assessment_id=submitted.pk, comment="请补充"
        )

    def import_levels(self, days_ago: Sequence[int] = (0, 1, 2, 3)) -> None:
        """A levels file: new rows, and rows of an existing key with another level (an update
        of a confirmed assessment), dated `days_ago` before today with same-day ties; self rows
        never count."""
        rows = []
        for e in self.rng.sample(list(Enterprise.objects.filter(city=self.city)), 4):
            for _ in range(self.rng.randint(1, 3)):
                rows.append(
                    {
                        "uscc": e.uscc,
                        "assessed_on": TODAY - self.rng.choice(days_ago) * DAY,
                        "purpose": self.rng.choice(["baseline", "post"]),
                        "method": self.rng.choice(["onsite", "onsite", "self"]),
                        "level": self.rng.randint(0, 4),
                        "total_score": "",
                    }
                )
        unique = {(r["uscc"], r["assessed_on"], r["purpose"], r["method"]): r for r in rows}
        result = import_file(
            kind="levels",
            content=kind_file("levels", unique.values()),
            actor=self.official,
            dry_run=False,
        )
        assert result.written, result.errors

    def import_enterprises(self) -> None:
        """New enterprises, and existing ones reclassified (their kept level stays)."""
        records = [
            enterprise_record(self.imported + n, city_code=self.city.code, district="")
            for n in range(2)
        ]
        self.imported += 2
        self.import_records(records, district=lambda: "")

    def import_records(self, records: list[dict[str, str]], *, district: Callable[[], str]) -> None:
        """Import `records` plus two existing enterprises of the city reclassified at random
        (sub-industry, `district()`, scale, tier), through the import service."""
        for e in self.rng.sample(list(Enterprise.objects.filter(city=self.city)), 2):
            records.append(
                {
                    "uscc": e.uscc,
                    "name": e.name,
                    "city_code": self.city.code,
                    "sub_industry_code": self.rng.choice(self.subs).code,
                    "district": district(),
                    "above_scale": self.rng.choice(["是", "否"]),
                    "quality_tier": self.rng.choice(["none", "little_giant"]),
                    "size_class": "small",
                }
            )
        result = import_file(
            kind="enterprises", content=kind_file("enterprises", records), actor=None, dry_run=False
        )
        assert result.written, result.errors

    def stale_edit(self) -> None:
        """An enterprise read before a confirmation and saved after it keeps the new level."""
        e = self.pick()
        stale = Enterprise.objects.get(pk=e.pk)
        draft = services.assessment_create(actor=self.assessor, enterprise=e, purpose=Purpose.POST)
        doc = top_document()
        Assessment.objects.filter(pk=draft.pk).update(
            answers=doc["answers"], scenes=doc["scenes"], data={}
        )
        services.assessment_confirm(actor=self.assessor, assessment_id=draft.pk)
        enterprise_update(
            enterprise=stale, actor=self.official, changes={"name": stale.name + "新"}
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomised_workload_leaves_no_difference(city, seed):
    rng = random.Random(seed)
    world = World(city, rng)
    steps = [
        world.confirm_onsite,
        world.confirm_onsite,
        world.correct,
        world.return_self_assessment,
        world.import_levels,
        world.import_levels,
        world.import_enterprises,
        world.stale_edit,
    ]
    for _ in range(14):
        rng.choice(steps)()
        assert kept() == oracle()
    out = run_verify()
    assert "0 处差异" in out
    assert Assessment.objects.filter(state=State.CONFIRMED).count() > 0
    # Today's figures from the kept levels equal today's from history, and an earlier day's equal
    # the Python recomputation.
    today = compliance_for_cities([city], as_of=TODAY)
    assert _giant_levels(today) == _oracle_giants(city, oracle())
    earlier = TODAY - 2 * DAY
    (past,) = compliance_for_cities([city], as_of=earlier)
    assert _giant_levels([past]) == _oracle_giants(city, oracle(earlier))
    assert _at_or_above([past]) == _oracle_at(city, oracle(earlier))
    assert _at_or_above(today) == _oracle_at(city, oracle())


def _giant_levels(results) -> tuple[int, int, list[str]]:
    (r,) = results
    return r.little_giants.total, r.little_giants.at_or_above, sorted(r.little_giants.below)


def _oracle_giants(city, levels) -> tuple[int, int, list[str]]:
    rule = rule_for(city.batch)
    giants = Enterprise.objects.filter(city=city, quality_tier=QualityTier.LITTLE_GIANT)
    below = sorted(
        e.uscc for e in giants if levels[e.pk][0] is None or levels[e.pk][0] < rule.min_level
    )
    return giants.count(), giants.count() - len(below), below


def _at_or_above(results) -> dict[str, int]:
    (r,) = results
    return {s.code: s.at_or_above for s in r.sub_industries}


def _oracle_at(city, levels) -> dict[str, int]:
    rule = rule_for(city.batch)
    out: dict[str, int] = defaultdict(int)
    for e in Enterprise.objects.filter(city=city).select_related("sub_industry"):
        out[e.sub_industry.code] += 0
        counted = e.quality_tier in rule.counted_tiers or (rule.count_above_scale and e.above_scale)
        level = levels[e.pk][0]
        if counted and level is not None and level >= rule.min_level:
            out[e.sub_industry.code] += 1
    return dict(out)


def test_dashboard_and_compliance_read_the_same_figures_as_history(city, monkeypatch):
    world = World(city, random.Random(7))
    for step in (world.import_levels, world.confirm_onsite, world.import_levels, world.correct):
        step()
    kept_compliance = compliance_for_cities([city], as_of=TODAY)
    kept_dashboard = city_dashboard(city=city, as_of=TODAY)
    roster = list(
        selectors.with_current_level(Enterprise.objects.order_by("pk")).values_list(
            "current_level", "current_level_on"
        )
    )
    history_today(monkeypatch)
    assert compliance_for_cities([city], as_of=TODAY) == kept_compliance
    assert city_dashboard(city=city, as_of=TODAY) == kept_dashboard
    assert (
        list(
            selectors.with_current_level(Enterprise.objects.order_by("pk")).values_list(
                "current_level", "current_level_on"
            )
        )
        == roster
    )


# --- verify_aggregates ---------------------------------------------------------------------------


def test_verify_reports_a_corrupted_row_and_fix_repairs_it(city):
    world = World(city, random.Random(11))
    world.import_levels()
    world.confirm_onsite()
    assert "0 处差异" in run_verify()
    confirmed = Assessment.objects.filter(state=State.CONFIRMED).values_list(
        "enterprise_id", flat=True
    )
    wrong = Enterprise.objects.get(pk=confirmed[0])
    never = Enterprise.objects.filter(city=city).exclude(pk__in=list(confirmed)).first()
    assert never is not None
    Enterprise.objects.filter(pk=wrong.pk).update(kept_level=(wrong.kept_level + 1) % 5)
    Enterprise.objects.filter(pk=never.pk).update(kept_level=3, kept_level_on=TODAY)

    out = io.StringIO()
    with pytest.raises(CommandError, match="2 家企业"):
        call_command("verify_aggregates", stdout=out)
    text = out.getvalue()
    assert f"企业 enterprise {wrong.pk}:" in text
    assert f"企业 enterprise {never.pk}: 保存 kept 3 级 {TODAY} ≠ 重算 recomputed 无" in text
    assert "2 处差异" in text

    fixed = run_verify("--fix")
    assert "已改正 fixed 2" in fixed
    assert kept() == oracle()
    assert "0 处差异" in run_verify()


# --- the migration's back-fill -----------------------------------------------------------------


@pytest.mark.parametrize("sql", ["POSTGRESQL", "PORTABLE"])
def test_migration_back_fill_equals_the_history_computation(city, sql):
    if sql == "POSTGRESQL" and connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's statement")
    world = World(city, random.Random(5))
    for step in (world.import_levels, world.confirm_onsite, world.import_levels, world.correct):
        step()
    expected = oracle()
    assert any(level is not None for level, _ in expected.values())
    Enterprise.objects.update(kept_level=None, kept_level_on=None)
    migration = importlib.import_module("assessments.migrations.0006_fill_kept_level")
    with connection.cursor() as cursor:
        cursor.execute(getattr(migration, sql))
    assert kept() == expected
    level, level_on = selectors.latest_counting_level()
    history = Enterprise.objects.annotate(h=level, h_on=level_on).values_list("pk", "h", "h_on")
    assert {pk: (lv, on) for pk, lv, on in history} == expected
