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


# --- the pipeline's forms (projects.services.pipeline decides; these only parse) ---------------

COMMENT_MAX = 2000


def _comment(label: str = "说明", *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": f"请填写{label}"},
    )


def _date(label: str) -> forms.DateField:
    """A date picker (ISO value, whatever the locale's display format)."""
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": f"请填写{label}", "invalid": f"{label}不是有效的日期"},
    )


def _money_field(label: str, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        error_messages={
            "required": f"请填写{label}",
            "invalid": f"{label}不是有效的金额",
            "min_value": f"{label}不能为负数",
            "max_digits": f"{label}超出范围",
            "max_whole_digits": f"{label}超出范围",
            "max_decimal_places": f"{label}最多保留两位小数",
        },
    )


class CommentForm(forms.Form):
    comment = _comment("说明（选填）")


class ReasonForm(forms.Form):
    comment = _comment("原因", required=True)


class ApplyForm(forms.Form):
    """The eligibility declaration and pledge (every box must be ticked)."""

    comment = _comment("说明（选填）")

    def __init__(
        self,
        *args: object,
        declaration: dict[str, str],
        for_city: bool = False,
        **kwargs: object,
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        names = [*declaration, "comment"]
        if for_city:  # a city official enters the application for an enterprise of its city
            self.fields["uscc"] = forms.CharField(
                label="企业统一社会信用代码",
                min_length=18,
                max_length=18,
                error_messages={
                    "required": "请填写企业的统一社会信用代码",
                    "min_length": "统一社会信用代码为 18 位",
                    "max_length": "统一社会信用代码为 18 位",
                },
            )
            names.insert(0, "uscc")
        for key, label in declaration.items():
            self.fields[key] = forms.BooleanField(
                label=label, required=True, error_messages={"required": "请确认此项"}
            )
        self.order_fields(names)

    def clean_uscc(self) -> str:
        return str(self.cleaned_data["uscc"]).strip().upper()


class AdmitForm(forms.Form):
    diagnosis_provider = forms.TypedChoiceField(
        label="诊断服务商（选填，留空由本市代理机构诊断）",
        required=False,
        coerce=int,
        empty_value=None,
    )
    comment = _comment("说明（选填）")

    def __init__(self, *args: object, providers: list[tuple[int, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["diagnosis_provider"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "本市代理机构"), *providers]


class DiagnoseForm(forms.Form):
    scenes = forms.MultipleChoiceField(
        label="拟改造场景",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一个改造场景"},
    )
    baseline_assessment = forms.TypedChoiceField(
        label="改造前评测", required=False, coerce=int, empty_value=None
    )
    comment = _comment("诊断意见（选填）")

    def __init__(
        self,
        *args: object,
        scenes: dict[str, str],
        baselines: list[tuple[int, str]],
        **kwargs: object,
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        scene_field = self.fields["scenes"]
        assert isinstance(scene_field, forms.ChoiceField)
        scene_field.choices = [(code, f"{code} {name}") for code, name in scenes.items()]
        baseline = self.fields["baseline_assessment"]
        assert isinstance(baseline, forms.ChoiceField)
        baseline.choices = [("", "暂不关联"), *baselines]
        if baselines:
            baseline.initial = baselines[0][0]


class SelectProviderForm(forms.Form):
    provider = forms.TypedChoiceField(
        label="服务商", coerce=int, error_messages={"required": "请选择服务商"}
    )
    comment = _comment("说明（选填）")

    def __init__(self, *args: object, providers: list[tuple[int, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["provider"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "请选择"), *providers]


class ContractForm(forms.Form):
    contract_no = forms.CharField(
        label="合同编号", max_length=50, error_messages={"required": "请填写合同编号"}
    )
    signed_on = _date("合同签订日期")
    contract_amount = _money_field("合同金额（元）")
    planned_completion_on = _date("计划完工日期")
    comment = _comment("说明（选填）")

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for category in rules.Category:
            eligible = "，计入奖补" if category in rules.ELIGIBLE else ""
            self.fields[category.value] = _money_field(
                f"{rules.CATEGORY_LABELS[category]}（元{eligible}）", required=False
            )
        self.order_fields(
            [
                "contract_no",
                "signed_on",
                "contract_amount",
                "planned_completion_on",
                *(c.value for c in rules.Category),
                "comment",
            ]
        )


class ApplyAcceptanceForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label="对服务商的评价",
        coerce=int,
        choices=[
            (5, "5 分 非常满意"),
            (4, "4 分 满意"),
            (3, "3 分 一般"),
            (2, "2 分 不满意"),
            (1, "1 分 很不满意"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "请为服务商评分"},
    )
    comment = _comment("说明（选填）")


class ScheduleForm(forms.Form):
    on = _date("现场验收日期")
    comment = _comment("说明（选填，如验收地点、联系人）")


class _ChecklistForm(forms.Form):
    def __init__(self, *args: object, checklist: dict[str, str], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for key, label in checklist.items():
            self.fields[key] = forms.BooleanField(label=label, required=False)
        self.order_fields([*checklist])


class AcceptForm(_ChecklistForm):
    comment = _comment("验收意见（选填）")


class FailAcceptanceForm(_ChecklistForm):
    rectification = _comment("整改事项", required=True)


class SubsidyForm(forms.Form):
    central = _money_field("中央资金（元）")
    local = _money_field("地方资金（元）")
    comment = _comment("说明（选填）")


class PaymentForm(SubsidyForm):
    reference = forms.CharField(label="拨付凭证号（选填）", max_length=50, required=False)


# --- 转型样板 (projects.services.samples decides; this only parses) -----------------------------


class SampleForm(forms.Form):
    description = forms.CharField(
        label="案例简介",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="改造做了什么、效果如何、投入产出怎样，供其他企业看样学样（500 字以内）",
        error_messages={
            "required": "请填写案例简介",
            "max_length": "案例简介不能超过 %(limit_value)d 个字符",
        },
    )
    products = forms.MultipleChoiceField(
        label="所用产品",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "所选产品不是该项目服务商的产品"},
    )

    def __init__(
        self, *args: object, products: list[tuple[int, str]] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["products"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(pk), name) for pk, name in products or []]
