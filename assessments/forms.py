"""Forms of the assessment pages. They only shape input; the services decide and explain."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from sme_pilot.inputs import RETURN_COMMENT_MAX_LENGTH

from .models import Evidence, Purpose
from .services import SIGNER_MAX_LENGTH

ONSITE_PURPOSES = [(Purpose.BASELINE.value, "改造前"), (Purpose.POST.value, "改造后")]


class NewSelfAssessmentForm(forms.Form):
    purpose = forms.ChoiceField(
        label="评测目的", choices=Purpose.choices, initial=Purpose.SELF_CHECK
    )


class OnsiteStartForm(forms.Form):
    purpose = forms.ChoiceField(label="评定目的", choices=ONSITE_PURPOSES)


class QueueFilterForm(forms.Form):
    """The assessor's queue (待评定) by purpose; empty is every purpose."""

    purpose = forms.ChoiceField(
        label="评定目的",
        choices=[("", "全部"), *ONSITE_PURPOSES],
        required=False,
        error_messages={"invalid_choice": "评定目的：请选择改造前或改造后。"},
    )


class ConfirmForm(forms.Form):
    """The second step of a confirmation: the `edit_version` the preview showed."""

    edit_version = forms.CharField(max_length=19, required=False, widget=forms.HiddenInput)


class AutosaveForm(forms.Form):
    """One changed field of the questionnaire and the version of it the page last saw.

    The value itself is read by `autosave_value`: a list for multi questions (repeated `value`
    parameters, or, as the page sends it, the ticked inputs named after the field).
    """

    field = forms.CharField(max_length=40)
    base_version = forms.IntegerField(min_value=0)


def autosave_value(data: QueryDict, *, field: str, is_list: bool) -> Any:
    key = "value" if "value" in data else field
    if is_list:
        return data.getlist(key)
    return data.get(key, "")


class SubmitForm(forms.Form):
    # Not `required`: the service says what is missing, in one place and in one wording.
    signer_name = forms.CharField(
        label="承诺人姓名",
        max_length=SIGNER_MAX_LENGTH["signer_name"],
        required=False,
        # Typed by the signer, never prefilled (not even by the browser).
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    signer_title = forms.CharField(
        label="承诺人职务",
        max_length=SIGNER_MAX_LENGTH["signer_title"],
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    pledge = forms.BooleanField(label="我已阅读并同意以上真实性承诺", required=False)

    # Service error keys that belong to a field of this form; the rest are form-wide.
    SERVICE_FIELDS = ("signer_name", "signer_title", "pledge")


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="退回意见",
        max_length=RETURN_COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "请写明需要企业更正或补充的内容"}),
    )


class EvidenceUploadForm(forms.Form):
    """One evidence file for one questionnaire item; the service checks the file itself."""

    item = forms.CharField(max_length=Evidence._meta.get_field("item").max_length)
    file = forms.FileField(
        label="佐证材料", error_messages={"required": "请选择要上传的文件", "empty": "文件是空的"}
    )
