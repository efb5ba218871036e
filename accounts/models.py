"""The people who log in: one account, one role, and what it is bound to (a city, an enterprise,
a district of a city, a service provider or a province; `policy.REACH` says which).

These are registry rows (`cities`, `providers`), named by string so that this, the lowest app,
imports nothing above it.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from simple_history.models import HistoricalRecords

from .choices import Role

__all__ = ["AccountManager", "Role", "User"]


class AccountManager(UserManager["User"]):
    def create_superuser(self, username, email=None, password=None, **extra_fields):  # type: ignore[no-untyped-def,override]
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


# The bindings of the district, provider and province roles: null for every other role.
_NO_NEW = {"district__isnull": True, "provider__isnull": True, "province__isnull": True}


class User(AbstractUser):
    """A person who logs in, with exactly one role and the scope that role is bound to."""

    role = models.CharField("角色", max_length=20, choices=Role.choices)
    city = models.ForeignKey(
        "cities.PilotCity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="所属城市",
    )
    enterprise = models.ForeignKey(
        "cities.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="所属企业",
    )
    district = models.ForeignKey(
        "cities.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="所属区县",
    )
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="所属服务商",
    )
    province = models.ForeignKey(
        "cities.Province",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="所属省份",
    )
    display_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=30, blank=True)
    must_change_password = models.BooleanField("首次登录须修改密码", default=False)
    # The latest 重置密码 by a city official: a second one right after it is refused, naming them.
    password_reset_at = models.DateTimeField("密码重置时间", null=True, blank=True, editable=False)
    password_reset_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="密码重置人",
    )
    created_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="创建人",
    )
    # Raised by one each time the account is deactivated (services.account_sessions_end) and
    # mixed into the session hash: a later reactivation does not bring old sessions back.
    session_generation = models.PositiveIntegerField("登录会话代次", default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["password", "last_login", "session_generation"])

    objects: ClassVar[AccountManager] = AccountManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role="enterprise", enterprise__isnull=False, city__isnull=True, **_NO_NEW)
                    | Q(
                        role__in=["assessor", "city_official"],
                        city__isnull=False,
                        enterprise__isnull=True,
                        **_NO_NEW,
                    )
                    | Q(
                        role="district_official",
                        city__isnull=False,
                        district__isnull=False,
                        enterprise__isnull=True,
                        provider__isnull=True,
                        province__isnull=True,
                    )
                    | Q(
                        role="provider",
                        provider__isnull=False,
                        city__isnull=True,
                        enterprise__isnull=True,
                        district__isnull=True,
                        province__isnull=True,
                    )
                    | Q(
                        role="province_official",
                        province__isnull=False,
                        city__isnull=True,
                        enterprise__isnull=True,
                        district__isnull=True,
                        provider__isnull=True,
                    )
                    | Q(
                        role__in=["ministry", "admin"],
                        city__isnull=True,
                        enterprise__isnull=True,
                        **_NO_NEW,
                    )
                ),
                name="accounts_user_role_scope",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's HMAC of the password hash, with the session generation in it once raised.

        Generation 0 keeps Django's own value, so sessions opened before this existed stay valid.
        Django calls this with each of SECRET_KEY_FALLBACKS too, so key rotation keeps working.
        """
        if not self.session_generation:
            # Not in django-stubs; Django's get_session_auth_hash and fallbacks both call it.
            return str(super()._get_session_auth_hash(secret=secret))  # type: ignore[misc]
        return salted_hmac(
            # The model's first home: the salt stays, so no session hash changes with the move.
            "cities.models.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def clean(self) -> None:
        from .policy import REACH, Reach  # the policy says what each role is bound to

        super().clean()
        reach = REACH.get(self.role)
        keep: set[str] = set()
        if reach is Reach.ENTERPRISE:
            if self.enterprise_id is None:
                raise ValidationError({"enterprise": "企业用户必须绑定一家企业"})
            keep = {"enterprise"}
        elif reach is Reach.CITY:
            if self.city_id is None:
                raise ValidationError({"city": "城市管理员和现场评定员必须绑定一个试点城市"})
            keep = {"city"}
        elif reach is Reach.DISTRICT:
            if self.city_id is None:
                raise ValidationError({"city": "区县管理员必须绑定一个试点城市"})
            if self.district_id is None:
                raise ValidationError({"district": "区县管理员必须绑定本市的一个区县"})
            if self.district is not None and self.district.city_id != self.city_id:
                raise ValidationError({"district": "所选区县不属于该账号的试点城市"})
            keep = {"city", "district"}
        elif reach is Reach.PROVIDER:
            if self.provider_id is None:
                raise ValidationError({"provider": "服务商用户必须绑定一家服务商"})
            keep = {"provider"}
        elif reach is Reach.PROVINCE:
            if self.province_id is None:
                raise ValidationError({"province": "省级管理员必须绑定一个省份"})
            keep = {"province"}
        for name in ("city", "enterprise", "district", "provider", "province"):
            if name not in keep:
                setattr(self, name, None)
