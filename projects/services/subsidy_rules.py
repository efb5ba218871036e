"""A city's subsidy policy (domain §4.3): saving a rule, and the no-overlap check both the admin
and the `subsidy_rules` import go through.

A city's ranges of completion dates may not overlap. Two writers checking at once could each
see no overlap and both write, so the check runs under a lock on the city row(s), taken in id
order, inside the writer's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from cities.models import PilotCity
from sme_pilot.errors import Invalid

from .. import rules
from ..models import SubsidyRule


def lock_cities(city_ids: Iterable[int]) -> None:
    """Lock the cities' rows (in id order, so two writers never deadlock) until the transaction
    ends. Call inside `transaction.atomic()`."""
    ids = sorted(set(city_ids))
    if ids:
        list(PilotCity.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))


@dataclass(frozen=True)
class Candidate:
    """A rule as it would be after a write: `label` names it in messages ("第 3 行", "已有的奖补
    规则"; the message adds its period), `terms` its arithmetic."""

    label: str
    terms: rules.SubsidyTerms


def period(terms: rules.SubsidyTerms) -> str:
    if terms.valid_to is None:
        return f"{terms.valid_from.isoformat()} 起"
    return f"{terms.valid_from.isoformat()} 至 {terms.valid_to.isoformat()}"


def overlaps(candidates: Sequence[Candidate]) -> list[tuple[Candidate, Candidate]]:
    """The pairs of one city's candidates whose ranges overlap, earlier start first."""
    by_terms = {id(c.terms): c for c in candidates}
    return [
        (by_terms[id(a)], by_terms[id(b)])
        for a, b in rules.overlapping([c.terms for c in candidates])
    ]


def overlap_message(other: Candidate) -> str:
    return f"适用期与{other.label}（{period(other.terms)}）重叠：同一城市的奖补规则适用期不能重叠"


SAVED_LABEL = "已有的奖补规则"


def overlap_error(rule: SubsidyRule) -> str | None:
    """Why `rule` (saved or not) cannot be saved next to its city's other rules, or None."""
    try:
        mine = Candidate("本规则", rule.terms())
    except ValueError:  # a backwards range: the model's own validation says so
        return None
    others = SubsidyRule.objects.filter(city_id=rule.city_id).exclude(pk=rule.pk)
    candidates = [mine, *(Candidate(SAVED_LABEL, o.terms()) for o in others)]
    for first, second in overlaps(candidates):
        if first is mine:
            return overlap_message(second)
        if second is mine:
            return overlap_message(first)
    return None


def save_rule(rule: SubsidyRule, *, actor: User | None) -> SubsidyRule:
    """Create or change one rule: the model's rules, then no overlap with the city's others,
    checked under a lock on the city row."""
    with transaction.atomic():
        lock_cities([rule.city_id])
        rule.full_clean()
        message = overlap_error(rule)
        if message is not None:
            raise Invalid(message)
        if rule.pk is None and rule.created_by_id is None and actor is not None:
            rule.created_by = actor
        rule.save()
    return rule
