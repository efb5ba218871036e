"""Forms of the ledger page: book an entry, reverse one, set the plan. Amounts are read through
`sme_pilot.inputs.parse_number` (bounded, Decimal, never float)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from sme_pilot.inputs import MAX_NUMBER_LENGTH, parse_number

from . import rules
from .choices import Category, EntryKind, PlanLine, Source
from .models import MONEY_DIGITS, NOTE_MAX_LENGTH, REFERENCE_MAX_LENGTH


class MoneyField(forms.CharField):
    """Yuan with at most two decimals, read by `parse_number` (no float, no exponent)."""

    def __init__(self, *, label: str, **kwargs: Any) -> None:
        super().__init__(label=label, max_length=MAX_NUMBER_LENGTH, **kwargs)
        # The length is bounded by `parse_number` (on the text); the validators see the Decimal.
        self.validators = [v for v in self.validators if not isinstance(v, MaxLengthValidator)]

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        label = str(self.label)
        try:
            number = parse_number(
                text, field=label, max_digits=MONEY_DIGITS, decimal_places=2, min=0
            )
        except ValidationError as exc:
            raise ValidationError(exc.message_dict[label][0]) from None
        return number.quantize(rules.CENTS)


class EntryForm(forms.Form):
    entry_on = forms.DateField(label="日期", help_text="到账或支出日期，YYYY-MM-DD")
    kind = forms.ChoiceField(label="收支类型", choices=EntryKind.choices)
    source = forms.ChoiceField(label="资金来源", choices=Source.choices)
    category = forms.ChoiceField(
        label="支出类别",
        choices=[("", "（收入不填）"), *[(c.value, c.label) for c in Category if c.value]],
        required=False,
        help_text="已拨付的企业奖补按改造项目自动计入数字化改造支出，不要重复录入。",
    )
    amount = MoneyField(label="金额（元）", help_text="大于 0，最多两位小数")
    reference = forms.CharField(label="凭证号", max_length=REFERENCE_MAX_LENGTH)
    note = forms.CharField(label="摘要", max_length=NOTE_MAX_LENGTH, required=False)


class ReverseForm(forms.Form):
    entry_on = forms.DateField(label="冲正日期", help_text="YYYY-MM-DD，不早于原分录日期")
    reference = forms.CharField(label="冲正凭证号", max_length=REFERENCE_MAX_LENGTH)
    reason = forms.CharField(
        label="冲正原因",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"必填，不超过 {NOTE_MAX_LENGTH} 个字符。",
    )


def plan_field_name(source: str, line: str) -> str:
    return f"{source}__{line}"


class PlanForm(forms.Form):
    """One amount per source × line; an empty cell removes the line from the plan."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for source in Source:
            for line in PlanLine:
                self.fields[plan_field_name(source.value, line.value)] = MoneyField(
                    label=f"{source.label}·{line.label}（元）", required=False
                )

    def amounts(self) -> dict[tuple[str, str], Decimal | None]:
        return {
            (source.value, line.value): self.cleaned_data.get(
                plan_field_name(source.value, line.value)
            )
            for source in Source
            for line in PlanLine
        }
