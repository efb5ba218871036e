"""The project list as an XLSX file (formula-injection safe, streamed from the database into a
temporary file, through sme_pilot.xlsx)."""

from __future__ import annotations

from typing import IO

from django.db.models import QuerySet

from sme_pilot.xlsx import streamed, write_table_xlsx

from . import rules
from .models import Project
from .selectors import projects as selectors

SHEET_TITLE = "改造项目"
HEADER = (
    "项目编号",
    "统一社会信用代码",
    "企业名称",
    "城市",
    "细分行业",
    "服务商",
    "当前阶段",
    "状态",
    "合同金额（元）",
    *(f"{rules.STAGE_LABELS[s]}日期" for s in rules.STAGES),
)


def status_of(project: Project) -> str:
    for field in rules.OUTCOME_FIELDS:
        if getattr(project, field) is not None:
            return rules.OUTCOME_LABELS[field]
    return ""


def _row(p: Project) -> tuple[object, ...]:
    stage = selectors.furthest(p)
    return (
        p.pk,
        p.enterprise.uscc,
        p.enterprise.name,
        p.enterprise.city.name,
        p.enterprise.sub_industry.name,
        p.provider.name if p.provider else "",
        rules.STAGE_LABELS[stage] if stage else "",
        status_of(p),
        p.contract_amount,
        *(getattr(p, rules.date_field(s)) for s in rules.STAGES),
    )


def projects_xlsx(out: IO[bytes], projects: QuerySet[Project], *, codes: bool = True) -> None:
    """Write the list to `out`, read from the database in chunks; without `codes` (a provider's
    export) the USCC column is left out."""
    rows = (_row(p) for p in streamed(projects))
    if codes:
        write_table_xlsx(out, SHEET_TITLE, HEADER, rows)
    else:
        write_table_xlsx(out, SHEET_TITLE, HEADER[:1] + HEADER[2:], (r[:1] + r[2:] for r in rows))
