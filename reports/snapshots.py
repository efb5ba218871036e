"""The data a report shows, frozen as a JSON snapshot; its SHA-256 identifies it.

A snapshot holds only JSON values (strings, ints, booleans, None, lists, dicts): Decimals and
float chart values as strings, dates as ISO text. It holds `as_of` and the data, nothing else that
varies with time (no generation time), so the same data on the same `as_of` hashes the same and a
report can be deduplicated by its hash. Every figure comes from the selectors the pages use, in a
constant number of queries.

The cover's issuing body (`issuer`: the city's, the enterprise's city's, or the national one) is
frozen with the data and hashed with it: a changed issuer is a new report, and an old report keeps
the issuer it was requested with. The issue date (`issued_on`, the day the report was requested)
is frozen too but not hashed: the same data asked for again on a later day is the same report,
which keeps the date it was first issued on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.utils import timezone

from assessments import indicators, scoring
from assessments.models import LEVEL_NAMES, Assessment
from assessments.selectors import counting_assessments, with_current_level
from assessments.services import assessment_preview
from cities.models import Enterprise, PilotCity, QualityTier
from oversight import compliance
from oversight.selectors.compliance import with_baseline_level
from oversight.selectors.dashboard.city import city_dashboard
from oversight.selectors.dashboard.trend import FIT_MONTHS
from sme_pilot.db import replica_reads

from .city_sections import city_sections
from .dossier import dossier_snapshot
from .national import national_snapshot

KINDS = ("city", "national", "assessment", "dossier")
TIER_LABELS = dict(QualityTier.choices)
NOT_HASHED = frozenset({"issued_on"})  # top-level keys the hash leaves out


def snapshot_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON (sorted keys, no spaces, UTF-8 text) of the snapshot
    without its issue date."""
    hashed = {k: v for k, v in snapshot.items() if k not in NOT_HASHED}
    text = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@replica_reads()
def build_snapshot(
    kind: str,
    *,
    city_code: str | None = None,
    assessment_id: int | None = None,
    as_of: dt.date | None = None,
    issued_on: dt.date | None = None,
    enterprise_id: int | None = None,
) -> dict[str, Any]:
    """The report's data, issued on `issued_on` (default today). `LookupError` for an unknown
    city, assessment or enterprise, `ValueError` for an unknown kind or a missing argument.

    Read-only: with a replica configured it may read there (`sme_pilot.db.replica_reads`), never
    behind the requester's own last write, and on the primary again if the replica fails."""
    as_of = as_of or timezone.localdate()
    if kind == "city":
        if not city_code:
            raise ValueError("城市报告需要城市代码")
        snapshot = _city(city_code, as_of)
    elif kind == "national":
        snapshot = _national(as_of)
    elif kind == "assessment":
        if assessment_id is None:
            raise ValueError("评测报告需要评测编号")
        snapshot = _assessment(assessment_id, as_of)
    elif kind == "dossier":
        if enterprise_id is None:
            raise ValueError("一企一档需要企业编号")
        snapshot = dossier_snapshot(enterprise_id, as_of)
    else:
        raise ValueError(f"未知的报告类型：{kind}（可选：{'、'.join(KINDS)}）")
    snapshot["issued_on"] = (issued_on or timezone.localdate()).isoformat()
    return snapshot


def _s(value: Decimal | float | None, places: int = 2) -> str | None:
    if value is None:
        return None
    return f"{value:.{places}f}"


