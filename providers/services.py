"""Writes of the provider library (domain §4.5): entries, status changes, products.

A city's officials add providers to their city's library and change an entry's status with a
reason; every change (the first entry included) writes a `LibraryStatusChange` in the same
transaction. A status change locks the entry's row, so two officials changing it at once are
serialised and the second sees the first's result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Final

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.models import User
from cities.models import PilotCity
from cities.uscc import USCCError
from cities.uscc import validate as validate_uscc
from notifications import recipients
from notifications.choices import Kind
from notifications.services import Event, notify_on_commit
from sme_pilot.errors import Conflict, Forbidden, Invalid, NotFound

from . import selectors
from .choices import LibraryStatus, ProviderCategory
from .models import (
    DESCRIPTION_MAX_LENGTH,
    MONEY,
    PRICE_MAX,
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
        # The provider's users (their own page) and the city's other officials (the entry).
        label = LibraryStatus(to_status).label
        event = Event(
            kind=Kind.PROVIDER_STATUS,
            title=f"{entry.provider.name}在{entry.city.name}服务商库中的状态变更为“{label}”",
            body=f"原因：{reason}",
            subject_type="library_entry",
            subject_id=entry.pk,
        )
        notify_on_commit(
            recipients=recipients.of(provider=entry.provider.pk),
            event=replace(event, link=reverse("providers:my_provider")),
        )
        notify_on_commit(
            recipients=recipients.of(city_officials=entry.city_id),
            event=replace(event, link=reverse("providers:entry_detail", args=[entry.pk])),
            exclude=actor.pk,
        )
    return entry


# --- products ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductData:
    name: str
    scenes: list[str]
    price_min: Decimal
    price_max: Decimal
    description: str = ""


def _price(label: str, value: object) -> Decimal:
    """A price in yuan: a finite, non-negative Decimal of at most two decimals, bounded."""
    try:
        price = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid(f"{label}：请填写金额") from None
    if not price.is_finite():
        raise Invalid(f"{label}：请填写金额")
    if price < 0:
        raise Invalid(f"{label}：不能为负数")
    if price > PRICE_MAX:
        raise Invalid(f"{label}：不能超过 {PRICE_MAX} 元")
    if price != price.quantize(MONEY):
        raise Invalid(f"{label}：最多保留两位小数")
    return price.quantize(MONEY)


def _checked_product(product: Product, data: ProductData) -> Product:
    known = selectors.scene_names()
    if not isinstance(data.scenes, list) or not all(isinstance(c, str) for c in data.scenes):
        raise Invalid("覆盖场景：请选择场景")
    unknown = [code for code in data.scenes if code not in known]
    if unknown:
        raise Invalid(f"覆盖场景：未知的场景代码 {'、'.join(unknown)}")
    if not data.scenes:
        raise Invalid("覆盖场景：请至少选择一个场景")
    product.name = data.name.strip()
    product.scenes = sorted(set(data.scenes))
    product.price_min = _price("最低价格（元）", data.price_min)
    product.price_max = _price("最高价格（元）", data.price_max)
    product.description = data.description.strip()
    if product.price_min > product.price_max:
        raise Invalid("价格区间：最低价格不能高于最高价格")
    if len(product.description) > DESCRIPTION_MAX_LENGTH:
        raise Invalid(f"产品简介：不能超过 {DESCRIPTION_MAX_LENGTH} 个字符")
    same_name = Product.objects.filter(provider_id=product.provider_id, name=product.name)
    if product.name and same_name.exclude(pk=product.pk).exists():
        raise Conflict(f"该服务商已有名为“{product.name}”的产品")
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
    """A provider whose products `actor` manages: the provider's own account its own, a city's
    officials those in their city's library (products belong to the provider)."""
    if policy.own_provider_id(actor) == provider_id:
        return Provider.objects.get(pk=provider_id)
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


# --- the provider's own profile (我的服务商) --------------------------------------------------


CONTACT_FIELDS: Final = ("contact_name", "contact_phone", "contact_email")
PHONE_CHARACTERS: Final = re.compile(r"^[0-9+\-()（）\s转]*$")
PHONE_MIN_DIGITS: Final = 7


def provider_update_contacts(*, actor: User, changes: Mapping[str, str]) -> Provider:
    """The provider's own account changes its contacts; its name, USCC and category are the
    city libraries' (their import), not the provider's to change."""
    provider_id = policy.own_provider_id(actor)
    if provider_id is None:
        raise NotFound("没有找到该服务商")
    if set(changes) - set(CONTACT_FIELDS):
        raise Invalid(
            "只能修改联系人、联系电话和联系邮箱；服务商名称、统一社会信用代码和类别以城市服务商库为准"
        )
    values = {name: str(changes[name] or "").strip() for name in CONTACT_FIELDS if name in changes}
    phone = values.get("contact_phone", "")
    if phone and (
        not PHONE_CHARACTERS.fullmatch(phone) or sum(c.isdigit() for c in phone) < PHONE_MIN_DIGITS
    ):
        raise Invalid("联系电话：请填写有效的电话号码，如 13800000000 或 0471-1234567")
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider_id)
        for name, value in values.items():
            setattr(provider, name, value)
        # Only the fields changed here: the rest are the libraries', whatever they hold.
        others = [f.name for f in Provider._meta.concrete_fields if f.name not in values]
        try:
            provider.clean_fields(exclude=others)
        except ValidationError as exc:
            raise Invalid(_messages(Provider, exc)) from exc
        provider.save(update_fields=[*values, "updated_at"])
    return provider
