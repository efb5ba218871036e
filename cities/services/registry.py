"""Writes to the registry outside bulk import: field-level rules per role live here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import policy
from accounts.models import User
from accounts.policy import Ability
from sme_pilot.errors import Forbidden

from .. import signals
from ..models import Enterprise, SubIndustry


def _editable_fields(actor: User) -> frozenset[str]:
    fields: set[str] = set()
    if policy.has(actor, Ability.EDIT_ENTERPRISE_CONTACT):
        fields.update(Enterprise.CONTACT_FIELDS)
    if policy.has(actor, Ability.EDIT_ENTERPRISE_CLASSIFICATION):
        fields.update(Enterprise.CLASSIFICATION_FIELDS)
    if not policy.has(actor, Ability.EDIT_ENTERPRISE_CITY):
        # Moving an enterprise between cities is an administrator's correction.
        fields.discard("city")
    return frozenset(fields)


def enterprise_check_editable(*, actor: User, fields: Iterable[str]) -> None:
    """Raise unless the actor may change every one of `fields` (checked before anything else)."""
    allowed = _editable_fields(actor)
    if not allowed:
        raise Forbidden("您的角色只能查看企业信息，不能修改。")
    forbidden = sorted(set(fields) - allowed)
    if forbidden:
        raise ValidationError(
            {f: f"您不能修改“{Enterprise.field_label(f)}”" for f in forbidden},
            code="forbidden_field",
        )


@transaction.atomic
def enterprise_update(
    *, enterprise: Enterprise, actor: User, changes: dict[str, Any]
) -> Enterprise:
    """Apply `changes` if the actor may make every one of them; otherwise change nothing."""
    enterprise_check_editable(actor=actor, fields=changes)
    left = enterprise.city_id  # the city it leaves, if any
    for field, value in changes.items():
        setattr(enterprise, field, value)
    if (
        "district" not in changes
        and enterprise.district is not None
        and enterprise.district.city_id != enterprise.city_id
    ):
        enterprise.district = None  # moved to another city: the old city's district is not its
    sub = changes.get("sub_industry")
    if isinstance(sub, SubIndustry) and sub.city_id != enterprise.city_id:
        raise ValidationError({"sub_industry": "细分行业不属于该企业所在城市"})
    enterprise.full_clean()
    enterprise._change_reason = "在线修改"  # type: ignore[attr-defined]
    enterprise.save()
    signals.registry_changed.send(sender=Enterprise, city_ids=[left, enterprise.city_id])
    return enterprise
