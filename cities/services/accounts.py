"""Accounts a city official provisions for its city: enterprise users, on-site assessors,
district officials (one of the city's districts) and service-provider users.

Every password set here was chosen by someone other than its owner, so every account created or
reset here must change it at first login. Accounts outside the official's city are answered as
if they did not exist (`AccountNotFound`, a 404).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import secrets
import string
from collections.abc import Iterable
from copy import copy

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from openpyxl import Workbook
from simple_history.utils import bulk_create_with_history

from accounts import policy
from accounts.models import Role, User
from accounts.services import account_sessions_end
from sme_pilot.errors import Forbidden, NotFound
from sme_pilot.observability import security_event

from ..models import District, Enterprise, PilotCity
from ..selectors.accounts import enterprise_list_without_account, providers_in_library

# Three groups of four, joined by "-" ("Kx7#-m9Pq-3tZ$"): read out over the phone group by group.
PASSWORD_GROUPS = 3
PASSWORD_GROUP_LENGTH = 4
PASSWORD_LENGTH = PASSWORD_GROUPS * (PASSWORD_GROUP_LENGTH + 1) - 1
# No 0/O/o, 1/l/I: the password is read off a sheet and typed by hand.
_UPPER = "".join(c for c in string.ascii_uppercase if c not in "IO")
_LOWER = "".join(c for c in string.ascii_lowercase if c not in "lo")
_DIGITS = "23456789"
# None of = + - @: a password must survive the credential sheet's formula escaping unchanged.
_SYMBOLS = "#$%*?!"

# Initial passwords are random (~80 bits), so key stretching adds nothing to their strength,
# while a million PBKDF2 rounds cost ~0.3 s each: a bulk of 400 enterprises would take two
# minutes in one request. Bulk-created accounts get fewer rounds; Django re-hashes at full
# strength on the first successful login, and the owner must replace the password anyway.
BULK_PBKDF2_ITERATIONS = 20_000

SHEET_TTL_SECONDS = 10 * 60
SHEET_HEADER = ("企业名称", "统一社会信用代码", "用户名", "初始密码", "角色")
# Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

PROVISIONABLE_ROLES = policy.PROVISIONED_BY_CITY
# A mainland China mobile number: 11 digits, 1 then 3-9 (optional on an account).
MOBILE = re.compile(r"1[3-9]\d{9}")


class AccountNotFound(NotFound):
    """The account or enterprise is outside the actor's city: it does not exist for them."""


def password_generate() -> str:
    """A random password in groups ("Kx7#-m9Pq-3tZ$", ~70 bits) with upper, lower, digit and
    symbol, starting with a letter."""
    alphabet = _UPPER + _LOWER + _DIGITS + _SYMBOLS
    while True:
        chars = [secrets.choice(_UPPER + _LOWER)]
        chars += [
            secrets.choice(alphabet) for _ in range(PASSWORD_GROUPS * PASSWORD_GROUP_LENGTH - 1)
        ]
        if all(any(c in group for c in chars) for group in (_UPPER, _LOWER, _DIGITS, _SYMBOLS)):
            groups = [
                "".join(chars[i : i + PASSWORD_GROUP_LENGTH])
                for i in range(0, len(chars), PASSWORD_GROUP_LENGTH)
            ]
            return "-".join(groups)


def _ensure_city_official(actor: User) -> int:
    """The actor's city id; only an active city official provisions accounts."""
    city_id = policy.managed_city_id(actor)
    if city_id is None:
        raise Forbidden("只有城市管理员可以管理本市账号。")
    return city_id


def _ensure_in_scope(actor: User, user: User) -> None:
    city_id = _ensure_city_official(actor)
    if user.is_staff or user.is_superuser:
        # Admin-site access is the administrators' business, whatever role the account has.
        raise AccountNotFound("没有找到该账号")
    if not policy.account_in_city(user, city_id):
        raise AccountNotFound("没有找到该账号")


def _record_change(user: User, actor: User, reason: str) -> None:
    """Who and why for the history record, also when no request is around (shell, commands)."""
    user._history_user = actor  # type: ignore[attr-defined]
    user._change_reason = reason  # type: ignore[attr-defined]
    security_event(
        "account_change",
        actor_id=actor.pk,
        target=user.username,
        target_role=user.role,
        reason=reason,
    )


def _ensure_username_free(username: str) -> None:
    # Case-insensitive: "ABC" and "abc" would be two accounts nobody can tell apart.
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": f"用户名“{username}”已被占用，请换一个用户名。"}, code="duplicate"
        )


