"""The project counters (docs/rules.md "Kept project counters", issue 17): the triggers on
`projects_project` and `cities_enterprise` keep `ProjectCount` equal to a recount of the projects
after every write path (ORM saves as the pipeline makes them, bulk updates and inserts, the
projects import, an enterprise moved to another district, sub-industry or city, deletes in either
order, TRUNCATE); today's funnel read from them equals the funnel computed from the dates; the
import refuses a stage date after today; `manage.py verify_aggregates` reports every differing
key and `--fix` rebuilds them."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from accounts.models import Role
from assessments.choices import Method, Purpose, State
from assessments.models import Assessment
from assessments.services import refresh_current_level
from cities.imports import import_file
from cities.models import PilotCity
from cities.services.registry import enterprise_update
from funds import selectors as funds_selectors
from oversight.selectors import scorecard as scorecard_selectors
from oversight.selectors.dashboard import funnel as dashboard_funnel
from projects import rules, stage_triggers
from projects.choices import FilingState
from projects.models import Project, ProjectCount, ProjectDayCount
from projects.selectors import funnel as funnel_selectors
from projects.selectors import queues
from projects.selectors.project_counts import (
    future_dated_projects,
    project_count_differences,
    project_day_differences,
)
from projects.selectors.provider_scores import after_level_of, baseline_level
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import (
    CityFactory,
    DistrictFactory,
    EnterpriseFactory,
    SubIndustryFactory,
    UserFactory,
)
from tests.cities.import_files import kind_file
from tests.projects import funnel_world
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db

Key = tuple[int, int, int]
DATES = [field for _, field in stage_triggers.COUNTED]


def counters() -> dict[Key, tuple[int, ...]]:
    """The kept counters, keys whose counts are all zero left out."""
    return {
        tuple(row[:3]): tuple(row[3:])
        for row in ProjectCount.objects.values_list(*ProjectCount.KEY, *stage_triggers.COLUMNS)
        if any(row[3:])
    }


def recount() -> dict[Key, tuple[int, ...]]:
    """The counters recounted from the projects, in Python: each date's projects, then the
    subsidies approved, paid centrally and paid locally, in fen."""
    found: dict[Key, list[int]] = defaultdict(lambda: [0] * len(stage_triggers.COLUMNS))
    for city, sub, district, central, local, *dates in Project.objects.values_list(
        "enterprise__city_id",
        "enterprise__sub_industry_id",
        "enterprise__district_id",
        "subsidy_central",
        "subsidy_local",
        *DATES,
    ):
        counts = found[(city, sub, district or 0)]
        for i, day in enumerate(dates):
            counts[i] += day is not None
        fen_central, fen_local = (int((v or 0) * 100) for v in (central, local))
        approved, paid = (
            dates[DATES.index("subsidy_approved_on")],
            dates[DATES.index("subsidy_paid_on")],
        )
        n = len(DATES)
        counts[n] += (fen_central + fen_local) if approved else 0
        counts[n + 1] += fen_central if paid else 0
        counts[n + 2] += fen_local if paid else 0
    # The work queues, counted with the queues' own conditions (`projects.selectors.queues`):
    # the triggers' SQL for them must agree.
    first = len(DATES) + len(stage_triggers.SUMMED)
    by_key = {q.key: q for q in (*queues.DISTRICT_QUEUES, *queues.CITY_QUEUES)}
    for i, (_, key, _) in enumerate(stage_triggers.WAITING):
        for city, sub, district, n in (
            Project.objects.filter(by_key[key].condition)
            .values_list(
                "enterprise__city_id", "enterprise__sub_industry_id", "enterprise__district_id"
            )
            .annotate(n=Count("pk"))
            .order_by()
        ):
            found[(city, sub, district or 0)][first + i] += n
    # The accepted projects' uplift and satisfaction, from the levels as the scorecard's
    # history path looks them up (not from the kept ones): the counters must agree.
    means = first + len(stage_triggers.WAITING)
    for city, sub, district, base, after, rating in recomputed_levels().values_list(
        "enterprise__city_id",
        "enterprise__sub_industry_id",
        "enterprise__district_id",
        "level_base",
        "level_after",
        "satisfaction",
    ):
        counts = found[(city, sub, district or 0)]
        if base is not None and after is not None:
            counts[means] += after - base
            counts[means + 1] += 1
        if rating is not None:
            counts[means + 2] += rating
            counts[means + 3] += 1
    return {key: tuple(v) for key, v in found.items()}


def recomputed_levels():
    """The accepted projects with their levels looked up from the assessments, today."""
    today = timezone.localdate()
    return (
        Project.objects.filter(accepted_on__isnull=False)
        .annotate(level_base=baseline_level(today), level_after=after_level_of(today))
        .order_by("pk")
    )


def kept_levels() -> dict[int, tuple[int | None, int | None]]:
    """Every project's kept levels (all projects: one not accepted keeps no after-level)."""
    return {
        pk: (base, after)
        for pk, base, after in Project.objects.values_list(
            "pk", "kept_baseline_level", "kept_after_level"
        )
    }


