"""The roster counters (docs/rules.md "Kept current level", roster counters, issue 17): the
triggers on `cities_enterprise` keep `RosterCount` equal to a recount of the roster after every
write path (import, confirmation, edits that move an enterprise, deletes, TRUNCATE), today's
compliance read from them equals the computation from history, and `manage.py verify_aggregates`
reports every differing key and `--fix` rebuilds them. The race is in tests/test_concurrency.py."""

from __future__ import annotations

import io
import random
from collections import Counter
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Role
from cities import roster_triggers
from cities.models import Enterprise, QualityTier, RosterCount
from cities.selectors.roster_counts import roster_count_differences
from cities.services.registry import enterprise_update
from oversight.selectors.compliance import compliance_for_cities
from tests.assessments.test_kept_level import TODAY, World, history_today, kept, oracle
from tests.cities.factories import (
    CityFactory,
    DistrictFactory,
    EnterpriseFactory,
    SubIndustryFactory,
    UserFactory,
)
from tests.cities.import_files import enterprise_record

pytestmark = pytest.mark.django_db

Key = tuple[int, int, int, bool, str, int]


def counters() -> dict[Key, int]:
    """The kept counters, keys with a zero count left out."""
    return {
        (c, s, d, bool(a), t, lv): n
        for c, s, d, a, t, lv, n in RosterCount.objects.values_list(*RosterCount.KEY, "n")
        if n != 0
    }


def recount() -> dict[Key, int]:
    """The counters recounted from the roster, in Python."""
    return dict(
        Counter(
            (c, s, d or 0, a, t, -1 if lv is None else lv)
            for c, s, d, a, t, lv in Enterprise.objects.values_list(
                "city_id",
                "sub_industry_id",
                "district_id",
                "above_scale",
                "quality_tier",
                "kept_level",
            )
        )
    )


def run_verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_aggregates", *args, stdout=out)
    return out.getvalue()


class RosterWorld(World):
    """The kept-level workload, plus every write that moves an enterprise between counters."""

    def __init__(self, city, rng: random.Random) -> None:
        super().__init__(city, rng)
        self.districts = [DistrictFactory(city=city, name=n) for n in ("赛罕区", "新城区")]
        self.other_sub = SubIndustryFactory(code="FOOD", name="特色食品")  # in another city
        self.admin = UserFactory(role=Role.ADMIN)

    def edit(self) -> None:
        """A city official reclassifies one enterprise: sub-industry, district, scope, tier."""
        e = self.pick()
        changes = self.rng.choice(
            [
                {"sub_industry": self.rng.choice(self.subs)},
                {"district": self.rng.choice([None, *self.districts])},
                {"above_scale": not e.above_scale},
                {"quality_tier": self.rng.choice(list(QualityTier))},
                {"name": e.name + "改"},  # no key column: no counter moves
            ]
        )
        enterprise_update(enterprise=e, actor=self.official, changes=changes)

    def move_city(self) -> None:
        """An administrator moves one enterprise to another city and back."""
        e = self.pick()
        home = e.sub_industry
        enterprise_update(
            enterprise=e,
            actor=self.admin,
            changes={"city": self.other_sub.city, "sub_industry": self.other_sub},
        )
        assert counters() == recount()
        enterprise_update(
            enterprise=e, actor=self.admin, changes={"city": self.city, "sub_industry": home}
        )

    def delete(self) -> None:
        """An enterprise without assessments or projects deleted (the admin's way: the ORM)."""
        e = (
            Enterprise.objects.filter(city=self.city, assessments__isnull=True)
            .order_by("?")
            .first()
        )
        if e is not None:
            e.delete()

    def import_enterprises(self) -> None:
        """New enterprises in districts, and existing ones reclassified and moved."""
        records = [
            enterprise_record(
                self.imported + n,
                city_code=self.city.code,
                district=self.rng.choice(["", *(d.name for d in self.districts)]),
                quality_tier=self.rng.choice(["none", "little_giant", "provincial_srdi"]),
            )
            for n in range(3)
        ]
        self.imported += 3
        self.import_records(
            records, district=lambda: self.rng.choice(["", *(d.name for d in self.districts)])
        )

    def steps(self) -> list[Callable[[], None]]:
        """The writes a workload draws from (a step twice: drawn twice as often)."""
        return [
            self.confirm_onsite,
            self.correct,
            self.import_levels,
            self.import_enterprises,
            self.stale_edit,
            self.edit,
            self.edit,
            self.move_city,
            self.delete,
        ]