@transaction.atomic
def account_create(
    *,
    actor: User,
    role: str,
    enterprise: Enterprise | None = None,
    district: District | None = None,
    provider_id: int | None = None,
    username: str | None = None,
    display_name: str = "",
    phone: str = "",
) -> tuple[User, str]:
    """Create one account of the actor's city: an enterprise user (`enterprise`), an assessor,
    a district official (`district`, one of the city's) or a provider user (`provider_id`).

    Returns the account and its initial password, which is shown once and never stored in clear.
    """
    city_id = _ensure_city_official(actor)
    if role not in PROVISIONABLE_ROLES:
        raise ValidationError(
            {
                "role": "城市管理员只能开通企业用户、现场评定员、区县管理员和服务商账号；"
                "城市管理员、省级管理员、部委用户和系统管理员账号由系统管理员开通。"
            },
            code="forbidden_role",
        )
    username = User.normalize_username((username or "").strip())
    phone = phone.strip()
    if phone and not MOBILE.fullmatch(phone):
        raise ValidationError(
            {"phone": f"手机号“{phone[:20]}”无效：请填写 11 位中国大陆手机号，例如 13812345678"},
            code="invalid_phone",
        )
    user = User(
        role=role,
        display_name=display_name.strip(),
        phone=phone,
        must_change_password=True,
        created_by=actor,
    )
    binding = policy.account_binding(role)
    if enterprise is not None and binding != "enterprise":
        raise ValidationError({"enterprise": "只有企业用户账号绑定企业。"}, code="invalid")
    if district is not None and binding != "district":
        raise ValidationError({"district": "只有区县管理员账号绑定区县。"}, code="invalid")
    if provider_id is not None and binding != "provider":
        raise ValidationError({"provider": "只有服务商账号绑定服务商。"}, code="invalid")
    if binding == "enterprise":
        if enterprise is None:
            raise ValidationError({"enterprise": "请选择要开通账号的企业。"}, code="required")
        if enterprise.city_id != city_id:
            raise AccountNotFound("没有找到该企业")
        user.enterprise = enterprise
        username = username or enterprise.uscc
    else:
        label = Role(role).label
        if binding == "district":
            if district is None:
                raise ValidationError({"district": "请选择本市的区县。"}, code="required")
            if district.city_id != city_id:
                raise AccountNotFound("没有找到该区县")
            user.district = district
        if binding == "provider":
            if provider_id is None:
                raise ValidationError({"provider": "请选择服务商。"}, code="required")
            if not providers_in_library(city_id).filter(pk=provider_id).exists():
                raise ValidationError(
                    {"provider": "该服务商不在本市服务商库中，请先将其加入服务商库。"},
                    code="invalid",
                )
            user.provider_id = provider_id
        else:
            user.city_id = city_id
        if not username:
            raise ValidationError({"username": f"请为{label}填写用户名。"}, code="required")
    user.username = username
    _ensure_username_free(username)
    password = password_generate()
    user.set_password(password)
    user.full_clean()
    _record_change(user, actor, "城市管理员开通账号")
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Another request took the same username between the check and the insert.
        raise ValidationError(
            {"username": f"用户名“{username}”已被占用，请换一个用户名。"}, code="duplicate"
        ) from None
    return user, password


def _bulk_password_hash(password: str) -> str:
    hasher = get_hasher("default")
    if isinstance(hasher, PBKDF2PasswordHasher) and hasher.iterations > BULK_PBKDF2_ITERATIONS:
        cheaper = copy(hasher)
        cheaper.iterations = BULK_PBKDF2_ITERATIONS
        return make_password(password, hasher=cheaper)
    return make_password(password)


def _free_usernames(wanted: list[str]) -> dict[str, str]:
    """Map each wanted username to itself, or to `<name>-<n>` when it is already taken."""
    lowered = {name.lower() for name in wanted}
    taken = set(
        User.objects.annotate(lower_name=Lower("username"))
        .filter(lower_name__in=lowered)
        .values_list("lower_name", flat=True)
    )
    result = {name: name for name in wanted if name.lower() not in taken}
    clashes = [name for name in wanted if name.lower() in taken]
    if clashes:
        taken |= {
            name.lower()
            for name in User.objects.filter(
                username__iregex=r"^(" + "|".join(map(re.escape, clashes)) + r")-[0-9]+$"
            ).values_list("username", flat=True)
        }
        for name in clashes:
            n = 2
            while f"{name}-{n}".lower() in taken:
                n += 1
            result[name] = f"{name}-{n}"
            taken.add(result[name].lower())
    return result


@transaction.atomic
def accounts_create_for_roster(*, actor: User) -> list[tuple[User, str]]:
    """One enterprise-user account for every enterprise of the actor's city that has none.

    The username is the enterprise's USCC (suffixed `-2`, `-3`… if someone already holds it).
    An enterprise whose only account is deactivated has one: reactivate it instead.
    """
    city_id = _ensure_city_official(actor)
    # One bulk creation per city at a time: a double click's second request waits here, then
    # finds every enterprise with its account and creates nothing (no IntegrityError, no 500).
    PilotCity.objects.select_for_update().filter(pk=city_id).first()
    enterprises = list(enterprise_list_without_account(user=actor).order_by("uscc"))
    if not enterprises:
        return []
    usernames = _free_usernames([e.uscc for e in enterprises])
    created: list[tuple[User, str]] = []
    for enterprise in enterprises:
        password = password_generate()
        user = User(
            username=usernames[enterprise.uscc],
            role=Role.ENTERPRISE,
            enterprise=enterprise,
            display_name="",
            must_change_password=True,
            created_by=actor,
        )
        user.password = _bulk_password_hash(password)
        created.append((user, password))
    bulk_create_with_history(
        [user for user, _ in created],
        User,
        batch_size=500,
        default_user=actor,
        default_change_reason="城市管理员批量开通账号",
    )
    return created


