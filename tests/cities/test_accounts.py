"""Account provisioning by city officials: create, bulk create with a one-time sheet, reset,
deactivate and reactivate, all confined to the official's own city."""

from __future__ import annotations

import io
import re
import string
import threading

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role, User
from cities import services
from sme_pilot.errors import Forbidden, NotFound
from tests.cities.factories import EnterpriseFactory, UserFactory, make_uscc

pytestmark = pytest.mark.django_db

SECRET_RE = re.compile(r'<span class="secret">([^<]+)</span>')


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def official_client(client, city_official):
    client.force_login(city_official)
    return client


@pytest.fixture
def other_assessor(other_city):
    return UserFactory(username="assessor2", role=Role.ASSESSOR, city=other_city)


def shown_password(response) -> str:
    match = SECRET_RE.search(response.content.decode())
    assert match, "the page shows no initial password"
    return match.group(1)


def can_log_in(client, username: str, password: str) -> bool:
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    logged_in = response.status_code == 302 and "_auth_user_id" in client.session
    client.logout()
    return logged_in


# --- services -----------------------------------------------------------------------------------


def test_official_creates_enterprise_user_named_after_uscc(city_official, enterprise):
    user, password = services.account_create(
        actor=city_official, role=Role.ENTERPRISE, enterprise=enterprise, display_name="王经理"
    )
    user.refresh_from_db()
    assert user.username == enterprise.uscc
    assert user.role == Role.ENTERPRISE
    assert user.enterprise == enterprise
    assert user.city is None
    assert user.display_name == "王经理"
    assert user.must_change_password
    assert user.created_by == city_official
    assert user.check_password(password)
    record = user.history.latest()
    assert (record.history_user, record.history_change_reason) == (
        city_official,
        "城市管理员开通账号",
    )


def test_official_creates_assessor_bound_to_own_city(city_official, city):
    user, password = services.account_create(
        actor=city_official, role=Role.ASSESSOR, username="zhangsan", phone="13800000000"
    )
    user.refresh_from_db()
    assert (user.role, user.city, user.enterprise) == (Role.ASSESSOR, city, None)
    assert user.must_change_password
    assert user.created_by == city_official
    assert user.check_password(password)


def test_generated_passwords_are_long_mixed_and_unambiguous(city_official):
    for _ in range(30):
        password = services.accounts.password_generate()
        assert len(password) >= 12
        assert any(c in string.ascii_uppercase for c in password)
        assert any(c in string.ascii_lowercase for c in password)
        assert any(c in string.digits for c in password)
        assert not set(password) & set("0O1lI")
        assert password[0] not in "=+-@"
        # Read out over the phone in three groups of four.
        assert [len(group) for group in password.split("-")] == [4, 4, 4]


@pytest.mark.parametrize("phone", ["12345678901", "1381234567", "138123456789", "138-1234-5678"])
def test_a_phone_number_must_be_a_mainland_mobile(city_official, phone):
    with pytest.raises(ValidationError) as exc:
        services.account_create(actor=city_official, role=Role.ASSESSOR, username="li", phone=phone)
    assert "11 位中国大陆手机号" in exc.value.message_dict["phone"][0]
    assert not User.objects.filter(username="li").exists()


def test_a_mainland_mobile_is_kept(city_official):
    account, _ = services.account_create(
        actor=city_official, role=Role.ASSESSOR, username="li", phone=" 13812345678 "
    )
    assert account.phone == "13812345678"


def test_assessor_needs_a_username(city_official):
    with pytest.raises(ValidationError) as exc:
        services.account_create(actor=city_official, role=Role.ASSESSOR)
    assert "用户名" in str(exc.value)


def test_duplicate_username_is_a_clear_chinese_error(city_official):
    services.account_create(actor=city_official, role=Role.ASSESSOR, username="zhangsan")
    with pytest.raises(ValidationError) as exc:
        services.account_create(actor=city_official, role=Role.ASSESSOR, username="ZhangSan")
    assert exc.value.message_dict["username"] == ["用户名“ZhangSan”已被占用，请换一个用户名。"]
    assert User.objects.filter(username__iexact="zhangsan").count() == 1


@pytest.mark.parametrize("role", [Role.CITY_OFFICIAL, Role.MINISTRY, Role.ADMIN])
def test_official_cannot_create_privileged_accounts(city_official, role):
    before = User.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.account_create(actor=city_official, role=role, username="boss")
    assert "由系统管理员开通" in exc.value.message_dict["role"][0]
    assert User.objects.count() == before


