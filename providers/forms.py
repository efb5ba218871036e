"""Forms of the library pages: add a provider to the city's library, change an entry's status."""

from __future__ import annotations

from django import forms
from django.db import models

from .choices import LibraryStatus, ProviderCategory
from .models import REASON_MAX_LENGTH, Provider


def _max(name: str) -> int:
    field = Provider._meta.get_field(name)
    assert isinstance(field, models.Field) and field.max_length is not None
    return field.max_length


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
