"""转型样板 (issue 15 item 5): the city official's mark and unmark (refusals write nothing), who
reads which samples, the selector's figures, the pages, and the queries at two sizes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from assessments.models import Purpose, State
from cities.models import Province
from projects.models import InvestmentLine, TransformationSample
from projects.selectors.samples import city_samples, sample_rows, samples_visible_to
from projects.services.samples import mark_sample, unmark_sample
from sme_pilot.errors import Conflict, Forbidden, NotFound
from tests.cities.factories import UserFactory
from tests.projects.provider_world import ACCEPTED, d, level, make_project
from tests.providers.factories import LibraryEntryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier(city):
    return LibraryEntryFactory(city=city).provider


@pytest.fixture
def products(supplier):
    return [
        ProductFactory(provider=supplier, name="云MES"),
        ProductFactory(provider=supplier, name="设备联网网关"),
    ]


def accepted(sub_industry, provider, *, post: int | None = 3, **extra):
    """An accepted project of a new enterprise: baseline 1 (earliest confirmed on-site; a later
    one says 2, an earlier unconfirmed one 4), after-level `post` (None: no post assessment)."""
    project = make_project(sub_industry, provider, **ACCEPTED, **extra)
    firm = project.enterprise
    level(firm, Purpose.BASELINE, "2025-02-15", 1)
    level(firm, Purpose.BASELINE, "2025-05-01", 2)
    level(firm, Purpose.BASELINE, "2025-01-01", 4, state=State.SUBMITTED, confirmed_at=None)
    if post is not None:
        level(firm, Purpose.POST, "2025-10-15", post)
    return project


@pytest.fixture
def project(sub_industry, supplier, district):
    project = accepted(
        sub_industry,
        supplier,
        subsidy_approved_on=d("2025-12-01"),
        subsidy_paid_on=d("2025-12-20"),
        subsidy_central=Decimal("30000.00"),
        subsidy_local=Decimal("10000.50"),
    )
    project.enterprise.district = district
    project.enterprise.save()
    for category, amount in (("software", "80000"), ("cloud", "20000"), ("office_it", "15000")):
        InvestmentLine.objects.create(project=project, category=category, amount=Decimal(amount))
    return project


def mark(official, project, description="上云用数，订单交付周期缩短三成", products=()):
    return mark_sample(
        actor=official, project_id=project.pk, description=description, products=products
    )


# --- the service ------------------------------------------------------------------------------


def test_the_city_official_marks_an_accepted_project(city_official, project, products):
    sample = mark(city_official, project, products=[str(products[0].pk)])
    assert sample.project == project and sample.marked_by == city_official
    assert list(sample.products.all()) == [products[0]]
    latest = sample.history.latest()
    assert latest.history_user == city_official
    assert [p.product_id for p in latest.products.all()] == [products[0].pk]
    # Marked again: the description and products change, still one sample.
    mark(city_official, project, "新的案例简介", products=[p.pk for p in products])
    sample.refresh_from_db()
    assert TransformationSample.objects.count() == 1
    assert sample.description == "新的案例简介" and sample.products.count() == 2


@pytest.mark.parametrize(
    ("description", "field", "message"),
    [
        ("", "description", "请填写案例简介"),
        ("   ", "description", "请填写案例简介"),
        ("样" * 501, "description", "案例简介不能超过 500 个字符"),
    ],
)
def test_a_bad_description_writes_nothing(city_official, project, description, field, message):
    with pytest.raises(ValidationError) as caught:
        mark(city_official, project, description)
    assert caught.value.message_dict == {field: [message]}
    assert not TransformationSample.objects.exists()


def test_500_characters_are_enough(city_official, project):
    assert len(mark(city_official, project, "样" * 500).description) == 500


def test_products_of_another_provider_or_no_product_write_nothing(city_official, project):
    foreign = ProductFactory()
    for products, message in (
        ([foreign.pk], f"所选产品不是该项目服务商的产品（编号 {foreign.pk}）"),
        (["abc"], "所用产品编号无效：abc"),
        (["1" * 13], f"所用产品编号无效：{'1' * 13}"),
        (["99999999"], "所选产品不是该项目服务商的产品（编号 99999999）"),
    ):
        with pytest.raises(ValidationError) as caught:
            mark(city_official, project, products=products)
        assert caught.value.message_dict == {"products": [message]}
    assert not TransformationSample.objects.exists()


def test_only_an_accepted_project_with_an_after_level(city_official, sub_industry, supplier):
    underway = make_project(sub_industry, supplier, completed_on="2025-09-20")
    with pytest.raises(Conflict, match="尚未验收通过"):
        mark(city_official, underway)
    unrated = accepted(sub_industry, supplier, post=None)
    with pytest.raises(Conflict, match="没有改造后等级"):
        mark(city_official, unrated)
    assert not TransformationSample.objects.exists()


def test_other_roles_are_refused(
    project,
    other_city_official,
    enterprise_user,
    ministry_user,
    province_official,
    district_official,
    assessor,
):
    # Another city's official: the project does not exist for it.
    with pytest.raises(NotFound):
        mark(other_city_official, project)
    with pytest.raises(NotFound):
        unmark_sample(actor=other_city_official, project_id=project.pk)
    # Those who see the project but mark no city's samples.
    enterprise_user.enterprise = project.enterprise
    enterprise_user.save()
    for user in (enterprise_user, ministry_user, province_official, district_official, assessor):
        with pytest.raises(Forbidden):
            mark(user, project)
    assert not TransformationSample.objects.exists()


def test_unmark_is_the_way_back(city_official, other_city_official, project):
    with pytest.raises(Conflict, match="不是转型样板"):
        unmark_sample(actor=city_official, project_id=project.pk)
    mark(city_official, project)
    with pytest.raises(NotFound):
        unmark_sample(actor=other_city_official, project_id=project.pk)
    assert TransformationSample.objects.exists()
    unmark_sample(actor=city_official, project_id=project.pk)
    assert not TransformationSample.objects.exists()
    history = TransformationSample.history.order_by("history_date")
    assert history.first().history_type == "+" and history.last().history_type == "-"
    assert history.last().history_user == city_official


# --- the selector -----------------------------------------------------------------------------


def test_the_figures_of_a_sample(city, city_official, project, products):
    mark(city_official, project, products=[p.pk for p in products])
    [row] = city_samples(city)
    assert row.enterprise_name == project.enterprise.name
    assert row.sub_industry == "特色食品"
    assert row.provider_name == project.provider.name
    assert row.products == ["云MES", "设备联网网关"]
    assert (row.before_level, row.after_level, row.uplift) == (1, 3, 2)
    assert [(i.category, i.amount, i.eligible) for i in row.investment] == [
        ("software", Decimal("80000.00"), True),
        ("cloud", Decimal("20000.00"), True),
        ("office_it", Decimal("15000.00"), False),
    ]
    assert row.investment_total == Decimal("115000.00")
    assert row.eligible_investment == Decimal("100000.00")
    assert row.subsidy_approved == Decimal("40000.50")
    assert (row.subsidy_paid_central, row.subsidy_paid_local) == (
        Decimal("30000.00"),
        Decimal("10000.50"),
    )
    assert row.as_json()["investment"] == {
        "software": "80000.00",
        "cloud": "20000.00",
        "office_it": "15000.00",
    }
    assert row.as_json()["subsidy_approved"] == "40000.50"


def test_the_figures_as_of_an_earlier_day(city, city_official, project):
    """Before the payment only the approval counts; before the second baseline the first one is
    the baseline all the same; a sample marked after the day is not listed yet."""
    mark(city_official, project)
    TransformationSample.objects.update(marked_at=dt.datetime(2025, 12, 1, 12, tzinfo=dt.UTC))
    [row] = city_samples(city, d("2025-12-10"))
    assert row.subsidy_approved == Decimal("40000.50")
    assert row.subsidy_paid == Decimal("0.00")
    assert (row.before_level, row.after_level) == (1, 3)
    assert city_samples(city, d("2025-11-30")) == []


def test_who_reads_which_samples(
    city,
    other_city,
    city_official,
    other_city_official,
    project,
    sub_industry,
    other_sub_industry,
    supplier,
    enterprise_user,
    other_enterprise_user,
    district_official,
    province_official,
    ministry_user,
    assessor,
    provider_user,
):
    mark(city_official, project)
    # A second sample of city A outside the district, and one in city B.
    elsewhere = accepted(sub_industry, supplier)
    mark(city_official, elsewhere)
    other_provider = LibraryEntryFactory(city=other_city).provider
    b_project = accepted(other_sub_industry, other_provider)
    mark(other_city_official, b_project)

    def seen(user):
        return set(samples_visible_to(user).values_list("project_id", flat=True))

    a_samples = {project.pk, elsewhere.pk}
    assert seen(city_official) == a_samples
    assert seen(other_city_official) == {b_project.pk}
    assert seen(enterprise_user) == a_samples  # its city's, though not its own projects
    assert seen(other_enterprise_user) == {b_project.pk}
    assert seen(district_official) == {project.pk}
    # The two cities of the fixtures are in one province (广东).
    assert city.province_id == other_city.province_id
    assert seen(province_official) == {*a_samples, b_project.pk}
    elsewhere_official = UserFactory(
        username="province-nm",
        role=Role.PROVINCE_OFFICIAL,
        province=Province.objects.get(short_name="内蒙古"),
    )
    assert seen(elsewhere_official) == set()
    assert seen(ministry_user) == {*a_samples, b_project.pk}
    assert seen(assessor) == set() and seen(provider_user) == set()


def _rows_queries(city) -> int:
    with CaptureQueriesContext(connection) as captured:
        rows = city_samples(city)
    assert rows
    return len(captured)


def test_the_selector_costs_the_same_queries_at_two_sizes(
    city, city_official, sub_industry, supplier, products
):
    def add(n):
        for _ in range(n):
            p = accepted(sub_industry, supplier)
            InvestmentLine.objects.create(project=p, category="software", amount=Decimal(1))
            mark(city_official, p, products=[products[0].pk])

    add(2)
    small = _rows_queries(city)
    add(8)
    assert _rows_queries(city) == small
    assert len(sample_rows(TransformationSample.objects.all())) == 10


# --- the pages --------------------------------------------------------------------------------

LIST = reverse("projects:samples")


def test_the_list_shows_codes_to_staff_and_names_only_to_enterprises(
    client, city_official, enterprise_user, project
):
    mark(city_official, project)
    uscc = project.enterprise.uscc
    client.force_login(city_official)
    page = client.get(LIST).content.decode()
    assert project.enterprise.name in page and uscc in page
    assert reverse("projects:project_detail", args=[project.pk]) in page
    assert "上云用数" in page and "115000.00" in page and "1 级" in page and "3 级" in page
    client.force_login(enterprise_user)  # another enterprise of the same city
    page = client.get(LIST).content.decode()
    assert project.enterprise.name in page and "上云用数" in page
    assert uscc not in page
    assert reverse("projects:project_detail", args=[project.pk]) not in page


def test_the_list_is_not_for_assessors_or_providers(client, assessor, provider_user):
    for user in (assessor, provider_user):
        client.force_login(user)
        assert client.get(LIST).status_code == 404


def test_the_directory_links_to_the_citys_samples(client, city_official, enterprise_user, project):
    client.force_login(enterprise_user)
    page = client.get(reverse("projects:directory")).content.decode()
    assert "本市转型样板" in page and "本市尚未选出转型样板" in page
    mark(city_official, project)
    page = client.get(reverse("projects:directory")).content.decode()
    assert "本市已选出 <b>1</b> 个" in page and f'href="{LIST}"' in page


def test_mark_and_unmark_from_the_dossier(client, city_official, ministry_user, project, products):
    detail = reverse("projects:project_detail", args=[project.pk])
    form_url = reverse("projects:sample_mark", args=[project.pk])
    client.force_login(ministry_user)
    assert "设为转型样板" not in client.get(detail).content.decode()
    assert client.get(form_url).status_code == 403
    client.force_login(city_official)
    assert "设为转型样板" in client.get(detail).content.decode()
    form = client.get(form_url).content.decode()
    assert "云MES" in form and "设备联网网关" in form
    empty = client.post(form_url, {"description": "", "products": [products[0].pk]})
    assert empty.status_code == 400 and "请填写案例简介" in empty.content.decode()
    foreign = client.post(form_url, {"description": "好", "products": [ProductFactory().pk]})
    assert foreign.status_code == 400
    assert "所选产品不是该项目服务商的产品" in foreign.content.decode()
    assert not TransformationSample.objects.exists()
    done = client.post(form_url, {"description": "好案例", "products": [products[1].pk]})
    assert done.status_code == 302 and done["Location"] == detail
    page = client.get(detail).content.decode()
    assert "本市转型样板" in page and "好案例" in page and "取消样板" in page
    gone = client.post(reverse("projects:sample_unmark", args=[project.pk]))
    assert gone.status_code == 302 and not TransformationSample.objects.exists()


def test_an_unaccepted_project_offers_no_mark(client, city_official, sub_industry, supplier):
    underway = make_project(sub_industry, supplier)
    client.force_login(city_official)
    detail = client.get(reverse("projects:project_detail", args=[underway.pk])).content.decode()
    assert "设为转型样板" not in detail
    response = client.get(reverse("projects:sample_mark", args=[underway.pk]))
    assert response.status_code == 409 and "尚未验收通过" in response.content.decode()


def _page_queries(client) -> int:
    cache.clear()  # each size measured cold: the navigation's 待办 count is cached
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_at_two_sizes(
    client, city_official, sub_industry, supplier, products
):
    client.force_login(city_official)
    for _ in range(2):
        mark(city_official, accepted(sub_industry, supplier), products=[products[0].pk])
    small = _page_queries(client)
    for _ in range(6):
        mark(city_official, accepted(sub_industry, supplier), products=[products[1].pk])
    assert _page_queries(client) == small
