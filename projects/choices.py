"""The projects app's enumerations."""

from __future__ import annotations

from django.db import models

from . import rules


class DocType(models.TextChoices):
    """What a project document is (一企一档); the required ones per stage are
    `rules.REQUIRED_DOCUMENTS`."""

    DIAGNOSIS_REPORT = rules.DOC_DIAGNOSIS_REPORT, "诊断报告"
    CONTRACT = rules.DOC_CONTRACT, "合同"
    INVOICE = rules.DOC_INVOICE, "发票"
    PAYMENT_PROOF = rules.DOC_PAYMENT_PROOF, "付款凭证"
    SUMMARY = rules.DOC_SUMMARY, "项目总结"
    DELIVERABLE = "deliverable", "交付物"
    ACCEPTANCE_RECORD = rules.DOC_ACCEPTANCE_RECORD, "验收记录"
    OTHER = "other", "其他"


class FilingState(models.TextChoices):
    """Where the contract filing stands before the city approves it (approved:
    `contract_filed_on`)."""

    NONE = "", "未提交"
    SUBMITTED = "submitted", "待审核"
    RETURNED = "returned", "已退回"