def _d(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _t(value: dt.datetime | None) -> str | None:
    return None if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _level(level: int | None) -> str:
    return "未评定" if level is None else LEVEL_NAMES.get(level, str(level))


def _batch(city: PilotCity) -> dict[str, Any]:
    b = city.batch
    return {
        "year": b.year,
        "document_number": b.document_number,
        "threshold": f"{b.threshold:.2f}",
        "min_level": b.min_level,
        "min_level_name": _level(b.min_level),
        "counted_tiers": [TIER_LABELS.get(t, t) for t in b.counted_tiers],
        "count_above_scale": b.count_above_scale,
        "pilot_months": b.pilot_months,
    }


def _city(code: str, as_of: dt.date) -> dict[str, Any]:
    city = PilotCity.objects.select_related("batch", "province").filter(code=code).first()
    if city is None:
        raise LookupError(f"试点城市 {code} 不存在")
    d = city_dashboard(city=city, as_of=as_of)
    result = d.compliance
    rule = result.rule
    rows = [
        {
            "code": r.result.code,
            "name": r.result.name,
            "denominator": r.result.denominator,
            "at_or_above": r.result.at_or_above,
            "ratio": None if r.result.ratio is None else f"{r.result.ratio:.4f}",
            "percent": _s(r.percent),
            "needed": r.needed,
            "shortfall": r.result.shortfall,
            "compliant": r.result.compliant,
            "light": r.light,
            "projected": _s(r.projected, 1),
            "verdict_text": r.verdict_text,
        }
        for r in d.rows
    ]
    targets = [
        {
            "label": t.label,
            "scope": t.scope,
            "value": _s(t.value),
            "actual": _s(t.actual),
            "unit": t.unit,
            "due_date": _d(t.due_date),
            "met": t.met,
        }
        for t in d.targets
    ]
    revisions = (
        counting_assessments(as_of=as_of)
        .filter(enterprise__city=city)
        .values("revision__version__code", "revision__version__name", "revision__number")
        .annotate(n=Count("id"))
        .order_by("revision__version__code", "revision__number")
    )
    enterprises: Any = with_baseline_level(
        with_current_level(Enterprise.objects.filter(city=city), as_of=as_of), as_of=as_of
    )
    appendix = [
        {
            "uscc": e["uscc"],
            "name": e["name"],
            "sub_industry": e["sub_industry__name"],
            "counted": rule.counts_in_denominator(
                above_scale=e["above_scale"], quality_tier=e["quality_tier"]
            ),
            "above_scale": e["above_scale"],
            "tier": TIER_LABELS.get(e["quality_tier"], e["quality_tier"]),
            "baseline_level": e["baseline_level"],
            "baseline_level_name": _level(e["baseline_level"]),
            "current_level": e["current_level"],
            "current_level_name": _level(e["current_level"]),
        }
        for e in enterprises.order_by("sub_industry__code", "uscc").values(
            "uscc",
            "name",
            "sub_industry__name",
            "above_scale",
            "quality_tier",
            "baseline_level",
            "current_level",
        )
    ]
    below = result.below_scale
    return {
        "kind": "city",
        "as_of": as_of.isoformat(),
        "issuer": city.issuer,
        "city": {
            "code": city.code,
            "name": city.name,
            "province": city.province.name,
            "region": city.province.get_region_display(),
            "city_type": city.get_city_type_display(),
            "plan_approved_on": _d(city.plan_approved_on),
            "end_date": _d(d.end_date),
            "days_left": d.days_left,
        },
        "batch": _batch(city),
        "compliance": compliance.to_json(result),
        "summary": {
            "city_compliant": result.city_compliant,
            "level_label": d.level_label,
            "threshold_percent": f"{d.threshold_percent}",
            "counted_total": d.counted_total,
            "counted_at_or_above": d.counted_at_or_above,
            "roster_total": d.roster_total,
            "roster_at_or_above": d.roster_at_or_above,
            "subs_compliant": result.compliant_count,
            "subs_applicable": result.applicable_count,
        },
        "rows": rows,
        "targets": targets,
        "little_giants": {
            "total": result.little_giants.total,
            "at_or_above": result.little_giants.at_or_above,
            "below": [
                {"uscc": u, "name": name, "level_name": _level(level)}
                for u, name, level in d.giants_below
            ],
        },
        "below_scale": {
            "assessed": below.assessed,
            "baseline_at_or_above": below.baseline_at_or_above,
            "current_at_or_above": below.current_at_or_above,
            "baseline_percent": _s(d.below_baseline_percent),
            "current_percent": _s(d.below_current_percent),
            "uplift_pp": _s(below.uplift_pp),
        },
        "distribution": {
            "categories": list(d.distribution["categories"]),
            "series": [
                {"name": s["name"], "data": [int(v) for v in s["data"]]}
                for s in d.distribution["series"]
            ],
        },
        "trend": {
            "labels": list(d.trend["labels"]),
            "actual": [None if v is None else int(v) for v in d.trend["actual"]],
            "projected": [_s(v, 1) for v in d.trend["projected"]],
            "needed": int(d.trend["needed"][0]) if d.trend["needed"] else None,
        },
        "method_text": d.method_text,
        "fit_months": FIT_MONTHS,
        "indicator_revisions": [
            {
                "version": r["revision__version__code"],
                "name": r["revision__version__name"],
                "number": r["revision__number"],
                "assessments": r["n"],
            }
            for r in revisions
        ],
        "enterprises": appendix,
        **city_sections(city, as_of),
    }


def _national(as_of: dt.date) -> dict[str, Any]:
    return national_snapshot(as_of)


def _option_labels(question: scoring.Question, codes: str) -> list[str]:
    """The questionnaire's labels of comma-separated option codes, from the revision the
    assessment was answered on (the codes were validated against it)."""
    labels = {o.code: o.label for o in question.options}
    return [labels.get(code, "（本修订无此选项）") for code in codes.split(",") if code]


def _rating_text(rating: int) -> str:
    return "未达一级" if rating == 0 else f"{rating} 级"


def _gate_counts(
    indicator: scoring.Indicator | None, result: dict[str, Any], level: int
) -> dict[str, Any]:
    """What the next level asks for next to what is reached: "已达 1 个，需 8 个"."""
    if indicator is None:
        return {}
    try:
        gate = indicator.gate(level)
    except KeyError:
        return {}
    return {
        "min_score": f"{gate.min_score:.3f}",
        "min_scenes": gate.min_scenes,
        "min_constraint_scenes": gate.min_constraint_scenes,
        "scenes": (result.get("scenes_at_or_above") or {}).get(str(level), 0),
        "constraint_scenes": (result.get("constraint_scenes_at_or_above") or {}).get(str(level), 0),
    }


def _assessment(pk: int, as_of: dt.date) -> dict[str, Any]:
    a = (
        Assessment.objects.select_related(
            "enterprise",
            "enterprise__city",
            "enterprise__sub_industry",
            "revision",
            "revision__version",
            "confirmed_by",
            "pledge_text",
        )
        .filter(pk=pk)
        .first()
    )
    if a is None:
        raise LookupError(f"评测 {pk} 不存在")
    e = a.enterprise
    indicator = indicators.indicator_for(a.revision) if a.revision is not None else None
    result: dict[str, Any] = a.result or {}
    level = a.level if a.level is not None else result.get("level")
    level_names = dict(indicator.level_names) if indicator else dict(LEVEL_NAMES)
    dims_scores = result.get("dimensions") or {}
    dimensions = (
        [
            {
                "code": d.code,
                "name": d.name,
                "score": dims_scores.get(d.code),
                "max": f"{d.max_points:.3f}",
            }
            for d in indicator.dimensions
        ]
        if indicator
        else []
    )
    scenes = (
        [
            {
                "group": s.group,
                "code": s.code,
                "name": s.name,
                "constraint": s.constraint,
                "rating": a.scenes.get(s.code),
            }
            for s in indicator.scenes
        ]
        if indicator
        else []
    )
    nxt = result.get("next_level")
    plan: list[dict[str, Any]] = []
    if indicator is not None and nxt is not None and a.answers:
        scored = assessment_preview(assessment=a)
        if scored is not None and scored.next_level is not None:
            for item in scored.next_level.plan:
                multi = False
                untick: list[str] = []
                if item.kind == "question":
                    question = indicator.question(item.code)
                    label = question.title
                    multi = question.kind == "multi"
                    current = _option_labels(question, item.current)
                    # Only what changes: the fewest options still to tick, any to clear.
                    target = _option_labels(question, ",".join(item.to_tick))
                    untick = _option_labels(question, ",".join(item.to_untick))
                else:
                    label = indicator.scene(item.code).name
                    current = [_rating_text(int(item.current))]
                    target = [_rating_text(int(item.target))]
                plan.append(
                    {
                        "kind": item.kind,
                        "code": item.code,
                        "label": label,
                        "multi": multi,
                        # As scored: option codes ("F,G,N") or ratings; the page shows the labels.
                        "current": str(item.current),
                        "target": str(item.target),
                        "current_labels": current,
                        "tick_labels": target,
                        "untick_labels": untick,
                    }
                )
    confirmed_by = a.confirmed_by
    return {
        "kind": "assessment",
        "as_of": as_of.isoformat(),
        "issuer": e.city.issuer,
        "assessment": {
            "id": a.pk,
            "purpose": a.get_purpose_display(),
            "method": a.get_method_display(),
            "state": a.get_state_display(),
            "source": a.get_source_display(),
            "assessed_on": _d(a.assessed_on),
            "confirmed": a.state == "confirmed",
            "confirmed_at": _t(a.confirmed_at),
            "confirmed_by": None
            if confirmed_by is None
            else (getattr(confirmed_by, "display_name", "") or confirmed_by.get_username()),
        },
        "enterprise": {
            "uscc": e.uscc,
            "name": e.name,
            "city": e.city.name,
            "sub_industry": e.sub_industry.name,
        },
        "indicator": None
        if indicator is None or a.revision is None
        else {
            "version": a.revision.version.code,
            "name": indicator.name,
            "revision": a.revision.number,
            "document": indicator.document,
        },
        "total": None if a.total_score is None else f"{a.total_score:.3f}",
        "level": level,
        "level_name": None if level is None else level_names.get(level, str(level)),
        "level_meaning": (
            indicator.level_meanings.get(level, "") if indicator and level is not None else ""
        ),
        "dimensions": dimensions,
        "scenes": scenes,
        "next_level": None
        if not nxt
        else {
            **nxt,
            "name": level_names.get(nxt["level"], str(nxt["level"])),
            **_gate_counts(indicator, result, nxt["level"]),
        },
        "plan": plan,
        "pledge": None
        if a.pledged_at is None
        else {
            "signer": a.pledge_signer,
            "title": a.pledge_title,
            "signed_at": _t(a.pledged_at),
            "text_version": a.pledge_text.version if a.pledge_text else None,
            "text": a.pledge_text.text if a.pledge_text else "",
        },
    }
