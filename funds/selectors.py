"""Reads of the funds ledger (domain §4.4, §4.6): a city's figures as of a day, the §4.6 JSON,
plan against actual, and the ledger list.

A city's figures take two queries whatever the size of the ledger: one GROUP BY over the ledger
(source, kind, category; a reversal counts negative) and one over the city's projects (subsidies
approved and paid, by source). `cities_figures` does the same for any number of cities, grouped
by city as well: still two queries (plus the plan, when asked).

Paid subsidies are transformation expenses of each source on `subsidy_paid_on`; they are never
ledger entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth

from accounts import policy
from cities.models import PilotCity
from cities.selectors import city_get_visible, city_list_visible_to
from projects import stage_triggers
from projects.models import Project, ProjectCount, ProjectDayCount
from projects.selectors.project_counts import counts_apply
from sme_pilot.errors import NotFound

from . import rules
from .choices import Category, EntryKind, PlanLine, Source
from .models import FundsPlan, LedgerEntry, LedgerEntryQuerySet

ZERO = rules.ZERO
_MONEY = DecimalField(max_digits=16, decimal_places=2)

# The signed amount of an entry: a reversal negates the entry it names.
SIGNED_AMOUNT = Case(
    When(reverses__isnull=True, then=F("amount")),
    default=-F("amount"),
    output_field=_MONEY,
)


def _cents(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(rules.CENTS)


def money(value: Decimal) -> str:
    """ "90000000.00": yuan, two decimals, never an exponent."""
    return format(_cents(value), "f")


@dataclass(frozen=True)
class Subsidies:
    approved: int = 0
    approved_amount: Decimal = ZERO
    paid: int = 0
    paid_central: Decimal = ZERO
    paid_local: Decimal = ZERO

    @property
    def paid_amount(self) -> Decimal:
        return self.paid_central + self.paid_local


@dataclass(frozen=True)
class Figures:
    """A city's funds as of a day. `spent[(source, category)]` includes the paid subsidies
    (transformation, by source); every amount is net of reversals."""

    city: PilotCity
    as_of: dt.date
    received: dict[str, Decimal]
    spent: dict[tuple[str, str], Decimal]
    subsidies: Subsidies
    # Per source × plan line (receipt or a category): the plan of the city's 实施方案.
    plan: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    @property
    def award_cap(self) -> Decimal:
        return self.city.award_cap

    @property
    def other_max_share(self) -> Decimal:
        return self.city.batch.funds_other_max_share

    @property
    def transformation_min_share(self) -> Decimal:
        return self.city.batch.funds_transformation_min_share

    def spent_on(self, source: str, category: str) -> Decimal:
        return self.spent.get((source, category), ZERO)

    @property
    def central_received(self) -> Decimal:
        return self.received.get(Source.CENTRAL, ZERO)

    @property
    def central_transformation(self) -> Decimal:
        return self.spent_on(Source.CENTRAL, Category.TRANSFORMATION)

    @property
    def central_other(self) -> Decimal:
        return sum((self.spent_on(Source.CENTRAL, c) for c in rules.OTHER_USES), ZERO)

    @property
    def local_received(self) -> Decimal:
        return self.received.get(Source.LOCAL, ZERO)

    @property
    def local_spent(self) -> Decimal:
        return sum((self.spent_on(Source.LOCAL, c) for c in rules.Category), ZERO)

    @property
    def transformation_share(self) -> Decimal | None:
        return rules.share(self.central_transformation, self.central_received)

    @property
    def other_share(self) -> Decimal | None:
        return rules.share(self.central_other, self.central_received)

    @property
    def other_within_limit(self) -> bool:
        return rules.within_other_limit(
            other=self.central_other,
            received=self.central_received,
            max_share=self.other_max_share,
        )

    @property
    def transformation_target_met(self) -> bool:
        return rules.transformation_target_met(
            transformation=self.central_transformation,
            received=self.central_received,
            min_share=self.transformation_min_share,
        )

    def plan_rows(self) -> list[dict[str, Any]]:
        """Plan against actual per source × line (receipts, then each category)."""
        rows = []
        for source in Source:
            for line in PlanLine:
                if line == PlanLine.RECEIPT:
                    actual = self.received.get(source, ZERO)
                else:
                    actual = self.spent_on(source, line.value)
                planned = self.plan.get((source.value, line.value))
                rows.append(
                    {
                        "source": source.value,
                        "source_label": source.label,
                        "line": line.value,
                        "line_label": line.label,
                        "planned": planned,
                        "actual": _cents(actual),
                        "rate": rules.share(actual, planned) if planned else None,
                    }
                )
        return rows


def _share_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def to_json(figures: Figures) -> dict[str, Any]:
    """The §4.6 JSON of a city's funds."""
    central: dict[str, str] = {"received": money(figures.central_received)}
    for category in rules.Category:
        central[category.value] = money(figures.spent_on(Source.CENTRAL, category.value))
    s = figures.subsidies
    return {
        "city": figures.city.code,
        "as_of": figures.as_of.isoformat(),
        "award_cap": money(figures.award_cap),
        "central": central,
        "local": {"received": money(figures.local_received), "spent": money(figures.local_spent)},
        "transformation_share": _share_text(figures.transformation_share),
        "other_share": _share_text(figures.other_share),
        "other_within_limit": figures.other_within_limit,
        "transformation_target_met": figures.transformation_target_met,
        "subsidies": {
            "approved": s.approved,
            "approved_amount": money(s.approved_amount),
            "paid": s.paid,
            "paid_amount": money(s.paid_amount),
        },
    }


