"""转型样板 (issue 15): the samples a user may read, and each sample's figures for the list page
and the reports.

Scope: city staff read the samples of their scope as they read projects (a city official its
city's, a district official its district's, a province official its province's, the ministry
and administrators every city's); an enterprise reads its own city's samples (other enterprises'
projects, which it may not open: by name only, `policy.sees_sample_codes`); nobody else any.

`sample_rows` reads a constant number of queries whatever the number of samples: the samples
with their project, enterprise, sub-industry, city and provider (and the baseline level as a
subquery), their products, the investment lines, and the after-levels (`after_levels`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts import policy
from accounts.policy import Reach
from cities.models import Enterprise, PilotCity
from providers.models import Product

from .. import rules
from ..models import InvestmentLine, TransformationSample
from . import projects as project_selectors
from .after_levels import after_level, after_levels
from .provider_scores import baseline_level


def samples_visible_to(user: object) -> QuerySet[TransformationSample]:
    """The samples `user` may read (none for a role without the 转型样板 list)."""
    qs = TransformationSample.objects.all()
    if not policy.sees_samples(user):
        return qs.none()
    scope = policy.scope_of(user)
    if scope.reach is Reach.ENTERPRISE:
        if scope.enterprise_id is None:
            return qs.none()
        own_city = Enterprise.objects.filter(pk=scope.enterprise_id).values("city_id")
        return qs.filter(project__enterprise__city_id__in=own_city)
    visible = project_selectors.project_list_visible_to(user=user)
    return qs.filter(project__in=visible.order_by().values("pk"))


def city_samples(city: PilotCity, as_of: dt.date | None = None) -> list[SampleRow]:
    """The samples of `city` marked by `as_of` (today), with their figures as of that day: for
    the city report and the national report (which scope the city themselves)."""
    return sample_rows(
        TransformationSample.objects.filter(project__enterprise__city=city), as_of=as_of
    )


@dataclass(frozen=True)
class InvestmentRow:
    category: str
    label: str
    amount: Decimal
    eligible: bool


@dataclass(frozen=True)
class SampleRow:
    project_id: int
    city_code: str
    city_name: str
    enterprise_name: str
    enterprise_uscc: str  # shown only where `policy.sees_sample_codes`
    sub_industry: str
    provider_name: str
    products: list[str]
    before_level: int | None  # the earliest confirmed on-site baseline assessment by `as_of`
    after_level: int | None  # §4.3: the latest confirmed on-site post from completion to acceptance
    investment: list[InvestmentRow]
    investment_total: Decimal
    eligible_investment: Decimal
    subsidy_approved: Decimal  # central + local, if approved by `as_of`
    subsidy_paid_central: Decimal  # if paid by `as_of`
    subsidy_paid_local: Decimal
    description: str
    marked_at: dt.datetime

    @property
    def uplift(self) -> int | None:
        if self.before_level is None or self.after_level is None:
            return None
        return self.after_level - self.before_level

    @property
    def subsidy_paid(self) -> Decimal:
        return self.subsidy_paid_central + self.subsidy_paid_local

    def as_json(self) -> dict[str, Any]:
        """Money as strings with two decimals (the reports' JSON)."""
        return {
            "city": self.city_code,
            "enterprise": self.enterprise_name,
            "uscc": self.enterprise_uscc,
            "sub_industry": self.sub_industry,
            "provider": self.provider_name,
            "products": self.products,
            "before_level": self.before_level,
            "after_level": self.after_level,
            "investment": {row.category: str(row.amount) for row in self.investment},
            "investment_total": str(self.investment_total),
            "eligible_investment": str(self.eligible_investment),
            "subsidy_approved": str(self.subsidy_approved),
            "subsidy_paid_central": str(self.subsidy_paid_central),
            "subsidy_paid_local": str(self.subsidy_paid_local),
            "description": self.description,
        }


def _by(day: dt.date | None, as_of: dt.date) -> bool:
    return day is not None and day <= as_of


def sample_rows(
    samples: QuerySet[TransformationSample], as_of: dt.date | None = None
) -> list[SampleRow]:
    """Each of `samples` marked by `as_of` (today), in the order city, sub-industry, enterprise
    name, with its figures as of `as_of`. Four queries whatever the number."""
    day = as_of or timezone.localdate()
    found = list(
        samples.filter(Q(marked_at__date__lte=day))
        .select_related(
            "project__enterprise__city",
            "project__enterprise__sub_industry",
            "project__provider",
        )
        .annotate(before_level=baseline_level(day, enterprise="project__enterprise_id"))
        .prefetch_related(Prefetch("products", queryset=Product.objects.order_by("name", "id")))
        .order_by(
            "project__enterprise__city__code",
            "project__enterprise__sub_industry__name",
            "project__enterprise__name",
            "id",
        )
    )
    if not found:
        return []
    lines: dict[int, list[InvestmentLine]] = {}
    for line in InvestmentLine.objects.filter(project_id__in=[s.project_id for s in found]):
        lines.setdefault(line.project_id, []).append(line)
    levels = after_levels([s.project.enterprise_id for s in found])
    return [_row(s, lines.get(s.project_id, []), levels, day) for s in found]


def _row(
    sample: TransformationSample,
    lines: list[InvestmentLine],
    levels: dict[int, list[dict[str, Any]]],
    day: dt.date,
) -> SampleRow:
    project = sample.project
    enterprise = project.enterprise
    after = None
    if _by(project.accepted_on, day) and _by(project.completed_on, day):
        assert project.completed_on is not None and project.accepted_on is not None
        after = after_level(
            levels.get(enterprise.pk, []), project.completed_on, project.accepted_on
        )
    order = {c.value: i for i, c in enumerate(rules.Category)}
    investment = [
        InvestmentRow(
            category=line.category,
            label=rules.CATEGORY_LABELS[rules.Category(line.category)],
            amount=line.amount,
            eligible=line.category in rules.ELIGIBLE,
        )
        for line in sorted(lines, key=lambda ln: order.get(ln.category, len(order)))
    ]
    central = project.subsidy_central or rules.ZERO
    local = project.subsidy_local or rules.ZERO
    paid = _by(project.subsidy_paid_on, day)
    return SampleRow(
        project_id=project.pk,
        city_code=enterprise.city.code,
        city_name=enterprise.city.name,
        enterprise_name=enterprise.name,
        enterprise_uscc=enterprise.uscc,
        sub_industry=enterprise.sub_industry.name if enterprise.sub_industry else "",
        provider_name=project.provider.name if project.provider else "",
        products=[p.name for p in sample.products.all()],
        before_level=sample.before_level,  # type: ignore[attr-defined]
        after_level=after,
        investment=investment,
        investment_total=rules.money(sum((ln.amount for ln in lines), Decimal(0))),
        eligible_investment=rules.eligible_investment((ln.category, ln.amount) for ln in lines),
        subsidy_approved=(
            rules.money(central + local) if _by(project.subsidy_approved_on, day) else rules.ZERO
        ),
        subsidy_paid_central=rules.money(central) if paid else rules.ZERO,
        subsidy_paid_local=rules.money(local) if paid else rules.ZERO,
        description=sample.description,
        marked_at=sample.marked_at,
    )
