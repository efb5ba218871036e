"""The scorecard admin (issue 15 item 4, "Bad input"): weights not summing to 1 or an unknown
indicator are refused with a clear Chinese error; a version a saved score used is read-only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from cities.models import PilotBatch, PilotCity
from oversight.models import CityScore, Scorecard, ScorecardIndicator
from oversight.services import city_scores_save
from tests.oversight import scorecard_world as world

pytestmark = pytest.mark.django_db

ADD = reverse("admin:oversight_scorecard_add")
PREFIX = "indicators"


@pytest.fixture
def admin_client_(client, admin_user_):
    client.force_login(admin_user_)
    return client


def _post(rows: list[tuple[str, str, str]], **fields: str) -> dict[str, str]:
    data = {
        "batch": str(PilotBatch.objects.get(year=2024).pk),
        "version": "1",
        "label": "试行办法",
        "valid_from": "2026-01-01",
        "bands": world_bands(),
        f"{PREFIX}-TOTAL_FORMS": str(len(rows)),
        f"{PREFIX}-INITIAL_FORMS": "0",
        f"{PREFIX}-MIN_NUM_FORMS": "0",
        f"{PREFIX}-MAX_NUM_FORMS": "1000",
    }
    for i, (key, weight, cap) in enumerate(rows):
        data |= {f"{PREFIX}-{i}-key": key, f"{PREFIX}-{i}-weight": weight, f"{PREFIX}-{i}-cap": cap}
    data.update(fields)
    return data


def world_bands() -> str:
    return json.dumps(
        [
            {"label": "优秀", "min": "90"},
            {"label": "合格", "min": "60"},
            {"label": "不合格", "min": "0"},
        ]
    )


GOOD = [("compliance_share", "0.6", ""), ("level_uplift", "0.4", "2")]


def test_add_page_renders_in_chinese(admin_client_):
    response = admin_client_.get(ADD)
    assert response.status_code == 200
    assert "评价指标" in response.content.decode()


def test_a_valid_scorecard_is_saved_with_its_indicators(admin_client_, admin_user_):
    response = admin_client_.post(ADD, _post(GOOD))
    assert response.status_code == 302, response.content.decode()[:2000]
    sc = Scorecard.objects.get()
    assert sc.created_by == admin_user_
    assert [(t.key, str(t.weight), t.cap) for t in sc.terms()] == [
        ("compliance_share", "0.6000", None),
        ("level_uplift", "0.4000", 2),
    ]


@pytest.mark.parametrize(
    ("rows", "fields", "message"),
    [
        ([("compliance_share", "0.6", ""), ("funds_share", "0.3", "")], {},
         "各指标权重之和应为 1（现为 0.9）"),
        ([("gdp_growth", "1", "")], {}, "未知的评价指标“gdp_growth”"),
        ([("funds_share", "0.5", ""), ("funds_share", "0.5", "")], {}, "重复"),
        ([], {}, "评分卡至少需要一个指标"),
        (GOOD, {"bands": '[{"label": "优秀", "min": "90"}]'}, "最后一个等级的分数线应为 0"),
        (GOOD, {"bands": "not json"}, "JSON"),
        ([("compliance_share", "1.5", "")], {}, "小于或等于"),
    ],
)  # fmt: skip
def test_bad_scorecards_are_refused_with_a_chinese_error(admin_client_, rows, fields, message):
    response = admin_client_.post(ADD, _post(rows, **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Scorecard.objects.exists()
    assert not ScorecardIndicator.objects.exists()


def test_a_used_version_is_read_only(admin_client_, city, other_city):
    world.build(city, other_city)
    sc = world.make_scorecard()
    url = reverse("admin:oversight_scorecard_change", args=[sc.pk])
    page = admin_client_.get(url).content.decode()
    assert 'name="label"' in page  # not used yet: editable
    city_scores_save(
        cities=list(PilotCity.objects.select_related("batch")), as_of=world.AS_OF, scorecard=sc
    )
    page = admin_client_.get(url).content.decode()
    assert 'name="label"' not in page and 'name="indicators-0-weight"' not in page
    rows = [(t.key, str(t.weight), "") for t in sc.terms()]
    admin_client_.post(url, _post(rows, label="改过的名称"))
    sc.refresh_from_db()
    assert sc.label == "第 1 版"
    response = admin_client_.post(
        reverse("admin:oversight_scorecard_delete", args=[sc.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Scorecard.objects.filter(pk=sc.pk).exists()
    # Saved scores are read-only too.
    score = CityScore.objects.first()
    assert score is not None
    assert (
        admin_client_.get(reverse("admin:oversight_cityscore_change", args=[score.pk])).status_code
        == 200
    )
    assert admin_client_.get(reverse("admin:oversight_cityscore_add")).status_code == 403


def test_scorecard_clean_refuses_a_used_version(city, other_city):
    from django.core.exceptions import ValidationError

    world.build(city, other_city)
    sc = world.make_scorecard()
    city_scores_save(
        cities=list(PilotCity.objects.select_related("batch")), as_of=world.AS_OF, scorecard=sc
    )
    with pytest.raises(ValidationError, match="新建一个版本"):
        sc.full_clean()
    assert world.make_scorecard(2, valid_from=dt.date(2026, 6, 1)).version == 2