def levels_recomputed() -> dict[int, tuple[int | None, int | None]]:
    today = timezone.localdate()
    return {
        pk: (base, after)
        for pk, base, after in Project.objects.annotate(
            level_base=baseline_level(today), level_after=after_level_of(today)
        ).values_list("pk", "level_base", "level_after")
    }


def day_counters() -> dict[tuple[int, ...], int]:
    return {
        tuple(row[:-1]): row[-1]
        for row in ProjectDayCount.objects.values_list(*ProjectDayCount.KEY, "n")
        if row[-1] != 0
    }


def day_recount() -> dict[tuple[int, ...], int]:
    """The day counters recounted from the projects, in Python."""
    epoch = dt.date(2000, 1, 1)
    found: Counter[tuple[int, ...]] = Counter()
    fields = ("planned_completion_on", "completed_on", "acceptance_applied_on", "withdrawn_on")
    for city, sub, district, central, local, *values in Project.objects.values_list(
        "enterprise__city_id",
        "enterprise__sub_industry_id",
        "enterprise__district_id",
        "subsidy_central",
        "subsidy_local",
        *fields,
        *rules.STAGE_FIELDS,
    ):
        planned, completed, applied_for, withdrawn = values[:4]
        stages = values[4:]
        key = (city, sub, district or 0)
        paid = stages[-1]
        if paid:  # kinds 11-13: per city and month of payment, the projects and their fen
            month = paid.year * 12 + paid.month - 1
            found[(city, 0, 0, 11, month)] += 1
            found[(city, 0, 0, 12, month)] += int((central or 0) * 100)
            found[(city, 0, 0, 13, month)] += int((local or 0) * 100)
        if planned and not completed and not withdrawn:
            found[(*key, 0, (planned - epoch).days)] += 1
        if completed and not applied_for and not withdrawn:
            found[(*key, 1, (completed - epoch).days)] += 1
        for i in range(1, len(stages)):
            if stages[i] and stages[i - 1]:
                found[(city, 0, 0, 1 + i, (stages[i] - stages[i - 1]).days)] += 1
    return {key: n for key, n in found.items() if n}


def exact() -> bool:
    return (
        counters() == recount()
        and day_counters() == day_recount()
        and kept_levels() == levels_recomputed()
    )


def run_verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_aggregates", *args, stdout=out)
    return out.getvalue()