def _ensure_not_just_reset(actor: User, user: User) -> None:
    """Refuse a reset right after another one: its password was shown to someone already."""
    if user.password_reset_at is None:
        return
    interval = dt.timedelta(seconds=settings.ACCOUNT_RESET_MIN_INTERVAL_SECONDS)
    remaining = user.password_reset_at + interval - timezone.now()
    if remaining <= dt.timedelta(0):
        return
    at = f"{timezone.localtime(user.password_reset_at):%H:%M:%S}"
    wait = f"如确需再次重置，请 {math.ceil(remaining.total_seconds())} 秒后再试。"
    by = user.password_reset_by
    if by is not None and by.pk == actor.pk:
        message = (
            f"该账号的密码刚刚（{at}）已由您本人重置，新的初始密码已在当时的页面上显示。{wait}"
        )
    else:
        name = f"“{by}”" if by is not None else "他人"
        message = (
            f"该账号的密码刚刚（{at}）已由{name}重置，新的初始密码只显示给了重置人，"
            f"请向其索取。{wait}"
        )
    raise ValidationError(message, code="just_reset")


@transaction.atomic
def account_reset_password(*, actor: User, user: User) -> str:
    """Give the account a new initial password, to be changed at next login; returns it.

    Also lifts a login lockout, as the lock page tells a locked-out user to ask for a reset.
    Resets of one account at the same moment (two officials, two tabs) queue on its row, and
    the later one is refused while the first is recent (ACCOUNT_RESET_MIN_INTERVAL_SECONDS),
    saying who reset it and when: exactly one password is handed out, and it works.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    _ensure_in_scope(actor, locked)
    _ensure_not_just_reset(actor, locked)
    password = password_generate()
    locked.set_password(password)
    locked.must_change_password = True
    locked.password_reset_at = timezone.now()
    locked.password_reset_by = actor
    _record_change(locked, actor, "城市管理员重置密码")
    locked.save(
        update_fields=["password", "must_change_password", "password_reset_at", "password_reset_by"]
    )
    axes_reset(username=locked.username)
    user.refresh_from_db()
    return password


@transaction.atomic
def account_set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate an account (it can no longer log in; open sessions end for good) or
    reactivate it (with no session from before)."""
    _ensure_in_scope(actor, user)
    if user.is_active != active:
        user.is_active = active
        _record_change(user, actor, "城市管理员启用账号" if active else "城市管理员停用账号")
        user.save(update_fields=["is_active"])
        if not active:
            account_sessions_end(user=user)
    return user


def _sheet_cell(value: str) -> str:
    if value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def credential_sheet_xlsx(rows: Iterable[tuple[User, str]]) -> bytes:
    """The one-time credential sheet: one row per account with its initial password."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("初始账号")
    for column, width in zip("ABCDE", (40, 22, 24, 18, 12), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.append(list(SHEET_HEADER))
    for user, password in rows:
        enterprise = user.enterprise
        values = (
            enterprise.name if enterprise else "",
            enterprise.uscc if enterprise else "",
            user.username,
            password,
            user.get_role_display(),
        )
        sheet.append([_sheet_cell(v) for v in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_key(user: User, token: str) -> str:
    # The requester's id is part of the key: a token is worth nothing to anyone else.
    return f"accounts:credential-sheet:{user.pk}:{token}"


def credential_sheet_store(*, user: User, content: bytes, count: int) -> str:
    """Keep a credential sheet for one download by `user` within ten minutes; returns a token."""
    token = secrets.token_urlsafe(32)
    cache.set(_sheet_key(user, token), {"content": content, "count": count}, SHEET_TTL_SECONDS)
    return token


def credential_sheet_count(*, user: User, token: str) -> int | None:
    """How many accounts a still-downloadable sheet holds, or None if it is gone."""
    entry = cache.get(_sheet_key(user, token))
    return None if entry is None else int(entry["count"])


def credential_sheet_pop(*, user: User, token: str) -> bytes | None:
    """The sheet's bytes the first time only; None once downloaded, expired or not theirs."""
    key = _sheet_key(user, token)
    entry = cache.get(key)
    # Only the request whose delete succeeds serves it, so two racing downloads get one copy.
    if entry is None or not cache.delete(key):
        return None
    content: bytes = entry["content"]
    return content
