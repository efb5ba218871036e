"""Work queues (待办): a project is in a queue exactly when the queue's move is open to the person,
the counts come from one query, and the pages stay within a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import rules
from projects.models import Project
from projects.selectors import queues
from projects.services import pipeline
from tests.cities.factories import EnterpriseFactory
from tests.projects.test_pipeline import DECLARED

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 3)


def dated(enterprise, last_stage, **extra):
    """A project whose stages up to `last_stage` are dated DAY (as an import writes it)."""
    index = rules.STAGES.index(last_stage)
    dates = {rules.date_field(s): DAY for s in rules.STAGES[: index + 1]}
    return Project.objects.create(enterprise=enterprise, **dates, **extra)


@pytest.fixture
def firms(sub_industry, district):
    return [EnterpriseFactory(sub_industry=sub_industry, district=district) for _ in range(13)]


@pytest.fixture
def pipeline_world(firms, provider):
    """One project in each waiting state, plus finished and withdrawn ones that wait for nobody."""
    now = timezone.now()
    s = rules.Stage
    return [
        dated(firms[0], s.APPLIED),
        dated(firms[1], s.APPLIED, application_reviewed_at=now),
        dated(firms[2], s.ADMITTED, diagnosis_provider=provider),
        dated(firms[3], s.ADMITTED),
        dated(firms[4], s.DIAGNOSED),
        dated(firms[5], s.PROVIDER_SELECTED, provider=provider, filing_state="submitted"),
        dated(firms[6], s.CONTRACT_FILED, provider=provider),
        dated(firms[7], s.ACCEPTANCE_APPLIED, provider=provider),
        dated(firms[8], s.ACCEPTANCE_APPLIED, acceptance_reviewed_at=now, acceptance_attempts=1),
        dated(firms[9], s.ACCEPTED),
        dated(firms[10], s.SUBSIDY_APPROVED),
        dated(firms[11], s.APPLIED, withdrawn_on=DAY),
        dated(
            firms[12],
            s.ACCEPTANCE_APPLIED,
            acceptance_reviewed_at=now,
            acceptance_scheduled_on=DAY,
        ),
    ]


@pytest.mark.parametrize(
    "persona", ["city_official", "district_official", "provider_user", "assessor"]
)
def test_a_project_is_in_a_queue_exactly_when_its_move_is_open(
    request, persona, pipeline_world, django_assert_num_queries
):
    user = request.getfixturevalue(persona)
    with django_assert_num_queries(1):
        counts = queues.queue_counts(user)  # the kept counters for the city and district roles
    assert counts == queues.counted_queue_counts(user)
    visible = list(queues.projects.project_list_visible_to(user=user))
    assert visible
    for queue in queues.queues_for(user):
        _, rows = queues.queue_projects(user, queue.key)
        listed = {p.pk for p in rows}
        assert counts[queue.key] == len(listed)
        if queue.move is None:
            continue
        for project in visible:
            if queue.key == "diagnose" and project.diagnosis_provider_id is not None:
                continue  # the city may diagnose those too; its queue lists its own only
            may = queue.move in pipeline.moves_for(user, project)
            assert (project.pk in listed) == may, (queue.key, project.enterprise_id)
    assert sum(counts.values()) > 0


def test_the_enterprise_queue_follows_its_own_project(firms, enterprise_user, client):
    project = pipeline.apply(actor=enterprise_user, declaration=DECLARED)
    Project.objects.filter(pk=project.pk).update(
        admitted_on=DAY.replace(year=2030), diagnosed_on=DAY.replace(year=2030)
    )
    assert queues.queue_counts(enterprise_user)["select_provider"] == 1
    client.force_login(enterprise_user)
    page = client.get(reverse("projects:work_queue")).content.decode()
    assert 'id="nav-work-queue-count">1<' in page
    assert reverse("projects:project_move", args=[project.pk, "select_provider"]) in page


@pytest.mark.parametrize("size", [3, 30])
def test_the_queue_pages_use_a_fixed_number_of_queries(
    size, client, city_official, sub_industry, django_assert_max_num_queries
):
    now = timezone.now()
    for _ in range(size):
        dated(
            EnterpriseFactory(sub_industry=sub_industry),
            rules.Stage.APPLIED,
            application_reviewed_at=now,
        )
    client.force_login(city_official)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("projects:work_queue"))
    assert f'data-count="{size}"' in page.content.decode()
    with django_assert_max_num_queries(14):
        one = client.get(reverse("projects:work_queue"), {"queue": "admit"})
    assert one.content.decode().count("data-project=") == size
    assert client.get(reverse("projects:work_queue"), {"queue": "nope"}).status_code == 404


def test_an_officials_badge_is_read_from_the_kept_counters_and_follows_each_move(
    firm,
    enterprise_user,
    district_official,
    city_official,
    client,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    """The navigation's 待办 count of the city-scoped roles is a sum of the kept project
    counters of the city or district (issue 17: counting was one aggregate over the city's
    projects on every page): one query, no cache, equal to counting the queues after each
    move."""

    def badge(user) -> str:
        client.force_login(user)
        page = client.get(reverse("projects:work_queue")).content.decode()
        if 'id="nav-work-queue-count">' not in page:
            return "0"  # nothing waiting: no badge
        return page.split('id="nav-work-queue-count">')[1].split("<")[0]

    def counted(user) -> int:  # with the queues' own filters, not the counters
        counts = queues.counted_queue_counts(user)
        return sum(counts[q.key] for q in queues._badge_queues(user))

    with django_capture_on_commit_callbacks(execute=True):
        project = pipeline.apply(actor=enterprise_user, declaration=DECLARED)
    assert badge(district_official) == "1"  # the application waits for the district's review
    assert badge(city_official) == "0"
    for user, n in ((district_official, 1), (city_official, 0)):
        with django_assert_num_queries(1):
            assert queues.waiting_count(user) == n
        assert counted(user) == n
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.review_application(actor=district_official, project_id=project.pk)
    assert badge(district_official) == "0"
    assert badge(city_official) == "1"  # now the city's to admit
    assert queues.waiting_count(district_official) == counted(district_official) == 0
    assert queues.waiting_count(city_official) == counted(city_official) == 1
