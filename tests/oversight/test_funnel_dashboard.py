"""The project funnel on the city and national dashboards (issue 13 item 8): the same numbers as
`manage.py funnel`, medians per stage, the overdue lists, the cache and its invalidation, and
query counts that do not grow with the number of projects or cities."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from cities.imports.service import import_file
from cities.models import Enterprise
from oversight.selectors.dashboard import funnel as dash_funnel
from projects import rules
from projects.models import Project
from projects.selectors.funnel import acceptance_overdue_cutoff, city_funnel
from projects.selectors.projects import (
    ProjectFilters,
    filter_projects,
    project_list_visible_to,
)
from projects.signals import projects_changed
from tests.cities.factories import (
    CityFactory,
    DistrictFactory,
    EnterpriseFactory,
    SubIndustryFactory,
    UserFactory,
)
from tests.cities.import_files import kind_file
from tests.projects import funnel_world

AS_OF = funnel_world.AS_OF


# ---------------------------------------------------------------- pure helpers


def test_acceptance_cutoff_splits_exactly_where_the_rule_does():
    """Every completion date up to the cutoff is overdue, every later one is not, for every
    as_of over four years (month ends, leap days) and windows of 1, 3 and 6 months."""
    start = dt.date(2023, 1, 1)
    for offset in range(0, 4 * 366, 1):
        as_of = start + dt.timedelta(days=offset)
        for months in (1, 3, 6):
            cutoff = acceptance_overdue_cutoff(as_of, months)
            for completed in (cutoff - dt.timedelta(days=1), cutoff, cutoff + dt.timedelta(1)):
                dates = rules.Dates(completed_on=completed)
                assert rules.acceptance_overdue(dates, as_of, months) == (completed <= cutoff)


def test_acceptance_cutoff_examples():
    # 2026-03-15 + 3 months = 2026-06-15, not before 06-15: 03-14 is the last overdue day.
    assert acceptance_overdue_cutoff(dt.date(2026, 6, 15), 3) == dt.date(2026, 3, 14)
    # 11-29, 11-30 + 3 months clamp to 2026-02-28, before 03-01: both overdue; 12-01 is not.
    assert acceptance_overdue_cutoff(dt.date(2026, 3, 1), 3) == dt.date(2025, 11, 30)


def test_median_days():
    assert dash_funnel.median_days([]) is None
    assert dash_funnel.median_days([5]) == Decimal("5.0")
    assert dash_funnel.median_days([9, 1, 4]) == Decimal("4.0")
    assert dash_funnel.median_days([1, 2, 3, 8]) == Decimal("2.5")


# ---------------------------------------------------------------- the city section


@pytest.fixture
def world(db):
    cache.clear()
    return funnel_world.build()


@pytest.fixture
def fnl_official(world):
    return UserFactory(username="fnl_official", role=Role.CITY_OFFICIAL, city=world)


def _url(code: str = funnel_world.CODE, as_of: dt.date = AS_OF) -> str:
    return reverse("oversight:city_dashboard", args=[code]) + f"?as_of={as_of.isoformat()}"


def _oracle_durations(city, as_of):
    """Per stage, the days from the previous stage, project by project through the pure rules."""
    out: dict[str, list[int]] = {s.value: [] for s in rules.STAGES}
    for p in Project.objects.filter(enterprise__city=city):
        dates = rules.Dates(**{f: getattr(p, f) for f in rules.DATE_FIELDS})
        for before, stage in zip(rules.STAGES, rules.STAGES[1:], strict=False):
            if rules.reached(dates, stage, as_of):
                out[stage.value].append((dates.of(stage) - dates.of(before)).days)
    return out


@pytest.mark.parametrize(
    "as_of", [AS_OF, dt.date(2025, 6, 1), dt.date(2026, 1, 1), dt.date(2026, 11, 30)]
)
def test_dashboard_numbers_equal_city_funnel(client, fnl_official, world, as_of):
    client.force_login(fnl_official)
    response = client.get(_url(as_of=as_of))
    assert response.status_code == 200
    shown = response.context["funnel"]
    expected = city_funnel(city=world, as_of=as_of)
    assert shown.data == expected
    assert [s.reached for s in shown.stages] == [expected["reached"][s.value] for s in rules.STAGES]
    assert [(r.code, r.reached) for r in shown.sub_industries] == [
        (r["code"], tuple(r["reached"][s.value] for s in rules.STAGES))
        for r in expected["by_sub_industry"]
    ]
    assert len(shown.overdue_acceptance) == expected["overdue"]["acceptance"]
    assert len(shown.overdue_completion) == expected["overdue"]["completion"]
    oracle = _oracle_durations(world, as_of)
    for row in shown.stages[1:]:
        assert row.timed == len(oracle[row.stage])
        assert row.median_days == dash_funnel.median_days(oracle[row.stage])
    # The page prints what the data says.
    html = response.content.decode()
    for row in shown.stages:
        cell = re.search(
            rf'<tr data-stage="{row.stage}">.*?class="num reached"><a [^>]*>(\d+)<', html, re.S
        )
        assert cell is not None and int(cell.group(1)) == row.reached
    for name in ("rejected", "withdrawn", "acceptance_failed"):
        assert f'data-outcome="{name}">{expected[name]}<' in html
    assert f'data-outcome="overdue_acceptance">{expected["overdue"]["acceptance"]}<' in html


def test_districts_add_up_to_the_city_and_list_every_district(client, fnl_official, world):
    as_of = dt.date(2026, 1, 1)
    empty = DistrictFactory(city=world, code="Z99", name="无项目区")
    moved = Project.objects.filter(enterprise__city=world).order_by("pk").first()
    assert moved is not None
    with_projects = DistrictFactory(city=world, code="A01", name="有项目区")
    Enterprise.objects.filter(pk=moved.enterprise_id).update(district=with_projects)
    expected = city_funnel(city=world, as_of=as_of)
    client.force_login(fnl_official)
    shown = client.get(_url(as_of=as_of)).context["funnel"]
    by_name = {row.name: row for row in shown.districts}
    assert by_name["无项目区"].reached == (0,) * len(rules.STAGES)
    assert by_name["有项目区"].reached[0] == 1  # the one project moved there has applied
    for i, stage in enumerate(rules.STAGES):
        assert sum(row.reached[i] for row in shown.districts) == expected["reached"][stage.value]
    assert sum(r.overdue_acceptance for r in shown.districts) == expected["overdue"]["acceptance"]
    assert sum(r.overdue_completion for r in shown.districts) == expected["overdue"]["completion"]
    assert [r.code for r in shown.districts if r.code] == sorted(
        r.code for r in shown.districts if r.code
    )
    assert empty.code in {r.code for r in shown.districts}


def test_the_section_at_the_world_date(client, fnl_official, world):
    client.force_login(fnl_official)
    response = client.get(_url())
    shown = response.context["funnel"]
    medians = {s.stage: s.median_days for s in shown.stages}
    assert medians["applied"] is None
    assert medians["admitted"] == Decimal("22.0")  # every admitted project: 01-10 → 02-01
    # Completion after filing (05-01): 142, 142, 318, 317 (A01); 275, 213, 142 (B02).
    assert medians["completed"] == Decimal("213.0")
    # Every sub-industry, zeros included, by code.
    assert [r.code for r in shown.sub_industries] == ["A01", "B02", "C03"]
    assert shown.sub_industries[2].reached == (0,) * 10
    assert shown.sub_industries[0].name == "行业A01"
    # Overdue: completed 2026-03-14 (due 06-14, 1 day) and 2025-11-30 (due 2026-02-28, 107 days),
    # the longest first; planned 2026-05-01, not completed (45 days).
    assert [(r.since, r.due, r.days_overdue) for r in shown.overdue_acceptance] == [
        (dt.date(2025, 11, 30), dt.date(2026, 2, 28), 107),
        (dt.date(2026, 3, 14), dt.date(2026, 6, 14), 1),
    ]
    assert [(r.since, r.days_overdue) for r in shown.overdue_completion] == [
        (dt.date(2026, 5, 1), 45)
    ]
    html = response.content.decode()
    assert 'id="project-funnel"' in html and "改造项目进展" in html
    assert 'id="funnel-chart"' in html
    assert 'id="funnel-districts"' in html and "各区县各阶段项目数" in html
    assert response.context["charts"]["funnel"] == {
        "labels": [rules.STAGE_LABELS[s] for s in rules.STAGES],
        "reached": [s.reached for s in shown.stages],
    }


def test_overdue_lists_are_capped_but_counted(client, ministry_user, city, sub_industry):
    n = dash_funnel.OVERDUE_LIST_SIZE + 3
    for i in range(n):
        Project.objects.create(
            enterprise=EnterpriseFactory(sub_industry=sub_industry),
            **{
                **{rules.date_field(s): dt.date(2024, 1, 1) for s in rules.STAGES[:5]},
                "planned_completion_on": dt.date(2024, 6, 1) + dt.timedelta(days=i),
            },
        )
    cache.clear()
    client.force_login(ministry_user)
    response = client.get(_url("HHHT", dt.date(2025, 1, 1)))
    shown = response.context["funnel"]
    assert shown.data["overdue"]["completion"] == n
    assert len(shown.overdue_completion) == dash_funnel.OVERDUE_LIST_SIZE
    days = [r.days_overdue for r in shown.overdue_completion]
    assert days == sorted(days, reverse=True)
    assert f"逾期未完工（{n} 项）" in response.content.decode()


def test_empty_city_shows_zeros(client, city_official, city, sub_industry):
    cache.clear()
    client.force_login(city_official)
    response = client.get(reverse("oversight:city_dashboard", args=["HHHT"]))
    shown = response.context["funnel"]
    assert not shown.has_projects
    assert [s.median_days for s in shown.stages] == [None] * 10
    html = response.content.decode()
    assert "没有逾期未申请验收的项目。" in html and "没有逾期未完工的项目。" in html


# ---------------------------------------------------------------- cache


def _reached_applied(client) -> int:
    return client.get(_url()).context["funnel"].data["reached"]["applied"]


def _reached_paid(client) -> int:
    return client.get(_url()).context["funnel"].data["reached"]["subsidy_paid"]


def test_the_section_is_cached(client, fnl_official, world):
    client.force_login(fnl_official)
    assert _reached_paid(client) == 1
    # Written behind the cache's back (no event): the cached figure stays.
    Project.objects.filter(enterprise__city=world).update(subsidy_paid_on=None)
    assert _reached_paid(client) == 1


def test_a_projects_import_invalidates_the_section(
    client, fnl_official, world, django_capture_on_commit_callbacks
):
    client.force_login(fnl_official)
    before = _reached_applied(client)
    sub = world.sub_industries.get(code="C03")
    newcomers = [EnterpriseFactory(sub_industry=sub, city=world) for _ in range(2)]
    records = [{"uscc": e.uscc, "applied_on": "2026-05-01"} for e in newcomers]
    with django_capture_on_commit_callbacks(execute=True):
        result = import_file(
            kind="projects",
            content=kind_file("projects", records),
            actor=fnl_official,
            dry_run=False,
        )
    assert result.written, result.errors
    assert _reached_applied(client) == before + 2
    rows = {r.code: r for r in client.get(_url()).context["funnel"].sub_industries}
    assert rows["C03"].reached[0] == 2


def test_projects_changed_invalidates_the_section(
    client, fnl_official, world, django_capture_on_commit_callbacks
):
    client.force_login(fnl_official)
    assert _reached_paid(client) == 1
    with django_capture_on_commit_callbacks(execute=True):
        Project.objects.filter(enterprise__city=world).update(subsidy_paid_on=None)
        projects_changed.send(sender=Project, city_ids=[world.pk])
    assert _reached_paid(client) == 0


def test_a_project_saved_one_by_one_invalidates_the_section(
    client, fnl_official, world, django_capture_on_commit_callbacks
):
    client.force_login(fnl_official)
    before = _reached_applied(client)
    project = Project.objects.filter(enterprise__city=world, rejected_on__isnull=False).get()
    with django_capture_on_commit_callbacks(execute=True):
        project.delete()
    assert _reached_applied(client) == before - 1


# ---------------------------------------------------------------- query counts


def _projects(sub, n: int, start: int = 0) -> None:
    """Projects spread over the stages, some overdue either way."""
    for i in range(start, start + n):
        stages = rules.STAGES[: 1 + i % len(rules.STAGES)]
        dates = {
            rules.date_field(s): dt.date(2025, 1, 1) + dt.timedelta(days=k * 20)
            for k, s in enumerate(stages)
        }
        dates["planned_completion_on"] = dt.date(2025, 3, 1)
        Project.objects.create(enterprise=EnterpriseFactory(sub_industry=sub), **dates)


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


def test_city_section_queries_do_not_grow_with_projects(city, sub_industry):
    as_of = dt.date(2026, 1, 1)

    def compute():
        dash_funnel.city_project_funnel(city=city, as_of=as_of)

    _projects(sub_industry, 4)
    small = _count(compute)
    _projects(SubIndustryFactory(city=city), 40, start=4)
    large = _count(compute)
    assert small == large <= 8


def test_national_totals_queries_do_not_grow_with_cities(db):
    as_of = dt.date(2026, 1, 1)
    cities = []

    def compute():
        dash_funnel.funnel_totals([c.pk for c in cities], as_of)

    for i in range(2):
        cities.append(CityFactory(code=f"Q{i:02d}"))
        _projects(SubIndustryFactory(city=cities[-1]), 3)
    small = _count(compute)
    for i in range(2, 12):
        cities.append(CityFactory(code=f"Q{i:02d}"))
        _projects(SubIndustryFactory(city=cities[-1]), 3)
    large = _count(compute)
    assert small == large == 1


# ---------------------------------------------------------------- the national table


def _national(client, query: str = ""):
    return client.get(reverse("oversight:national_dashboard") + query).context["dash"]


def test_national_funnel_columns_equal_city_funnel(
    client, ministry_user, world, city, sub_industry
):
    _projects(sub_industry, 12)
    cache.clear()
    client.force_login(ministry_user)
    as_of = dt.date(2026, 3, 1)
    dash = _national(client, f"?as_of={as_of.isoformat()}")
    for row in dash.rows:
        expected = city_funnel(city=world if row.code == world.code else city, as_of=as_of)
        assert row.funnel_counts == tuple(
            expected["reached"][key] for key, _, _ in dash_funnel.TOTAL_STAGES
        )
    assert dash.totals.funnel_counts == tuple(
        sum(r.funnel_counts[i] for r in dash.rows) for i in range(6)
    )
    html = client.get(reverse("oversight:national_dashboard")).content.decode()
    for label in ("项目已申报", "项目合同已备案", "项目奖补已拨付"):
        assert label in html


def test_national_table_sorts_by_a_funnel_column(client, ministry_user, world, city, sub_industry):
    _projects(sub_industry, 30)  # HHHT: 30 applied, FNL: 11
    cache.clear()
    client.force_login(ministry_user)
    assert [r.code for r in _national(client, "?sort=-applied").rows] == ["HHHT", "FNL"]
    assert [r.code for r in _national(client, "?sort=applied").rows] == ["FNL", "HHHT"]
    html = client.get(reverse("oversight:national_dashboard") + "?sort=applied").content.decode()
    assert "sort=-applied" in html  # the column's link turns the order around


def test_national_funnel_is_invalidated_by_a_projects_import(
    client, ministry_user, world, django_capture_on_commit_callbacks
):
    client.force_login(ministry_user)

    def applied() -> int:
        return {r.code: r for r in _national(client).rows}[world.code].funnel.applied

    before = applied()
    newcomer = EnterpriseFactory(sub_industry=world.sub_industries.get(code="C03"), city=world)
    with django_capture_on_commit_callbacks(execute=True):
        result = import_file(
            kind="projects",
            content=kind_file("projects", [{"uscc": newcomer.uscc, "applied_on": "2026-05-01"}]),
            actor=None,
            dry_run=False,
        )
    assert result.written, result.errors
    assert applied() == before + 1


# ---------------------------------------------------------------- links to the project list

LINK = re.compile(r'<a href="(/projects/\?[^"]*)">(?:<strong[^>]*>)?(\d+)<')


def _linked_counts(client, user, html: str) -> list[tuple[str, int, int]]:
    """(link, number shown, projects the linked list holds) for every number linking to it.
    The list's count is read through the list view's own reading of the link (filters and scope);
    the first few links are also opened, to see the page say the same."""
    found = []
    visible = project_list_visible_to(user=user)
    for i, (href, shown) in enumerate(LINK.findall(html)):
        url = unescape(href)
        filters = ProjectFilters.from_query(QueryDict(urlsplit(url).query))
        listed = filter_projects(visible, filters).count()
        if i < 3:
            assert client.get(url).context["page"].paginator.count == listed
        found.append((url, int(shown), listed))
    return found


def test_every_funnel_number_lists_exactly_its_projects(
    client, ministry_user, world, city, sub_industry
):
    """City section and national table, for the ministry (who sees every city, so the links
    must name the city): each number links to a list of exactly that many projects."""
    _projects(sub_industry, 12)  # another city's projects, some overdue
    north, south = (DistrictFactory(city=world, code=c, name=f"区{c}") for c in ("D1", "D2"))
    ids = list(Enterprise.objects.filter(city=world).order_by("uscc").values_list("pk", flat=True))
    Enterprise.objects.filter(pk__in=ids[0::3]).update(district=north)
    Enterprise.objects.filter(pk__in=ids[1::3]).update(district=south)  # the rest: none
    cache.clear()
    client.force_login(ministry_user)
    html = client.get(_url()).content.decode()
    section = html[
        html.index('id="project-funnel"') : html.index(
            "</section>", html.index('id="project-funnel"')
        )
    ]
    links = _linked_counts(client, ministry_user, section)
    # 5 outcome and overdue counts, 10 stages, 3 sub-industries and 3 districts (D1, D2, none)
    # of 10 stages each, the districts' 2 overdue counts.
    assert len(links) == 5 + 10 + 3 * 10 + 3 * 12
    assert all(f"as_of={AS_OF.isoformat()}" in url for url, _, _ in links)
    assert [(url, shown) for url, shown, listed in links if shown != listed] == []
    assert sum(shown for _, shown, _ in links) > 100  # not a world of zeros

    national = client.get(
        reverse("oversight:national_dashboard") + f"?as_of={AS_OF.isoformat()}"
    ).content.decode()
    table = national[national.index('id="national-table"') :]
    links = _linked_counts(client, ministry_user, table)
    assert len(links) == 3 * 6  # two cities and the totals, six columns each
    assert [(url, shown) for url, shown, listed in links if shown != listed] == []
    # Narrowed to one region, the totals are no longer the caller's whole list: not linked.
    narrowed = client.get(reverse("oversight:national_dashboard") + f"?batch={world.batch.year}")
    assert len(LINK.findall(narrowed.content.decode())) == 6 * len(narrowed.context["dash"].rows)
