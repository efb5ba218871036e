"""What the assessment pages share: the signed-in user, who is offered which action, and how a
stored answer reads to a person.

Who may do what is decided by the services on every request; the `offers_*` helpers only decide
which buttons and inputs a page shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from accounts import policy
from accounts.models import User
from cities.models import Enterprise

from .. import evidence, indicators, scoring, selectors, services
from ..models import Assessment, Method, State


def is_city_assessor(user: User, enterprise: Enterprise) -> bool:
    return policy.is_city_assessor(user, enterprise.city_id)


def offers_editing(user: User, assessment: Assessment) -> bool:
    """Editable, scored online, and the user's to edit (services.may_edit_answers)."""
    if not assessment.is_editable or assessment.revision_id is None:
        return False
    return services.may_edit_answers(user, assessment)


def offers_return(user: User, assessment: Assessment) -> bool:
    return (
        assessment.method == Method.SELF
        and assessment.state == State.SUBMITTED
        and is_city_assessor(user, assessment.enterprise)
    )


def offers_correction(user: User, assessment: Assessment) -> bool:
    return (
        assessment.method == Method.ONSITE
        and assessment.state == State.CONFIRMED
        and is_city_assessor(user, assessment.enterprise)
    )


def indicator_of(assessment: Assessment) -> scoring.Indicator | None:
    """The indicator revision the assessment is scored with (None for imported levels)."""
    if assessment.revision is None:
        return None
    return indicators.indicator_for(assessment.revision)


def current_assessment_id(enterprise: Enterprise) -> int | None:
    """The assessment whose level is the enterprise's current level (the selectors' one order)."""
    current = selectors.current_assessment_of(enterprise=enterprise)
    return None if current is None else current.pk


def error_messages(exc: ValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as {field: messages}; "" holds the form-wide ones."""
    if hasattr(exc, "error_dict"):
        return {key: list(messages) for key, messages in exc.message_dict.items()}
    return {"": list(exc.messages)}


def field_slug(field: str) -> str:
    """An element id part for a field name ("data:equipment_total" → "data-equipment_total")."""
    return field.replace(":", "-")


def shown_value(indicator: scoring.Indicator, field: str, value: Any) -> str:
    """A stored value as a person reads it, for "已被修改为 …" messages."""
    if value is None or value == [] or value == "":
        return "（空）"
    if field.startswith(services.NOTE_PREFIX):
        text = str(value)
        return f"“{text[:40]}…”" if len(text) > 40 else f"“{text}”"
    if field.startswith(services.DATA_PREFIX):
        return str(value)
    try:
        question = indicator.question(field)
    except KeyError:
        return scene_level_label(value)
    return option_labels(question, value if isinstance(value, list) else [value])


def option_labels(question: scoring.Question, codes: list[str]) -> str:
    labels = {o.code: o.label for o in question.options}
    return "、".join(f"{c}（{labels[c]}）" if c in labels else c for c in codes)


def scene_level_label(value: Any) -> str:
    return "未达一级" if value in (0, "0") else f"{value} 级"


@dataclass(frozen=True)
class ItemLink:
    """A questionnaire item a page points to: its anchor on the questionnaire (`q-Q2`,
    `s-S01`, as `_question.html` and `_scene.html` set them), code, title and why."""

    anchor: str
    code: str
    title: str
    message: str = ""


def _item_link(indicator: scoring.Indicator, code: str, message: str = "") -> ItemLink | None:
    try:
        return ItemLink(f"q-{code}", code, indicator.question(code).title, message)
    except KeyError:
        pass
    try:
        return ItemLink(f"s-{code}", code, indicator.scene(code).name, message)
    except KeyError:
        pass
    for q in indicator.questions:  # a data field sits with the question it checks
        if code in (q.data_total, q.data_part, q.data_field):
            label = indicator.data_field(code).label
            return ItemLink(f"q-{q.code}", q.code, f"{q.title}（{label}）", message)
    return None


def missing_links(indicator: scoring.Indicator, codes: Iterable[str]) -> list[ItemLink]:
    """Unanswered questions and scenes (`scoring.missing_items`), each linked to its item."""
    return [link for code in codes if (link := _item_link(indicator, code)) is not None]


def error_links(
    indicator: scoring.Indicator, errors: Iterable[scoring.FieldError]
) -> list[ItemLink]:
    """Errors of a complete questionnaire, linked to their item where they have one."""
    links = []
    for error in errors:
        link = _item_link(indicator, error.field, error.message)
        links.append(link or ItemLink("", error.field, "", error.message))
    return links


def evidence_limits() -> dict[str, Any]:
    """The evidence limits as the upload form's hint states them."""
    return {
        "file": evidence.size_label(settings.EVIDENCE_MAX_FILE_BYTES),
        "file_bytes": settings.EVIDENCE_MAX_FILE_BYTES,
        "per_item": settings.EVIDENCE_MAX_FILES_PER_ITEM,
    }


def evidence_items(
    indicator: scoring.Indicator | None, by_item: dict[str, list[Any]]
) -> list[dict[str, Any]]:
    """Items with evidence files in questionnaire order: code, title and files."""
    if indicator is None:
        return []
    titles = [(q.code, q.title) for q in indicator.questions]
    titles += [(s.code, s.name) for s in indicator.scenes]
    return [
        {"code": code, "title": title, "files": by_item[code]}
        for code, title in titles
        if by_item.get(code)
    ]
