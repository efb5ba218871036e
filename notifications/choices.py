"""The kinds of notification, the channels a user may choose per kind, and mail states."""

from __future__ import annotations

from django.db import models


class Kind(models.TextChoices):
    """What a notification is about. Each user chooses a channel per kind (Preferences)."""

    ASSESSMENT_RETURNED = "assessment_returned", "自评被退回"
    ASSESSMENT_CONFIRMED = "assessment_confirmed", "评定结果已确认"
    APPLICATION_REVIEWED = "application_reviewed", "入库申请审核"
    FILING_SUBMITTED = "filing_submitted", "合同备案待审核"
    FILING_APPROVED = "filing_approved", "合同备案通过"
    FILING_RETURNED = "filing_returned", "合同备案被退回"
    ACCEPTANCE_APPLIED = "acceptance_applied", "验收申请待初审"
    ACCEPTANCE_SCHEDULED = "acceptance_scheduled", "现场验收已安排"
    ACCEPTANCE_PASSED = "acceptance_passed", "验收通过"
    ACCEPTANCE_FAILED = "acceptance_failed", "验收未通过"
    SUBSIDY_APPROVED = "subsidy_approved", "奖补已核定"
    SUBSIDY_PAID = "subsidy_paid", "奖补已拨付"
    PROVIDER_STATUS = "provider_status", "服务商库状态变更"
    IMPORT_FINISHED = "import_finished", "批量导入完成"
    IMPORT_FAILED = "import_failed", "批量导入失败"
    REPORT_READY = "report_ready", "报告已生成"
    ACCEPTANCE_OVERDUE = "acceptance_overdue", "逾期未申请验收"
    COMPLETION_OVERDUE = "completion_overdue", "逾期未完工"
    PILOT_ENDING = "pilot_ending", "试点期即将结束"


class Channel(models.TextChoices):
    IN_APP = "in_app", "仅站内"
    EMAIL = "email", "站内和邮件"
    NONE = "none", "不接收"


class MailMode(models.TextChoices):
    IMMEDIATE = "immediate", "即时发送"
    DIGEST = "digest", "每日汇总"


class MailState(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


K = Kind
# The kinds each role can receive: what its preference page offers (the event matrix test checks
# that every notification it sees goes to a role listed here for its kind).
KINDS_BY_ROLE: dict[str, tuple[Kind, ...]] = {
    "enterprise": (
        K.ASSESSMENT_RETURNED,
        K.ASSESSMENT_CONFIRMED,
        K.APPLICATION_REVIEWED,
        K.FILING_APPROVED,
        K.FILING_RETURNED,
        K.ACCEPTANCE_SCHEDULED,
        K.ACCEPTANCE_PASSED,
        K.ACCEPTANCE_FAILED,
        K.SUBSIDY_APPROVED,
        K.SUBSIDY_PAID,
    ),
    "provider": (
        K.FILING_APPROVED,
        K.FILING_RETURNED,
        K.ACCEPTANCE_SCHEDULED,
        K.ACCEPTANCE_PASSED,
        K.ACCEPTANCE_FAILED,
        K.PROVIDER_STATUS,
    ),
    "city_official": (
        K.APPLICATION_REVIEWED,
        K.FILING_SUBMITTED,
        K.ACCEPTANCE_APPLIED,
        K.PROVIDER_STATUS,
        K.IMPORT_FINISHED,
        K.IMPORT_FAILED,
        K.REPORT_READY,
        K.ACCEPTANCE_OVERDUE,
        K.COMPLETION_OVERDUE,
        K.PILOT_ENDING,
    ),
    "district_official": (
        K.ACCEPTANCE_APPLIED,
        K.ACCEPTANCE_PASSED,
        K.ACCEPTANCE_FAILED,
        K.REPORT_READY,
        K.ACCEPTANCE_OVERDUE,
        K.COMPLETION_OVERDUE,
        K.PILOT_ENDING,
    ),
    "assessor": (K.ACCEPTANCE_SCHEDULED, K.REPORT_READY),
    "province_official": (K.REPORT_READY,),
    "ministry": (K.IMPORT_FINISHED, K.IMPORT_FAILED, K.REPORT_READY),
    "admin": (K.IMPORT_FINISHED, K.IMPORT_FAILED, K.REPORT_READY),
}
