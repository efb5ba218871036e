"""转型样板 (issue 15): a city official marks an accepted project of its city as a sample for
other enterprises to copy, or takes the mark back.

Both lock the project row (`SELECT … FOR UPDATE`) and check, in this order: the project is in
the actor's scope (else NotFound, 404 — another city's project looks absent); the actor marks
this city's samples (`policy.marks_samples_of`, else Forbidden); the project is accepted and has
an after-level (else Conflict); then the input (ValidationError naming the field). Nothing is
written unless everything holds.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import policy
from accounts.models import User
from providers.models import Product
from sme_pilot.errors import Conflict, Forbidden, NotFound

from ..models import SAMPLE_DESCRIPTION_MAX_LENGTH, Project, TransformationSample
from ..selectors import projects as selectors
from ..selectors.after_levels import after_level, after_levels
from ..signals import projects_changed

MAX_PRODUCTS = 50  # more products ticked than any provider offers is not a form


def _locked(actor: User, project_id: int) -> Project:
    try:
        project = (
            selectors.project_list_visible_to(user=actor)
            .select_for_update(of=("self",))
            .get(pk=project_id)
        )
    except Project.DoesNotExist:
        raise NotFound("没有找到该改造项目") from None
    if not policy.marks_samples_of(actor, project.enterprise.city_id):
        raise Forbidden("只有项目所在城市的主管部门可以设定转型样板")
    return project


def refusal(project: Project) -> str | None:
    """Why `project` cannot be a sample (None: it can): it must be accepted, with an after-level
    (the latest confirmed on-site post assessment from completion to acceptance, §4.3)."""
    if project.accepted_on is None or project.completed_on is None:
        return "该项目尚未验收通过，不能设为转型样板"
    found = after_levels([project.enterprise_id]).get(project.enterprise_id, [])
    if after_level(found, project.completed_on, project.accepted_on) is None:
        return "该项目没有改造后等级（完工至验收期间经确认的现场评测），不能设为转型样板"
    return None


def clean_description(value: object) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError({"description": "请填写案例简介"})
    if len(text) > SAMPLE_DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {"description": f"案例简介不能超过 {SAMPLE_DESCRIPTION_MAX_LENGTH} 个字符"}
        )
    return text


def clean_products(project: Project, values: Iterable[object]) -> list[Product]:
    """The products named by id: each must be one of the project's provider's products."""
    raw = list(values)
    if len(raw) > MAX_PRODUCTS:
        raise ValidationError({"products": f"所用产品最多选择 {MAX_PRODUCTS} 个"})
    ids: set[int] = set()
    for value in raw:
        text = str(value).strip()
        if not text.isascii() or not text.isdigit() or len(text) > 12:
            raise ValidationError({"products": f"所用产品编号无效：{text[:20]}"})
        ids.add(int(text))
    if not ids:
        return []
    if project.provider_id is None:
        raise ValidationError({"products": "该项目没有服务商，不能选择所用产品"})
    found = list(Product.objects.filter(pk__in=ids, provider_id=project.provider_id))
    if len(found) != len(ids):
        missing = sorted(ids - {p.pk for p in found})
        raise ValidationError(
            {
                "products": "所选产品不是该项目服务商的产品（编号 "
                + "、".join(str(pk) for pk in missing[:5])
                + "）"
            }
        )
    return sorted(found, key=lambda p: p.pk)


def mark_sample(
    *, actor: User, project_id: int, description: object, products: Iterable[object] = ()
) -> TransformationSample:
    """Marks the project as a sample, or changes the description and products of its mark."""
    with transaction.atomic():
        project = _locked(actor, project_id)
        reason = refusal(project)
        if reason is not None:
            raise Conflict(reason)
        text = clean_description(description)
        chosen = clean_products(project, products)
        sample = TransformationSample.objects.filter(project=project).first()
        if sample is None:
            sample = TransformationSample(project=project)
        sample.description = text
        sample.marked_by = actor
        sample.marked_at = timezone.now()
        sample._history_user = actor  # type: ignore[attr-defined]
        sample.save()
        sample.products.set(chosen)
        projects_changed.send(sender=Project, city_ids=[project.enterprise.city_id])
    return sample


def unmark_sample(*, actor: User, project_id: int) -> None:
    """Takes the mark back (the way back from `mark_sample`); the history keeps the row."""
    with transaction.atomic():
        project = _locked(actor, project_id)
        sample = TransformationSample.objects.filter(project=project).first()
        if sample is None:
            raise Conflict("该项目不是转型样板")
        sample._history_user = actor  # type: ignore[attr-defined]
        sample.delete()
        projects_changed.send(sender=Project, city_ids=[project.enterprise.city_id])