def workload(world: RosterWorld, steps: int) -> None:
    choices = world.steps()
    for _ in range(steps):
        world.rng.choice(choices)()
        assert counters() == recount()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomised_workload_keeps_the_counters_exact(city, seed, monkeypatch):
    world = RosterWorld(city, random.Random(seed))
    assert counters() == recount()
    workload(world, 16)
    assert kept() == oracle()
    out = run_verify()
    assert "当前等级核对 / current levels" in out
    assert out.count(" 0 处差异") == 5, out  # levels, roster, project counters and levels, history
    # Today's compliance from the counters equals today's computed from history (the path an
    # earlier as_of takes), uplift included.
    from_counters = compliance_for_cities([city], as_of=TODAY)
    history_today(monkeypatch)
    assert compliance_for_cities([city], as_of=TODAY) == from_counters


def test_verify_reports_every_corrupted_counter_and_fix_rebuilds_them(city):
    world = RosterWorld(city, random.Random(11))
    workload(world, 6)
    first, second = RosterCount.objects.filter(n__gt=0).order_by(*RosterCount.KEY)[:2]
    RosterCount.objects.filter(pk=first.pk).update(n=first.n + 3)
    RosterCount.objects.filter(pk=second.pk).delete()
    RosterCount.objects.create(
        city_id=city.pk,
        sub_industry_id=world.subs[0].pk,
        district_id=0,
        above_scale=True,
        quality_tier=QualityTier.INNOVATIVE,
        kept_level=4,
        n=7,
    )  # a key no enterprise has

    out = io.StringIO()
    with pytest.raises(CommandError, match="3 个计数与企业名录不符"):
        call_command("verify_aggregates", stdout=out)
    text = out.getvalue()
    assert f"保存 kept {first.n + 3} ≠ 重算 recomputed {first.n}" in text
    assert f"保存 kept 0 ≠ 重算 recomputed {second.n}" in text
    assert "tier=innovative level=4 级: 保存 kept 7 ≠ 重算 recomputed 0" in text
    assert "3 处差异" in text
    assert len(list(roster_count_differences())) == 3

    fixed = run_verify("--fix")
    assert "已重建计数 rebuilt the counters (3 处差异 differed)" in fixed
    assert counters() == recount()
    assert list(roster_count_differences()) == []
    assert run_verify().count(" 0 处差异") == 5


def test_the_rebuild_equals_the_triggers(city):
    """The migration's back-fill (and --fix) recounts what the triggers kept."""
    workload(RosterWorld(city, random.Random(5)), 8)
    kept_counts = counters()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {roster_triggers.TABLE}")  # noqa: S608 (constant)
        cursor.execute(roster_triggers.REBUILD)
    assert counters() == kept_counts == recount()


def test_emptying_the_roster_empties_the_counters(city):
    workload(RosterWorld(city, random.Random(3)), 4)
    assert counters()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test's transaction holds deferred foreign-key checks; TRUNCATE wants none.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {roster_triggers.ROSTER} CASCADE")
            assert not RosterCount.objects.exists()  # AFTER TRUNCATE deleted every counter
        else:  # SQLite has no TRUNCATE; DELETE fires the row triggers
            cursor.execute("DELETE FROM assessments_assessment")
            cursor.execute(f"DELETE FROM {roster_triggers.ROSTER}")  # noqa: S608 (constant)
    assert counters() == {} == recount()
    EnterpriseFactory(sub_industry=SubIndustryFactory(city=city))
    assert counters() == recount()


def test_the_triggers_are_installed():
    assert roster_triggers.missing(connection) == []


def test_a_lost_trigger_is_put_back_and_the_counters_recounted_after_migrate():
    """A migration that rebuilds `cities_enterprise` on SQLite drops its triggers (Django copies
    the table): the post_migrate handler installs them again and recounts what they missed."""
    from django.core.management import call_command

    lost = roster_triggers.TRIGGERS[connection.vendor][0]  # the insert trigger
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TRIGGER {lost}"
            + (f" ON {roster_triggers.ROSTER}" if connection.vendor == "postgresql" else "")
        )
    assert roster_triggers.missing(connection) == [lost]
    EnterpriseFactory.create_batch(2)  # not counted: the trigger is gone
    assert counters() != recount()
    call_command("migrate", verbosity=0)
    assert roster_triggers.missing(connection) == []
    assert counters() == recount()
    EnterpriseFactory()
    assert counters() == recount()


def test_a_new_city_s_enterprises_are_counted_from_the_factory():
    other = CityFactory(code="NB", name="宁波市")
    EnterpriseFactory.create_batch(3, sub_industry=SubIndustryFactory(city=other))
    assert sum(counters().values()) == 3 == Enterprise.objects.count()
    assert counters() == recount()
