"""Forms of the library pages (add a provider to the city's library, change an entry's status)
and of the provider's own pages (its contacts, its products)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.db import models

from .choices import LibraryStatus, ProviderCategory
from .models import (
    DESCRIPTION_MAX_LENGTH,
    PRICE_MAX,
    PRICE_MAX_DIGITS,
    REASON_MAX_LENGTH,
    Product,
    Provider,
)


def _max(name: str, model: type[models.Model] = Provider) -> int:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.max_length is not None
    return field.max_length


def _product_max(name: str) -> int:
    return _max(name, Product)


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(label="新状态", choices=LibraryStatus.choices)
    reason = forms.CharField(
        label="变更原因",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"必填，不超过 {REASON_MAX_LENGTH} 个字符；将记入状态变更记录。",
    )


class LibraryAddForm(forms.Form):
    uscc = forms.CharField(
        label="统一社会信用代码",
        max_length=_max("uscc"),
        help_text="已在系统中的服务商只需填写此项。",
    )
    name = forms.CharField(label="服务商名称", max_length=_max("name"), required=False)
    category = forms.ChoiceField(
        label="类别", choices=[("", "请选择"), *ProviderCategory.choices], required=False
    )
    contact_name = forms.CharField(label="联系人", max_length=_max("contact_name"), required=False)
    contact_phone = forms.CharField(
        label="联系电话", max_length=_max("contact_phone"), required=False
    )
    contact_email = forms.EmailField(
        label="联系邮箱", max_length=_max("contact_email"), required=False
    )
    reason = forms.CharField(
        label="入库说明",
        max_length=REASON_MAX_LENGTH,
        initial="入库",
        help_text="记入状态变更记录，如入库批次或文件号。",
    )


class ContactForm(forms.Form):
    """The provider's own contacts (its name, USCC and category are the city libraries')."""

    contact_name = forms.CharField(label="联系人", max_length=_max("contact_name"), required=False)
    contact_phone = forms.CharField(
        label="联系电话",
        max_length=_max("contact_phone"),
        required=False,
        help_text="手机或座机，如 13800000000、0471-1234567。",
    )
    contact_email = forms.EmailField(
        label="联系邮箱", max_length=_max("contact_email"), required=False
    )


class ProductForm(forms.Form):
    """A product of the provider's own: the scenes it covers and its price range in yuan."""

    name = forms.CharField(label="产品名称", max_length=_product_max("name"))
    scenes = forms.MultipleChoiceField(
        label="覆盖场景",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一个场景"},
    )
    price_min = forms.DecimalField(
        label="最低价格（元）",
        min_value=Decimal(0),
        max_value=PRICE_MAX,
        max_digits=PRICE_MAX_DIGITS,
        decimal_places=2,
    )
    price_max = forms.DecimalField(
        label="最高价格（元）",
        min_value=Decimal(0),
        max_value=PRICE_MAX,
        max_digits=PRICE_MAX_DIGITS,
        decimal_places=2,
    )
    description = forms.CharField(
        label="产品简介",
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, scene_names: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["scenes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(code, f"{code} {name}") for code, name in scene_names.items()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", "最高价格不能低于最低价格")
        return data
