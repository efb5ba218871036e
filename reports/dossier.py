"""The 一企一档 dossier of one enterprise, frozen as a report snapshot (kind "dossier").

Everything the on-site acceptance checks, for one enterprise and nothing of another: its profile,
every assessment that has left the draft state (before and after, self and on-site) with its
scores and level, its project's timeline and every stage move with who made it, the contract and
investment lines, the acceptance checklist and the enterprise's rating of its provider, the
subsidy (entitlement, approved and paid) and the index of its documents with their SHA-256.

Drafts are left out: a draft is the enterprise's unfinished work, which staff do not see, and a
snapshot is one for every requester. An enterprise without a project has a dossier too, with
its profile and assessments. A constant number of queries per enterprise (the ZIP job builds
thousands in a row).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from assessments.choices import Method, Purpose, State
from assessments.models import LEVEL_NAMES, Assessment
from cities.models import Enterprise, QualityTier, SizeClass
from projects import rules
from projects.models import Project, ProjectDocument, ProjectEvent
from projects.selectors.projects import entitlement_of, move_label
from projects.services.pipeline import CHECKLIST

TIER_LABELS = dict(QualityTier.choices)
SIZE_LABELS = dict(SizeClass.choices)
PURPOSE_LABELS = dict(Purpose.choices)
METHOD_LABELS = dict(Method.choices)
STATE_LABELS = dict(State.choices)


def money(value: Decimal | None, places: int = 2) -> str | None:
    return None if value is None else f"{value:.{places}f}"


def date_text(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def time_text(value: dt.datetime | None) -> str | None:
    return None if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def level_name(level: int | None) -> str:
    return "未评定" if level is None else LEVEL_NAMES.get(level, str(level))


def _stage_label(stage: str) -> str:
    try:
        return rules.STAGE_LABELS[rules.Stage(stage)]
    except ValueError:
        return stage or "—"


def _person(user: Any) -> str:
    if user is None:
        return "—"
    return str(user.display_name or user.username)


def _profile(e: Enterprise) -> dict[str, Any]:
    return {
        "id": e.pk,
        "uscc": e.uscc,
        "name": e.name,
        "city": e.city.name,
        "city_code": e.city.code,
        "district": e.district.name if e.district else None,
        "sub_industry": e.sub_industry.name,
        "above_scale": e.above_scale,
        "tier": TIER_LABELS.get(e.quality_tier, e.quality_tier),
        "size": SIZE_LABELS.get(e.size_class, e.size_class),
        "contact_name": e.contact_name,
        "contact_phone": e.contact_phone,
        "address": e.address,
    }


def _assessments(enterprise_id: int) -> list[dict[str, Any]]:
    rows = (
        Assessment.objects.filter(enterprise_id=enterprise_id)
        .exclude(state=State.DRAFT)
        .select_related("confirmed_by")
        .order_by("assessed_on", "id")
    )
    return [
        {
            "id": a.pk,
            "purpose": PURPOSE_LABELS.get(a.purpose, a.purpose),
            "method": METHOD_LABELS.get(a.method, a.method),
            "state": STATE_LABELS.get(a.state, a.state),
            "assessed_on": date_text(a.assessed_on),
            "level": a.level,
            "level_name": level_name(a.level),
            "total": money(a.total_score, 1),
            "foundation": money(a.foundation_score, 1),
            "management": money(a.management_score, 1),
            "outcomes": money(a.outcomes_score, 1),
            "confirmed_at": time_text(a.confirmed_at),
            "confirmed_by": _person(a.confirmed_by) if a.confirmed_by_id else None,
        }
        for a in rows
    ]


def _project(p: Project) -> dict[str, Any]:
    lines = list(p.lines.all())
    entitlement = entitlement_of(p)
    checked = p.acceptance_checklist or {}
    return {
        "id": p.pk,
        "provider": p.provider.name if p.provider else None,
        "diagnosis_provider": p.diagnosis_provider.name if p.diagnosis_provider else None,
        "timeline": [
            {"label": rules.STAGE_LABELS[s], "on": date_text(getattr(p, rules.date_field(s)))}
            for s in rules.STAGES
        ],
        "outcomes": [
            {"label": label, "on": date_text(on)}
            for label, on in (
                ("未入库", p.rejected_on),
                ("验收未通过", p.acceptance_failed_on),
                ("已退出", p.withdrawn_on),
            )
            if on is not None
        ],
        "events": [
            {
                "at": time_text(e.at),
                "move": move_label(e.move),
                "stage": _stage_label(e.stage),
                "actor": _person(e.actor),
                "comment": e.comment,
            }
            for e in p.events.all()
        ],
        "contract": {
            "no": p.contract_no,
            "amount": money(p.contract_amount),
            "signed_on": date_text(p.contract_signed_on),
            "planned_completion_on": date_text(p.planned_completion_on),
        },
        "lines": [
            {
                "category": rules.CATEGORY_LABELS[rules.Category(ln.category)],
                "amount": money(ln.amount),
                "eligible": ln.category in rules.ELIGIBLE,
            }
            for ln in lines
        ],
        "eligible_total": money(
            rules.eligible_investment((ln.category, ln.amount) for ln in lines)
        ),
        "acceptance": {
            "attempts": p.acceptance_attempts,
            "failed_attempts": p.failed_attempts,
            "scheduled_on": date_text(p.acceptance_scheduled_on),
            "checklist": [
                {"label": label, "passed": bool(checked.get(key))}
                for key, label in CHECKLIST.items()
            ]
            if checked
            else [],
            "satisfaction": p.satisfaction,
            "after_level": p.after_level,
            "after_level_name": level_name(p.after_level) if p.after_level is not None else None,
            "rectification": p.rectification,
        },
        "subsidy": {
            "entitlement": money(entitlement.amount) if entitlement else None,
            "entitlement_level": entitlement.after_level if entitlement else None,
            "central": money(p.subsidy_central),
            "local": money(p.subsidy_local),
            "approved_on": date_text(p.subsidy_approved_on),
            "paid_on": date_text(p.subsidy_paid_on),
            "reference": p.subsidy_reference,
        },
        "documents": [
            {
                "stage": _stage_label(d.stage),
                "doc_type": d.get_doc_type_display(),
                "name": d.original_name,
                "size": d.size_label,
                "sha256": d.sha256,
                "uploaded_at": time_text(d.uploaded_at),
                "uploaded_by": _person(d.uploaded_by),
            }
            for d in p.documents.all()
        ],
    }


def dossier_snapshot(enterprise_id: int, as_of: dt.date) -> dict[str, Any]:
    """The dossier's data. `LookupError` for an unknown enterprise."""
    enterprise = (
        Enterprise.objects.select_related("city", "district", "sub_industry")
        .filter(pk=enterprise_id)
        .first()
    )
    if enterprise is None:
        raise LookupError(f"企业 {enterprise_id} 不存在")
    project = (
        Project.objects.filter(enterprise_id=enterprise_id)
        .select_related("provider", "diagnosis_provider", "enterprise__city")
        .prefetch_related(
            "lines",
            Prefetch(
                "events", queryset=ProjectEvent.objects.select_related("actor").order_by("at", "id")
            ),
            Prefetch(
                "documents",
                queryset=ProjectDocument.objects.select_related("uploaded_by").order_by(
                    "uploaded_at", "id"
                ),
            ),
        )
        .first()
    )
    return {
        "kind": "dossier",
        "as_of": as_of.isoformat(),
        "issuer": enterprise.city.issuer,
        "enterprise": _profile(enterprise),
        "assessments": _assessments(enterprise_id),
        "project": None if project is None else _project(project),
    }