def _ledger_totals(
    city_ids: list[int], as_of: dt.date
) -> dict[int, tuple[dict[str, Decimal], dict[tuple[str, str], Decimal]]]:
    totals: dict[int, tuple[dict[str, Decimal], dict[tuple[str, str], Decimal]]] = {
        city_id: ({}, {}) for city_id in city_ids
    }
    rows = (
        LedgerEntry.objects.filter(city_id__in=city_ids, entry_on__lte=as_of)
        .values("city_id", "source", "kind", "category")
        .annotate(total=Sum(SIGNED_AMOUNT))
        .order_by()
    )
    for row in rows:
        received, spent = totals[row["city_id"]]
        amount = _cents(row["total"])
        if row["kind"] == EntryKind.RECEIPT:
            received[row["source"]] = received.get(row["source"], ZERO) + amount
        else:
            key = (row["source"], row["category"])
            spent[key] = spent.get(key, ZERO) + amount
    return totals


def _zero(name: str) -> Coalesce:
    return Coalesce(F(name), Value(ZERO), output_field=_MONEY)


def _subsidies_of(row: Mapping[str, Any]) -> Subsidies:
    """One city's subsidies from a row of counts and yuan amounts (either reader's)."""
    return Subsidies(
        approved=row["approved"],
        approved_amount=_cents(row["approved_amount"]),
        paid=row["paid"],
        paid_central=_cents(row["paid_central"]),
        paid_local=_cents(row["paid_local"]),
    )


_AMOUNTS: Final = ("approved_amount", "paid_central", "paid_local")


def _yuan(fen: int | None) -> Decimal:
    """An amount the kept counters hold in fen (integer cents), in yuan."""
    return Decimal(fen or 0) / 100


def _kept_subsidies(city_ids: list[int]) -> dict[int, Subsidies]:
    """Today's subsidies from the kept project counters (`projects.ProjectCount`, docs/rules.md
    "Kept project counters"): a few rows per city instead of every project. The amounts are
    kept in fen."""
    rows = (
        ProjectCount.objects.filter(city_id__in=city_ids)
        .values("city_id")
        .annotate(
            approved=Sum("subsidy_approved"),
            approved_amount=Sum("subsidy_approved_fen"),
            paid=Sum("subsidy_paid"),
            paid_central=Sum("subsidy_paid_central_fen"),
            paid_local=Sum("subsidy_paid_local_fen"),
        )
        .order_by()
    )
    return {
        row["city_id"]: _subsidies_of({**row, **{name: _yuan(row[name]) for name in _AMOUNTS}})
        for row in rows
        if row["approved"] or row["paid"]
    }


def _subsidies(city_ids: list[int], as_of: dt.date) -> dict[int, Subsidies]:
    if counts_apply(as_of):
        return _kept_subsidies(city_ids)
    approved = Q(subsidy_approved_on__lte=as_of)
    paid = Q(subsidy_paid_on__lte=as_of)
    rows = (
        Project.objects.filter(enterprise__city_id__in=city_ids)
        .filter(approved | paid)
        .values("enterprise__city_id")
        .annotate(
            approved=Count("pk", filter=approved),
            approved_amount=Sum(
                _zero("subsidy_central") + _zero("subsidy_local"),
                filter=approved,
                output_field=_MONEY,
            ),
            paid=Count("pk", filter=paid),
            paid_central=Sum(_zero("subsidy_central"), filter=paid, output_field=_MONEY),
            paid_local=Sum(_zero("subsidy_local"), filter=paid, output_field=_MONEY),
        )
        .order_by()
    )
    return {row["enterprise__city_id"]: _subsidies_of(row) for row in rows}


