"""The performance scorecard (绩效评价, issue 15 item 4): pure arithmetic, no Django.

The ministry's method (239号) is not published, so a scorecard is data an administrator defines
per batch: indicators from `INDICATORS`, each with a weight (the weights sum to 1) and optional
parameters (the uplift cap), and score bands. The selector computes each indicator's raw value
from what the system knows; this module turns raw values into points, the weighted score, the
band and the rank.

- Every indicator gives 0..100 points; a raw value of None (nothing to measure) is *missing*: it
  counts 0 points and is shown as missing.
- The score is Σ weight × points over the indicators, computed exactly and rounded to one
  decimal, half up. With weights summing to 1 it lies in 0..100.
- Ranks are competition ranks ("1224"): equal scores share a rank and the next rank skips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import pairwise

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
SCORE_PLACE = Decimal("0.1")
POINTS_PLACE = Decimal("0.01")
SATISFACTION_MIN, SATISFACTION_MAX = 1, 5
DEFAULT_UPLIFT_CAP = Decimal(1)  # levels; an indicator's `cap` overrides it


def _ratio_points(raw: Decimal, cap: Decimal | None) -> Fraction:
    """A ratio, floored at 0 and capped at 1, as 0..100 points."""
    share = min(max(Fraction(raw), Fraction(0)), Fraction(1))
    return share * 100


def _uplift_points(raw: Decimal, cap: Decimal | None) -> Fraction:
    """A mean uplift in levels as a share of `cap` levels (capped at 1, floored at 0)."""
    limit = Fraction(cap if cap is not None and cap > 0 else DEFAULT_UPLIFT_CAP)
    return min(max(Fraction(raw) / limit, Fraction(0)), Fraction(1)) * 100


def _satisfaction_points(raw: Decimal, cap: Decimal | None) -> Fraction:
    """A mean rating 1..5 as (mean − 1) / 4, clamped to 0..1."""
    span = SATISFACTION_MAX - SATISFACTION_MIN
    share = (Fraction(raw) - SATISFACTION_MIN) / span
    return min(max(share, Fraction(0)), Fraction(1)) * 100


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    unit: str  # how the raw value reads: "ratio", "levels", "rating"
    description: str
    points_of: Callable[[Decimal, Decimal | None], Fraction]
    uses_cap: bool = False


INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in (
        Indicator(
            "compliance_share",
            "细分行业达标率",
            "ratio",
            "达到“应改尽改”要求的细分行业数 / 适用（分母不为 0）的细分行业数",
            _ratio_points,
        ),
        Indicator(
            "target_attainment",
            "目标完成率",
            "ratio",
            "评价日已到期的目标中已完成的个数 / 已到期目标数（尚无到期目标时按全部目标计）",
            _ratio_points,
        ),
        Indicator(
            "accepted_vs_plan",
            "验收项目完成率",
            "ratio",
            "评价日已验收通过的项目数 / 全市验收项目数目标（无则用改造企业数目标），最高为 1",
            _ratio_points,
        ),
        Indicator(
            "level_uplift",
            "等级提升",
            "levels",
            "已验收项目企业的平均等级提升（改造后 − 基线）/ 上限（级），最高为 1",
            _uplift_points,
            uses_cap=True,
        ),
        Indicator(
            "funds_share",
            "资金用于改造比例",
            "ratio",
            "中央资金用于企业改造的比例 / 批次规定的最低比例（如 80%），最高为 1",
            _ratio_points,
        ),
        Indicator(
            "provider_satisfaction",
            "服务商满意度",
            "rating",
            "已验收项目企业对服务商满意度（1–5）的平均值，按（平均 − 1）/ 4 计",
            _satisfaction_points,
        ),
    )
}

INDICATOR_CHOICES: list[tuple[str, str]] = [(k, i.label) for k, i in INDICATORS.items()]


@dataclass(frozen=True)
class Band:
    label: str
    min_score: Decimal  # a score ≥ min_score gets this band (the highest such)


DEFAULT_BANDS: tuple[Band, ...] = (
    Band("优秀", Decimal(90)),
    Band("良好", Decimal(80)),
    Band("合格", Decimal(60)),
    Band("不合格", ZERO),
)


@dataclass(frozen=True)
class Term:
    """One indicator of a scorecard: its key, weight and optional cap."""

    key: str
    weight: Decimal
    cap: Decimal | None = None


def terms_errors(terms: Sequence[Term]) -> list[str]:
    """Why `terms` are no scorecard (Chinese, for the admin), or an empty list."""
    errors: list[str] = []
    if not terms:
        return ["评分卡至少需要一个指标"]
    seen: set[str] = set()
    for t in terms:
        if t.key not in INDICATORS:
            errors.append(f"未知的评价指标“{t.key}”，可选：{'、'.join(INDICATORS)}")
        elif t.key in seen:
            errors.append(f"评价指标“{INDICATORS[t.key].label}”重复")
        seen.add(t.key)
        if not ZERO <= t.weight <= ONE:
            errors.append(f"指标“{t.key}”的权重 {t.weight} 应在 0 到 1 之间")
        if t.cap is not None and t.cap <= 0:
            errors.append(f"指标“{t.key}”的上限应大于 0")
    total = sum((t.weight for t in terms), ZERO)
    if total != ONE:
        errors.append(f"各指标权重之和应为 1（现为 {total.normalize():f}）")
    return errors


def bands_from_json(data: object) -> tuple[Band, ...]:
    """Bands from their JSON ([{"label": "优秀", "min": "90"}, …]); ValueError (Chinese) if
    malformed: non-empty, labels non-empty and distinct, minimums strictly descending within
    0..100, the last one 0 (every score gets a band)."""
    if not isinstance(data, list) or not data:
        raise ValueError('等级划分应为非空列表，如 [{"label": "优秀", "min": "90"}, …]')
    bands: list[Band] = []
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict) or set(item) != {"label", "min"}:
            raise ValueError(f"第 {i} 个等级应只含 label 与 min 两项")
        label = item["label"]
        if not isinstance(label, str) or not label.strip() or len(label) > 20:
            raise ValueError(f"第 {i} 个等级的名称应为 1–20 个字符")
        try:
            minimum = Decimal(str(item["min"]))
        except ArithmeticError as exc:
            raise ValueError(f"第 {i} 个等级的分数线不是数字") from exc
        if not minimum.is_finite() or not ZERO <= minimum <= HUNDRED:
            raise ValueError(f"第 {i} 个等级的分数线应在 0 到 100 之间")
        bands.append(Band(label.strip(), minimum))
    if len({b.label for b in bands}) != len(bands):
        raise ValueError("等级名称不能重复")
    if any(a.min_score <= b.min_score for a, b in pairwise(bands)):
        raise ValueError("等级分数线应从高到低严格递减")
    if bands[-1].min_score != ZERO:
        raise ValueError("最后一个等级的分数线应为 0，使每个得分都有等级")
    return tuple(bands)


def bands_to_json(bands: Iterable[Band]) -> list[dict[str, str]]:
    return [{"label": b.label, "min": format(b.min_score, "f")} for b in bands]


def band_of(score: Decimal, bands: Sequence[Band]) -> str:
    for b in bands:
        if score >= b.min_score:
            return b.label
    return bands[-1].label if bands else ""


@dataclass(frozen=True)
class Part:
    """One indicator's line of a city's breakdown."""

    key: str
    label: str
    weight: Decimal
    raw: Decimal | None  # None: missing (counts 0)
    points: Decimal  # 0..100, two decimals
    weighted: Decimal  # weight × points, two decimals (the score sums the exact values)

    @property
    def missing(self) -> bool:
        return self.raw is None

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "weight": format(self.weight, "f"),
            "raw": None if self.raw is None else format(self.raw, "f"),
            "missing": self.missing,
            "points": format(self.points, "f"),
            "weighted": format(self.weighted, "f"),
        }


@dataclass(frozen=True)
class Result:
    score: Decimal  # one decimal
    band: str
    parts: tuple[Part, ...]


def _places(value: Fraction, place: Decimal) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        place, rounding=ROUND_HALF_UP
    )


def points(key: str, raw: Decimal | None, cap: Decimal | None = None) -> Fraction:
    """The exact 0..100 points of one indicator's raw value (None: missing, 0 points)."""
    if raw is None:
        return Fraction(0)
    return INDICATORS[key].points_of(raw, cap)


def evaluate(
    terms: Sequence[Term], raws: Mapping[str, Decimal | None], bands: Sequence[Band]
) -> Result:
    """One city's score from its raw values (a key absent from `raws` is missing)."""
    total = Fraction(0)
    parts = []
    for t in terms:
        raw = raws.get(t.key)
        p = points(t.key, raw, t.cap)
        weighted = Fraction(t.weight) * p
        total += weighted
        parts.append(
            Part(
                key=t.key,
                label=INDICATORS[t.key].label,
                weight=t.weight,
                raw=raw,
                points=_places(p, POINTS_PLACE),
                weighted=_places(weighted, POINTS_PLACE),
            )
        )
    score = _places(total, SCORE_PLACE)
    return Result(score=score, band=band_of(score, bands), parts=tuple(parts))


def competition_ranks(scores: Sequence[Decimal]) -> list[int]:
    """Ranks of `scores` in their order: the highest 1, equal scores the same rank, the next
    rank skipping as many as tied ("1224")."""
    return [1 + sum(1 for other in scores if other > s) for s in scores]
