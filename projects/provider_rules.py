"""The provider evaluation (domain §4.5), pure: no Django, no database.

`evaluate(facts, scoring)` turns the facts of one provider's projects in one city, as of a day,
into the §4.6 metrics, the score and the stars. The weights, the uplift cap, the star bands and
the minimum number of acceptance outcomes are a `Scoring` (data: `projects.ProviderScoring`
keeps its versions), never constants here.

Arithmetic is exact (`Fraction`) and rounded once, half up: the metrics to four decimals, the
score to one. A metric with nothing to average is None and counts as 0 in the score; a mean
uplift counts between 0 and the cap (a negative mean, levels going down, counts as 0), so the
score is always within 0..100.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any

METRIC_PLACES = 4
SCORE_PLACES = 1
SATISFACTION_MIN, SATISFACTION_MAX = 1, 5


@dataclass(frozen=True)
class Scoring:
    """One version of the evaluation's parameters.

    `bands`: the lowest score of each star count from the top down; with (90, 80, 70, 60) a
    score ≥ 90 has ★5, ≥ 80 ★4, ≥ 70 ★3, ≥ 60 ★2, anything lower ★1. `min_outcomes`: fewer
    projects with an acceptance outcome than this and the provider is not rated (no stars)."""

    w_acceptance: Decimal
    w_uplift: Decimal
    w_satisfaction: Decimal
    w_on_time: Decimal
    uplift_cap: Decimal
    bands: tuple[Decimal, ...]
    min_outcomes: int


# The first version (docs/rules.md §4.5); the data migration stores it, tests use it.
V1 = Scoring(
    w_acceptance=Decimal("0.30"),
    w_uplift=Decimal("0.30"),
    w_satisfaction=Decimal("0.25"),
    w_on_time=Decimal("0.15"),
    uplift_cap=Decimal(2),
    bands=(Decimal(90), Decimal(80), Decimal(70), Decimal(60)),
    min_outcomes=3,
)


def scoring_errors(s: Scoring) -> dict[str, str]:
    """What is wrong with a set of parameters, field → Chinese message (empty: usable)."""
    errors: dict[str, str] = {}
    weights = {
        "w_acceptance": s.w_acceptance,
        "w_uplift": s.w_uplift,
        "w_satisfaction": s.w_satisfaction,
        "w_on_time": s.w_on_time,
    }
    for name, w in weights.items():
        if not (Decimal(0) <= w <= Decimal(1)):
            errors[name] = "权重应在 0 到 1 之间"
    total = sum(weights.values(), Decimal(0))
    if not errors and total != Decimal(1):
        errors["__all__"] = f"四项权重之和应为 1，现为 {total.normalize():f}"
    if not s.uplift_cap > 0:
        errors["uplift_cap"] = "等级提升上限应大于 0"
    bands = list(s.bands)
    if not bands:
        errors["bands"] = "请至少给出一个星级分数线"
    elif any(not (Decimal(0) <= b <= Decimal(100)) for b in bands):
        errors["bands"] = "星级分数线应在 0 到 100 之间"
    elif any(a <= b for a, b in pairwise(bands)):
        errors["bands"] = "星级分数线应从高到低严格递减"
    if s.min_outcomes < 1:
        errors["min_outcomes"] = "最少验收结果数应至少为 1"
    return errors


@dataclass(frozen=True)
class ProjectFacts:
    """One project of the provider in the city, as of the evaluation day (the caller leaves out
    what happened after it):

    - `accepted`: accepted by then; `failed`: an acceptance failure by then (a project that
      failed and later passed has both: it counts once, as accepted);
    - `baseline_level`, `after_level`: the enterprise's levels before and after (§4.3, §4.5);
    - `satisfaction`: the enterprise's rating (1-5) at acceptance;
    - `completed_on`: the completion date if completed by then, and the planned one."""

    accepted: bool = False
    failed: bool = False
    baseline_level: int | None = None
    after_level: int | None = None
    satisfaction: int | None = None
    completed_on: Any = None  # a date (kept Any: only compared with planned_completion_on)
    planned_completion_on: Any = None


@dataclass(frozen=True)
class Evaluation:
    projects: int
    accepted: int
    failed: int
    acceptance_rate: Decimal | None
    mean_uplift: Decimal | None
    mean_satisfaction: Decimal | None
    on_time_rate: Decimal | None
    score: Decimal
    stars: int | None

    @property
    def rated(self) -> bool:
        return self.stars is not None

    def as_json(self) -> dict[str, Any]:
        """The §4.6 fields: counts as numbers, rates and means as strings (None: null)."""

        def text(value: Decimal | None) -> str | None:
            return None if value is None else f"{value:f}"

        return {
            "projects": self.projects,
            "accepted": self.accepted,
            "failed": self.failed,
            "acceptance_rate": text(self.acceptance_rate),
            "mean_uplift": text(self.mean_uplift),
            "mean_satisfaction": text(self.mean_satisfaction),
            "on_time_rate": text(self.on_time_rate),
            "score": text(self.score),
            "stars": self.stars,
        }


def round_half_up(value: Fraction, places: int) -> Decimal:
    """`value` rounded to `places` decimals, halves away from zero, exactly."""
    scale = 10**places
    sign = -1 if value < 0 else 1
    units = (abs(value) * scale * 2 + 1) // 2  # floor(|x|·10^p + ½)
    return (Decimal(sign * int(units)) / Decimal(scale)).quantize(Decimal(1).scaleb(-places))


def _mean(values: Sequence[int]) -> Fraction | None:
    return Fraction(sum(values), len(values)) if values else None


def _share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def stars_for(score: Decimal, bands: Sequence[Decimal]) -> int:
    """★ for a score: len(bands) + 1 for the top band, down to 1 below the last one."""
    for i, band in enumerate(bands):
        if score >= band:
            return len(bands) + 1 - i
    return 1


def evaluate(facts: Iterable[ProjectFacts], scoring: Scoring) -> Evaluation:
    rows = list(facts)
    accepted = [f for f in rows if f.accepted]
    failed = [f for f in rows if f.failed and not f.accepted]
    outcomes = len(accepted) + len(failed)
    acceptance_rate = _share(len(accepted), outcomes)
    mean_uplift = _mean(
        [
            f.after_level - f.baseline_level
            for f in accepted
            if f.after_level is not None and f.baseline_level is not None
        ]
    )
    mean_satisfaction = _mean([f.satisfaction for f in accepted if f.satisfaction is not None])
    completed = [f for f in rows if f.completed_on is not None]
    on_time = [
        f
        for f in completed
        if f.planned_completion_on is not None and f.completed_on <= f.planned_completion_on
    ]
    on_time_rate = _share(len(on_time), len(completed))

    cap = Fraction(scoring.uplift_cap)
    zero = Fraction(0)
    uplift_part = zero if mean_uplift is None else min(max(mean_uplift, zero), cap) / cap
    satisfaction_part = (
        zero
        if mean_satisfaction is None
        else (mean_satisfaction - SATISFACTION_MIN) / (SATISFACTION_MAX - SATISFACTION_MIN)
    )
    total = 100 * (
        Fraction(scoring.w_acceptance) * (acceptance_rate or zero)
        + Fraction(scoring.w_uplift) * uplift_part
        + Fraction(scoring.w_satisfaction) * satisfaction_part
        + Fraction(scoring.w_on_time) * (on_time_rate or zero)
    )
    score = round_half_up(total, SCORE_PLACES)

    def metric(value: Fraction | None) -> Decimal | None:
        return None if value is None else round_half_up(value, METRIC_PLACES)

    return Evaluation(
        projects=len(rows),
        accepted=len(accepted),
        failed=len(failed),
        acceptance_rate=metric(acceptance_rate),
        mean_uplift=metric(mean_uplift),
        mean_satisfaction=metric(mean_satisfaction),
        on_time_rate=metric(on_time_rate),
        score=score,
        stars=stars_for(score, scoring.bands) if outcomes >= scoring.min_outcomes else None,
    )
