"""The provider evaluation with a database (domain §4.5, the §4.6 `provider_scores` JSON): the
selector, the scoring versions and saved evaluations, `manage.py provider_scores`."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Purpose
from cities.models import PilotCity
from projects.models import WEIGHT_SUM_MESSAGE, ProviderEvaluation, ProviderScoring
from projects.selectors.provider_scores import provider_scores, scoring_for
from projects.services.provider_scores import evaluations_save
from tests.cities.factories import CityFactory
from tests.projects.provider_world import ACCEPTED, AS_OF, build, d, level, make_project
from tests.providers.factories import LibraryEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def v1(db) -> ProviderScoring:
    return ProviderScoring.objects.get(version=1)


@pytest.fixture
def world(city, sub_industry, other_city):
    return build(city, sub_industry, other_city)


def by_uscc(scores):
    return {row["uscc"]: row for row in scores["providers"]}


def test_every_metric_of_the_world(world, v1):
    scores = provider_scores(world["city"], AS_OF, v1)
    assert scores["city"] == "HHHT" and scores["as_of"] == "2026-06-15"
    usccs = [row["uscc"] for row in scores["providers"]]
    assert usccs == sorted([world["p"].uscc, world["q"].uscc])  # R is not in the library
    p = by_uscc(scores)[world["p"].uscc]
    assert p == {
        "uscc": world["p"].uscc,
        "name": world["p"].name,
        "status": "active",
        "projects": 4,
        "accepted": 2,
        "failed": 1,
        "acceptance_rate": "0.6667",
        "mean_uplift": "2.0000",
        "mean_satisfaction": "4.5000",
        "on_time_rate": "0.7500",
        # 100 × (0.30 × ⅔ + 0.30 × 1 + 0.25 × 0.875 + 0.15 × 0.75) = 83.125
        "score": "83.1",
        "stars": 4,
    }
    q = by_uscc(scores)[world["q"].uscc]
    assert q | {"uscc": None, "name": None} == {
        "uscc": None,
        "name": None,
        "status": "warned",
        "projects": 0,
        "accepted": 0,
        "failed": 0,
        "acceptance_rate": None,
        "mean_uplift": None,
        "mean_satisfaction": None,
        "on_time_rate": None,
        "score": "0.0",
        "stars": None,
    }


def test_as_of_boundaries(world, v1):
    def p_on(day: str):
        return by_uscc(provider_scores(world["city"], d(day), v1))[world["p"].uscc]

    # The day project 1 is accepted: it counts; project 2 has failed by then (accepted later).
    on_the_day = p_on("2025-11-20")
    assert (on_the_day["accepted"], on_the_day["failed"]) == (1, 1)
    assert on_the_day["stars"] is None  # two outcomes: not rated
    assert on_the_day["mean_satisfaction"] == "5.0000"
    before = p_on("2025-11-19")
    assert (before["accepted"], before["failed"]) == (0, 1)
    assert before["mean_uplift"] is None and before["mean_satisfaction"] is None
    # Before any provider was selected: no projects at all.
    assert p_on("2025-03-31")["projects"] == 0
    assert p_on("2025-04-01")["projects"] == 4
    # Completed on 2025-09-20: not completed the day before.
    assert p_on("2025-09-19")["on_time_rate"] is None
    assert p_on("2025-09-20")["on_time_rate"] == "1.0000"


def test_a_baseline_dated_after_as_of_is_no_baseline_yet(city, sub_industry, v1):
    p = LibraryEntryFactory(city=city).provider
    project = make_project(sub_industry, p, **ACCEPTED)
    level(project.enterprise, Purpose.POST, "2025-10-15", 3)
    level(project.enterprise, Purpose.BASELINE, "2026-01-10", 1)
    assert provider_scores(city, d("2026-01-09"), v1)["providers"][0]["mean_uplift"] is None
    assert provider_scores(city, d("2026-01-10"), v1)["providers"][0]["mean_uplift"] == "2.0000"


def test_an_after_level_outside_completion_to_acceptance_does_not_count(city, sub_industry, v1):
    p = LibraryEntryFactory(city=city).provider
    project = make_project(sub_industry, p, **ACCEPTED)
    level(project.enterprise, Purpose.BASELINE, "2025-02-15", 1)
    level(project.enterprise, Purpose.POST, "2025-12-01", 4)  # after the acceptance
    assert provider_scores(city, AS_OF, v1)["providers"][0]["mean_uplift"] is None


def test_default_scoring_is_the_version_in_force(v1):
    later = ProviderScoring.objects.create(
        version=2,
        label="第二版",
        valid_from=d("2026-01-01"),
        w_acceptance=Decimal("0.40"),
        w_uplift=Decimal("0.20"),
        w_satisfaction=Decimal("0.20"),
        w_on_time=Decimal("0.20"),
        uplift_cap=Decimal(2),
        band_5=Decimal(90),
        band_4=Decimal(80),
        band_3=Decimal(70),
        band_2=Decimal(60),
        min_outcomes=3,
    )
    assert scoring_for(d("2025-12-31")) == v1
    assert scoring_for(d("2026-01-01")) == later
    assert scoring_for(d("2023-01-01")) == v1  # before every version: the earliest


def _v2(**changes) -> ProviderScoring:
    values = {
        "version": 2,
        "label": "第二版",
        "valid_from": d("2026-01-01"),
        "w_acceptance": Decimal("0.50"),
        "w_uplift": Decimal("0.20"),
        "w_satisfaction": Decimal("0.20"),
        "w_on_time": Decimal("0.10"),
        "uplift_cap": Decimal(2),
        "band_5": Decimal(90),
        "band_4": Decimal(80),
        "band_3": Decimal(70),
        "band_2": Decimal(60),
        "min_outcomes": 3,
    }
    return ProviderScoring(**(values | changes))


def test_saved_evaluations_keep_the_weights_they_used(world, v1):
    evaluations_save(city=world["city"], as_of=AS_OF, scoring=v1)
    saved = ProviderEvaluation.objects.get(provider=world["p"], scoring=v1)
    assert (saved.score, saved.stars, saved.acceptance_rate) == (
        Decimal("83.1"),
        4,
        Decimal("0.6667"),
    )
    assert saved.status == "active" and saved.as_of == AS_OF

    # v1 is in use now: editing it is refused (clean), so the policy changes as a new version.
    v1.w_acceptance, v1.w_on_time = Decimal("0.50"), Decimal("0.00")
    v1.w_uplift = Decimal("0.25")
    with pytest.raises(ValidationError, match="不能修改"):
        v1.full_clean()
    v2 = _v2()
    v2.full_clean()
    v2.save()
    evaluations_save(city=world["city"], as_of=AS_OF, scoring=v2)
    new = ProviderEvaluation.objects.get(provider=world["p"], scoring=v2)
    # 100 × (0.5 × ⅔ + 0.2 × 1 + 0.2 × 0.875 + 0.1 × 0.75) = 78.33…
    assert new.score == Decimal("78.3") and new.stars == 3
    saved.refresh_from_db()
    assert (saved.score, saved.stars, saved.scoring_id) == (Decimal("83.1"), 4, 1)
    v1.refresh_from_db()
    assert v1.w_acceptance == Decimal("0.3000")


def test_a_weight_set_not_summing_to_1_is_refused(v1):
    bad = _v2(w_on_time=Decimal("0.20"))  # sums to 1.10
    with pytest.raises(ValidationError) as found:
        bad.full_clean()
    assert WEIGHT_SUM_MESSAGE in str(found.value)
    with (
        pytest.raises(IntegrityError, match="projects_providerscoring_weights_sum_to_1"),
        transaction.atomic(),
    ):
        bad.save()


def test_bands_must_descend(v1):
    bad = _v2(band_4=Decimal(95))
    with pytest.raises(ValidationError) as found:
        bad.full_clean()
    assert "星级分数线" in str(found.value)
    with (
        pytest.raises(IntegrityError, match="projects_providerscoring_bands_descending"),
        transaction.atomic(),
    ):
        bad.save()


def _grow(city, sub_industry, providers: int, projects_each: int) -> None:
    for _ in range(providers):
        p = LibraryEntryFactory(city=city).provider
        for _ in range(projects_each):
            project = make_project(sub_industry, p, **ACCEPTED, satisfaction=4)
            level(project.enterprise, Purpose.BASELINE, "2025-02-15", 1)
            level(project.enterprise, Purpose.POST, "2025-10-15", 2)


def test_queries_do_not_grow_with_providers_or_projects(city, sub_industry, v1):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            scores = provider_scores(city, AS_OF)
        assert scores["providers"]
        return len(queries)

    _grow(city, sub_industry, 1, 1)
    small = count()
    _grow(city, sub_industry, 6, 4)
    assert count() == small <= 4


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("provider_scores", *args, stdout=out)
    return out.getvalue()


def test_command_prints_exactly_the_json(world, v1):
    printed = _command("HHHT", "--as-of", "2026-06-15")
    assert printed.endswith("\n") and printed.count("\n") == 1
    assert json.loads(printed) == provider_scores(world["city"], AS_OF, v1)
    assert printed.startswith('{"city": "HHHT", "as_of": "2026-06-15", "providers": [{"uscc": ')
    assert '"acceptance_rate": "0.6667"' in printed and '"stars": null' in printed
    assert not ProviderEvaluation.objects.exists()


def test_command_save_stores_what_it_prints(world, v1):
    printed = json.loads(_command("HHHT", "--as-of", "2026-06-15", "--save"))
    saved = ProviderEvaluation.objects.filter(city=world["city"]).select_related("provider")
    assert sorted(e.provider.uscc for e in saved) == [r["uscc"] for r in printed["providers"]]
    p = saved.get(provider=world["p"])
    assert (str(p.score), p.stars, p.projects) == ("83.1", 4, 4)


def test_command_errors(world, v1):
    with pytest.raises(CommandError, match="XXX 不存在"):
        _command("XXX")
    with pytest.raises(CommandError, match="as_of"):
        _command("HHHT", "--as-of", "2026-13-01")
    with pytest.raises(CommandError, match="版本 9 不存在"):
        _command("HHHT", "--scoring", "9")


def test_command_all_prints_each_city_as_alone_by_code(world, other_city, v1):
    empty = CityFactory(code="AAA", name="空白市")  # no library: no providers
    lines = _command("--all", "--as-of", "2026-06-15").splitlines()
    assert [json.loads(line)["city"] for line in lines] == ["AAA", "HHHT", "NB"]
    # Each line is exactly what the city alone prints (P is in both libraries, with a project
    # in each city: each city counts its own).
    for line, code in zip(lines, ["AAA", "HHHT", "NB"], strict=True):
        assert line + "\n" == _command(code, "--as-of", "2026-06-15")
    assert json.loads(lines[0]) == {"city": empty.code, "as_of": "2026-06-15", "providers": []}
    p_here = by_uscc(json.loads(lines[1]))[world["p"].uscc]
    p_there = by_uscc(json.loads(lines[2]))[world["p"].uscc]
    assert (p_here["projects"], p_there["projects"]) == (4, 1)
    assert p_there["mean_satisfaction"] == "1.0000"
    assert not ProviderEvaluation.objects.exists()


def test_command_all_reads_in_the_queries_of_one_city(world, other_city, v1):
    def count(*args: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            _command(*args, "--as-of", "2026-06-15")
        return len(queries)

    one = count("HHHT")
    for n in range(3):
        CityFactory(code=f"X{n}", name=f"新增{n}市")
        LibraryEntryFactory(city=PilotCity.objects.get(code=f"X{n}"))
    # The city list instead of the city itself; otherwise the same queries.
    assert count("--all") == one


def test_command_all_save_stores_every_city(world, other_city, v1):
    lines = _command("--all", "--as-of", "2026-06-15", "--save").splitlines()
    saved = ProviderEvaluation.objects.select_related("city", "provider")
    assert sorted((e.city.code, e.provider.uscc) for e in saved) == sorted(
        (doc["city"], row["uscc"]) for doc in map(json.loads, lines) for row in doc["providers"]
    )
    assert {e.city.code for e in saved} == {"HHHT", "NB"}


def test_command_all_errors(world, v1):
    with pytest.raises(CommandError, match="不能同时使用"):
        _command("HHHT", "--all")
    with pytest.raises(CommandError, match="请给出城市代码"):
        _command()


# --- the admin --------------------------------------------------------------------------------

SCORING_FORM = {
    "version": "2",
    "label": "第二版",
    "valid_from": "2026-01-01",
    "w_acceptance": "0.40",
    "w_uplift": "0.30",
    "w_satisfaction": "0.20",
    "w_on_time": "0.20",  # sums to 1.10
    "uplift_cap": "2",
    "band_5": "90",
    "band_4": "80",
    "band_3": "70",
    "band_2": "60",
    "min_outcomes": "3",
}


def test_admin_refuses_weights_not_summing_to_1_in_chinese(client, admin_user_, v1):
    client.force_login(admin_user_)
    url = reverse("admin:projects_providerscoring_add")
    refused = client.post(url, SCORING_FORM)
    assert refused.status_code == 200
    assert WEIGHT_SUM_MESSAGE in refused.content.decode()
    assert not ProviderScoring.objects.filter(version=2).exists()
    added = client.post(url, SCORING_FORM | {"w_on_time": "0.10"})
    assert added.status_code == 302
    assert ProviderScoring.objects.get(version=2).created_by == admin_user_


def test_admin_shows_a_version_in_use_read_only(client, admin_user_, world, v1):
    client.force_login(admin_user_)
    url = reverse("admin:projects_providerscoring_change", args=[v1.pk])
    assert 'name="w_acceptance"' in client.get(url).content.decode()  # unused: editable
    evaluations_save(city=world["city"], as_of=AS_OF, scoring=v1)
    page = client.get(url).content.decode()
    assert 'name="w_acceptance"' not in page  # in use: read-only
    changed = client.post(url, SCORING_FORM | {"version": "1", "w_on_time": "0.10"})
    assert changed.status_code == 403
    v1.refresh_from_db()
    assert v1.w_acceptance == Decimal("0.3000")
    delete = reverse("admin:projects_providerscoring_delete", args=[v1.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