def _dates(rng: random.Random, today: dt.date) -> dict[str, dt.date]:
    """A valid prefix of the stages (perhaps with an outcome), every date in the past."""
    reached = rng.randint(1, len(rules.STAGE_FIELDS))
    day = today - dt.timedelta(days=400)
    dates: dict[str, dt.date] = {}
    for field in rules.STAGE_FIELDS[:reached]:
        day += dt.timedelta(days=rng.randint(0, 30))
        dates[field] = day
    if reached == 1 and rng.random() < 0.5:
        dates["rejected_on"] = day + dt.timedelta(days=3)
    elif "acceptance_applied_on" in dates and "accepted_on" not in dates and rng.random() < 0.5:
        dates["acceptance_failed_on"] = day + dt.timedelta(days=2)
    elif "accepted_on" not in dates and reached > 1 and rng.random() < 0.3:
        dates["withdrawn_on"] = day + dt.timedelta(days=5)
    if "provider_selected_on" in dates:
        dates["planned_completion_on"] = dates["provider_selected_on"] + dt.timedelta(days=120)
    if "subsidy_approved_on" in dates:
        dates["subsidy_central"] = Decimal(rng.randint(1, 30_000_000)) / 100  # type: ignore[assignment]
        if rng.random() < 0.7:
            dates["subsidy_local"] = Decimal(rng.randint(1, 9_000_000)) / 100  # type: ignore[assignment]
    return dates