def _plans(city_ids: list[int]) -> dict[int, dict[tuple[str, str], Decimal]]:
    plans: dict[int, dict[tuple[str, str], Decimal]] = {city_id: {} for city_id in city_ids}
    for row in FundsPlan.objects.filter(city_id__in=city_ids).values(
        "city_id", "source", "line", "amount"
    ):
        plans[row["city_id"]][(row["source"], row["line"])] = row["amount"]
    return plans


def cities_figures(
    *, cities: Sequence[PilotCity], as_of: dt.date, with_plan: bool = False
) -> list[Figures]:
    """The figures of each of `cities` (with `batch` selected, or it is read), in their order:
    two queries whatever the number of cities and entries (three with the plan)."""
    if not cities:
        return []
    ids = [c.pk for c in cities]
    ledger = _ledger_totals(ids, as_of)
    subsidies = _subsidies(ids, as_of)
    plans = _plans(ids) if with_plan else {}
    out = []
    for city in cities:
        received, spent = ledger[city.pk]
        s = subsidies.get(city.pk, Subsidies())
        spent = dict(spent)
        for source, paid in ((Source.CENTRAL, s.paid_central), (Source.LOCAL, s.paid_local)):
            if paid:
                key = (source.value, Category.TRANSFORMATION.value)
                spent[key] = spent.get(key, ZERO) + paid
        out.append(Figures(city, as_of, received, spent, s, plans.get(city.pk, {})))
    return out


def city_figures(*, city: PilotCity, as_of: dt.date, with_plan: bool = False) -> Figures:
    return cities_figures(cities=[city], as_of=as_of, with_plan=with_plan)[0]


def cities_funds(*, cities: Sequence[PilotCity], as_of: dt.date) -> list[dict[str, Any]]:
    """The §4.6 funds JSON of each of `cities`, in their order (two queries)."""
    return [to_json(f) for f in cities_figures(cities=cities, as_of=as_of)]


def city_funds(*, city: PilotCity, as_of: dt.date) -> dict[str, Any]:
    """The §4.6 funds JSON of one city (two queries, the city's batch selected)."""
    return to_json(city_figures(city=city, as_of=as_of))


# --- scoping ---------------------------------------------------------------------------------


def funds_city_list_visible_to(*, user: object) -> Any:
    """The cities whose ledger `user` may read: whoever sees the dashboards, within scope."""
    if not policy.sees_dashboards(user):
        return PilotCity.objects.none()
    return city_list_visible_to(user=user)


def funds_city_get_visible(*, user: object, code: str) -> PilotCity:
    """The city whose ledger `user` may open; out of scope (or no dashboards) is 404."""
    if not policy.sees_dashboards(user):
        raise NotFound("没有找到该试点城市")
    return city_get_visible(user=user, code=code)


def ledger_of(*, city: PilotCity) -> LedgerEntryQuerySet:
    """The city's entries, newest first, each with its reversal (if any) at hand."""
    return (
        LedgerEntry.objects.filter(city=city)
        .select_related("created_by", "reverses")
        .annotate(reversal_count=Count("reversals"))
        .order_by("-entry_on", "-id")
    )


def central_movements(*, city_id: int, exclude_pk: int | None = None) -> list[rules.Movement]:
    """Every day's change of the city's central receipts and other-uses spending (signed), for
    `rules.first_breach`. One query."""
    rows = (
        LedgerEntry.objects.filter(city_id=city_id, source=Source.CENTRAL)
        .exclude(category=Category.TRANSFORMATION)
        .values("entry_on", "kind")
        .annotate(total=Sum(SIGNED_AMOUNT))
        .order_by()
    )
    out = []
    for row in rows:
        amount = _cents(row["total"])
        if row["kind"] == EntryKind.RECEIPT:
            out.append(rules.Movement(row["entry_on"], received=amount))
        else:
            out.append(rules.Movement(row["entry_on"], other=amount))
    return out


def central_received_total(*, city_id: int) -> Decimal:
    """Central receipts booked for the city, every date, net of reversals (the award cap)."""
    total = LedgerEntry.objects.filter(
        city_id=city_id, source=Source.CENTRAL, kind=EntryKind.RECEIPT
    ).aggregate(total=Sum(SIGNED_AMOUNT))["total"]
    return _cents(total)


