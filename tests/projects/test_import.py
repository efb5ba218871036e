"""The `projects` import kind (docs/rules.md §4.6): upserts, all or nothing, every error at once."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from cities.imports import import_file
from cities.models import Enterprise
from projects.models import InvestmentLine, Project, ProjectEvent, SubsidyRule
from providers.choices import LibraryStatus
from providers.models import LibraryEntry, Provider
from tests.cities.factories import EnterpriseFactory, make_uscc
from tests.cities.import_files import FORMATS, kind_file

pytestmark = pytest.mark.django_db

PROVIDER_USCC = make_uscc(900_001)


def run(content: bytes, *, actor=None, dry_run=False, kind="projects"):
    return import_file(kind=kind, content=content, actor=actor, dry_run=dry_run)


def messages(result) -> list[tuple[int | None, str, str]]:
    return [(e.row, e.column, e.message) for e in result.errors]


def columns(result) -> set[tuple[int | None, str]]:
    return {(e.row, e.column) for e in result.errors}


@pytest.fixture
def provider(city):
    """In the city's library, suspended: an import records history, so any status will do."""
    provider = Provider.objects.create(
        uscc=PROVIDER_USCC, name="示例数字科技有限公司", category="integrator"
    )
    LibraryEntry.objects.create(
        provider=provider, city=city, status=LibraryStatus.SUSPENDED, status_changed_at=now()
    )
    return provider


@pytest.fixture
def policy(city):
    return SubsidyRule.objects.create(
        city=city,
        valid_from="2024-01-01",
        valid_to=None,
        rate=Decimal("0.5"),
        cap_l2=Decimal("300000"),
        cap_l3=Decimal("400000"),
        cap_l4=Decimal("500000"),
        min_level=2,
    )


def post_level(enterprise, level: int, assessed_on: str = "2025-09-25") -> None:
    record = {
        "uscc": enterprise.uscc,
        "assessed_on": assessed_on,
        "purpose": "post",
        "method": "onsite",
        "level": level,
    }
    result = run(kind_file("levels", [record]), kind="levels")
    assert result.written, messages(result)


def paid(uscc: str, **overrides: Any) -> dict[str, Any]:
    """A project paid its subsidy: every stage, contract, lines, rating and amounts."""
    record: dict[str, Any] = {
        "uscc": uscc,
        "provider_uscc": PROVIDER_USCC,
        "contract_no": "HT-2025-001",
        "contract_amount": "500000.00",
        "planned_completion_on": "2025-10-01",
        "software": "200000",
        "cloud": "50000.50",
        "it_ops": "30000",
        "applied_on": "2025-01-10",
        "admitted_on": "2025-02-01",
        "diagnosed_on": "2025-03-01",
        "provider_selected_on": "2025-04-01",
        "contract_filed_on": "2025-05-01",
        "completed_on": "2025-09-20",
        "acceptance_applied_on": "2025-10-10",
        "accepted_on": "2025-11-20",
        "subsidy_approved_on": "2026-01-10",
        "subsidy_paid_on": "2026-03-01",
        "satisfaction": "5",
        # Entitlement: min(0.5 × 250,000.50, level-3 cap 400,000) = 125,000.25.
        "subsidy_central": "100000",
        "subsidy_local": "25000.25",
    }
    record.update(overrides)
    return record


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("chinese", [False, True], ids=["english-header", "chinese-header"])
def test_a_paid_project_in_every_format(fmt, chinese, enterprise, provider, policy):
    post_level(enterprise, 3)
    result = run(kind_file("projects", [paid(enterprise.uscc)], fmt, chinese=chinese))
    assert result.written, messages(result)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    project = Project.objects.get(enterprise=enterprise)
    assert project.provider == provider
    assert project.subsidy_local == Decimal("25000.25")
    assert str(project.subsidy_paid_on) == "2026-03-01"
    lines = dict(project.lines.values_list("category", "amount"))
    assert lines == {
        "software": Decimal("200000.00"),
        "cloud": Decimal("50000.50"),
        "it_ops": Decimal("30000.00"),
    }
    event = project.events.get()
    assert (event.move, event.stage, event.comment) == ("import", "subsidy_paid", "批量导入")


def test_importing_twice_changes_nothing_and_a_line_change_updates(
    enterprise, provider, policy, city_official
):
    post_level(enterprise, 3)
    content = kind_file("projects", [paid(enterprise.uscc)])
    assert run(content, actor=city_official).written
    again = run(content, actor=city_official)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert ProjectEvent.objects.count() == 1

    changed = run(kind_file("projects", [paid(enterprise.uscc, it_ops="", cabling="1000")]))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    project = Project.objects.get(enterprise=enterprise)
    assert dict(project.lines.values_list("category", "amount")) == {
        "software": Decimal("200000.00"),
        "cloud": Decimal("50000.50"),
        "cabling": Decimal("1000.00"),
    }
    first, second = project.events.order_by("id")
    assert first.actor == city_official and second.actor is None
    assert project.history.count() == 2


