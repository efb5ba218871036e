"""How the PDF reports print dates (pure template filters)."""

from __future__ import annotations

from reports.templatetags.report_tags import chinese_date


def test_an_issue_date_prints_as_a_chinese_document_dates_it():
    assert chinese_date("2026-12-04") == "2026年12月4日"
    assert chinese_date("2027-01-31") == "2027年1月31日"
    assert chinese_date(None) == "—"
    assert chinese_date("2026-13-01") == "—"
