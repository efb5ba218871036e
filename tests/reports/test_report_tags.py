"""How the PDF reports print dates and the city report's figures (pure template filters)."""

from __future__ import annotations

from reports.templatetags.report_tags import (
    chinese_date,
    level_name,
    mean,
    scorecard_raw,
    stars,
    yuan,
)


def test_an_issue_date_prints_as_a_chinese_document_dates_it():
    assert chinese_date("2026-12-04") == "2026年12月4日"
    assert chinese_date("2027-01-31") == "2027年1月31日"
    assert chinese_date(None) == "—"
    assert chinese_date("2026-13-01") == "—"


def test_the_city_reports_figures_print_exactly_and_readably():
    assert yuan("90000000.00") == "90,000,000.00" and yuan(None) == "—"
    assert mean("4.2000") == "4.20" and mean("4.3333") == "4.3333" and mean("2") == "2.00"
    assert mean(None) == "—"
    assert scorecard_raw("0.3333", "ratio") == "33.33%"
    assert scorecard_raw("1.5000", "levels") == "1.50 级"
    assert scorecard_raw("4.5000", "rating") == "4.50 分"
    assert scorecard_raw(None, "ratio") == "缺失（按 0 分计）"
    assert stars(4) == "★4" and stars(None) == "暂不评级"
    assert level_name(2) == "二级" and level_name(0) == "未达一级" and level_name(None) == "未评定"