def test_a_dry_run_writes_nothing_not_even_at_the_next_import(enterprise, provider, policy):
    post_level(enterprise, 3)
    result = run(kind_file("projects", [paid(enterprise.uscc)]), dry_run=True)
    assert result.ok and not result.written and result.created == 1
    # Another kind's import sends the same "written" signal: the dry run's lines stay unwritten.
    post_level(enterprise, 3, assessed_on="2025-10-01")
    assert not Project.objects.exists()
    assert not InvestmentLine.objects.exists() and not ProjectEvent.objects.exists()


def test_every_error_is_reported_in_one_pass_and_nothing_is_written(
    city, city_official, provider, policy
):
    ents = [EnterpriseFactory(sub_industry__city=city) for _ in range(13)]
    other = EnterpriseFactory()  # another city's
    elsewhere = Provider.objects.create(uscc=make_uscc(900_003), name="外地", category="product")
    LibraryEntry.objects.create(provider=elsewhere, city=other.city, status_changed_at=now())
    post_level(ents[6], 1)  # below the minimum level
    post_level(ents[7], 4)
    u = [e.uscc for e in ents]
    first = {"applied_on": "2025-01-10"}
    records = [
        paid(u[0]),  # row 2: fine (no after-level though: see below) -> accepted error
        {"uscc": u[1], **first, "diagnosed_on": "2025-03-01"},  # row 3: no admitted_on
        {"uscc": u[2], "applied_on": "2025-03-01", "admitted_on": "2025-02-01"},  # row 4
        paid(u[3], provider_uscc=make_uscc(900_002)),  # row 5: provider not in the library
        paid(u[4], provider_uscc=""),  # row 6: provider required
        {"uscc": u[5], **first, "admitted_on": "2025-02-01", "rejected_on": "2025-02-03"},
        paid(u[6]),  # row 8: after-level 1 < 2
        paid(u[7], subsidy_central="300000"),  # row 9: above the entitlement
        {"uscc": u[8], **first, "satisfaction": "6"},  # row 10
        {"uscc": u[9], **first, "software": "-5"},  # row 11
        {  # row 12: lines above the contract amount
            "uscc": u[10],
            **first,
            "admitted_on": "2025-02-01",
            "diagnosed_on": "2025-03-01",
            "provider_selected_on": "2025-04-01",
            "provider_uscc": PROVIDER_USCC,
            "contract_filed_on": "2025-05-01",
            "contract_no": "HT-1",
            "contract_amount": "1000",
            "planned_completion_on": "2025-10-01",
            "software": "800",
            "cloud": "300",
        },
        {"uscc": other.uscc, **first},  # row 13: another city's enterprise
        {"uscc": u[11], **first, "satisfaction": "4"},  # row 14: rating without acceptance
        paid(u[12], provider_uscc=elsewhere.uscc),  # row 15: in another city's library only
    ]
    result = run(kind_file("projects", records), actor=city_official)
    assert not result.written
    found = columns(result)
    expected = {
        (2, "accepted_on"),
        (3, "diagnosed_on"),
        (4, "admitted_on"),
        (5, "provider_uscc"),
        (6, "provider_uscc"),
        (7, "rejected_on"),
        (8, "accepted_on"),
        (9, "subsidy_central"),
        (10, "satisfaction"),
        (11, "software"),
        (12, "contract_amount"),
        (13, "uscc"),
        (14, "satisfaction"),
        (15, "provider_uscc"),
    }
    assert expected <= found, messages(result)
    text = dict(((row, col), msg) for row, col, msg in messages(result))
    assert "请先导入" in text[(2, "accepted_on")]
    assert "缺少入库日期" in text[(3, "diagnosed_on")]
    assert "不能早于申报日期" in text[(4, "admitted_on")]
    assert "不在本市服务商库中" in text[(5, "provider_uscc")]
    assert "不在本市服务商库中" in text[(15, "provider_uscc")]
    assert "低于验收要求的 2 级" in text[(8, "accepted_on")]
    assert "超过应享奖补 125000.25 元" in text[(9, "subsidy_central")]
    assert "1 到 5" in text[(10, "satisfaction")]
    assert "负数" in text[(11, "software")]
    assert "超过合同金额 1000.00 元" in text[(12, "contract_amount")]
    assert "不是本市已登记的企业" in text[(13, "uscc")]
    assert not Project.objects.exists() and not InvestmentLine.objects.exists()