def test_enterprise_of_another_city_does_not_exist_for_the_official(
    city_official, other_enterprise
):
    before = User.objects.count()
    with pytest.raises(NotFound):
        services.account_create(
            actor=city_official, role=Role.ENTERPRISE, enterprise=other_enterprise
        )
    assert User.objects.count() == before


def test_only_city_officials_provision_accounts(assessor, enterprise):
    with pytest.raises(Forbidden):
        services.account_create(actor=assessor, role=Role.ENTERPRISE, enterprise=enterprise)


def test_bulk_creates_one_account_per_enterprise_without_one(
    city_official, enterprise, enterprise_user, sub_industry, other_enterprise
):
    new = EnterpriseFactory.create_batch(3, sub_industry=sub_industry)
    deactivated_owner = EnterpriseFactory(sub_industry=sub_industry)
    UserFactory(role=Role.ENTERPRISE, enterprise=deactivated_owner, is_active=False)

    created = services.accounts_create_for_roster(actor=city_official)

    assert sorted(user.username for user, _ in created) == sorted(e.uscc for e in new)
    for user, password in created:
        stored = User.objects.get(pk=user.pk)
        assert stored.role == Role.ENTERPRISE
        assert stored.must_change_password
        assert stored.created_by == city_official
        assert stored.check_password(password)
        assert stored.history.get().history_user == city_official
    assert enterprise.users.count() == 1
    assert deactivated_owner.users.count() == 1
    assert not other_enterprise.users.exists()
    assert services.accounts_create_for_roster(actor=city_official) == []


def test_bulk_suffixes_a_username_someone_already_holds(city_official, enterprise):
    services.account_create(
        actor=city_official, role=Role.ASSESSOR, username=enterprise.uscc.lower()
    )
    [(user, _)] = services.accounts_create_for_roster(actor=city_official)
    assert user.username == f"{enterprise.uscc}-2"
    assert user.enterprise == enterprise


