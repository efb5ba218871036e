"""The questionnaire as the page lays it out: dimensions with their questions, the data fields next
to the questions they check, and the operations scenes by group, each with what is stored now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import scoring, services
from ..models import Assessment, Evidence
from .common import field_slug, option_labels, scene_level_label


@dataclass
class Versioned:
    """One autosaved input: its field name, element id part, stored value and version."""

    field: str
    value: Any
    version: int

    @property
    def slug(self) -> str:
        return field_slug(self.field)


@dataclass
class DataInput(Versioned):
    label: str = ""


@dataclass
class QuestionItem:
    question: scoring.Question
    answer: Versioned
    note: Versioned
    data_inputs: list[DataInput] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    self_answer: str = ""  # the enterprise's own answer, shown to the assessor on site
    evidence: list[Evidence] = field(default_factory=list)
    self_evidence: list[Evidence] = field(default_factory=list)  # the enterprise's, on site

    @property
    def selected(self) -> set[str]:
        value = self.answer.value
        if value is None:
            return set()
        return set(value) if isinstance(value, list) else {value}

    @property
    def has_checks(self) -> bool:
        return bool(data_fields_of(self.question))


@dataclass
class Section:
    code: str
    name: str
    max_points: Any
    questions: list[QuestionItem]


@dataclass
class SceneItem:
    scene: scoring.Scene
    rating: Versioned
    note: Versioned
    levels: list[tuple[int, str]]
    self_answer: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    self_evidence: list[Evidence] = field(default_factory=list)


@dataclass
class SceneGroup:
    name: str
    scenes: list[SceneItem]


@dataclass
class Layout:
    sections: list[Section]
    scene_groups: list[SceneGroup]
    answered: int
    total: int


def _versioned(assessment: Assessment, name: str, value: Any) -> Versioned:
    return Versioned(name, value, assessment.field_versions.get(name, 0))


def _note(assessment: Assessment, code: str) -> Versioned:
    name = f"{services.NOTE_PREFIX}{code}"
    return _versioned(assessment, name, assessment.evidence_notes.get(code, ""))


def data_fields_of(question: scoring.Question) -> list[str]:
    """The data fields shown with a question: the counts it is checked against, its amount."""
    return [c for c in (question.data_total, question.data_part, question.data_field) if c]


def checks_by_question(
    indicator: scoring.Indicator, messages: Iterable[scoring.FieldError]
) -> dict[str, list[str]]:
    """Cross-check messages for every question that has data fields, keyed by question code."""
    collected = list(messages)
    checks: dict[str, list[str]] = {}
    for q in indicator.questions:
        fields = data_fields_of(q)
        if fields:
            related = {q.code, *fields}
            checks[q.code] = [m.message for m in collected if m.field in related]
    return checks


def build(
    assessment: Assessment,
    indicator: scoring.Indicator,
    *,
    based_on: Assessment | None,
    evidence: dict[str, list[Evidence]] | None = None,
    self_evidence: dict[str, list[Evidence]] | None = None,
) -> Layout:
    """`evidence`: the assessment's files by item; `self_evidence`: those of the
    self-assessment an on-site assessment is based on (shown read-only)."""
    evidence = evidence or {}
    self_evidence = self_evidence or {}
    messages = scoring.validate_answers(
        assessment.answers, assessment.scenes, assessment.data, indicator, complete=False
    )
    checks = checks_by_question(indicator, messages)
    labels = {f.code: f.label for f in indicator.data_fields}
    placed: set[str] = set()
    sections = []
    for dim in indicator.dimensions:
        items = []
        for q in indicator.questions:
            if q.dimension != dim.code:
                continue
            item = QuestionItem(
                question=q,
                answer=_versioned(assessment, q.code, assessment.answers.get(q.code)),
                note=_note(assessment, q.code),
                checks=checks.get(q.code, []),
                evidence=evidence.get(q.code, []),
                self_evidence=self_evidence.get(q.code, []),
            )
            for code in data_fields_of(q):
                if code in placed:
                    continue
                placed.add(code)
                name = f"{services.DATA_PREFIX}{code}"
                item.data_inputs.append(
                    DataInput(
                        name,
                        assessment.data.get(code),
                        assessment.field_versions.get(name, 0),
                        label=labels.get(code, code),
                    )
                )
            if based_on is not None and based_on.answers.get(q.code) is not None:
                own = based_on.answers[q.code]
                item.self_answer = option_labels(q, own if isinstance(own, list) else [own])
            items.append(item)
        sections.append(Section(dim.code, dim.name, dim.max_points, items))

    groups: dict[str, list[SceneItem]] = {}
    for s in indicator.scenes:
        scene_item = SceneItem(
            scene=s,
            rating=_versioned(assessment, s.code, assessment.scenes.get(s.code)),
            note=_note(assessment, s.code),
            levels=sorted(s.descriptors.items()),
            evidence=evidence.get(s.code, []),
            self_evidence=self_evidence.get(s.code, []),
        )
        if based_on is not None and based_on.scenes.get(s.code) is not None:
            scene_item.self_answer = scene_level_label(based_on.scenes[s.code])
        groups.setdefault(s.group, []).append(scene_item)
    return Layout(
        sections=sections,
        scene_groups=[SceneGroup(name, items) for name, items in groups.items()],
        answered=scoring.answered_count(assessment.answers, assessment.scenes, indicator),
        total=len(indicator.questions) + len(indicator.scenes),
    )