class ProjectWorld:
    def __init__(self, city: PilotCity, rng: random.Random) -> None:
        self.city, self.rng = city, rng
        self.today = timezone.localdate()
        self.subs = [SubIndustryFactory(city=city, code=c, name=f"行业{c}") for c in ("P1", "P2")]
        self.districts = [DistrictFactory(city=city) for _ in range(2)]
        self.elsewhere = SubIndustryFactory(city=CityFactory(code="ELSE"), code="E1", name="别处")
        self.admin = UserFactory(role=Role.ADMIN)
        self.provider = ProviderFactory()
        for _ in range(6):
            self.new_project()

    def enterprise(self):
        return EnterpriseFactory(
            city=self.city,
            sub_industry=self.rng.choice(self.subs),
            district=self.rng.choice([None, *self.districts]),
        )

    def project(self) -> Project:
        return Project.objects.filter(enterprise__city=self.city).order_by("?").first()

    def new_project(self) -> None:
        Project.objects.create(enterprise=self.enterprise(), **_dates(self.rng, self.today))

    def bulk_create(self) -> None:
        Project.objects.bulk_create(
            Project(enterprise=self.enterprise(), **_dates(self.rng, self.today)) for _ in range(3)
        )

    def advance(self) -> None:
        """The pipeline's way: the next stage's date, today, through `save()`."""
        project = self.project()
        for field in rules.STAGE_FIELDS:
            if getattr(project, field) is None:
                if project.rejected_on or project.withdrawn_on:
                    return
                if field == "accepted_on":
                    project.acceptance_failed_on = None  # a failed attempt, then a pass
                setattr(project, field, self.today)
                project.save()
                return

    def bulk_advance(self) -> None:
        """One UPDATE over several rows, as a queryset update writes them."""
        Project.objects.filter(
            enterprise__city=self.city,
            admitted_on__isnull=False,
            diagnosed_on__isnull=True,
            withdrawn_on__isnull=True,
        ).update(diagnosed_on=self.today)

    def grant(self) -> None:
        """An approved subsidy's amounts corrected (one UPDATE of the amounts only)."""
        project = (
            Project.objects.filter(enterprise__city=self.city, subsidy_approved_on__isnull=False)
            .order_by("?")
            .first()
        )
        if project is not None:
            Project.objects.filter(pk=project.pk).update(
                subsidy_central=Decimal(self.rng.randint(0, 50_000_000)) / 100,
                subsidy_local=self.rng.choice([None, Decimal("1234.56")]),
            )

    def review(self) -> None:
        """What moves a project between work queues without a stage date: reviews, the filing's
        state, an on-site acceptance scheduled, attempts and failures, a diagnosing provider."""
        project = self.project()
        now, rng = timezone.now(), self.rng
        changes = {
            "application_reviewed_at": rng.choice([None, now]),
            "acceptance_reviewed_at": rng.choice([None, now]),
            "acceptance_scheduled_on": rng.choice([None, self.today]),
            "acceptance_attempts": (attempts := rng.randint(0, 2)),
            "failed_attempts": rng.randint(0, attempts),
            "filing_state": rng.choice(FilingState.values),
            "diagnosis_provider": rng.choice([None, self.provider]),
        }
        if rng.random() < 0.5:
            Project.objects.filter(pk=project.pk).update(**changes)
        else:
            for field, value in changes.items():
                setattr(project, field, value)
            project.save()

    def withdraw(self) -> None:
        project = self.project()
        if project.accepted_on is None and project.rejected_on is None and not project.withdrawn_on:
            project.withdrawn_on = self.today
            project.save(update_fields=["withdrawn_on"])

    def delete(self) -> None:
        self.project().delete()

    def move(self) -> None:
        """An enterprise with a project reclassified: district or sub-industry."""
        e = self.project().enterprise
        changes = self.rng.choice(
            [
                {"district": self.rng.choice([None, *self.districts])},
                {"sub_industry": self.rng.choice(self.subs)},
                {"name": e.name + "改"},  # no key column: nothing moves
            ]
        )
        enterprise_update(enterprise=e, actor=self.admin, changes=changes)

    def move_city(self) -> None:
        e = self.project().enterprise
        home = e.sub_industry
        enterprise_update(
            enterprise=e,
            actor=self.admin,
            changes={"city": self.elsewhere.city, "sub_industry": self.elsewhere},
        )
        assert exact()
        enterprise_update(
            enterprise=e, actor=self.admin, changes={"city": self.city, "sub_industry": home}
        )

    def import_projects(self) -> None:
        """New projects for new enterprises and an existing one rewritten, through the import."""
        existing = Project.objects.filter(
            enterprise__city=self.city, admitted_on__isnull=True, rejected_on__isnull=True
        ).first()
        records = [
            {"uscc": self.enterprise().uscc, "applied_on": "2026-01-05", "admitted_on": admitted}
            for admitted in ("", "2026-02-01")
        ]
        if existing is not None:
            records.append(
                {
                    "uscc": existing.enterprise.uscc,
                    "applied_on": existing.applied_on.isoformat(),
                    "admitted_on": existing.applied_on.isoformat(),
                }
            )
        result = import_file(
            kind="projects", content=kind_file("projects", records), actor=None, dry_run=False
        )
        assert result.written, [(e.row, e.column, e.message) for e in result.errors]

    def assess(self) -> None:
        """What moves a project's levels: an on-site baseline or post assessment confirmed,
        corrected (level, date, purpose, state, by `save()` or by UPDATE) or deleted, and a
        self-assessment draft that moves nothing."""
        rng = self.rng
        accepted = Project.objects.filter(
            enterprise__city=self.city, accepted_on__isnull=False, completed_on__isnull=False
        )
        project = accepted.order_by("?").first() if rng.random() < 0.7 else None
        project = project or self.project()
        e = project.enterprise
        mine = list(Assessment.objects.filter(enterprise=e, method=Method.ONSITE).order_by("pk"))

        def day() -> dt.date:  # mostly inside the project's completion-to-acceptance window
            if project.accepted_on and project.completed_on and rng.random() < 0.7:
                span = (project.accepted_on - project.completed_on).days
                return project.completed_on + dt.timedelta(days=rng.randint(0, span))
            return self.today - dt.timedelta(days=rng.randint(0, 400))

        action = rng.choice(["confirm", "confirm", "correct", "delete", "self_check"])
        if action in ("correct", "delete") and mine:
            a = rng.choice(mine)
            if action == "delete":
                a.delete()
            else:
                changes = rng.choice(
                    [
                        {"level": rng.randint(0, 4)},
                        {"assessed_on": day()},
                        {"purpose": rng.choice([Purpose.BASELINE, Purpose.POST])},
                        {"state": rng.choice([State.CONFIRMED, State.RETURNED])},
                    ]
                )
                if rng.random() < 0.5:
                    Assessment.objects.filter(pk=a.pk).update(**changes)
                else:
                    for field, value in changes.items():
                        setattr(a, field, value)
                    a.save()
            refresh_current_level([e.pk])  # written past the services, as the loaders do
            return
        onsite = action != "self_check"
        AssessmentFactory(
            enterprise=e,
            method=Method.ONSITE if onsite else Method.SELF,
            purpose=rng.choice([Purpose.BASELINE, Purpose.POST]) if onsite else Purpose.SELF_CHECK,
            state=State.CONFIRMED if onsite else State.DRAFT,
            level=rng.randint(0, 4),
            revision=None,
            assessed_on=day(),
            confirmed_at=rng.choice([None, timezone.now()]),
        )

    def rate(self) -> None:
        """The enterprise's satisfaction with its accepted project, given or withdrawn."""
        project = self.project()
        value = self.rng.choice([None, 1, 3, 5])
        if self.rng.random() < 0.5:
            Project.objects.filter(pk=project.pk).update(satisfaction=value)
        else:
            project.satisfaction = value
            project.save()

    def delete_enterprise_first(self) -> None:
        """Raw SQL, the foreign key deferred to the commit: the enterprise row goes first, then
        its project. The enterprise's trigger subtracts the project; the project's finds no
        enterprise and does nothing."""
        project = Project.objects.filter(
            enterprise__city=self.city, enterprise__assessments__isnull=True
        ).first()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM projects_projectevent WHERE project_id = %s", [project.pk])
            cursor.execute(
                "DELETE FROM projects_investmentline WHERE project_id = %s", [project.pk]
            )
            cursor.execute("DELETE FROM cities_enterprise WHERE id = %s", [project.enterprise_id])
            assert exact()
            cursor.execute("DELETE FROM projects_project WHERE id = %s", [project.pk])


