"""Template filters for digital levels (shared by the assessment and registry pages)."""

from __future__ import annotations

from django import template

from ..models import LEVEL_NAMES, Assessment, Method, Purpose

register = template.Library()


@register.filter
def level_label(level: int | None) -> str:
    """二级 for 2, 未达一级 for 0, 未评定 when there is no confirmed level."""
    if level is None or level == "":
        return "未评定"
    return LEVEL_NAMES.get(int(level), str(level))


@register.filter
def points(value: object) -> str:
    """A score for pages: at most three decimals, trailing zeros dropped (44.975, 15, 7.5)."""
    if value is None or value == "":
        return "—"
    text = f"{value:.3f}" if not isinstance(value, str) else value
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def kind_label(assessment: Assessment) -> str:
    """What an assessment is, in one phrase: 自评, 改造前自评, 改造后现场评定 …"""
    prefix = "" if assessment.purpose == Purpose.SELF_CHECK else assessment.get_purpose_display()
    return prefix + ("自评" if assessment.method == Method.SELF else "现场评定")
