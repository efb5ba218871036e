"""The import framework's registry: each app registers the kinds of its own data, and a new kind
plugs in (command, service, job model, API choices) without editing the framework."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from accounts.models import Role
from assessments import imports as level_import
from cities.api.imports import ImportJobCreateSerializer
from cities.imports import import_file, importable_kinds, registry
from cities.imports.columns import Column, KindSpec, text
from cities.imports.plans import Context, Plan, attnames, fetch_by
from cities.imports.results import ParsedRow
from cities.models import ImportJob, SubIndustry
from tests.cities.factories import SubIndustryFactory, UserFactory
from tests.cities.import_files import csv_bytes


def test_apps_register_their_kinds_in_installed_apps_order():
    assert registry.kinds() == (
        "cities",
        "sub_industries",
        "districts",
        "enterprises",
        "levels",
        "providers",
        "subsidy_rules",
        "projects",
        "funds",
    )
    assert registry.spec("levels") is level_import.SPEC
    assert registry.get("levels").plan is level_import.plan_levels


def test_labels_come_from_the_app_that_registered_the_kind():
    assert registry.label("enterprises") == "企业名录"
    assert registry.label("levels") == "数字化水平等级"
    assert ImportJob(kind="levels").get_kind_display() == "数字化水平等级"
    assert str(ImportJob(kind="cities", original_filename="a.csv")).startswith("试点城市导入")


def test_the_job_model_accepts_only_registered_kinds():
    registry.validate_kind("levels")
    with pytest.raises(ValidationError) as caught:
        registry.validate_kind("no_such_kind")
    assert "未知的导入类型" in caught.value.messages[0]


def test_registering_another_spec_under_a_taken_name_is_refused():
    other = KindSpec(kind="levels", label="别的", columns=level_import.SPEC.columns, key=("uscc",))
    with pytest.raises(ImproperlyConfigured):
        registry.register(other, level_import.plan_levels, city_officials=True)
    # Registering the same kind again (a second ready()) changes nothing.
    registry.register(level_import.SPEC, level_import.plan_levels, city_officials=True)
    assert registry.spec("levels") is level_import.SPEC


# --- a kind registered by someone else plugs in ---------------------------------------------


def _plan_renames(rows: list[ParsedRow], ctx: Context) -> Plan:
    """Renames existing sub-industries by id (enough for a kind the framework never heard of)."""
    ids = [int(str(row.values["id"])) for row in rows]
    rows_by_id = fetch_by(SubIndustry.objects.all(), "id", ids, attnames(SubIndustry))
    existing = {r["id"]: r for r in rows_by_id}
    plan = Plan(SubIndustry, update_fields=("name",))
    for row in rows:
        current = existing.get(int(str(row.values["id"])))
        if current is None:
            ctx.error(row, "id", "没有这个细分行业")
            continue
        plan.add({"id": current["id"], "name": row.values["name"]}, current)
    return plan


RENAMES = KindSpec(
    kind="renames",
    label="细分行业更名",
    key=("id",),
    columns=(Column("id", "编号", text(10)), Column("name", "新名称", text(50))),
)


@pytest.fixture
def renames_kind() -> Iterator[None]:
    registry.register(RENAMES, _plan_renames, city_officials=False)
    yield
    registry._KINDS.pop(RENAMES.kind)


@pytest.mark.django_db
@pytest.mark.usefixtures("renames_kind")
def test_a_newly_registered_kind_is_imported_by_the_unchanged_framework(city):
    sub = SubIndustryFactory(city=city, code="FOOD", name="食品")
    admin = UserFactory(role=Role.ADMIN)
    official = UserFactory(role=Role.CITY_OFFICIAL, city=city)
    assert "renames" in importable_kinds(admin)
    assert "renames" not in importable_kinds(official)  # registered for administrators only
    assert ("renames", "细分行业更名") in ImportJobCreateSerializer().fields["kind"].choices.items()

    content = csv_bytes([["id", "name"], [str(sub.pk), "特色食品"]])
    result = import_file(kind="renames", content=content, actor=admin, dry_run=False)

    assert result.errors == [] and result.updated == 1 and result.written
    sub.refresh_from_db()
    assert sub.name == "特色食品"


@pytest.mark.django_db
def test_fetch_by_finds_every_key_however_it_is_spelt():
    """On PostgreSQL the keys travel as one array literal: quotes, backslashes, commas and braces
    in a key must reach the database as they are (ints and other types too)."""
    names = ['引号"名', "反斜杠\\名", "逗号,名", "{花括号}", " 空格 ", "NULL"]
    made = [SubIndustryFactory(name=name) for name in names]
    found = {r["name"] for r in fetch_by(SubIndustry.objects.all(), "name", names, ["name"])}
    assert found == set(names)
    ids = [s.pk for s in made[:3]]
    assert {r["id"] for r in fetch_by(SubIndustry.objects.all(), "id", ids, ["id"])} == set(ids)
    assert list(fetch_by(SubIndustry.objects.all(), "id", [], ["id"])) == []
