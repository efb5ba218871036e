"""Issue 12: the dashboards speak to officials — words, not formulas; tiers by name; forecasts
in whole enterprises; the report button in the page header, named as the report is."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.cache import cache
from django.urls import reverse

from cities.models import PilotBatch
from oversight import compliance
from oversight.selectors.dashboard._common import counted_description, whole_enterprises
from oversight.selectors.dashboard.city import _verdict
from tests.assessments.factories import confirmed_level
from tests.cities.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

# Arithmetic notation that must not reach a reader: operators, ceilings, "=" and a leading "+".
NOTATION = re.compile(r"[÷×⌈⌉=*]|\s[-+/]\s|(?<![\w%])\+\d")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seeded(city, sub_industry):
    for i in range(5):
        e = EnterpriseFactory(sub_industry=sub_industry, above_scale=i % 2 == 0)
        confirmed_level(e, 2 if i < 3 else 1, days_ago=30)
    below = EnterpriseFactory(sub_industry=sub_industry, above_scale=False)
    confirmed_level(below, 0, days_ago=90)
    confirmed_level(below, 2, days_ago=2)
    return city


def visible_texts(page: str) -> list[str]:
    """The hints and verdicts a person reads (tags stripped)."""
    found = re.findall(r'<p class="hint"[^>]*>(.*?)</p>', page, re.S)
    found += re.findall(r'<td class="verdict[^"]*">(.*?)</td>', page, re.S)
    found += re.findall(r'<b id="uplift-pp">(.*?)</b>', page, re.S)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in found]


def rule(**changes):
    base = {
        "threshold": Decimal("0.8"),
        "min_level": 2,
        "counted_tiers": frozenset({"provincial_srdi", "little_giant"}),
    }
    return compliance.Rule(**{**base, **changes})


def test_counted_tiers_are_named_from_the_batch():
    assert counted_description(rule()) == (
        "规上工业中小企业和省级专精特新企业、国家级专精特新小巨人企业"
    )
    assert counted_description(rule(counted_tiers=frozenset({"little_giant"}))) == (
        "规上工业中小企业和国家级专精特新小巨人企业"
    )
    assert counted_description(rule(count_above_scale=False)) == (
        "省级专精特新企业、国家级专精特新小巨人企业"
    )
    assert counted_description(rule(counted_tiers=frozenset())) == "规上工业中小企业"


def test_the_city_dashboard_names_the_batchs_tiers(client, city_official, seeded):
    client.force_login(city_official)
    page = client.get(reverse("oversight:city_dashboard", args=["HHHT"])).content.decode()
    assert "类优质企业" not in page
    assert (
        "规上工业中小企业和省级专精特新企业、国家级专精特新小巨人企业（即计入分母的企业）" in page
    )
    # The batch is data: change it and the words follow.
    PilotBatch.objects.filter(pk=seeded.batch_id).update(counted_tiers=["innovative"])
    cache.clear()
    page = client.get(reverse("oversight:city_dashboard", args=["HHHT"])).content.decode()
    assert "规上工业中小企业和创新型中小企业（即计入分母的企业）" in page


def test_forecasts_are_whole_enterprises():
    assert whole_enterprises(Fraction(126, 10)) == 13
    assert whole_enterprises(Fraction(25, 2)) == 13
    assert whole_enterprises(Decimal("12.4")) == 12
    counts = compliance.SubIndustryResult(
        code="FOOD",
        name="特色食品",
        denominator=20,
        at_or_above=10,
        ratio=Decimal("0.5"),
        compliant=False,
        shortfall=6,
    )
    end = dt.date(2027, 6, 30)
    verdict, text = _verdict(counts, Fraction(126, 10), 16, dt.date(2026, 12, 4), end, "二级")
    assert verdict == "at_risk"
    assert "约有 13 家达到二级及以上，需 16 家" in text
    assert "12.6" not in text


def test_city_dashboard_texts_are_words_not_formulas(client, city_official, seeded):
    client.force_login(city_official)
    page = client.get(reverse("oversight:city_dashboard", args=["HHHT"])).content.decode()
    texts = visible_texts(page)
    assert len(texts) >= 6, texts
    assert [t for t in texts if NOTATION.search(t)] == []
    # The below-scale uplift, in words (one of three below-scale enterprises went 0 → 2).
    assert "提高 33.33 个百分点" in texts


def test_national_dashboard_texts_are_words_not_formulas(client, ministry_user, seeded):
    client.force_login(ministry_user)
    page = client.get(reverse("oversight:national_dashboard")).content.decode()
    texts = visible_texts(page)
    assert texts and [t for t in texts if NOTATION.search(t)] == []
    assert "÷" not in page


@pytest.mark.parametrize(
    ("url", "label"),
    [
        (lambda: reverse("oversight:city_dashboard", args=["HHHT"]), "生成城市试点绩效报告"),
        (lambda: reverse("oversight:national_dashboard"), "生成全国试点汇总报告"),
    ],
)
def test_the_report_button_sits_in_the_page_header(client, ministry_user, seeded, url, label):
    client.force_login(ministry_user)
    page = client.get(url()).content.decode()
    head = re.search(r'<header class="page-head" id="page-head">(.*?)</header>', page, re.S)
    assert head is not None
    assert "<h1>" in head.group(1)
    assert 'id="report-request-form"' in head.group(1)
    assert f'<button type="submit" class="primary">{label}</button>' in head.group(1)
    assert page.count('id="report-request-form"') == 1