# --- the monthly spending line (dashboards) --------------------------------------------------


@dataclass(frozen=True)
class MonthSpending:
    """One month's spending (signed: a reversal counts on its own date), paid subsidies
    included as transformation of their source on `subsidy_paid_on`."""

    month: dt.date  # the first day of the month
    central: dict[str, Decimal]  # per category, every category present
    local: dict[str, Decimal]  # per category, every category present

    @property
    def label(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def central_total(self) -> Decimal:
        return sum(self.central.values(), ZERO)

    @property
    def central_other(self) -> Decimal:
        return sum((self.central[c.value] for c in rules.OTHER_USES), ZERO)

    @property
    def local_total(self) -> Decimal:
        return sum(self.local.values(), ZERO)


def _first_of_month(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, 1)


def _next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def monthly_spending(*, city: PilotCity, as_of: dt.date) -> list[MonthSpending]:
    """The city's spending per calendar month up to `as_of` (its month cut at `as_of`), by
    source and category; months without spending are listed with zeros. The months run from
    the earlier of the plan's approval and the first spending to the month of `as_of` (just
    that month when there is neither). Two queries (one GROUP BY over the ledger, one of the
    paid subsidies: `_monthly_payments`), whatever the number of entries and months."""
    amounts: dict[tuple[dt.date, str, str], Decimal] = {}
    ledger = (
        LedgerEntry.objects.filter(city=city, kind=EntryKind.EXPENSE, entry_on__lte=as_of)
        .annotate(month=TruncMonth("entry_on"))
        .values("month", "source", "category")
        .annotate(total=Sum(SIGNED_AMOUNT))
        .order_by()
    )
    for row in ledger:
        key = (_as_date(row["month"]), row["source"], row["category"])
        amounts[key] = amounts.get(key, ZERO) + _cents(row["total"])
    for month, paid in _monthly_payments(city, as_of).items():
        for source, total in zip((Source.CENTRAL, Source.LOCAL), paid, strict=True):
            key = (month, source.value, Category.TRANSFORMATION.value)
            amounts[key] = amounts.get(key, ZERO) + _cents(total)
    starts = [m for m, _, _ in amounts]
    if city.plan_approved_on is not None and city.plan_approved_on <= as_of:
        starts.append(city.plan_approved_on)
    cursor = _first_of_month(min(starts, default=as_of))
    last = _first_of_month(as_of)
    out = []
    while cursor <= last:
        out.append(
            MonthSpending(
                month=cursor,
                central={
                    c.value: amounts.get((cursor, Source.CENTRAL.value, c.value), ZERO)
                    for c in rules.Category
                },
                local={
                    c.value: amounts.get((cursor, Source.LOCAL.value, c.value), ZERO)
                    for c in rules.Category
                },
            )
        )
        cursor = _next_month(cursor)
    return out


def _monthly_payments(city: PilotCity, as_of: dt.date) -> dict[dt.date, tuple[Decimal, Decimal]]:
    """The subsidies the city paid per month up to `as_of` (its month cut at `as_of`): central,
    local; a month appears when a project was paid in it. Today's from the kept day counters
    (`stage_triggers.PAID_KINDS`, amounts in fen: a few rows), an earlier day's from the
    projects' payment dates. One query."""
    if counts_apply(as_of):
        kept: dict[int, list[int]] = {}
        for kind, value, n in ProjectDayCount.objects.filter(
            city_id=city.pk, kind__in=stage_triggers.PAID_KINDS
        ).values_list("kind", "value", "n"):
            kept.setdefault(value, [0, 0, 0])[stage_triggers.PAID_KINDS.index(kind)] = n
        return {
            dt.date(value // 12, value % 12 + 1, 1): (_yuan(central), _yuan(local))
            for value, (projects, central, local) in sorted(kept.items())
            if projects > 0
        }
    paid = (
        Project.objects.filter(enterprise__city=city, subsidy_paid_on__lte=as_of)
        .annotate(month=TruncMonth("subsidy_paid_on"))
        .values("month")
        .annotate(
            central=Sum(_zero("subsidy_central"), output_field=_MONEY),
            local=Sum(_zero("subsidy_local"), output_field=_MONEY),
        )
        .order_by()
    )
    return {_as_date(row["month"]): (row["central"], row["local"]) for row in paid}


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    """TruncMonth of a date column is a date (a datetime on some backends): the month's first
    day either way."""
    return value.date() if isinstance(value, dt.datetime) else value
