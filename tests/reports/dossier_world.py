"""An enterprise with a full 一企一档 for the dossier tests: assessments of every kind, a project
moved through its stages by named people, investment lines, an acceptance and a document."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Role
from assessments.choices import Method, Purpose, State
from projects.models import InvestmentLine, Project, ProjectDocument, ProjectEvent
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import UserFactory


@dataclass
class File:
    """What one enterprise's dossier must show (and another's must not)."""

    project: Project
    assessed_on: list[str] = field(default_factory=list)  # every non-draft assessment's date
    draft_on: str = ""
    moves: list[dict[str, str]] = field(default_factory=list)  # at, actor, comment
    sha256: str = ""


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 5)))


def enterprise_file(enterprise: Any, *, tag: str, year: int, official: Any) -> File:
    """`tag` (e.g. "甲") marks every text of this enterprise; `year` its dates."""
    day = dt.date(year, 3, 1)
    mover = UserFactory(
        username=f"mover-{tag}",
        display_name=f"{tag}经办人",
        role=Role.ENTERPRISE,
        enterprise=enterprise,
    )
    assessments = [
        AssessmentFactory(
            enterprise=enterprise,
            submitted=True,
            assessed_on=day,
        ),
        AssessmentFactory(
            enterprise=enterprise,
            confirmed=True,
            assessed_on=day + dt.timedelta(days=20),
        ),
        AssessmentFactory(
            enterprise=enterprise,
            method=Method.ONSITE,
            purpose=Purpose.POST,
            state=State.CONFIRMED,
            level=3,
            revision=None,
            assessed_on=day + dt.timedelta(days=200),
            confirmed_at=timezone.now(),
        ),
    ]
    draft = AssessmentFactory(enterprise=enterprise, assessed_on=day + dt.timedelta(days=250))
    project = Project.objects.create(
        enterprise=enterprise,
        contract_no=f"HT-{tag}-001",
        contract_amount=Decimal("500000.00"),
        applied_on=day,
        admitted_on=day + dt.timedelta(days=10),
        diagnosed_on=day + dt.timedelta(days=20),
        provider_selected_on=day + dt.timedelta(days=30),
        contract_filed_on=day + dt.timedelta(days=40),
        completed_on=day + dt.timedelta(days=190),
        acceptance_applied_on=day + dt.timedelta(days=195),
        accepted_on=day + dt.timedelta(days=210),
        satisfaction=4,
        after_level=3,
        acceptance_checklist={
            "systems_in_use": True,
            "contract_genuine": True,
            "invoices_genuine": True,
            "dossier_complete": True,
        },
    )
    InvestmentLine.objects.create(project=project, category="software", amount=Decimal("300000"))
    InvestmentLine.objects.create(project=project, category="office_it", amount=Decimal("20000"))
    moves = []
    for i, (move, stage, actor) in enumerate(
        [
            ("apply", "applied", mover),
            ("admit", "admitted", official),
            ("complete", "completed", mover),
            ("accept", "accepted", official),
        ]
    ):
        at = _at(day + dt.timedelta(days=i * 60), 9 + i)
        comment = f"{tag}第{i + 1}步说明"
        ProjectEvent.objects.create(
            project=project, move=move, stage=stage, actor=actor, at=at, comment=comment
        )
        moves.append(
            {
                "at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M"),
                "actor": str(actor.display_name or actor.username),
                "comment": comment,
            }
        )
    content = f"%PDF-1.7 {tag} contract".encode()
    sha = hashlib.sha256(content).hexdigest()
    ProjectDocument.objects.create(
        project=project,
        stage="contract_filed",
        doc_type="contract",
        file=ContentFile(content, name=f"{tag}.pdf"),
        original_name=f"{tag}合同.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=sha,
        uploaded_by=mover,
    )
    return File(
        project=project,
        assessed_on=[a.assessed_on.isoformat() for a in assessments],
        draft_on=draft.assessed_on.isoformat(),
        moves=moves,
        sha256=sha,
    )