def test_an_unknown_enterprise_is_named(provider):
    result = run(kind_file("projects", [{"uscc": make_uscc(900_003), "applied_on": "2025-01-10"}]))
    assert messages(result) == [(2, "uscc", f"企业“{make_uscc(900_003)}”不存在")]


def test_contract_and_subsidy_fields_are_required_with_their_dates(enterprise, provider, policy):
    post_level(enterprise, 3)
    record = paid(enterprise.uscc, contract_no="", subsidy_local="")
    result = run(kind_file("projects", [record]))
    assert {(2, "contract_no"), (2, "subsidy_local")} <= columns(result), messages(result)


def test_without_a_subsidy_rule_the_entitlement_is_zero(enterprise, provider):
    post_level(enterprise, 3)
    result = run(kind_file("projects", [paid(enterprise.uscc)]))
    assert (2, "subsidy_central") in columns(result)
    # Accepted but no subsidy approved yet: fine without a rule (batch minimum level 2).
    record = paid(
        enterprise.uscc,
        subsidy_approved_on="",
        subsidy_paid_on="",
        subsidy_central="",
        subsidy_local="",
    )
    assert run(kind_file("projects", [record])).written


def test_the_after_level_must_be_dated_from_completion_to_acceptance(enterprise, provider, policy):
    post_level(enterprise, 3, assessed_on="2025-09-19")  # the day before completion
    post_level(enterprise, 3, assessed_on="2025-11-21")  # the day after acceptance
    result = run(kind_file("projects", [paid(enterprise.uscc)]))
    assert (2, "accepted_on") in columns(result)
    post_level(enterprise, 2, assessed_on="2025-11-20")  # on the acceptance day: counts
    # Level 2: the entitlement is min(125,000.25, 300,000).
    assert run(kind_file("projects", [paid(enterprise.uscc)])).written


def _rows(n: int, city) -> list[dict[str, Any]]:
    ents = [EnterpriseFactory(sub_industry__city=city) for _ in range(n)]
    for e in ents:
        post_level(e, 3)
    return [paid(e.uscc) for e in ents]


def test_query_count_does_not_grow_with_the_rows(city, provider, policy):
    def count(records: list[dict[str, Any]]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            result = run(kind_file("projects", records))
        assert result.written, messages(result)
        return len(ctx.captured_queries)

    assert count(_rows(2, city)) == count(_rows(20, city))


# --- a file written in parts (`Plan.parts`: on PostgreSQL while the next part is checked) ------


@pytest.fixture
def parts_of_two(monkeypatch):
    from projects import project_import

    monkeypatch.setattr(project_import, "PART_ROWS", 2)


def test_a_file_in_parts_writes_every_row_its_lines_events_and_history(
    city, provider, policy, city_official, parts_of_two
):
    records = _rows(5, city)
    result = run(kind_file("projects", records), actor=city_official)
    assert result.written, messages(result)
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    assert Project.objects.count() == 5 and Project.history.count() == 5
    assert InvestmentLine.objects.count() == 15
    assert ProjectEvent.objects.count() == 5
    assert set(ProjectEvent.objects.values_list("stage", "actor", "comment")) == {
        ("subsidy_paid", city_official.pk, "批量导入")
    }
    # The same file again, one row changed: one update, in its own part.
    records[3] = {**records[3], "it_ops": "", "cabling": "1000"}
    again = run(kind_file("projects", records), actor=city_official)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 4)
    assert Project.history.count() == 6 and ProjectEvent.objects.count() == 6
    assert InvestmentLine.objects.count() == 15


def test_each_parts_lines_and_events_go_to_its_own_projects(city, provider, policy, parts_of_two):
    """The follow-up rows use the ids the writer just gave the new projects (and the saved ids
    of the updated ones): every line and event must land on its own row's project."""
    records = _rows(5, city)
    for i, record in enumerate(records):
        record["software"] = str(200_001 + i)

    def check(expected_events: dict[str, int]) -> None:
        for record in records:
            project = Project.objects.get(enterprise__uscc=record["uscc"])
            software = project.lines.get(category="software").amount
            assert software == Decimal(record["software"]), record["uscc"]
            assert project.events.count() == expected_events.get(record["uscc"], 1)

    assert run(kind_file("projects", records)).written
    check({})
    # Again with the first row's lines changed (an update) and two new rows after it.
    records[0] = {**records[0], "software": "201999"}
    records += [{**r, "software": str(210_000 + i)} for i, r in enumerate(_rows(2, city))]
    again = run(kind_file("projects", records))
    assert (again.created, again.updated, again.unchanged) == (2, 1, 4), messages(again)
    check({records[0]["uscc"]: 2})