def workload(world: ProjectWorld, steps: int) -> None:
    choices = [
        world.new_project,
        world.bulk_create,
        world.advance,
        world.advance,
        world.review,
        world.review,
        world.bulk_advance,
        world.withdraw,
        world.grant,
        world.grant,
        world.delete,
        world.move,
        world.move,
        world.move_city,
        world.import_projects,
        world.delete_enterprise_first,
        *[world.assess] * 6,
        world.rate,
    ]
    for _ in range(steps):
        world.rng.choice(choices)()
        assert kept_levels() == levels_recomputed()
        assert counters() == recount()
        assert day_counters() == day_recount()


def history_today(monkeypatch) -> None:
    """Make the readers count today from the dates too (the path an earlier as_of takes)."""
    monkeypatch.setattr(funnel_selectors, "counts_apply", lambda as_of: False)
    monkeypatch.setattr(dashboard_funnel, "counts_apply", lambda as_of: False)
    monkeypatch.setattr(funds_selectors, "counts_apply", lambda as_of: False)


def _funnel_reads(city: PilotCity, today: dt.date):
    figures = funds_selectors.city_figures(city=city, as_of=today)
    return (
        funnel_selectors.city_funnel(city=city, as_of=today),
        funnel_selectors.district_funnel(city=city, as_of=today),
        dashboard_funnel.funnel_totals([city.pk], today),
        dashboard_funnel.city_project_funnel(city=city, as_of=today),
        (figures.subsidies, figures.spent),
        funds_selectors.monthly_spending(city=city, as_of=today),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomised_workload_keeps_the_counters_exact(city, seed, monkeypatch):
    world = ProjectWorld(city, random.Random(seed))
    assert counters() == recount() != {}
    assert day_counters() == day_recount() != {}
    workload(world, 24)
    out = run_verify()
    assert "项目计数核对 / project counters" in out
    assert "项目等级核对 / project levels" in out
    assert out.count(" 0 处差异") == 5, out
    assert "晚于今天的项目日期 / projects dated after today: 0" in out
    # Today's funnel from the counters equals today's computed from the dates.
    from_counters = _funnel_reads(city, world.today)
    assert (
        from_counters[0]["reached"]["applied"]
        == Project.objects.filter(enterprise__city=city).count()
    )
    history_today(monkeypatch)
    assert _funnel_reads(city, world.today) == from_counters


def test_todays_funnel_of_the_hand_built_city_reads_the_same_from_the_counters(monkeypatch):
    """Every counter of the §4.6 world non-zero: stages, the three outcomes, both overdue rules
    (its dates all lie before today)."""
    city = funnel_world.build()
    today = timezone.localdate()
    from_counters = _funnel_reads(city, today)
    data = from_counters[0]
    assert data["rejected"] and data["withdrawn"] and data["acceptance_failed"]
    assert data["overdue"]["completion"] and data["overdue"]["acceptance"]
    history_today(monkeypatch)
    assert _funnel_reads(city, today) == from_counters


def test_the_national_totals_read_the_counters_in_one_query(city, django_assert_num_queries):
    world = ProjectWorld(city, random.Random(7))
    other = PilotCity.objects.get(code="ELSE")
    with django_assert_num_queries(1):
        totals = dashboard_funnel.funnel_totals([city.pk, other.pk], world.today)
    assert totals[city.pk].applied == Project.objects.filter(enterprise__city=city).count()
    assert totals[other.pk] == dashboard_funnel.FunnelTotals()


def test_verify_reports_every_corrupted_counter_and_fix_rebuilds_them(city):
    world = ProjectWorld(city, random.Random(11))
    workload(world, 4)
    first = ProjectCount.objects.filter(applied__gt=0).order_by(*ProjectCount.KEY).first()
    ProjectCount.objects.filter(pk=first.pk).update(accepted=first.accepted + 2)
    ProjectCount.objects.create(city_id=city.pk, sub_industry_id=0, district_id=0, withdrawn=5)
    day = ProjectDayCount.objects.filter(n__gt=0).order_by(*ProjectDayCount.KEY).first()
    ProjectDayCount.objects.filter(pk=day.pk).update(n=day.n + 1)

    out = io.StringIO()
    with pytest.raises(CommandError, match="3 个项目计数与项目不符"):
        call_command("verify_aggregates", stdout=out)
    text = out.getvalue()
    assert f"accepted {first.accepted + 2}≠{first.accepted}" in text
    assert f"city={city.pk} sub_industry=0 district=无 none: 保存≠重算 kept≠recomputed: " in text
    assert "withdrawn 5≠0" in text
    assert (
        f"kind={day.kind} value={day.value}: 保存 kept {day.n + 1} ≠ 重算 recomputed {day.n}"
    ) in text

    fixed = run_verify("--fix")
    assert "已重建项目计数 rebuilt the project counters (3 处差异 differed)" in fixed
    assert exact()
    assert list(project_count_differences()) == [] == list(project_day_differences())


def test_the_kept_levels_follow_every_write_of_their_assessments_and_dates(city, monkeypatch):
    """Each rule of the kept levels, one write at a time: the earliest baseline, the latest post
    assessment inside the completion-to-acceptance window, a revoked, deleted or re-purposed
    assessment, the window moved, a stale `save()`; the scorecard's means read from the
    counters equal those looked up from the assessments after every step."""
    today = timezone.localdate()
    ago = lambda days: today - dt.timedelta(days=days)  # noqa: E731
    dates = {f: ago(120) for f in rules.STAGE_FIELDS[:5]}
    project = Project.objects.create(
        enterprise=EnterpriseFactory(sub_industry=SubIndustryFactory(city=city)),
        **dates,
        completed_on=ago(60),
        acceptance_applied_on=ago(20),
        accepted_on=ago(10),
        satisfaction=4,
    )
    stale = Project.objects.get(pk=project.pk)  # read before any level exists

    def assessment(purpose: str, level: int, days: int) -> Assessment:
        return AssessmentFactory(
            enterprise=project.enterprise,
            method=Method.ONSITE,
            purpose=purpose,
            state=State.CONFIRMED,
            level=level,
            revision=None,
            assessed_on=ago(days),
            confirmed_at=timezone.now(),
        )

    def means():
        return scorecard_selectors._accepted_projects([city], today)

    def check(levels: tuple[int | None, int | None], rating: str | None = "4.0000") -> None:
        assert kept_levels()[project.pk] == levels
        assert exact()
        kept = means()
        with monkeypatch.context() as m:
            m.setattr(scorecard_selectors, "counts_apply", lambda as_of: False)
            assert means() == kept
        base, after = levels
        uplift = None if base is None or after is None else Decimal(after - base)
        assert kept == ({city.pk: uplift}, {city.pk: rating and Decimal(rating)})

    check((None, None))
    first = assessment(Purpose.BASELINE, 1, 100)
    check((1, None))
    second = assessment(Purpose.BASELINE, 3, 90)
    check((1, None))  # the earliest baseline counts
    assessment(Purpose.POST, 2, 50)
    check((1, 2))
    latest = assessment(Purpose.POST, 4, 40)
    check((1, 4))  # the latest post assessment in the window
    assessment(Purpose.POST, 0, 5)
    check((1, 4))  # after acceptance: outside the window
    Assessment.objects.filter(pk=latest.pk).update(state=State.RETURNED)
    check((1, 2))  # revoked
    first.delete()
    check((3, 2))
    second.purpose = Purpose.POST
    second.save()
    check((None, 2))
    Assessment.objects.filter(pk=second.pk).update(purpose=Purpose.BASELINE, assessed_on=ago(95))
    check((3, 2))
    Project.objects.filter(pk=project.pk).update(
        completed_on=ago(45), acceptance_applied_on=ago(45)
    )
    check((3, None))  # the window moved past the post assessments
    stale.save()  # every column as read at the start: the levels are recomputed, not written
    check((3, 2))
    Project.objects.filter(pk=project.pk).update(
        accepted_on=None, **{f: None for f in rules.STAGE_FIELDS[8:]}
    )
    check((3, None), rating=None)  # no longer accepted: neither mean counts it


def _write_past_the_triggers(sql: str, params: list) -> None:
    """A write the kept-level triggers do not see (a restore, a hand edit with triggers off)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # no trigger fires
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")
            return
        name = f"{stage_triggers.PROJECTS}_kept_upd"
        when, body = stage_triggers._SQLITE_ALL[name]
        cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute(sql, params)
        cursor.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


def test_verify_reports_a_wrong_kept_level_and_fix_rewrites_it(city):
    world = ProjectWorld(city, random.Random(19))
    project = world.project()
    Project.objects.filter(pk=project.pk).update(
        **{f: world.today for f in rules.STAGE_FIELDS[:8]},
        **{f: None for f in (*rules.STAGE_FIELDS[8:], *rules.OUTCOME_FIELDS)},
    )
    for purpose, level in ((Purpose.BASELINE, 1), (Purpose.POST, 3)):
        AssessmentFactory(
            enterprise=project.enterprise,
            method=Method.ONSITE,
            purpose=purpose,
            state=State.CONFIRMED,
            level=level,
            revision=None,
            confirmed_at=timezone.now(),
        )
    assert kept_levels()[project.pk] == (1, 3) and exact()
    _write_past_the_triggers(
        f"UPDATE {stage_triggers.PROJECTS} SET kept_baseline_level = 4 WHERE id = %s",  # noqa: S608
        [project.pk],
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 个项目的保存等级与评测记录不符"):
        call_command("verify_aggregates", stdout=out)
    assert (
        f"项目 project {project.pk}: 保存 kept 改造前 baseline 4 级 / 改造后 after 3 级 ≠ "
        "重算 recomputed 改造前 baseline 1 级 / 改造后 after 3 级"
    ) in out.getvalue()
    assert "已改正 fixed 1 个项目的等级 project levels" in run_verify("--fix")
    assert kept_levels()[project.pk] == (1, 3) and exact()


def test_a_future_date_is_refused_by_the_import_and_reported_by_verify(city):
    world = ProjectWorld(city, random.Random(13))
    tomorrow = (world.today + dt.timedelta(days=1)).isoformat()
    uscc = world.enterprise().uscc
    result = import_file(
        kind="projects",
        content=kind_file("projects", [{"uscc": uscc, "applied_on": tomorrow}]),
        actor=None,
        dry_run=False,
    )
    assert not result.written
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "applied_on", f"申报日期（{tomorrow}）不能晚于今天（{world.today.isoformat()}）")
    ]
    # A row written before the rule (here by hand) is reported, not silently counted early.
    Project.objects.filter(pk=world.project().pk).update(
        applied_on=tomorrow,
        **{f: None for f in (*rules.STAGE_FIELDS[1:], *rules.OUTCOME_FIELDS)},
        planned_completion_on=None,
    )
    assert future_dated_projects() == 1
    with pytest.raises(CommandError, match="1 个项目的日期晚于今天"):
        run_verify()


def test_emptying_the_projects_empties_the_counters(city):
    workload(ProjectWorld(city, random.Random(3)), 3)
    assert counters()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {stage_triggers.PROJECTS} CASCADE")
            assert not ProjectCount.objects.exists()  # AFTER TRUNCATE deleted every counter
        else:
            cursor.execute("DELETE FROM projects_projectevent")
            cursor.execute("DELETE FROM projects_investmentline")
            cursor.execute(f"DELETE FROM {stage_triggers.PROJECTS}")  # noqa: S608 (constant)
    assert counters() == {} == recount()
    assert day_counters() == {} == day_recount()


def test_the_rebuild_equals_the_triggers(city):
    workload(ProjectWorld(city, random.Random(5)), 8)
    kept, kept_days = counters(), day_counters()
    with connection.cursor() as cursor:
        stage_triggers.rebuild(connection, cursor)
    assert counters() == kept == recount()
    assert day_counters() == kept_days == day_recount()


def test_a_lost_trigger_is_put_back_and_the_counters_recounted_after_migrate(city):
    ProjectWorld(city, random.Random(9))
    assert stage_triggers.missing(connection) == []
    lost = stage_triggers.TRIGGERS[connection.vendor][stage_triggers.PROJECTS][0]  # insert
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TRIGGER {lost}"
            + (f" ON {stage_triggers.PROJECTS}" if connection.vendor == "postgresql" else "")
        )
    assert stage_triggers.missing(connection) == [lost]
    Project.objects.create(
        enterprise=EnterpriseFactory(sub_industry__city=city), applied_on="2026-01-02"
    )
    assert counters() != recount()  # the insert went uncounted
    assert stage_triggers.reinstall_if_missing(connection)
    assert stage_triggers.missing(connection) == []
    assert exact()


def test_the_histogram_median_is_the_median_of_the_durations():
    rng = random.Random(17)
    for _ in range(2000):
        durations = [rng.randint(0, 40) for _ in range(rng.randint(0, 15))]
        histogram = sorted(Counter(durations).items())
        assert dashboard_funnel.median_of_histogram(histogram) == dashboard_funnel.median_days(
            durations
        ), durations


def test_todays_overdue_lists_hold_the_longest_overdue_past_the_list_size(city, monkeypatch):
    """More overdue projects than the list shows, several on one day: the lists bounded by the
    kept day counters are those computed from the dates, row for row."""
    sub = SubIndustryFactory(city=city, code="L1", name="行业L1")
    today = timezone.localdate()
    start = today - dt.timedelta(days=500)
    size = dashboard_funnel.OVERDUE_LIST_SIZE
    for n in range(2 * size + 8):
        applied = start + dt.timedelta(days=n // 3)  # three projects a day
        dates = {f: applied for f in rules.STAGE_FIELDS[:5]}
        if n % 2:  # awaiting completion, planned long ago
            dates["planned_completion_on"] = applied + dt.timedelta(days=10)
        else:  # completed, never applied for acceptance
            dates["planned_completion_on"] = applied + dt.timedelta(days=10)
            dates["completed_on"] = applied + dt.timedelta(days=5)
        Project.objects.create(enterprise=EnterpriseFactory(sub_industry=sub), **dates)
    city.refresh_from_db()
    kept = dashboard_funnel.city_project_funnel(city=city, as_of=today)
    assert len(kept.overdue_completion) == len(kept.overdue_acceptance) == size
    history_today(monkeypatch)
    assert dashboard_funnel.city_project_funnel(city=city, as_of=today) == kept
