from __future__ import annotations

from collections.abc import Mapping

from django import template

register = template.Library()


@register.filter
def scene_list(codes: list[str], names: Mapping[str, str]) -> str:
    """ "S05 计划排程、S06 生产管控": a product's scenes with their names."""
    return "、".join(f"{code} {names.get(code, '')}".strip() for code in codes) or "—"
