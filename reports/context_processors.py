"""`report_names` in every template: each report's one name, its ReportKind label, for the
request buttons wherever they are ("生成{{ report_names.city }}")."""

from __future__ import annotations

from django.http import HttpRequest

from .choices import ReportKind

REPORT_NAMES = {kind.value: kind.label for kind in ReportKind}


def report_names(request: HttpRequest) -> dict[str, dict[str, str]]:
    return {"report_names": REPORT_NAMES}
