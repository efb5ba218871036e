"""Writes of the provider library (domain §4.5): entries, status changes, products.

A city's officials add providers to their city's library and change an entry's status with a
reason; every change (the first entry included) writes a `LibraryStatusChange` in the same
transaction. A status change locks the entry's row, so two officials changing it at once are
serialised and the second sees the first's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import policy
from accounts.models import User
from cities.models import PilotCity
from cities.uscc import USCCError
from cities.uscc import validate as validate_uscc
from sme_pilot.errors import Conflict, Forbidden, Invalid, NotFound

from . import selectors
from .choices import LibraryStatus, ProviderCategory
from .models import (
    MONEY,
    REASON_MAX_LENGTH,
    LibraryEntry,
    LibraryStatusChange,
    Product,
    Provider,
)

FIRST_ENTRY_REASON = "入库"


def _require_manager(actor: User, city_id: int) -> None:
    """Only the city's own officials manage its library; others who see it get 403."""
    if not policy.has(actor, policy.Ability.MANAGE_PROVIDER_LIBRARY):
        raise Forbidden("只有本市管理员可以管理服务商库")
    scope = policy.scope_of(actor)
    if scope.reach is policy.Reach.CITY and scope.city_id != city_id:
        raise NotFound("没有找到该服务商")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写状态变更原因")
    if len(reason) > REASON_MAX_LENGTH:
        raise Invalid(f"状态变更原因不能超过 {REASON_MAX_LENGTH} 个字符")
    return reason


@dataclass(frozen=True)
class NewProvider:
    """What an official enters for a provider the system does not know yet."""

    name: str
    category: str
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


def library_add(
    *,
    actor: User,
    city: PilotCity,
    uscc: str,
    new: NewProvider | None = None,
    reason: str = FIRST_ENTRY_REASON,
) -> LibraryEntry:
    """Add a provider to `city`'s library as active: an existing one by USCC, or a new one."""
    _require_manager(actor, city.pk)
    try:
        uscc = validate_uscc(uscc)
    except USCCError as exc:
        raise Invalid(str(exc)) from exc
    reason = _reason(reason)
    now = timezone.now()
    try:
        with transaction.atomic():
            provider = Provider.objects.filter(uscc=uscc).first()
            if provider is None:
                if new is None or not new.name.strip():
                    raise Invalid("系统中还没有该服务商，请填写服务商名称和类别")
                if new.category not in ProviderCategory.values:
                    raise Invalid("请选择服务商类别")
                provider = Provider(
                    uscc=uscc,
                    name=new.name.strip(),
                    category=new.category,
                    contact_name=new.contact_name.strip(),
                    contact_phone=new.contact_phone.strip(),
                    contact_email=new.contact_email.strip(),
                )
                try:
                    provider.full_clean()
                except ValidationError as exc:
                    raise Invalid(_messages(Provider, exc)) from exc
                provider.save()
            elif LibraryEntry.objects.filter(provider=provider, city=city).exists():
                raise Conflict(f"服务商“{provider.name}”已在本市服务商库中")
            entry = LibraryEntry.objects.create(
                provider=provider,
                city=city,
                status=LibraryStatus.ACTIVE,
                status_changed_at=now,
            )
            LibraryStatusChange.objects.create(
                entry=entry,
                from_status="",
                to_status=LibraryStatus.ACTIVE,
                reason=reason,
                changed_by=actor,
                changed_at=now,
            )
    except IntegrityError:
        raise Conflict("该服务商已在本市服务商库中，请刷新后查看") from None
    return entry


def library_change_status(
    *, actor: User, entry_id: int, to_status: str, reason: str
) -> LibraryEntry:
    """Change an entry's status with a reason; refused when it already has that status."""
    if to_status not in LibraryStatus.values:
        raise Invalid("请选择新的状态")
    reason = _reason(reason)
    with transaction.atomic():
        visible = selectors.library_visible_to(user=actor).filter(pk=entry_id)
        entry = (
            LibraryEntry.objects.select_for_update(of=("self",))
            .select_related("provider", "city")
            .filter(pk__in=visible.values("pk"))
            .first()
        )
        if entry is None:
            raise NotFound("没有找到该服务商")
        _require_manager(actor, entry.city_id)
        if entry.status == to_status:
            label = LibraryStatus(to_status).label
            raise Conflict(f"该服务商当前状态已是“{label}”，无需变更")
        now = timezone.now()
        LibraryStatusChange.objects.create(
            entry=entry,
            from_status=entry.status,
            to_status=to_status,
            reason=reason,
            changed_by=actor,
            changed_at=now,
        )
        entry.status = to_status
        entry.status_changed_at = now
        entry.save(update_fields=["status", "status_changed_at", "updated_at"])
    return entry


# --- products ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductData:
    name: str
    scenes: list[str]
    price_min: Decimal
    price_max: Decimal
    description: str = ""


def _checked_product(product: Product, data: ProductData) -> Product:
    known = selectors.scene_names()
    unknown = [code for code in data.scenes if code not in known]
    if unknown:
        raise Invalid(f"覆盖场景：未知的场景代码 {'、'.join(unknown)}")
    if not data.scenes:
        raise Invalid("覆盖场景：请至少选择一个场景")
    product.name = data.name.strip()
    product.scenes = sorted(set(data.scenes))
    product.price_min = Decimal(data.price_min).quantize(MONEY)
    product.price_max = Decimal(data.price_max).quantize(MONEY)
    product.description = data.description.strip()
    if product.price_min > product.price_max:
        raise Invalid("价格区间：最低价格不能高于最高价格")
    try:
        product.full_clean()
    except ValidationError as exc:
        raise Invalid(_messages(Product, exc)) from exc
    return product


def _messages(model: type[Product] | type[Provider], exc: ValidationError) -> str:
    """A model's validation errors as one Chinese message, each naming its field."""
    parts: list[str] = []
    for name, messages in exc.message_dict.items():
        try:
            label = str(getattr(model._meta.get_field(name), "verbose_name", name))
        except FieldDoesNotExist:  # NON_FIELD_ERRORS
            label = str(model._meta.verbose_name)
        parts.extend(f"{label}：{m}" for m in messages)
    return "；".join(parts)


def _managed_provider(actor: User, provider_id: int) -> Provider:
    """A provider in one of the actor's managed libraries (products belong to the provider)."""
    entry = selectors.library_visible_to(user=actor).filter(provider__pk=provider_id).first()
    if entry is None:
        raise NotFound("没有找到该服务商")
    _require_manager(actor, entry.city_id)
    return entry.provider


def product_add(*, actor: User, provider_id: int, data: ProductData) -> Product:
    provider = _managed_provider(actor, provider_id)
    product = _checked_product(Product(provider=provider), data)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        raise Conflict(f"该服务商已有名为“{product.name}”的产品") from None
    return product


def product_edit(*, actor: User, product_id: int, data: ProductData) -> Product:
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise NotFound("没有找到该产品")
        _managed_provider(actor, product.provider_id)
        _checked_product(product, data)
        try:
            with transaction.atomic():
                product.save()
        except IntegrityError:
            raise Conflict(f"该服务商已有名为“{product.name}”的产品") from None
    return product


def product_delete(*, actor: User, product_id: int) -> None:
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise NotFound("没有找到该产品")
        _managed_provider(actor, product.provider_id)
        product.delete()
