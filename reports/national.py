"""The national report's snapshot (issue 15 items 2, 4, 5): every pilot city's compliance,
project funnel totals, central funds shares and verdicts, accepted projects and mean uplift, its
performance score, rank, band and breakdown under the scorecard version used, ranked tables,
the by-region and by-batch comparison, and every city's transformation samples.

Everything comes from the reads the national dashboard and the commands use (the dashboard's
`national_dashboard` with its funnel, funds and scores; `projects.selectors.samples`), in a
constant number of queries whatever the number of cities. The snapshot holds the figures as
text, scores and breakdowns included, so a later change of the scorecard never changes an
issued report: it is a new snapshot, hence a new report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from assessments.models import LEVEL_NAMES
from cities.models import PilotCity, Region
from funds import rules as funds_rules
from oversight import compliance, scorecard_rules
from oversight.selectors.dashboard import FundsShares, NationalRow, national_dashboard
from oversight.selectors.dashboard.funnel import TOTAL_STAGES
from oversight.selectors.dashboard.national import compliance_cached
from oversight.selectors.dashboard.scores import CityScore, ScorecardInfo
from projects.models import TransformationSample
from projects.selectors.samples import SampleRow, sample_rows

from .selectors import national_issuer

SCORE_PLACE = Decimal("0.1")
UPLIFT_PLACE = Decimal("0.01")


def _fixed(value: Decimal | None, places: int = 2) -> str | None:
    return None if value is None else f"{value:.{places}f}"


def _ratio(value: Decimal | None) -> str | None:
    return _fixed(value, 4)


def _level(level: int | None) -> str:
    return "未评定" if level is None else LEVEL_NAMES.get(level, str(level))


def _funds(f: FundsShares | None, days_left: int | None) -> dict[str, Any] | None:
    """The central shares with their verdicts, as the national table judges them."""
    if f is None:
        return None
    received = f.received > 0
    met = (
        funds_rules.transformation_target_met(
            transformation=f.transformation,
            received=f.received,
            min_share=f.transformation_min_share,
        )
        if received
        else None
    )
    status = f.status
    other_text = {"breach": "超上限", "near": "近上限"}.get(status, "未超上限")
    if not received:
        transformation_text = "尚无中央资金到位"
    elif met:
        transformation_text = "已达目标"
    elif f.behind(days_left):
        transformation_text = "临近期末未达目标"
    else:
        transformation_text = "尚未达到目标"
    return {
        "received": _fixed(f.received),
        "transformation": _fixed(f.transformation),
        "other": _fixed(f.other),
        "transformation_share": _ratio(f.transformation_share),
        "other_share": _ratio(f.other_share),
        "transformation_min_share": _ratio(f.transformation_min_share),
        "other_max_share": _ratio(f.other_max_share),
        "transformation_met": met,
        "other_status": status,
        "other_text": other_text if received or f.other > 0 else "—",
        "transformation_text": transformation_text,
    }


def _scorecard(info: ScorecardInfo) -> dict[str, Any]:
    return {
        "batch_year": info.batch_year,
        "version": info.version,
        "label": info.label,
        "valid_from": info.valid_from.isoformat(),
        "indicators": [
            {
                "key": t.key,
                "label": scorecard_rules.INDICATORS[t.key].label,
                "description": scorecard_rules.INDICATORS[t.key].description,
                "weight": format(t.weight.normalize(), "f"),
                "cap": None if t.cap is None else format(t.cap.normalize(), "f"),
            }
            for t in info.terms
        ],
        "bands": scorecard_rules.bands_to_json(info.bands),
    }


def _score(s: CityScore | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "score": format(s.score, "f"),
        "rank": s.rank,
        "ranked": s.ranked,
        "band": s.band,
        "batch_year": s.scorecard.batch_year,
        "version": s.scorecard.version,
        "label": s.scorecard.label,
        "parts": [p.as_json() for p in s.parts],
    }


def _row(r: NationalRow) -> dict[str, Any]:
    uplift = None if r.mean_uplift is None else r.mean_uplift.quantize(UPLIFT_PLACE, ROUND_HALF_UP)
    return {
        "code": r.code,
        "name": r.name,
        "batch_year": r.batch_year,
        "region": r.region_label,
        "province": r.province,
        "city_type": r.city_type,
        "days_left": r.days_left,
        "end_date": None if r.end_date is None else r.end_date.isoformat(),
        "subs_compliant": r.subs_compliant,
        "subs_applicable": r.subs_applicable,
        "giants_at": r.giants_at,
        "giants_total": r.giants_total,
        "compliant": r.compliant,
        "denominator": r.denominator,
        "at_or_above": r.at_or_above,
        "share_percent": _fixed(r.share_percent),
        "funnel": {key: getattr(r.funnel, key) for key, _, _ in TOTAL_STAGES},
        "mean_uplift": _fixed(uplift),
        "funds": _funds(r.funds, r.days_left),
        "score": _score(r.score),
    }


def _competition(
    rows: Sequence[dict[str, Any]], value: Callable[[dict[str, Any]], Decimal | None]
) -> list[dict[str, Any]]:
    """The rows with a value, highest first ("1224" ranks, ties by city code), then the rest
    without a rank."""
    valued = sorted(
        ((v, r) for r in rows if (v := value(r)) is not None),
        key=lambda vr: (-vr[0], vr[1]["code"]),
    )
    ranks = scorecard_rules.competition_ranks([v for v, _ in valued])
    ranked = [
        {"rank": n, "code": r["code"], "name": r["name"]}
        for n, (_, r) in zip(ranks, valued, strict=True)
    ]
    rest = sorted((r for r in rows if value(r) is None), key=lambda r: r["code"])
    return ranked + [{"rank": None, "code": r["code"], "name": r["name"]} for r in rest]


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _rankings(rows: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_code = {r["code"]: r for r in rows}
    scored = sorted(
        (r for r in rows if r["score"] is not None),
        key=lambda r: (r["score"]["batch_year"], r["score"]["rank"], r["code"]),
    )
    return {
        "score": [
            {
                "batch_year": r["score"]["batch_year"],
                "version": r["score"]["version"],
                "rank": r["score"]["rank"],
                "ranked": r["score"]["ranked"],
                "code": r["code"],
                "name": r["name"],
                "score": r["score"]["score"],
                "band": r["score"]["band"],
            }
            for r in scored
        ],
        "compliance": [
            {**e, "value": by_code[e["code"]]["share_percent"]}
            for e in _competition(rows, lambda r: _decimal(r["share_percent"]))
        ],
        "transformation": [
            {**e, "value": (by_code[e["code"]]["funds"] or {}).get("transformation_share")}
            for e in _competition(
                rows, lambda r: _decimal((r["funds"] or {}).get("transformation_share"))
            )
        ],
    }


def _group(name: str, group: Sequence[NationalRow]) -> dict[str, Any]:
    """One region's or batch's cities added up."""
    share = compliance.share(sum(r.at_or_above for r in group), sum(r.denominator for r in group))
    scores = [r.score.score for r in group if r.score is not None]
    shares = [r.funds for r in group if r.funds is not None]
    received = sum((f.received for f in shares), Decimal(0))
    transformation = sum((f.transformation for f in shares), Decimal(0))
    mean_score = (
        None
        if not scores
        else (sum(scores, Decimal(0)) / len(scores)).quantize(SCORE_PLACE, ROUND_HALF_UP)
    )
    return {
        "name": name,
        "cities": len(group),
        "compliant": sum(1 for r in group if r.compliant),
        "share_percent": None if share is None else _fixed(share * 100),
        "accepted": sum(r.funnel.accepted for r in group),
        "subsidy_paid": sum(r.funnel.subsidy_paid for r in group),
        "transformation_share": _ratio(funds_rules.share(transformation, received)),
        "scored": len(scores),
        "mean_score": _fixed(mean_score, 1),
    }


def _sample(s: SampleRow) -> dict[str, Any]:
    return {
        "city_code": s.city_code,
        "city_name": s.city_name,
        "enterprise": s.enterprise_name,
        "sub_industry": s.sub_industry,
        "provider": s.provider_name,
        "before_level": s.before_level,
        "before_level_name": _level(s.before_level),
        "after_level": s.after_level,
        "after_level_name": _level(s.after_level),
        "investment": [
            {"category": i.category, "label": i.label, "amount": _fixed(i.amount)}
            for i in s.investment
        ],
        "investment_total": _fixed(s.investment_total),
        "eligible_investment": _fixed(s.eligible_investment),
        "subsidy_approved": _fixed(s.subsidy_approved),
        "subsidy_paid": _fixed(s.subsidy_paid),
    }


def national_snapshot(as_of: dt.date) -> dict[str, Any]:
    cities = list(PilotCity.objects.select_related("province", "batch").order_by("code"))
    results = compliance_cached(cities, as_of)
    dash = national_dashboard(
        cities=cities,
        as_of=as_of,
        sort="city",
        with_funnel=True,
        with_funds=True,
        with_scores=True,
    )
    rows = [_row(r) for r in dash.rows]
    t = dash.totals
    names = {c.pk: c.name for c in cities}
    failing = [
        {
            "city_code": results[c.pk].city,
            "city_name": names[c.pk],
            "code": s.code,
            "name": s.name,
            "denominator": s.denominator,
            "at_or_above": s.at_or_above,
            "ratio": _ratio(s.ratio),
            "shortfall": s.shortfall,
        }
        for c in cities
        for s in results[c.pk].sub_industries
        if s.compliant is False
    ]
    regions = [
        _group(label, [r for r in dash.rows if r.region == value])
        for value, label in Region.choices
    ]
    years = sorted({r.batch_year for r in dash.rows})
    batches = [
        {"year": y, **_group(f"{y} 年", [r for r in dash.rows if r.batch_year == y])} for y in years
    ]
    samples = sample_rows(TransformationSample.objects.all(), as_of=as_of)
    return {
        "kind": "national",
        "as_of": as_of.isoformat(),
        "issuer": national_issuer(),
        "rows": rows,
        "totals": {
            "cities": len(rows),
            "cities_compliant": dash.cities_compliant,
            "subs_compliant": t.subs_compliant,
            "subs_applicable": t.subs_applicable,
            "giants_at": t.giants_at,
            "giants_total": t.giants_total,
            "denominator": t.denominator,
            "at_or_above": t.at_or_above,
            "share_percent": _fixed(t.share_percent),
            "funnel": {key: getattr(t.funnel, key) for key, _, _ in TOTAL_STAGES},
            # Shares only: the cities' limits may differ by batch, so no verdict for the whole.
            "funds": None
            if t.funds is None
            else {
                "transformation_share": _ratio(t.funds.transformation_share),
                "other_share": _ratio(t.funds.other_share),
            },
            "samples": len(samples),
        },
        "stages": [{"key": key, "label": label} for key, _, label in TOTAL_STAGES],
        "scorecards": [_scorecard(sc) for sc in dash.scorecards],
        "rankings": _rankings(rows),
        "regions": regions,
        "batches": batches,
        "non_compliant": failing,
        "samples": [_sample(s) for s in samples],
    }