def test_bulk_initial_passwords_are_rehashed_at_full_strength_on_login(
    settings, client, city_official, enterprise
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    [(user, password)] = services.accounts_create_for_roster(actor=city_official)
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$20000$")

    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": password}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.split("$")[1] == str(PBKDF2PasswordHasher.iterations)
    assert user.check_password(password)


def test_credential_sheet_escapes_formula_cells(city_official, sub_industry):
    names = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2", "@SUM(A1)", "正常企业"]
    for name in names:
        EnterpriseFactory(sub_industry=sub_industry, name=name)
    created = services.accounts_create_for_roster(actor=city_official)

    sheet = load_workbook(io.BytesIO(services.credential_sheet_xlsx(created))).active
    cells = {row[0].value: row[0] for row in sheet.iter_rows(min_row=2)}

    for name in names[:-1]:
        cell = cells["'" + name]
        assert cell.data_type == "s"
    assert cells["正常企业"].data_type == "s"


# --- pages: create, reset, deactivate ---------------------------------------------------------


def search(client, q):
    return client.get(reverse("cities:account_enterprise_search"), {"q": q})


def test_create_page_has_a_search_box_not_the_whole_roster(official_client, enterprise):
    page = official_client.get(reverse("cities:account_create")).content.decode()
    assert 'id="enterprise-search"' in page
    assert reverse("cities:account_enterprise_search") in page
    assert enterprise.uscc not in page  # no select of every enterprise
    # Without JavaScript the search box stays hidden and the USCC is typed in a text field.
    assert '<div id="enterprise-picker" class="picker" hidden>' in page
    assert '<input type="text" name="enterprise"' in page


def test_the_picker_finds_own_roster_by_name_or_uscc(
    official_client, enterprise, other_enterprise, django_assert_max_num_queries
):
    named = EnterpriseFactory(sub_industry=enterprise.sub_industry, name="青城乳业科技有限公司")
    UserFactory(username="has-account", role=Role.ENTERPRISE, enterprise=named)
    EnterpriseFactory(sub_industry=other_enterprise.sub_industry, name="宁波乳业有限公司")
    found = search(official_client, "乳业").content.decode()
    assert f'data-uscc="{named.uscc}"' in found and "已有账号" in found
    assert "宁波乳业" not in found  # another city's enterprise is never offered
    by_code = search(official_client, enterprise.uscc[-6:].lower()).content.decode()
    assert f'data-uscc="{enterprise.uscc}"' in by_code
    assert search(official_client, other_enterprise.uscc).content.decode().count("data-uscc") == 0
    assert "data-uscc" not in search(official_client, "").content.decode()
    with django_assert_max_num_queries(4):  # session, user, one search
        search(official_client, "测试")


def test_the_picker_lists_at_most_twenty(official_client, sub_industry):
    for i in range(23):
        EnterpriseFactory(sub_industry=sub_industry, name=f"同名示范企业{i:02d}")
    found = search(official_client, "同名示范").content.decode()
    assert found.count("data-uscc=") == 20
    assert "仅列出前 20 家" in found


def test_the_picker_bounds_the_search_text(official_client, enterprise):
    response = search(official_client, "企" * 41)
    assert response.status_code == 400
    assert "搜索企业：最多 40 个字符" in response.content.decode()
    assert search(official_client, "企" * 40).status_code == 200


def test_the_picker_is_404_to_everyone_but_city_officials(client, assessor, ministry_user):
    for user in (assessor, ministry_user):
        client.force_login(user)
        assert search(client, "测试").status_code == 404


def test_typing_the_uscc_without_the_picker_creates_the_account(official_client, enterprise):
    response = official_client.post(
        reverse("cities:account_create"),
        {"role": Role.ENTERPRISE, "enterprise": " " + enterprise.uscc.lower() + " "},
    )
    assert response.status_code == 200
    assert User.objects.get(enterprise=enterprise).username == enterprise.uscc


def test_create_page_shows_the_initial_password_once(official_client, enterprise, client):
    response = official_client.post(
        reverse("cities:account_create"), {"role": Role.ENTERPRISE, "enterprise": enterprise.uscc}
    )
    assert response.status_code == 200
    assert "只显示这一次" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    password = shown_password(response)
    user = User.objects.get(enterprise=enterprise)
    assert user.check_password(password)
    assert user.must_change_password

    listing = official_client.get(reverse("cities:account_list"))
    assert user.username in listing.content.decode()
    assert password not in listing.content.decode()


def test_create_page_creates_an_assessor(official_client, city):
    response = official_client.post(
        reverse("cities:account_create"),
        {"role": Role.ASSESSOR, "username": "lisi", "display_name": "李四"},
    )
    assert response.status_code == 200
    user = User.objects.get(username="lisi")
    assert (user.role, user.city, user.display_name) == (Role.ASSESSOR, city, "李四")
    assert user.check_password(shown_password(response))


def test_create_page_shows_a_duplicate_username_as_a_form_error(official_client, assessor):
    response = official_client.post(
        reverse("cities:account_create"), {"role": Role.ASSESSOR, "username": assessor.username}
    )
    assert response.status_code == 200
    assert "已被占用" in response.content.decode()
    assert not SECRET_RE.search(response.content.decode())


@pytest.mark.parametrize("role", [Role.CITY_OFFICIAL, Role.MINISTRY, Role.ADMIN])
def test_create_page_refuses_privileged_roles(official_client, role):
    response = official_client.post(
        reverse("cities:account_create"), {"role": role, "username": "boss"}
    )
    assert response.status_code == 200
    assert "由系统管理员开通" in response.content.decode()
    assert not User.objects.filter(username="boss").exists()


@pytest.mark.parametrize("which", ["other_city", "unknown"])
def test_create_page_for_another_citys_or_an_unknown_uscc_says_so_on_the_field(
    official_client, other_enterprise, which
):
    uscc = other_enterprise.uscc if which == "other_city" else make_uscc(99999)
    response = official_client.post(
        reverse("cities:account_create"), {"role": Role.ENTERPRISE, "enterprise": uscc}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "所属企业：本市企业名录中没有该统一社会信用代码" in page
    assert not other_enterprise.users.exists()
    assert not SECRET_RE.search(page)


def test_reset_password_replaces_the_old_one(official_client, enterprise_user, client):
    url = reverse("cities:account_reset_password", args=[enterprise_user.pk])
    confirm = official_client.get(url)
    assert confirm.status_code == 200
    enterprise_user.refresh_from_db()
    assert enterprise_user.check_password("Sme-pilot-2026!"), "GET must not reset anything"

    response = official_client.post(url)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = shown_password(response)
    enterprise_user.refresh_from_db()
    assert enterprise_user.must_change_password
    assert not enterprise_user.check_password("Sme-pilot-2026!")
    assert enterprise_user.check_password(password)


@pytest.fixture
def colleague(city):
    """A second city official of the same city."""
    return UserFactory(
        username="official-b", display_name="李科长", role=Role.CITY_OFFICIAL, city=city
    )


def test_a_second_reset_right_after_the_first_is_refused_naming_who_did_it(
    official_client, colleague, enterprise_user, settings
):
    url = reverse("cities:account_reset_password", args=[enterprise_user.pk])
    first = services.account_reset_password(actor=colleague, user=enterprise_user)
    records = enterprise_user.history.count()

    response = official_client.post(url)

    assert response.status_code == 409
    body = response.content.decode()
    assert not SECRET_RE.search(body)
    assert "刚刚" in body and "李科长" in body
    enterprise_user.refresh_from_db()
    assert f"{timezone.localtime(enterprise_user.password_reset_at):%H:%M:%S}" in body
    assert enterprise_user.history.count() == records
    assert can_log_in(Client(), "ent", first)

    settings.ACCOUNT_RESET_MIN_INTERVAL_SECONDS = 0  # as once the interval has passed
    response = official_client.post(url)

    assert response.status_code == 200
    assert can_log_in(Client(), "ent", shown_password(response))
    assert not can_log_in(Client(), "ent", first)


def test_a_second_tab_of_the_same_official_is_refused_too(official_client, enterprise_user):
    url = reverse("cities:account_reset_password", args=[enterprise_user.pk])
    password = shown_password(official_client.post(url))

    response = official_client.post(url)

    assert response.status_code == 409
    assert "您本人" in response.content.decode()
    assert can_log_in(Client(), "ent", password)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_officials_resetting_at_once_hand_out_one_password_and_it_works(
    city_official, colleague, enterprise_user
):
    url = reverse("cities:account_reset_password", args=[enterprise_user.pk])
    officials = [city_official, colleague]
    browsers = []
    for official in officials:
        browser = Client()
        browser.force_login(official)
        browsers.append(browser)
    barrier = threading.Barrier(len(browsers))
    responses: list = [None] * len(browsers)
    failures: list[BaseException] = []

    def press(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            responses[i] = browsers[i].post(url)
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(i,)) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures

    shown = [SECRET_RE.search(r.content.decode()) for r in responses]
    passwords = [m.group(1) for m in shown if m]
    assert len(passwords) == 1, [r.status_code for r in responses]
    winner = next(i for i, m in enumerate(shown) if m)
    refused = responses[1 - winner]
    assert refused.status_code == 409
    assert str(officials[winner]) in refused.content.decode()
    assert can_log_in(Client(), "ent", passwords[0])


def test_deactivate_then_reactivate(official_client, assessor, django_user_model):
    other = Client()
    assert can_log_in(other, "assessor", "Sme-pilot-2026!")
    session = Client()
    session.force_login(assessor)

    response = official_client.post(reverse("cities:account_deactivate", args=[assessor.pk]))

    assert response.status_code == 302
    assessor.refresh_from_db()
    assert not assessor.is_active
    assert not can_log_in(other, "assessor", "Sme-pilot-2026!")
    # An open session ends too.
    assert session.get(reverse("accounts:password_change")).status_code == 302
    listing = official_client.get(reverse("cities:account_list"), {"active": "0"})
    assert "assessor" in listing.content.decode()

    response = official_client.post(reverse("cities:account_reactivate", args=[assessor.pk]))

    assert response.status_code == 302
    assessor.refresh_from_db()
    assert assessor.is_active
    assert can_log_in(other, "assessor", "Sme-pilot-2026!")


def test_reactivation_does_not_revive_a_session_opened_before_the_deactivation(
    official_client, assessor
):
    session = Client()
    assert (
        session.post(
            reverse("accounts:login"), {"username": "assessor", "password": "Sme-pilot-2026!"}
        ).status_code
        == 302
    )
    assert session.get(reverse("accounts:password_change")).status_code == 200

    official_client.post(reverse("cities:account_deactivate", args=[assessor.pk]))
    official_client.post(reverse("cities:account_reactivate", args=[assessor.pk]))

    response = session.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in session.session
    assert can_log_in(Client(), "assessor", "Sme-pilot-2026!")


def test_sessions_survive_a_secret_key_rotation_after_a_deactivation(
    city_official, assessor, settings
):
    services.account_set_active(actor=city_official, user=assessor, active=False)
    services.account_set_active(actor=city_official, user=assessor, active=True)
    session = Client()
    session.post(reverse("accounts:login"), {"username": "assessor", "password": "Sme-pilot-2026!"})

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-" + "x" * 40

    assert session.get(reverse("accounts:password_change")).status_code == 200


def test_sessions_of_never_deactivated_accounts_survive_the_upgrade(assessor):
    """Accounts never deactivated keep Django's own session hash: deploying this logs no one out."""
    assessor.refresh_from_db()
    assert assessor.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(assessor)


@pytest.mark.parametrize(
    "url_name",
    ["cities:account_reset_password", "cities:account_deactivate", "cities:account_reactivate"],
)
@pytest.mark.parametrize(
    "target", ["other_enterprise_user", "other_assessor", "other_city_official", "city_official"]
)
def test_accounts_outside_the_officials_scope_are_404(request, official_client, url_name, target):
    account = request.getfixturevalue(target)
    is_active = account.is_active
    password = account.password
    url = reverse(url_name, args=[account.pk])

    assert official_client.get(url).status_code == 404
    assert official_client.post(url).status_code == 404

    account.refresh_from_db()
    assert account.is_active == is_active
    assert account.password == password
    assert not account.must_change_password


def test_accounts_with_admin_site_access_are_not_the_officials(
    official_client, city_official, city
):
    staff = UserFactory(username="staff-assessor", role=Role.ASSESSOR, city=city, is_staff=True)
    assert (
        "staff-assessor" not in official_client.get(reverse("cities:account_list")).content.decode()
    )
    assert (
        official_client.post(reverse("cities:account_reset_password", args=[staff.pk])).status_code
        == 404
    )
    with pytest.raises(NotFound):
        services.account_set_active(actor=city_official, user=staff, active=False)
    staff.refresh_from_db()
    assert staff.is_active
    assert staff.check_password("Sme-pilot-2026!")


def test_services_refuse_accounts_of_another_city(
    city_official, other_enterprise_user, other_assessor
):
    for account in (other_enterprise_user, other_assessor):
        with pytest.raises(NotFound):
            services.account_reset_password(actor=city_official, user=account)
        with pytest.raises(NotFound):
            services.account_set_active(actor=city_official, user=account, active=False)
        account.refresh_from_db()
        assert account.is_active
        assert account.check_password("Sme-pilot-2026!")


# --- bulk and the one-time sheet -------------------------------------------------------------


def test_bulk_page_creates_accounts_and_the_sheet_downloads_once(
    official_client, sub_industry, enterprise_user, client
):
    new = EnterpriseFactory.create_batch(3, sub_industry=sub_industry)
    page = official_client.get(reverse("cities:account_bulk_create"))
    assert "3</b> 家企业尚未开通账号" in page.content.decode()

    response = official_client.post(reverse("cities:account_bulk_create"))

    assert response.status_code == 302
    result = official_client.get(response["Location"])
    assert result.status_code == 200
    assert "已为 <b>3</b> 家企业开通账号" in result.content.decode()
    token = result.context["token"]
    download_url = reverse("cities:account_sheet_download", args=[token])
    assert download_url in result.content.decode()

    download = official_client.get(download_url)

    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in download["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("企业名称", "统一社会信用代码", "用户名", "初始密码", "角色")
    assert sorted(r[2] for r in rows[1:]) == sorted(e.uscc for e in new)
    for name, uscc, username, password, role in rows[1:]:
        user = User.objects.get(username=username)
        assert (user.enterprise.name, user.enterprise.uscc) == (name, uscc)
        assert role == "企业用户"
        assert user.check_password(password)

    again = official_client.get(download_url)
    assert again.status_code == 410
    assert "已被下载过或已超过 10 分钟有效期" in again.content.decode()
    assert official_client.get(response["Location"]).status_code == 410


def test_sheet_downloads_only_for_the_official_who_requested_it(
    official_client, client, city, sub_industry
):
    EnterpriseFactory(sub_industry=sub_industry)
    response = official_client.post(reverse("cities:account_bulk_create"))
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    download_url = reverse("cities:account_sheet_download", args=[token])

    colleague = Client()
    colleague.force_login(UserFactory(role=Role.CITY_OFFICIAL, city=city))
    assert colleague.get(download_url).status_code == 410

    assert official_client.get(download_url).status_code == 200


def test_bulk_with_nothing_to_do_says_so(official_client, enterprise_user):
    response = official_client.post(reverse("cities:account_bulk_create"), follow=True)
    assert "都已开通账号" in response.content.decode()


# --- list -----------------------------------------------------------------------------------------


def test_list_shows_own_citys_enterprise_users_and_assessors_only(
    official_client, enterprise_user, assessor, other_enterprise_user, other_city_official
):
    other_assessor = UserFactory(
        username="assessor2", role=Role.ASSESSOR, city=other_city_official.city
    )
    body = official_client.get(reverse("cities:account_list")).content.decode()
    assert ">ent<" in body
    assert ">assessor<" in body
    for absent in (other_enterprise_user, other_assessor, other_city_official):
        assert f">{absent.username}<" not in body
    assert ">official<" not in body


def test_list_search_and_filters(official_client, enterprise_user, enterprise, assessor):
    def usernames(**params):
        body = official_client.get(reverse("cities:account_list"), params).content.decode()
        return {name for name in ("ent", "assessor") if f">{name}<" in body}

    assert usernames() == {"ent", "assessor"}
    assert usernames(q=enterprise.name) == {"ent"}
    assert usernames(q=enterprise.uscc.lower()) == {"ent"}
    assert usernames(q="assess") == {"assessor"}
    assert usernames(role=Role.ASSESSOR) == {"assessor"}
    assert usernames(role=Role.ENTERPRISE) == {"ent"}
    assessor.is_active = False
    assessor.save()
    assert usernames(active="1") == {"ent"}
    assert usernames(active="0") == {"assessor"}


def test_list_is_paginated(official_client, city):
    UserFactory.create_batch(55, role=Role.ASSESSOR, city=city)
    first = official_client.get(reverse("cities:account_list"))
    second = official_client.get(reverse("cities:account_list"), {"page": 2})
    assert first.context["page"].paginator.num_pages == 2
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 5


def test_list_query_count_does_not_grow_with_accounts(
    official_client, city, sub_industry, django_assert_max_num_queries
):
    def add_accounts(n):
        for enterprise in EnterpriseFactory.create_batch(n, sub_industry=sub_industry):
            UserFactory(role=Role.ENTERPRISE, enterprise=enterprise)
        UserFactory.create_batch(n, role=Role.ASSESSOR, city=city)

    add_accounts(2)
    with CaptureQueriesContext(connection) as few:
        assert official_client.get(reverse("cities:account_list")).status_code == 200
    add_accounts(20)
    with django_assert_max_num_queries(len(few)):
        assert official_client.get(reverse("cities:account_list")).status_code == 200


# --- who may use the pages -------------------------------------------------------------------


def account_urls(pk: int) -> list[str]:
    return [
        reverse("cities:account_list"),
        reverse("cities:account_create"),
        reverse("cities:account_bulk_create"),
        reverse("cities:account_bulk_result", args=["sometoken"]),
        reverse("cities:account_sheet_download", args=["sometoken"]),
        reverse("cities:account_reset_password", args=[pk]),
        reverse("cities:account_deactivate", args=[pk]),
        reverse("cities:account_reactivate", args=[pk]),
    ]


@pytest.mark.parametrize("persona", ["assessor", "enterprise_user", "ministry_user", "admin_user_"])
def test_other_roles_get_404_on_every_account_page(request, client, persona, enterprise_user):
    client.force_login(request.getfixturevalue(persona))
    for url in account_urls(enterprise_user.pk):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    enterprise_user.refresh_from_db()
    assert enterprise_user.is_active
    assert not enterprise_user.must_change_password


def test_anonymous_is_sent_to_login_from_every_account_page(client, enterprise_user):
    for url in account_urls(enterprise_user.pk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_city_official_reaches_every_account_page(official_client, enterprise_user):
    statuses = {
        url: official_client.get(url).status_code for url in account_urls(enterprise_user.pk)
    }
    assert statuses == {
        **dict.fromkeys(account_urls(enterprise_user.pk), 200),
        reverse("cities:account_bulk_result", args=["sometoken"]): 410,
        reverse("cities:account_sheet_download", args=["sometoken"]): 410,
    }


# --- district officials and provider users (issue 13) -------------------------------------------


def test_the_create_page_opens_a_district_official_of_a_district_of_the_city(
    official_client, city, district, other_city, client
):
    from tests.cities.factories import DistrictFactory

    elsewhere = DistrictFactory(city=other_city, name="海曙区")
    page = official_client.get(reverse("cities:account_create")).content.decode()
    assert district.name in page and elsewhere.name not in page

    response = official_client.post(
        reverse("cities:account_create"),
        {"role": Role.DISTRICT_OFFICIAL, "username": "saihan", "district": district.pk},
    )
    assert response.status_code == 200
    user = User.objects.get(username="saihan")
    assert (user.role, user.city, user.district) == (Role.DISTRICT_OFFICIAL, city, district)
    assert user.must_change_password
    assert can_log_in(client, "saihan", shown_password(response))


def test_a_district_official_needs_a_district_of_the_officials_city(
    official_client, city_official, other_city
):
    from tests.cities.factories import DistrictFactory

    response = official_client.post(
        reverse("cities:account_create"), {"role": Role.DISTRICT_OFFICIAL, "username": "d1"}
    )
    assert "请选择本市的区县" in response.content.decode()
    elsewhere = DistrictFactory(city=other_city)
    response = official_client.post(
        reverse("cities:account_create"),
        {"role": Role.DISTRICT_OFFICIAL, "username": "d1", "district": elsewhere.pk},
    )
    assert response.status_code == 200  # not one of the choices: a form error
    with pytest.raises(NotFound):
        services.account_create(
            actor=city_official, role=Role.DISTRICT_OFFICIAL, district=elsewhere, username="d1"
        )
    assert not User.objects.filter(username="d1").exists()


@pytest.fixture
def listed_provider(provider, city, other_city):
    """The provider, in the libraries of both cities."""
    from tests.providers.factories import LibraryEntryFactory

    LibraryEntryFactory(provider=provider, city=city, status="active")
    LibraryEntryFactory(provider=provider, city=other_city, status="suspended")
    return provider


def test_provider_accounts_belong_to_the_provider_and_to_each_city_that_opened_them(
    city_official, other_city_official, listed_provider
):
    provider = listed_provider
    mine, _ = services.account_create(
        actor=city_official, role=Role.PROVIDER, provider_id=provider.pk, username="p-a"
    )
    theirs, _ = services.account_create(
        actor=other_city_official, role=Role.PROVIDER, provider_id=provider.pk, username="p-b"
    )
    assert (mine.provider, mine.city, theirs.provider) == (provider, None, provider)
    from cities.selectors import accounts as account_selectors

    assert set(account_selectors.account_list_manageable_by(user=city_official)) == {mine}
    with pytest.raises(NotFound):
        services.account_reset_password(actor=city_official, user=theirs)
    services.account_set_active(actor=city_official, user=mine, active=False)
    mine.refresh_from_db()
    assert not mine.is_active


def test_a_provider_account_needs_a_provider_of_the_citys_library(
    city_official, provider, other_city
):
    with pytest.raises(ValidationError) as exc:
        services.account_create(actor=city_official, role=Role.PROVIDER, username="p")
    assert exc.value.message_dict["provider"] == ["请选择服务商。"]
    with pytest.raises(ValidationError):
        services.account_create(
            actor=city_official, role=Role.PROVIDER, provider_id=987654, username="p"
        )
    from tests.providers.factories import LibraryEntryFactory

    LibraryEntryFactory(provider=provider, city=other_city)  # another city's library only
    with pytest.raises(ValidationError) as exc:
        services.account_create(
            actor=city_official, role=Role.PROVIDER, provider_id=provider.pk, username="p"
        )
    assert "不在本市服务商库中" in exc.value.message_dict["provider"][0]
    from cities.selectors import accounts as account_selectors

    assert account_selectors.provider_choices_for_accounts(user=city_official) == []
    assert not User.objects.filter(username="p").exists()


def test_the_create_page_opens_a_provider_account(official_client, listed_provider):
    provider = listed_provider
    response = official_client.post(
        reverse("cities:account_create"),
        {"role": Role.PROVIDER, "username": "vendor", "provider": provider.pk},
    )
    assert response.status_code == 200
    assert User.objects.get(username="vendor").provider == provider
    listing = official_client.get(reverse("cities:account_list"), {"q": provider.name[:4]})
    assert "vendor" in listing.content.decode()


def test_an_official_cannot_open_a_province_official(official_client):
    response = official_client.post(
        reverse("cities:account_create"), {"role": Role.PROVINCE_OFFICIAL, "username": "prov"}
    )
    assert "由系统管理员开通" in response.content.decode()
    assert not User.objects.filter(username="prov").exists()
