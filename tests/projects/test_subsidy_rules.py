"""The subsidy policy as data (§4.3, §4.6): the model, the no-overlap service, the
`subsidy_rules` import, the admin and the city's 奖补政策 page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from cities.imports import import_file
from projects import rules
from projects.models import SubsidyRule
from projects.services.subsidy_rules import save_rule
from sme_pilot.errors import Invalid
from tests.cities.import_files import FORMATS, csv_bytes, header, kind_file

pytestmark = pytest.mark.django_db

KIND = "subsidy_rules"


def rule(city, valid_from="2025-01-01", valid_to=None, **values) -> SubsidyRule:
    fields = {
        "rate": Decimal("0.4"),
        "cap_l2": Decimal(300000),
        "cap_l3": Decimal(400000),
        "cap_l4": Decimal(500000),
        "min_level": 2,
        **values,
    }
    return SubsidyRule(
        city=city,
        valid_from=dt.date.fromisoformat(valid_from),
        valid_to=dt.date.fromisoformat(valid_to) if valid_to else None,
        **fields,
    )


def record(**values: str) -> dict[str, str]:
    return {
        "city_code": "HHHT",
        "valid_from": "2024-01-01",
        "valid_to": "2024-12-31",
        "rate": "0.5",
        "cap_l2": "300000",
        "cap_l3": "400000",
        "cap_l4": "500000",
        "min_level": "2",
        **values,
    }


def run(content: bytes, *, actor=None, dry_run=False):
    return import_file(kind=KIND, content=content, actor=actor, dry_run=dry_run)


def messages(result) -> list[tuple[int | None, str, str]]:
    return [(e.row, e.column, e.message) for e in result.errors]


# --- the model -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"rate": Decimal("1.0001")}, "projects_subsidyrule_rate_range"),
        ({"rate": Decimal("-0.1")}, "projects_subsidyrule_rate_range"),
        ({"cap_l3": Decimal("-0.01")}, "projects_subsidyrule_caps_not_negative"),
        ({"min_level": 1}, "projects_subsidyrule_min_level_range"),
        ({"min_level": 5}, "projects_subsidyrule_min_level_range"),
        ({"valid_to": dt.date(2024, 12, 31)}, "projects_subsidyrule_valid_to_after_from"),
    ],
)
def test_the_database_refuses_impossible_rules(city, values, constraint):
    candidate = rule(city)
    for name, value in values.items():
        setattr(candidate, name, value)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        candidate.save()


def test_one_rule_per_city_and_start(city, other_city):
    rule(city).save()
    rule(other_city).save()  # another city may start on the same day
    with (
        pytest.raises(IntegrityError, match="projects_subsidyrule_city_valid_from_unique"),
        transaction.atomic(),
    ):
        rule(city, valid_to="2025-03-01").save()


def test_terms_are_the_pure_rules_view_of_a_rule(city):
    saved = rule(city, "2024-01-01", "2024-12-31", rate=Decimal("0.5"), min_level=3)
    terms = saved.terms()
    assert terms == rules.SubsidyTerms(
        valid_from=dt.date(2024, 1, 1),
        valid_to=dt.date(2024, 12, 31),
        rate=Decimal("0.5"),
        caps={2: Decimal(300000), 3: Decimal(400000), 4: Decimal(500000)},
        min_level=3,
    )
    assert saved.period == "2024-01-01 至 2024-12-31"
    assert rule(city).period == "2025-01-01 起"
    assert rule(city).rate_percent == "40%"


# --- the service ---------------------------------------------------------------------------


def test_save_rule_refuses_an_overlap_and_names_the_other_rule(city, city_official):
    save_rule(rule(city, "2024-01-01", "2024-12-31"), actor=city_official)
    with pytest.raises(Invalid) as refused:
        save_rule(rule(city, "2024-12-31"), actor=city_official)
    assert refused.value.message == (
        "适用期与已有的奖补规则（2024-01-01 至 2024-12-31）重叠：同一城市的奖补规则适用期不能重叠"
    )
    assert SubsidyRule.objects.count() == 1


def test_save_rule_allows_adjacent_ranges_other_cities_and_changing_itself(
    city, other_city, city_official
):
    first = save_rule(rule(city, "2024-01-01", "2024-12-31"), actor=city_official)
    save_rule(rule(city, "2025-01-01"), actor=city_official)
    save_rule(rule(other_city, "2024-06-01"), actor=None)
    first.rate = Decimal("0.45")
    save_rule(first, actor=city_official)  # its own range is no overlap
    assert first.created_by == city_official
    assert SubsidyRule.objects.get(pk=first.pk).rate == Decimal("0.4500")
    assert SubsidyRule.objects.count() == 3


def test_save_rule_checks_the_models_rules(city):
    with pytest.raises(Exception, match="不能早于"):
        save_rule(rule(city, "2025-01-01", "2024-12-31"), actor=None)
    assert not SubsidyRule.objects.exists()


# --- the import ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("chinese", [False, True], ids=["english-header", "chinese-header"])
def test_rules_import_in_every_format(city, fmt, chinese):
    records = [
        record(),
        record(valid_from="2025-01-01", valid_to="", rate="0.4", min_level="三级"),
    ]
    result = run(kind_file(KIND, records, fmt, chinese=chinese))
    assert messages(result) == []
    assert (result.created, result.written) == (2, True)
    first, second = SubsidyRule.objects.order_by("valid_from")
    assert first.terms() == rules.SubsidyTerms(
        dt.date(2024, 1, 1),
        dt.date(2024, 12, 31),
        Decimal("0.5"),
        {2: Decimal(300000), 3: Decimal(400000), 4: Decimal(500000)},
        2,
    )
    assert (second.valid_to, second.rate, second.min_level) == (None, Decimal("0.4"), 3)
    assert first.history.count() == 1


def test_importing_twice_changes_nothing_and_a_changed_row_updates(city):
    content = kind_file(KIND, [record()])
    run(content)
    again = run(content)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    changed = run(kind_file(KIND, [record(rate="0.45", cap_l4="600000.5")]))
    assert (changed.created, changed.updated) == (0, 1)
    saved = SubsidyRule.objects.get()
    assert (saved.rate, saved.cap_l4) == (Decimal("0.45"), Decimal("600000.50"))


def test_without_a_min_level_column_a_new_rule_has_two_and_a_saved_one_keeps_its_own(city):
    run(kind_file(KIND, [record(min_level="4")]))
    names = [n for n in header(KIND) if n != "min_level"]
    rows = [names, [record(rate="0.3")[n] for n in names]]
    result = run(csv_bytes(rows))
    assert messages(result) == []
    assert SubsidyRule.objects.get().min_level == 4
    run(csv_bytes([names, [record(valid_from="2026-01-01", valid_to="")[n] for n in names]]))
    assert SubsidyRule.objects.get(valid_from="2026-01-01").min_level == 2


def test_overlaps_inside_the_file_name_both_rows_and_nothing_is_written(city):
    result = run(
        kind_file(
            KIND,
            [
                record(),
                record(valid_from="2024-12-31", valid_to=""),
                record(valid_from="2023-01-01", valid_to="2023-12-31"),
            ],
        )
    )
    assert messages(result) == [
        (
            3,
            "valid_from",
            "适用期与第 2 行（2024-01-01 至 2024-12-31）重叠：同一城市的奖补规则适用期不能重叠",
        )
    ]
    assert not result.written
    assert not SubsidyRule.objects.exists()


def test_an_overlap_with_a_saved_rule_names_it(city):
    save_rule(rule(city, "2025-01-01"), actor=None)
    result = run(kind_file(KIND, [record(valid_to="2025-01-01")]))
    assert messages(result) == [
        (
            2,
            "valid_from",
            "适用期与已有的奖补规则（2025-01-01 起）重叠：同一城市的奖补规则适用期不能重叠",
        )
    ]
    # Closing the saved rule's range in the same file makes room for the new one.
    result = run(
        kind_file(
            KIND,
            [
                record(valid_from="2025-01-01", valid_to="2025-06-30"),
                record(valid_from="2025-07-01", valid_to=""),
            ],
        )
    )
    assert messages(result) == []
    assert (result.created, result.updated) == (1, 1)


@pytest.mark.parametrize(
    ("values", "column", "message"),
    [
        ({"rate": "1.5"}, "rate", "“1.5”无效：不能大于 1"),
        ({"rate": "0.12345"}, "rate", "“0.12345”无效：最多 4 位小数"),
        ({"rate": "40%"}, "rate", "“40%”无效：请填写数字"),
        ({"cap_l2": "-1"}, "cap_l2", "“-1”无效：不能小于 0"),
        ({"cap_l3": "1e5"}, "cap_l3", "“1e5”无效：请填写数字"),
        ({"cap_l4": "0.001"}, "cap_l4", "“0.001”无效：最多 2 位小数"),
        ({"min_level": "一级"}, "min_level", "最低等级“一级”无效"),
        ({"valid_from": "2024/01/01"}, "valid_from", "日期格式错误"),
        ({"valid_to": "2023-12-31"}, "valid_to", "适用完工日期止（2023-12-31）不能早于"),
        ({"city_code": "NOPE"}, "city_code", "试点城市“NOPE”不存在"),
    ],
)
def test_bad_cells_name_row_and_column_and_write_nothing(city, values, column, message):
    result = run(kind_file(KIND, [record(valid_from="2026-01-01", valid_to=""), record(**values)]))
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.row, error.column) == (3, column)
    assert message in error.message
    assert not SubsidyRule.objects.exists()


def test_duplicate_keys_are_an_error(city):
    result = run(kind_file(KIND, [record(), record(rate="0.3")]))
    assert [(e.row, e.message) for e in result.errors] == [(3, "与第 2 行重复")]


def test_dry_run_counts_and_writes_nothing(city):
    result = run(kind_file(KIND, [record()]), dry_run=True)
    assert (result.created, result.written) == (1, False)
    assert not SubsidyRule.objects.exists()


def test_a_city_official_imports_their_own_city_only(city, other_city, city_official):
    own = run(kind_file(KIND, [record(city_code="")]), actor=city_official)
    assert messages(own) == []
    assert SubsidyRule.objects.get().created_by == city_official
    other = run(
        kind_file(KIND, [record(city_code="NB", valid_from="2030-01-01")]), actor=city_official
    )
    assert messages(other) == [(2, "city_code", "不能导入其他城市的数据")]
    assert not SubsidyRule.objects.filter(city=other_city).exists()


def test_the_import_kind_is_offered_to_city_officials(city_official, enterprise_user):
    from cities.imports.service import importable_kinds

    assert KIND in importable_kinds(city_official)
    assert KIND in importable_kinds(None)
    assert KIND not in importable_kinds(enterprise_user)


# --- the page ------------------------------------------------------------------------------


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_policy_page_explains_each_rule_with_an_example(city, city_official):
    save_rule(rule(city, "2024-01-01", "2024-12-31", rate=Decimal("0.5")), actor=None)
    save_rule(rule(city, "2025-01-01"), actor=None)
    page = logged_in(city_official).get(reverse("projects:subsidy_policy", args=[city.code]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "2024-01-01 至 2024-12-31" in html
    assert "2025-01-01 起" in html
    assert "50%" in html and "40%" in html
    assert rules.example(SubsidyRule.objects.get(valid_from="2025-01-01").terms()) in html
    assert "软件、云服务、数据采集传输设备" in html
    assert 'id="import-link"' in html
    assert "?kind=subsidy_rules" in html
    assert 'data-label="适用完工日期"' in html


def test_the_policy_page_without_rules_says_so(city, city_official):
    page = logged_in(city_official).get(reverse("projects:subsidy_policy", args=[city.code]))
    assert "本市尚未录入奖补规则" in page.content.decode()


def test_ministry_reads_the_policy_without_the_import_link(city, ministry_user):
    save_rule(rule(city), actor=None)
    page = logged_in(ministry_user).get(reverse("projects:subsidy_policy", args=[city.code]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "2025-01-01 起" in html
    assert 'id="import-link"' not in html


def test_another_citys_official_gets_404(city, other_city_official):
    page = logged_in(other_city_official).get(reverse("projects:subsidy_policy", args=[city.code]))
    assert page.status_code == 404


def test_the_city_dashboard_links_to_the_policy(city, city_official):
    page = logged_in(city_official).get(reverse("oversight:city_dashboard", args=[city.code]))
    assert reverse("projects:subsidy_policy", args=[city.code]) in page.content.decode()


# --- the admin -----------------------------------------------------------------------------


def admin_form(city, **values: str) -> dict[str, str]:
    return {
        "city": str(city.pk),
        "valid_from": "2025-01-01",
        "valid_to": "",
        "rate": "0.4",
        "cap_l2": "300000",
        "cap_l3": "400000",
        "cap_l4": "500000",
        "min_level": "2",
        **values,
    }


def test_the_admin_adds_a_rule_and_records_who(city, admin_user_):
    client = logged_in(admin_user_)
    answer = client.post(reverse("admin:projects_subsidyrule_add"), admin_form(city))
    assert answer.status_code == 302
    assert SubsidyRule.objects.get().created_by == admin_user_


def test_the_admin_refuses_an_overlap_on_the_form(city, admin_user_):
    save_rule(rule(city, "2024-01-01", "2024-12-31"), actor=None)
    client = logged_in(admin_user_)
    answer = client.post(
        reverse("admin:projects_subsidyrule_add"), admin_form(city, valid_from="2024-06-01")
    )
    assert answer.status_code == 200
    assert "适用期与已有的奖补规则（2024-01-01 至 2024-12-31）重叠" in answer.content.decode()
    assert SubsidyRule.objects.count() == 1


def test_the_admin_refuses_a_backwards_range_on_the_form(city, admin_user_):
    client = logged_in(admin_user_)
    answer = client.post(
        reverse("admin:projects_subsidyrule_add"), admin_form(city, valid_to="2024-12-31")
    )
    assert answer.status_code == 200
    assert "适用完工日期止不能早于适用完工日期起" in answer.content.decode()
    assert not SubsidyRule.objects.exists()
