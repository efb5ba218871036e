"""Funds on the city and national dashboards (issue 14 item 3): the same figures as
`manage.py funds`, the monthly spending line, the national shares with their highlight and
sorting, constant query counts, and the cache invalidated by every write to the funds."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cities.imports.service import import_file
from cities.models import Enterprise, add_months
from funds import services
from funds.models import LedgerEntry
from funds.selectors import monthly_spending, to_json
from oversight.selectors.dashboard import funds as dash_funds
from projects.models import Project
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory
from tests.cities.import_files import kind_file
from tests.funds import funds_world

AS_OF = funds_world.AS_OF
D = Decimal


def command(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("funds", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def city_url(code: str, as_of: dt.date | None = None) -> str:
    url = reverse("oversight:city_dashboard", args=[code])
    return url if as_of is None else f"{url}?as_of={as_of.isoformat()}"


def national_url(query: str = "") -> str:
    return reverse("oversight:national_dashboard") + (f"?{query}" if query else "")


def entry(city, day: str, kind: str, source: str, amount: str, category: str = "", ref=None):
    """A booked entry written directly (the services' checks are not what is tested here)."""
    return LedgerEntry.objects.create(
        city=city,
        entry_on=dt.date.fromisoformat(day),
        kind=kind,
        source=source,
        category=category,
        amount=D(amount),
        reference=ref or f"R-{LedgerEntry.objects.count() + 1}",
    )


def paid_project(sub, *, approved: str, paid: str | None, central: str, local: str) -> Project:
    """A project through acceptance in 2024, its subsidy approved (and paid) as given."""
    dates = dict(
        zip(
            (
                "applied_on",
                "admitted_on",
                "diagnosed_on",
                "provider_selected_on",
                "contract_filed_on",
                "completed_on",
                "acceptance_applied_on",
                "accepted_on",
            ),
            (
                dt.date(2024, m, d)
                for m, d in ((1, 10), (2, 1), (3, 1), (4, 1), (5, 1), (9, 20), (10, 10), (11, 20))
            ),
            strict=True,
        )
    )
    return Project.objects.create(
        enterprise=EnterpriseFactory(sub_industry=sub),
        subsidy_approved_on=dt.date.fromisoformat(approved),
        subsidy_paid_on=None if paid is None else dt.date.fromisoformat(paid),
        subsidy_central=D(central),
        subsidy_local=D(local),
        **dates,
    )


# ---------------------------------------------------------------- pure: the highlight


@pytest.mark.parametrize(
    ("other", "received", "status"),
    [
        ("0", "0", ""),
        ("1", "0", dash_funds.BREACH),
        ("0", "100", ""),
        ("17.99", "100", ""),
        ("18.00", "100", dash_funds.NEAR),  # exactly 2 points below the limit
        ("20.00", "100", dash_funds.NEAR),  # at the limit: still within it
        ("20.01", "100", dash_funds.BREACH),
    ],
)
def test_limit_status(other, received, status):
    assert (
        dash_funds.limit_status(other=D(other), received=D(received), max_share=D("0.20")) == status
    )


def test_limit_status_follows_the_batch_limit():
    assert dash_funds.limit_status(other=D(28), received=D(100), max_share=D("0.30")) == "near"
    assert dash_funds.limit_status(other=D(28), received=D(100), max_share=D("0.20")) == "breach"


def test_transformation_behind_only_near_the_end_with_money_below_the_target():
    below = dash_funds.FundsShares(received=D(100), transformation=D("79.99"), other=D(0))
    met = dash_funds.FundsShares(received=D(100), transformation=D(80), other=D(0))
    nothing = dash_funds.FundsShares()
    watch = dash_funds.TRANSFORMATION_WATCH_DAYS
    assert below.behind(watch) and below.behind(0) and below.behind(-5)
    assert not below.behind(watch + 1) and not below.behind(None)
    assert not met.behind(0) and not nothing.behind(0)


# ---------------------------------------------------------------- the city section


@pytest.fixture
def world(db):
    return funds_world.build()


def test_city_section_is_what_manage_py_funds_prints(client, ministry_user, world):
    client.force_login(ministry_user)
    response = client.get(city_url(world.code, AS_OF))
    assert response.status_code == 200
    section = response.context["funds"]
    (printed,) = command(world.code, "--as-of", AS_OF.isoformat())
    assert printed == funds_world.EXPECTED
    assert to_json(section.figures) == printed
    html = response.content.decode()
    assert 'id="city-funds"' in html
    assert 'data-figure="central_received">9,000.00<' in html
    assert 'data-figure="award_cap">10,000.00<' in html
    assert 'data-figure="transformation_share">67.78%<' in html
    assert 'data-figure="other_share">8.89%<' in html
    ledger = reverse("funds:ledger", args=[world.code])
    assert f'href="{ledger}?as_of=2026-06-30"' in html
    # Spending by category: the central rows add up to the JSON's figures.
    rows = {(r.source, r.category): r.actual for r in section.spending}
    for category in ("transformation", "platform", "chain", "procured_services"):
        assert rows[("central", category)] == D(printed["central"][category])
    assert rows[("local", "")] == D(printed["local"]["spent"])
    assert section.status == ""  # 8.89% is far below 20%
    # Subsidies approved vs paid.
    assert 'data-subsidy="approved"><td>已核定</td><td class="num count">' in html
    assert html.count("reached=subsidy_paid") >= 1


def test_city_section_shows_the_plan(client, ministry_user, world):
    services.plan_set(
        actor=None,
        city=world,
        amounts={("central", "transformation"): D("80000000"), ("central", "platform"): D("5")},
    )
    client.force_login(ministry_user)
    section = client.get(city_url(world.code, AS_OF)).context["funds"]
    planned = {(r.source, r.category): r.planned for r in section.spending}
    assert planned[("central", "transformation")] == D("80000000")
    assert planned[("central", "")] == D("80000005")
    assert planned[("central", "chain")] is None and planned[("local", "")] is None


def test_city_official_sees_the_section_of_their_city(client, city_official, city):
    client.force_login(city_official)
    html = client.get(city_url(city.code)).content.decode()
    assert 'id="city-funds"' in html and 'id="funds-chart"' in html
    assert "table-scroll" in html


# ---------------------------------------------------------------- the monthly series


def test_monthly_series_of_the_world(world):
    months = monthly_spending(city=world, as_of=AS_OF)
    # No plan approval date: from the first spending (2025-03) to the month of as_of, gaps kept.
    assert months[0].label == "2025-03"
    assert months[-1].label == "2026-06"
    assert len(months) == 16
    by = {m.label: m for m in months}
    # The reversal (2025-05-20) cancels Z-104 in the same month.
    assert by["2025-05"].central["procured_services"] == D("1000000.00")
    assert by["2025-06"].central["transformation"] == D("40000000.00")
    assert by["2025-10"].central_total == 0 and by["2025-10"].local_total == 0
    # Paid subsidies by source, in the month of subsidy_paid_on.
    assert by["2026-03"].central["transformation"] == D("15000000.00")
    assert by["2026-03"].local["transformation"] == D("1500000.00")
    assert by["2026-04"].central["transformation"] == D("6000000.00")
    assert by["2026-04"].local["transformation"] == D("500000.00")
    # The series adds up to the figures.
    figures = funds_world.EXPECTED
    for category in ("transformation", "platform", "chain", "procured_services"):
        assert sum(m.central[category] for m in months) == D(figures["central"][category])
    assert sum(m.local_total for m in months) == D(figures["local"]["spent"])


def test_monthly_series_month_boundaries_and_as_of_cut(db):
    city = CityFactory(code="MB", plan_approved_on=dt.date(2025, 1, 20))
    entry(city, "2025-01-05", "receipt", "central", "1000000")
    entry(city, "2025-03-31", "expense", "central", "100", "platform")
    entry(city, "2025-04-01", "expense", "central", "200", "platform")
    entry(city, "2025-04-15", "expense", "local", "300", "chain")
    entry(city, "2025-04-16", "expense", "central", "400", "transformation")
    reversed_ = entry(city, "2025-04-10", "expense", "central", "50", "chain")
    LedgerEntry.objects.create(
        city=city,
        entry_on=dt.date(2025, 5, 2),
        kind="expense",
        source="central",
        category="chain",
        amount=D(50),
        reference="REV",
        reverses=reversed_,
    )
    sub = SubIndustryFactory(city=city)
    for paid_on, central, local in (
        ("2025-02-28", "10", "1"),
        ("2025-03-01", "20", "2"),
        ("2025-04-15", "40", "4"),
        ("2025-04-16", "80", "8"),
    ):
        paid_project(sub, approved="2025-01-03", paid=paid_on, central=central, local=local)
    months = monthly_spending(city=city, as_of=dt.date(2025, 4, 15))
    # From the plan's month (no spending in January), the last month cut at as_of.
    assert [m.label for m in months] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    jan, feb, mar, apr = months
    assert jan.central_total == 0 and jan.local_total == 0  # a receipt is not spending
    assert feb.central == {
        "transformation": D("10.00"),
        "platform": D("0.00"),
        "chain": D("0.00"),
        "procured_services": D("0.00"),
    }
    assert feb.local["transformation"] == D("1.00")
    assert mar.central["platform"] == D("100.00") and mar.central["transformation"] == D("20.00")
    # April up to the 15th: 200 platform, 50 chain, 40 paid; not the 16th's 400 and 80.
    assert apr.central == {
        "transformation": D("40.00"),
        "platform": D("200.00"),
        "chain": D("50.00"),
        "procured_services": D("0.00"),
    }
    assert apr.local == {
        "transformation": D("4.00"),
        "platform": D("0.00"),
        "chain": D("300.00"),
        "procured_services": D("0.00"),
    }
    may = monthly_spending(city=city, as_of=dt.date(2025, 5, 31))[-1]
    assert may.label == "2025-05"
    assert may.central["chain"] == D("-50.00")  # the reversal counts on its own date


def test_monthly_series_without_anything_is_the_month_of_as_of(db):
    city = CityFactory(code="EMPTY", plan_approved_on=None)
    (only,) = monthly_spending(city=city, as_of=dt.date(2026, 2, 10))
    assert only.label == "2026-02" and only.central_total == 0


def test_chart_data_is_exact_wan_text_and_matches_the_table(client, ministry_user, world):
    client.force_login(ministry_user)
    response = client.get(city_url(world.code, AS_OF))
    chart = response.context["charts"]["funds"]
    assert chart["labels"][0] == "2025-03" and len(chart["labels"]) == 16
    i = chart["labels"].index("2026-03")
    assert chart["central_transformation"][i] == "1500.00"
    assert chart["local"][i] == "150.00"
    assert chart["central_other"][chart["labels"].index("2025-05")] == "100.00"
    html = response.content.decode()
    assert 'id="dashboard-chart-data"' in html and '"central_other"' in html
    assert 'data-month="2026-03"' in html


# ---------------------------------------------------------------- the national table


def _shares_world():
    """Four cities: one breaking the limit, one near it, one far below, one with no money; no
    plan approved (no end date)."""
    cities = {}
    for code, other in (("BRK", "20000.01"), ("NEAR", "18500"), ("LOW", "1000")):
        city = CityFactory(code=code, plan_approved_on=None)
        entry(city, "2025-02-01", "receipt", "central", "100000")
        entry(city, "2025-03-01", "expense", "central", other, "chain")
        entry(city, "2025-03-02", "expense", "central", "60000", "transformation")
        cities[code] = city
    cities["NONE"] = CityFactory(code="NONE", plan_approved_on=None)
    return cities


def test_national_shares_are_what_manage_py_funds_prints(client, ministry_user, world):
    _shares_world()
    client.force_login(ministry_user)
    dash = client.get(national_url(f"as_of={AS_OF.isoformat()}")).context["dash"]
    printed = {p["city"]: p for p in command("--all", "--as-of", AS_OF.isoformat())}
    assert {r.code for r in dash.rows} == set(printed)
    for row in dash.rows:
        p = printed[row.code]
        for key, value in (
            ("transformation_share", row.funds.transformation_share),
            ("other_share", row.funds.other_share),
        ):
            assert p[key] == (None if value is None else format(value, "f")), (row.code, key)
        assert p["other_within_limit"] == (row.funds.status != dash_funds.BREACH)


def row_class(html: str, code: str) -> str | None:
    found = re.search(rf'<tr data-city="{code}"[^>]*?(?: class="([^"]*)")?>', html)
    assert found, code
    return found.group(1)


def test_national_rows_are_highlighted_with_a_legend(client, ministry_user):
    _shares_world()
    client.force_login(ministry_user)
    html = client.get(national_url()).content.decode()
    assert row_class(html, "BRK") == "funds-breach"
    assert row_class(html, "NEAR") == "funds-near"
    assert row_class(html, "LOW") is None
    assert row_class(html, "NONE") is None
    assert 'id="funds-legend"' in html and "funds-breach" in html and "funds-near" in html
    assert "20.00%" in html and "18.50%" in html and "1.00%" in html
    assert '<td class="num funds-other"><a href="/funds/NONE/' in html


def test_transformation_below_target_near_the_end_is_marked(client, ministry_user):
    today = dt.date.today()
    cities = _shares_world()
    months = cities["LOW"].batch.pilot_months
    # LOW ends in 30 days with 60% transformation; NEAR's pilot is far from its end.
    cities["LOW"].plan_approved_on = add_months(today, -months) + dt.timedelta(days=30)
    cities["LOW"].save()
    cities["NEAR"].plan_approved_on = today
    cities["NEAR"].save()
    client.force_login(ministry_user)
    response = client.get(national_url())
    rows = {r.code: r for r in response.context["dash"].rows}
    assert rows["LOW"].funds_behind and not rows["NEAR"].funds_behind
    html = response.content.decode()
    assert html.count('class="num funds-transformation funds-behind"') == 1


def test_national_table_sorts_by_the_funds_shares(client, ministry_user):
    _shares_world()
    client.force_login(ministry_user)

    def order(sort: str) -> list[str]:
        return [r.code for r in client.get(national_url(f"sort={sort}")).context["dash"].rows]

    # A city without central money has no share: last either way.
    assert order("funds_other") == ["LOW", "NEAR", "BRK", "NONE"]
    assert order("-funds_other") == ["BRK", "NEAR", "LOW", "NONE"]
    assert order("funds_transformation")[-1] == "NONE"
    html = client.get(national_url("sort=funds_other")).content.decode()
    assert 'href="?sort=-funds_other"' in html and 'href="?sort=funds_transformation"' in html


def test_national_totals_add_up_central_money(client, ministry_user):
    _shares_world()
    client.force_login(ministry_user)
    totals = client.get(national_url()).context["dash"].totals.funds
    assert totals.received == D("300000.00")
    assert totals.other == D("39500.01")
    assert totals.other_share == D("0.1317")


# ---------------------------------------------------------------- query counts


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


def _ledger(city, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=i * 9)
        entry(city, day.isoformat(), "receipt", "central", "1000", ref=f"Q-R{i}")
        entry(city, day.isoformat(), "expense", "central", "100", "platform", ref=f"Q-P{i}")
        entry(city, day.isoformat(), "expense", "local", "70", "transformation", ref=f"Q-L{i}")


def test_city_section_queries_do_not_grow_with_the_ledger(db):
    city = CityFactory(code="QC")
    city = type(city).objects.select_related("batch").get(pk=city.pk)
    as_of = dt.date(2026, 6, 1)

    def compute():
        dash_funds.city_funds_section(city=city, as_of=as_of)

    _ledger(city, 2)
    small = _count(compute)
    _ledger(city, 60, start=2)
    sub = SubIndustryFactory(city=city)
    for i in range(10):
        paid_day = dt.date(2025, 3, 1) + dt.timedelta(days=i * 31)
        paid_project(sub, approved="2025-02-03", paid=paid_day.isoformat(), central="10", local="1")
    large = _count(compute)
    assert small == large == 5


def test_city_dashboard_queries_are_equal_at_two_ledger_sizes(client, city_official, city):
    client.force_login(city_official)
    from django.core.cache import cache

    def cold(day: dt.date):  # each size measured cold: the navigation's 待办 count is cached
        cache.clear()
        return client.get(city_url(city.code, day))

    _ledger(city, 2)
    small = _count(lambda: cold(dt.date(2026, 6, 1)))
    _ledger(city, 40, start=2)
    large = _count(lambda: cold(dt.date(2026, 6, 2)))
    assert small == large


def test_national_shares_queries_do_not_grow_with_cities(db):
    as_of = dt.date(2026, 6, 1)
    cities = []

    def compute():
        dash_funds.funds_shares(cities, as_of)

    for i in range(2):
        cities.append(CityFactory(code=f"F{i:02d}"))
        _ledger(cities[-1], 3)
    cities[:] = list(type(cities[0]).objects.select_related("batch").filter(code__startswith="F"))
    small = _count(compute)
    for i in range(2, 12):
        _ledger(CityFactory(code=f"F{i:02d}"), 3)
    cities[:] = list(type(cities[0]).objects.select_related("batch").filter(code__startswith="F"))
    large = _count(compute)
    assert small == large == 2


def test_national_page_adds_two_queries_for_the_funds(client, ministry_user, monkeypatch):
    _shares_world()
    client.force_login(ministry_user)
    from django.core.cache import cache

    cache.clear()
    with_funds = _count(lambda: client.get(national_url()))
    cache.clear()
    monkeypatch.setattr(dash_funds, "cities_figures", lambda **kw: [])
    without = _count(lambda: client.get(national_url()))
    assert with_funds - without == 2


# ---------------------------------------------------------------- invalidation


def _central_received(client, city) -> str:
    html = client.get(city_url(city.code)).content.decode()
    start = html.index('data-figure="central_received">') + len('data-figure="central_received">')
    return html[start : html.index("<", start)]


def _other_cell(client, code: str) -> str:
    rows = client.get(national_url()).context["dash"].rows
    (row,) = [r for r in rows if r.code == code]
    return str(row.funds.other)


@pytest.fixture
def official_city(client, city_official, city):
    client.force_login(city_official)
    return city


def test_booking_and_reversing_show_at_once(
    client, official_city, city_official, django_capture_on_commit_callbacks
):
    city = official_city
    assert _central_received(client, city) == "0.00"
    with django_capture_on_commit_callbacks(execute=True):
        receipt = services.book_receipt(
            actor=city_official,
            city=city,
            entry_on=dt.date(2025, 3, 1),
            source="central",
            amount=D("12345678.90"),
            reference="Z-1",
        )
    assert _central_received(client, city) == "1,234.57"
    with django_capture_on_commit_callbacks(execute=True):
        services.reverse_entry(
            actor=city_official,
            entry=receipt,
            entry_on=dt.date(2025, 3, 2),
            reference="Z-1-R",
            reason="录错",
        )
    assert _central_received(client, city) == "0.00"


def test_national_row_follows_a_booking(
    client, ministry_user, city, city_official, django_capture_on_commit_callbacks
):
    client.force_login(ministry_user)
    assert _other_cell(client, city.code) == "0.00"
    with django_capture_on_commit_callbacks(execute=True):
        services.book_receipt(
            actor=None,
            city=city,
            entry_on=dt.date(2025, 3, 1),
            source="central",
            amount=D("1000"),
            reference="Z-1",
        )
        services.book_expense(
            actor=None,
            city=city,
            entry_on=dt.date(2025, 3, 1),
            source="central",
            category="chain",
            amount=D("190"),
            reference="Z-2",
        )
    assert _other_cell(client, city.code) == "190.00"
    html = client.get(national_url()).content.decode()
    assert row_class(html, city.code) == "funds-near"


def test_plan_change_shows_at_once(client, official_city, django_capture_on_commit_callbacks):
    city = official_city

    def planned():
        section = client.get(city_url(city.code)).context["funds"]
        return {(r.source, r.category): r.planned for r in section.spending}[("local", "chain")]

    assert planned() is None
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_set(actor=None, city=city, amounts={("local", "chain"): D("42")})
    assert planned() == D("42")


def test_the_funds_import_shows_at_once(
    client, official_city, city_official, django_capture_on_commit_callbacks
):
    city = official_city
    assert _central_received(client, city) == "0.00"
    rows = [
        {
            "city_code": city.code,
            "entry_on": "2025-03-01",
            "kind": "receipt",
            "source": "central",
            "category": "",
            "amount": "5000000",
            "reference": "IMP-1",
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = import_file(
            kind="funds", content=kind_file("funds", rows), actor=city_official, dry_run=False
        )
    assert result.ok and result.written
    assert _central_received(client, city) == "500.00"


def test_a_paid_subsidy_shows_at_once(
    client, official_city, sub_industry, django_capture_on_commit_callbacks
):
    city = official_city
    project = paid_project(
        sub_industry, approved="2025-02-03", paid=None, central="30000", local="0"
    )
    assert client.get(city_url(city.code)).context["funds"].figures.subsidies.paid == 0
    with django_capture_on_commit_callbacks(execute=True):
        project.subsidy_paid_on = dt.date(2025, 3, 3)
        project.save()  # one by one (the admin): the model's post_save
    figures = client.get(city_url(city.code)).context["funds"].figures
    assert figures.subsidies.paid == 1
    assert figures.central_transformation == D("30000.00")
    assert Enterprise.objects.filter(city=city).count() == 1


def test_the_national_rows_html_is_reused_until_a_figure_changes(
    client, ministry_user, city, django_capture_on_commit_callbacks
):
    """The rows' HTML is cached under a digest of what they show (issue 17: rendering them was
    most of a cached page's time): the same figures are served without rendering the rows
    again, byte for byte; a booking that changes a figure renders them anew."""

    def rendered_rows(response) -> bool:
        return "oversight/dashboard/_national_score.html" in [t.name for t in response.templates]

    def rows(response) -> str:  # the page around them differs (CSRF token, CSP nonce)
        html = response.content.decode()
        start = html.index("<tbody>", html.index('id="national-table"'))
        return html[start : html.index("</tbody>", start)]

    from django.core.cache import cache

    cache.clear()  # an earlier test may have shown the very same rows
    client.force_login(ministry_user)
    first = client.get(national_url())
    assert rendered_rows(first)
    again = client.get(national_url())
    assert not rendered_rows(again)
    assert rows(again) == rows(first)
    with django_capture_on_commit_callbacks(execute=True):
        services.book_receipt(
            actor=None,
            city=city,
            entry_on=dt.date(2025, 3, 1),
            source="central",
            amount=D("1000"),
            reference="Z-9",
        )
    changed = client.get(national_url())
    assert rendered_rows(changed)
    assert rows(changed) != rows(first)
    # Another day is other HTML (its links carry the day), rendered once.
    earlier = client.get(national_url() + "?as_of=2026-01-05")
    assert rendered_rows(earlier)
    assert not rendered_rows(client.get(national_url() + "?as_of=2026-01-05"))
