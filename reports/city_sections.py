"""The city report's pilot-management sections (issue 15 items 1, 4, 5), frozen into its snapshot.

Each section embeds the JSON of the command that prints its figures, produced by the function
that command uses, and the tables are rendered from it:
- `funnel`: `manage.py funnel` (`projects.selectors.funnel.city_funnel`, through the dashboard's
  `city_project_funnel`, which adds the median days per stage and the funnel by district);
- `funds`: `manage.py funds` (`funds.selectors.to_json` of `city_figures`, read with the plan),
  and the spending by category as the dashboard's funds section arranges it;
- `providers`: `manage.py provider_scores` (`projects.selectors.provider_scores.provider_scores`,
  under the weights in force on `as_of`);
- `scorecard`: the city's row of `manage.py scorecard` (`oversight.selectors.scorecard.
  city_scorecards` over its batch, or the line `--save` stored for that day), with the
  scorecard's version and bands: a later change of the scorecard never changes a report already
  requested;
- `samples`: `projects.selectors.samples.city_samples`;
- `acceptance`: acceptance outcomes (the funnel's counts) and the level uplift of the accepted
  enterprises by quality tier (baseline and after-level as `provider_scores` reads them);
- `overdue`: every overdue project (the funnel's two overdue rules), the longest overdue first,
  at most `OVERDUE_LIMIT` of each kind.

A constant number of queries whatever the number of enterprises and projects.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from django.db.models import QuerySet

from cities.models import PilotCity, QualityTier
from funds.selectors import city_figures, money
from funds.selectors import to_json as funds_json
from oversight import scorecard_rules
from oversight.models import CityScore
from oversight.selectors.dashboard.funds import spending_rows
from oversight.selectors.dashboard.funnel import city_project_funnel
from oversight.selectors.scorecard import city_scorecards, scorecards_in_force
from projects import rules as project_rules
from projects.models import Project
from projects.selectors.after_levels import after_level, after_levels
from projects.selectors.funnel import acceptance_overdue_q, completion_overdue_q
from projects.selectors.provider_scores import baseline_level, provider_scores, scoring_for
from projects.selectors.samples import city_samples
from providers.choices import LibraryStatus
from sme_pilot.errors import DomainError

# Each overdue list is cut at this many rows (its total is always shown): the report stays
# printable for a city with thousands of late projects.
OVERDUE_LIMIT: Final = 500
MEAN_PLACE: Final = Decimal("0.01")
TIER_LABELS: Final = dict(QualityTier.choices)
STATUS_LABELS: Final = dict(LibraryStatus.choices)


def _mean(values: list[int]) -> str | None:
    if not values:
        return None
    return f"{(Decimal(sum(values)) / len(values)).quantize(MEAN_PLACE, ROUND_HALF_UP)}"


def _funnel(city: PilotCity, as_of: dt.date) -> dict[str, Any]:
    f = city_project_funnel(city=city, as_of=as_of)
    return {
        "data": f.data,  # `manage.py funnel`
        "acceptance_months": f.acceptance_months,
        "stages": [
            {
                "stage": s.stage,
                "label": s.label,
                "reached": s.reached,
                "median_days": None if s.median_days is None else f"{s.median_days}",
                "timed": s.timed,
            }
            for s in f.stages
        ],
        "sub_industries": [
            {"code": s.code, "name": s.name, "reached": list(s.reached)} for s in f.sub_industries
        ],
        "districts": [
            {
                "code": d.code,
                "name": d.name,
                "reached": list(d.reached),
                "overdue_acceptance": d.overdue_acceptance,
                "overdue_completion": d.overdue_completion,
            }
            for d in f.districts
        ],
    }


def _overdue_list(
    qs: QuerySet[Project], field: str, due: Callable[[dt.date], dt.date], as_of: dt.date
) -> list[dict[str, Any]]:
    rows = qs.order_by(field, "enterprise__uscc").values_list(
        "enterprise__uscc",
        "enterprise__name",
        "enterprise__sub_industry__name",
        "enterprise__district__name",
        field,
    )[:OVERDUE_LIMIT]
    return [
        {
            "uscc": uscc,
            "name": name,
            "sub_industry": sub,
            "district": district or "",
            "since": since.isoformat(),
            "due": due(since).isoformat(),
            "days_overdue": (as_of - due(since)).days,
        }
        for uscc, name, sub, district, since in rows
    ]


def _overdue(city: PilotCity, as_of: dt.date, counts: dict[str, int]) -> dict[str, Any]:
    """Both overdue lists in full (up to `OVERDUE_LIMIT`); totals from the funnel. Two queries."""
    months = city.batch.acceptance_window_months
    projects = Project.objects.filter(enterprise__city=city)
    return {
        "limit": OVERDUE_LIMIT,
        "acceptance_months": months,
        "acceptance": {
            "total": counts["acceptance"],
            "rows": _overdue_list(
                projects.filter(acceptance_overdue_q(as_of, {city.pk: months})),
                "completed_on",
                lambda since: project_rules.add_months(since, months),
                as_of,
            ),
        },
        "completion": {
            "total": counts["completion"],
            "rows": _overdue_list(
                projects.filter(completion_overdue_q(as_of)),
                "planned_completion_on",
                lambda since: since,
                as_of,
            ),
        },
    }


def _funds(city: PilotCity, as_of: dt.date) -> dict[str, Any]:
    f = city_figures(city=city, as_of=as_of, with_plan=True)
    return {
        "data": funds_json(f),  # `manage.py funds`
        "cap_remaining": money(f.award_cap - f.central_received),
        "central_other": money(f.central_other),
        "other_max_share": f"{f.other_max_share}",
        "transformation_min_share": f"{f.transformation_min_share}",
        "paid_central": money(f.subsidies.paid_central),
        "paid_local": money(f.subsidies.paid_local),
        "spending": [
            {
                "source": r.source_label,
                "label": r.label,
                "total": not r.category,
                "actual": money(r.actual),
                "planned": None if r.planned is None else money(r.planned),
                "share": None if r.share is None else f"{r.share}",
            }
            for r in spending_rows(f)
        ],
    }


def _league_order(row: dict[str, Any]) -> tuple[bool, Decimal, str]:
    """The highest score first, unscored last, then by USCC."""
    score = row["score"]
    return (score is None, -Decimal(score) if score is not None else Decimal(0), row["uscc"])


def _providers(city: PilotCity, as_of: dt.date) -> dict[str, Any]:
    try:
        scoring = scoring_for(as_of)
    except DomainError as exc:
        return {"data": None, "scoring": None, "missing": exc.message}
    data = provider_scores(city, as_of, scoring)  # `manage.py provider_scores`
    return {
        "data": data,
        "scoring": {
            "version": scoring.version,
            "label": scoring.label,
            "min_outcomes": scoring.min_outcomes,
        },
        "league": [
            {**row, "status_label": STATUS_LABELS.get(row["status"], row["status"])}
            for row in sorted(data["providers"], key=_league_order)
        ],
        "missing": "",
    }


def _scorecard(city: PilotCity, as_of: dt.date) -> dict[str, Any] | None:
    """The city's line of `manage.py scorecard` for its batch under the scorecard in force on
    `as_of`, frozen with that scorecard: the ranking saved for that day (`--save`) if there is
    one, the official one, else computed as the command computes it."""
    sc = scorecards_in_force([city.batch_id], as_of).get(city.batch_id)
    if sc is None:
        return None
    saved = list(
        CityScore.objects.filter(as_of=as_of, scorecard=sc).values(
            "city_id", "score", "rank", "band", "breakdown"
        )
    )
    mine = next((x for x in saved if x["city_id"] == city.pk), None)
    if mine is not None:
        ranked = len(saved)
        row = {
            "city": city.code,
            "name": city.name,
            "score": format(mine["score"], "f"),
            "rank": mine["rank"],
            "band": mine["band"],
            "scorecard_version": sc.version,
            "indicators": mine["breakdown"],
        }
    else:
        batch = list(PilotCity.objects.filter(batch_id=city.batch_id).select_related("batch"))
        try:
            rows = city_scorecards(batch, as_of, sc)
        except DomainError as exc:
            return {"missing": str(exc)}
        ranked = len(rows)
        row = next(r for r in rows if r.city.pk == city.pk).as_json()
    try:
        bands = scorecard_rules.bands_to_json(sc.band_terms())
    except ValueError as exc:  # bands written around the admin's check
        return {"missing": f"评分卡 v{sc.version} 的等级划分有误：{exc}"}
    indicators = scorecard_rules.INDICATORS
    return {
        "missing": "",
        "saved": mine is not None,
        "scorecard": {
            "version": sc.version,
            "label": sc.label,
            "valid_from": sc.valid_from.isoformat(),
            "bands": bands,
        },
        "ranked": ranked,
        "row": row,  # `manage.py scorecard`: this city's line
        "parts": [
            {
                **part,
                "unit": indicators[part["key"]].unit if part["key"] in indicators else "",
                "description": (
                    indicators[part["key"]].description if part["key"] in indicators else ""
                ),
            }
            for part in row["indicators"]
        ],
    }


def _samples(city: PilotCity, as_of: dt.date) -> list[dict[str, Any]]:
    return [
        {
            **s.as_json(),
            "uplift": s.uplift,
            "investment_rows": [
                {"label": i.label, "amount": f"{i.amount}", "eligible": i.eligible}
                for i in s.investment
            ],
            "subsidy_paid": f"{s.subsidy_paid}",
        }
        for s in city_samples(city, as_of)
    ]


def _acceptance(city: PilotCity, as_of: dt.date, funnel: dict[str, Any]) -> dict[str, Any]:
    """Acceptance outcomes (the funnel's) and, per quality tier, the accepted projects' levels
    before (the earliest confirmed on-site baseline) and after (§4.3). Two queries."""
    rows = list(
        Project.objects.filter(enterprise__city=city, accepted_on__lte=as_of)
        .annotate(baseline_level=baseline_level(as_of))
        .values(
            "enterprise_id",
            "enterprise__quality_tier",
            "completed_on",
            "accepted_on",
            "baseline_level",
        )
        .order_by()
    )
    levels = after_levels([r["enterprise_id"] for r in rows])
    by_tier: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        tier = by_tier[r["enterprise__quality_tier"]]
        tier["accepted"].append(1)
        completed, accepted = r["completed_on"], r["accepted_on"]
        after = None
        if completed is not None and completed <= as_of and accepted is not None:
            after = after_level(levels.get(r["enterprise_id"], []), completed, accepted)
        before = r["baseline_level"]
        if before is not None and after is not None:
            tier["before"].append(before)
            tier["after"].append(after)
            tier["uplift"].append(after - before)

    def line(label: str, parts: list[dict[str, list[int]]]) -> dict[str, Any]:
        merged = {
            k: [v for p in parts for v in p.get(k, [])]
            for k in ("accepted", "before", "after", "uplift")
        }
        return {
            "label": label,
            "accepted": len(merged["accepted"]),
            "with_levels": len(merged["uplift"]),
            "before_mean": _mean(merged["before"]),
            "after_mean": _mean(merged["after"]),
            "uplift_mean": _mean(merged["uplift"]),
            "improved": sum(1 for u in merged["uplift"] if u > 0),
        }

    tiers = [line(TIER_LABELS[t], [by_tier[t]]) for t in QualityTier.values if t in by_tier]
    reached = funnel["reached"]
    return {
        "applied": reached[project_rules.Stage.ACCEPTANCE_APPLIED.value],
        "accepted": reached[project_rules.Stage.ACCEPTED.value],
        "failed": funnel["acceptance_failed"],
        "by_tier": tiers,
        "total": line("合计", list(by_tier.values())),
    }


def city_sections(city: PilotCity, as_of: dt.date) -> dict[str, Any]:
    """The pilot-management sections of `city`'s report as of `as_of` (JSON values only)."""
    funnel = _funnel(city, as_of)
    return {
        "funnel": funnel,
        "overdue": _overdue(city, as_of, funnel["data"]["overdue"]),
        "acceptance": _acceptance(city, as_of, funnel["data"]),
        "funds": _funds(city, as_of),
        "providers": _providers(city, as_of),
        "scorecard": _scorecard(city, as_of),
        "samples": _samples(city, as_of),
    }
