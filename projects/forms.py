"""Forms of the project pages."""

from __future__ import annotations

from django import forms

from . import rules
from .choices import DocType


class DocumentUploadForm(forms.Form):
    stage = forms.ChoiceField(
        label="所属阶段", choices=[(s.value, rules.STAGE_LABELS[s]) for s in rules.STAGES]
    )
    doc_type = forms.ChoiceField(label="材料类型", choices=DocType.choices)
    file = forms.FileField(label="文件", max_length=255)

    def __init__(self, *args: object, stages: list[rules.Stage] | None = None, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if stages is not None:
            field = self.fields["stage"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(s.value, rules.STAGE_LABELS[s]) for s in stages]
            if stages:
                field.initial = stages[-1].value