def test_an_error_in_a_later_part_undoes_the_parts_already_written(
    city, provider, policy, parts_of_two
):
    records = _rows(4, city)
    records.append(paid(make_uscc(900_004)))  # row 6, in the third part: no such enterprise
    result = run(kind_file("projects", records))
    assert not result.written
    assert messages(result) == [(6, "uscc", f"企业“{make_uscc(900_004)}”不存在")]
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    assert not Project.objects.exists() and not Project.history.exists()
    assert not InvestmentLine.objects.exists() and not ProjectEvent.objects.exists()


def test_a_dry_run_in_parts_writes_nothing(city, provider, policy, parts_of_two):
    result = run(kind_file("projects", _rows(5, city)), dry_run=True)
    assert result.ok and not result.written
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    assert not Project.objects.exists() and not Project.history.exists()
    assert not InvestmentLine.objects.exists() and not ProjectEvent.objects.exists()


def test_a_conflicting_write_while_parts_are_written_rolls_everything_back(
    city, provider, policy, parts_of_two
):
    records = _rows(5, city)
    enterprise = Enterprise.objects.get(uscc=records[4]["uscc"])

    def meanwhile(percent: int, message: str) -> None:
        if message.startswith("正在写入"):
            # Another request starts the last row's project after the import's look-ups.
            Project.objects.create(enterprise=enterprise, applied_on="2025-01-10")

    result = import_file(
        kind="projects",
        content=kind_file("projects", records),
        actor=None,
        dry_run=False,
        progress=meanwhile,
    )
    assert [e.message for e in result.errors] == [
        "导入期间数据被同时修改，本次未写入任何数据，请重新导入"
    ]
    assert not result.written
    # In the import's transaction here, so undone with it (as in the enterprises import's test).
    assert not Project.objects.exists() and not Project.history.exists()
    assert not InvestmentLine.objects.exists() and not ProjectEvent.objects.exists()


def test_the_command_reports_row_and_column_and_exits_1(enterprise, provider, policy, tmp_path):
    post_level(enterprise, 3)
    bad = paid(enterprise.uscc, admitted_on="2025-01-01", satisfaction="9")
    path = tmp_path / "projects.csv"
    path.write_bytes(kind_file("projects", [bad], "gb18030", chinese=True))
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_data", "projects", str(path), stdout=io.StringIO(), stderr=err)
    assert exc.value.returncode == 1
    lines = err.getvalue().strip().splitlines()
    assert "row 2, 入库日期: 入库日期（2025-01-01）不能早于申报日期（2025-01-10）" in lines
    assert any(line.startswith("row 2, 满意度: 满意度“9”无效") for line in lines)
    assert not Project.objects.exists()

    path.write_bytes(kind_file("projects", [paid(enterprise.uscc)], "gb18030", chinese=True))
    out = io.StringIO()
    call_command("import_data", "projects", str(path), "--dry-run", stdout=out)
    assert "created 1" in out.getvalue() and not Project.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "7",
        "007",
        "1.5",
        "1.50",
        "0.01",
        "999999999999.99",
        "000000000001",
        "1.",
        ".5",
        "1234567890123",
        "1.234",
        "+5",
        "-0",
        "-1.00",
        " 12",
        "1e3",
        "１２",
        "12,000",
    ],
)
def test_a_plain_amount_is_read_as_the_full_number_parser_reads_it(text):
    """`money` reads plain amounts directly (the import's hot path): the same Decimal, or the
    same refusal, as `parse_number` and the negative check give."""
    from django.core.exceptions import ValidationError

    from projects.project_import import CellError, money
    from projects.rules import CENT
    from sme_pilot.inputs import parse_number

    try:
        if text.lstrip().startswith("-"):
            raise ValueError
        expected: Decimal | None = parse_number(
            text, field="金额", max_digits=14, decimal_places=2
        ).quantize(CENT)
    except (ValidationError, ValueError):
        expected = None
    if expected is None:
        with pytest.raises(CellError):
            money(text)
    else:
        got = money(text)
        assert (got, str(got)) == (expected, str(expected))


def test_the_event_stage_is_the_rules_furthest_stage():
    """The import reads each event's stage straight from the cells: the same answer as
    `rules.furthest_stage` for any dates, on any day."""
    import random
    from datetime import date, timedelta

    from projects import rules
    from projects.project_import import furthest_stage

    rng = random.Random(13)
    start = date(2024, 1, 1)
    for _ in range(2000):
        values = {
            rules.date_field(s): start + timedelta(days=rng.randrange(400))
            for s in rules.STAGES
            if rng.random() < 0.6
        }
        today = start + timedelta(days=rng.randrange(400))
        stage = rules.furthest_stage(rules.Dates(**values), today)
        assert furthest_stage(values, today) == (stage.value if stage is not None else "")
