"""Funds on the dashboards (domain §4.4, §4.6; issue 14 item 3).

The city dashboard's "资金使用" section shows exactly what `manage.py funds` prints: the figures
come from `funds.selectors.city_figures` (with the plan; three queries) and the monthly spending
line from `funds.selectors.monthly_spending` (two queries). Nothing is computed twice here: this
module only arranges those figures for the page and its chart (money as 万元 text, never a
float) and decides the national table's highlight.

The national table's shares are `funds.selectors.cities_figures` for every city at once (two
queries).

Both are cached per city like the funnel (`oversight.dashboard_cache`, kinds "funds" and
"funds_shares"), invalidated by `funds.signals.funds_changed` (an entry booked or reversed, the
plan set), by the `funds` import (`cities.signals.registry_changed`) and by the projects' events
(a paid subsidy is a transformation expense).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from cities.models import PilotCity
from funds import rules
from funds.selectors import Figures, MonthSpending, cities_figures, city_figures, monthly_spending
from oversight import dashboard_cache

# A city within this many percentage points of the other-uses limit is "near" it (amber on the
# national table). A display threshold, not a policy number: the limit itself is batch data.
NEAR_MARGIN: Final = Decimal("0.02")

# In its last this-many days (or after its end), a pilot whose central transformation share is
# still below its target is marked on the national table (the 80% is judged at the pilot's end).
TRANSFORMATION_WATCH_DAYS: Final = 90

BREACH: Final = "breach"
NEAR: Final = "near"


def wan_text(amount: Decimal) -> str:
    """Yuan as 万元 text with two decimals ("1234.57"), the charts' numbers."""
    return format((amount / rules.WAN).quantize(rules.CENTS, rounding=ROUND_HALF_UP), "f")


def limit_status(*, other: Decimal, received: Decimal, max_share: Decimal) -> str:
    """BREACH when central other uses exceed `max_share` of central receipts, NEAR when they
    reach `max_share − NEAR_MARGIN` of them (and nothing was received is neither), else "".
    Exact Decimal products, like `funds.rules`."""
    if received <= 0:
        return BREACH if other > 0 else ""
    if not rules.within_other_limit(other=other, received=received, max_share=max_share):
        return BREACH
    if other >= (max_share - NEAR_MARGIN) * received:
        return NEAR
    return ""


@dataclass(frozen=True)
class SpendingRow:
    source: str
    source_label: str
    category: str  # "" for a source's total
    label: str
    actual: Decimal
    planned: Decimal | None
    share: Decimal | None  # of the source's receipts


@dataclass(frozen=True)
class CityFunds:
    as_of: dt.date
    figures: Figures
    spending: tuple[SpendingRow, ...]
    months: tuple[MonthSpending, ...]
    chart: dict[str, Any]

    @property
    def status(self) -> str:
        f = self.figures
        return limit_status(
            other=f.central_other, received=f.central_received, max_share=f.other_max_share
        )

    @property
    def cap_remaining(self) -> Decimal:
        return self.figures.award_cap - self.figures.central_received

    @property
    def transformation_progress(self) -> Decimal | None:
        """The transformation share against its target (1 = target reached), for the gauge."""
        f = self.figures
        if f.transformation_share is None or not f.transformation_min_share:
            return None
        return min(f.transformation_share / f.transformation_min_share, Decimal(1))

    @property
    def near_from(self) -> Decimal:
        """Where the other-uses gauge turns amber (the national table's NEAR)."""
        return max(self.figures.other_max_share - NEAR_MARGIN, Decimal(0))


def spending_rows(f: Figures) -> tuple[SpendingRow, ...]:
    rows: list[SpendingRow] = []
    for source in rules.Source:
        received = f.received.get(source.value, rules.ZERO)
        label = rules.SOURCE_LABELS[source]
        for category in rules.Category:
            actual = f.spent_on(source.value, category.value)
            rows.append(
                SpendingRow(
                    source.value,
                    label,
                    category.value,
                    rules.CATEGORY_LABELS[category],
                    actual,
                    f.plan.get((source.value, category.value)),
                    rules.share(actual, received),
                )
            )
        total = sum((f.spent_on(source.value, c.value) for c in rules.Category), rules.ZERO)
        plans = [f.plan.get((source.value, c.value)) for c in rules.Category]
        known = [p for p in plans if p is not None]
        planned = sum(known, rules.ZERO) if known else None
        rows.append(
            SpendingRow(
                source.value,
                label,
                "",
                f"{label}资金支出合计",
                total,
                planned,
                rules.share(total, received),
            )
        )
    return tuple(rows)


def city_funds_section(*, city: PilotCity, as_of: dt.date) -> CityFunds:
    """The funds section of one city's dashboard (`city` with its batch): five queries."""
    figures = city_figures(city=city, as_of=as_of, with_plan=True)
    months = tuple(monthly_spending(city=city, as_of=as_of))
    chart = {
        "labels": [m.label for m in months],
        "central_transformation": [
            wan_text(m.central[rules.Category.TRANSFORMATION.value]) for m in months
        ],
        "central_other": [wan_text(m.central_other) for m in months],
        "local": [wan_text(m.local_total) for m in months],
    }
    return CityFunds(as_of, figures, spending_rows(figures), months, chart)


def city_funds_section_cached(*, city: PilotCity, as_of: dt.date) -> CityFunds:
    return dashboard_cache.cached_for_city(
        "funds", city.pk, as_of, lambda: city_funds_section(city=city, as_of=as_of)
    )


@dataclass(frozen=True)
class FundsShares:
    """One city's central money on the national table (every amount net of reversals)."""

    received: Decimal = rules.ZERO
    transformation: Decimal = rules.ZERO
    other: Decimal = rules.ZERO
    other_max_share: Decimal = Decimal("0.20")
    transformation_min_share: Decimal = Decimal("0.80")

    @property
    def transformation_share(self) -> Decimal | None:
        return rules.share(self.transformation, self.received)

    @property
    def other_share(self) -> Decimal | None:
        return rules.share(self.other, self.received)

    @property
    def status(self) -> str:
        return limit_status(
            other=self.other, received=self.received, max_share=self.other_max_share
        )

    @property
    def css_class(self) -> str:
        return f"funds-{self.status}" if self.status else ""

    def behind(self, days_left: int | None) -> bool:
        """Below the transformation target with the pilot's end `days_left` away (or past):
        within `TRANSFORMATION_WATCH_DAYS`, money received, the target not met. An unapproved
        plan (no end date) is never behind."""
        if days_left is None or days_left > TRANSFORMATION_WATCH_DAYS or self.received <= 0:
            return False
        return not rules.transformation_target_met(
            transformation=self.transformation,
            received=self.received,
            min_share=self.transformation_min_share,
        )


def funds_shares(cities: Sequence[PilotCity], as_of: dt.date) -> dict[int, FundsShares]:
    """Each city's central shares (`cities` with their batch): two queries for any number."""
    return {
        f.city.pk: FundsShares(
            received=f.central_received,
            transformation=f.central_transformation,
            other=f.central_other,
            other_max_share=f.other_max_share,
            transformation_min_share=f.transformation_min_share,
        )
        for f in cities_figures(cities=cities, as_of=as_of)
    }


def funds_shares_cached(cities: Sequence[PilotCity], as_of: dt.date) -> dict[int, FundsShares]:
    by_id = {c.pk: c for c in cities}
    return dashboard_cache.cached_for_cities(
        "funds_shares",
        list(by_id),
        as_of,
        lambda ids: funds_shares([by_id[i] for i in ids], as_of),
    )
