"""One permission matrix over the whole product: every role × every URL pattern the project serves.

The URL patterns are read from the URL configuration (`urlpatterns`, routers included), so a new
pattern without an entry in MATRIX fails `test_every_url_pattern_has_a_matrix_entry`, and an entry
whose pattern is gone fails it too. Each (entry, role) pair is its own test.

Reading an expectation: one token per role, in the order of ROLES —

    anon  not logged in            asr   assessor of city A (HHHT)    off   city official of A
    ent   enterprise A1's user     asr2  assessor of city B (NB)      off2  city official of B
    ent2  enterprise A2's user (same city as A1)                      min   ministry
                                                                      adm   administrator (staff)
    dst   district official of A's district D1 (A1 is in D1, A2 is not)
    prv   a service provider's user (sees no registry row: its projects come later)
    prov  province official of A's province (内蒙古; city B is in another province)

    L     302 to the login page (a page that needs a session)
    302   a redirect elsewhere (never to the login page: the role was let in)
    other the HTTP status code

Objects in URLs always belong to enterprise A1 or city A, so "own vs other's" is decided by the
same objects for everyone: the second enterprise of the same city and city B's staff must get
404 (out of scope looks exactly like "does not exist", STYLE.md "Scoping"), never 403.

POST, PATCH and the rest run inside the test's transaction and roll back; payloads are chosen so
an allowed role does the harmless thing (a done import job cannot be re-confirmed, a submitted
assessment cannot be edited) or something undone with the rollback.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Role
from assessments import evidence as evidence_content
from assessments.models import Evidence, Method, Purpose
from cities.models import CityTarget, ImportJob, ImportJobState, ImportKind, Province
from cities.services import accounts as account_services
from funds.models import FundsPlan, LedgerEntry
from notifications import services as notification_services
from notifications.choices import Kind
from notifications.models import DeadlineNotice, Mail, Notification, Preferences
from oversight.models import CityScore, Scorecard, ScorecardIndicator
from projects.models import (
    Project,
    ProjectDocument,
    ProviderEvaluation,
    ProviderScoring,
    SubsidyRule,
    TransformationSample,
)
from providers.models import Provider
from reports.models import (
    DossierArchive,
    DossierArchiveState,
    ReportDownload,
    ReportJob,
    ReportJobState,
    ReportKind,
)
from sme_pilot.storage import private_storage
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import (
    CityFactory,
    DistrictFactory,
    EnterpriseFactory,
    SubIndustryFactory,
    UserFactory,
)
from tests.providers.factories import LibraryEntryFactory, ProductFactory

ROLES = ("anon", "ent", "ent2", "asr", "asr2", "off", "off2", "min", "adm", "dst", "prv", "prov")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One URL pattern (by name), the request to make, and the expected outcome per role."""

    route: str
    expect: str
    method: str = "GET"
    # URL kwargs: an attribute path into the seeded world ("sub_a1.pk"), or a callable of it.
    kwargs: dict[str, str | Callable[[Any], Any]] = dataclasses.field(default_factory=dict)
    data: dict[str, Any] | Callable[[Any], dict[str, Any]] | None = None
    json: bool = False  # send `data` as JSON (the API's assessment endpoints parse JSON only)
    label: str = ""  # tells several entries of one pattern apart in test ids
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def expected(self) -> dict[str, str]:
        tokens = self.expect.split()
        assert len(tokens) == len(ROLES), f"{self.route}: {len(tokens)} tokens for {len(ROLES)}"
        return dict(zip(ROLES, tokens, strict=True))

    @property
    def id(self) -> str:
        label = f"[{self.label}]" if self.label else ""
        return f"{self.route}{label}-{self.method}"


def E(route: str, expect: str, method: str = "GET", **options: Any) -> Entry:
    """An entry; keyword arguments that are not Entry fields are URL kwargs."""
    fields = {f.name for f in dataclasses.fields(Entry)}
    kwargs = {k: v for k, v in options.items() if k not in fields}
    rest = {k: v for k, v in options.items() if k in fields}
    return Entry(route, expect, method, kwargs=kwargs, **rest)


def sheet_token(w: Any) -> str:
    """A fresh one-time credential sheet of city A's official (the cache is cleared per test)."""
    return account_services.credential_sheet_store(user=w.users.off, content=b"xlsx", count=1)


# URL kwargs (attribute paths into the seeded world); a `label` names the variant in test ids.
CITY = {"code": "city.code"}  # city A
ENT = {"uscc": "ent.uscc"}  # enterprise A1
ACCOUNT = {"pk": "users.ent.pk"}  # A1's account, which city A's official manages
PROVIDER_ACCOUNT = {"pk": "users.prv.pk", "label": "provider"}  # opened by city A's official
DISTRICT_ACCOUNT = {"pk": "users.dst.pk", "label": "district"}
SUBMITTED = {"pk": "sub_a1.pk"}  # A1's submitted self-assessment
CONFIRMED = {"pk": "conf_a1.pk"}  # A1's confirmed on-site assessment
DRAFT = {"pk": "draft_a1.pk", "label": "draft"}  # A1's draft: private to A1 (and the admin)
ONSITE_DRAFT = {"pk": "onsite_a1.pk", "label": "onsite-draft"}  # A1's complete on-site draft
IMPORT = {"pk": "import_a.pk"}  # city A's finished import job
CITY_JOB = {"pk": "jobs.city.pk", "label": "city"}  # done report jobs, each with its PDF
NATIONAL_JOB = {"pk": "jobs.national.pk", "label": "national"}
ASSESSMENT_JOB = {"pk": "jobs.assessment.pk", "label": "assessment"}  # report on sub_a1
DOSSIER_JOB = {"pk": "jobs.dossier.pk", "label": "dossier"}  # A1's 一企一档 (district D1)
ARCHIVE = {"pk": "archive.pk"}  # city A's 一企一档 ZIP, requested by city A's official
# Evidence files (a PDF on Q1) of A1's submitted self-assessment and of its private draft.
SUB_EVIDENCE = {"pk": "sub_a1.pk", "evidence_id": "evidence.submitted.pk"}
DRAFT_EVIDENCE = {"pk": "draft_a1.pk", "evidence_id": "evidence.draft.pk", "label": "draft"}
LIBRARY = {"pk": "library.pk"}  # an active provider in city A's library (with a product)
PROJECT = {"pk": "project.pk"}  # A1's project (admitted)
OWN_PRODUCT = {"pk": "own_product.pk"}  # a product of the provider user's own provider
OTHER_PRODUCT = {"pk": "library_product.pk", "label": "other-provider"}  # the library provider's
LEDGER_ENTRY = {"code": "city.code", "pk": "ledger_entry.pk"}  # city A's central receipt
FUNDS_ENTRY = {
    "entry_on": "2025-03-02",
    "kind": "expense",
    "source": "local",
    "category": "platform",
    "amount": "1.00",
    "reference": "MX-NEW",
}
FUNDS_REVERSAL = {"entry_on": "2025-03-02", "reference": "MX-1-R", "reason": "重复到账"}
PRODUCT_FORM = {"name": "权限矩阵产品", "scenes": ["S05"], "price_min": "1", "price_max": "2"}
PROJECT_DOC = {"pk": "project.pk", "document_id": "project_doc.pk"}  # a PDF A1 uploaded to it


API_SUB = {"assessment_pk": "sub_a1.pk"}
API_DRAFT = {"assessment_pk": "draft_a1.pk", "label": "draft"}
API_SUB_EVIDENCE = {"assessment_pk": "sub_a1.pk", "pk": "evidence.submitted.pk"}
API_DRAFT_EVIDENCE = {
    "assessment_pk": "draft_a1.pk",
    "pk": "evidence.draft.pk",
    "label": "draft",
}


def _evidence_upload() -> dict[str, Any]:
    """A fresh upload of a real PDF for Q1 (a file can be read only once), not the one seeded."""
    content = PDF.replace(b"permission matrix", b"uploaded")
    return {"item": "Q1", "file": SimpleUploadedFile("台账.pdf", content, "application/pdf")}


def _document_upload() -> dict[str, Any]:
    """A fresh upload of a real PDF to A1's project, not the one seeded."""
    content = PDF.replace(b"permission matrix", b"uploaded document")
    return {
        "stage": "admitted",
        "doc_type": "other",
        "file": SimpleUploadedFile("合同.pdf", content, "application/pdf"),
    }


DECLARED = {"registered_locally": True, "good_credit": True, "no_violations": True, "pledge": True}


def _apply_for(enterprise: str) -> Callable[[Any], dict[str, Any]]:
    """An application to the pool naming `enterprise` (its USCC), the declaration confirmed."""
    return lambda w: {"enterprise": attrgetter(enterprise)(w).uscc, **DECLARED}


def _move(move: str, expect: str, **data: Any) -> Entry:
    """A pipeline move on A1's project (at 已选定服务商, no filing yet) with well-formed input:
    the role check (403) and the stage table (409) answer, or the move is made (rolled back)."""
    return E(f"project-{move}", expect, "POST", **PROJECT, data=data, json=True)


def _unsubscribe_token(w: Any) -> str:
    """The unsubscribe link of a mail to A1's user about returned filings."""
    return notification_services.unsubscribe_token(
        user_id=w.users.ent.pk, kind=Kind.FILING_RETURNED
    )


def _report_request(kind: str, assessment: str = "sub_a1") -> dict[str, Any]:
    """POST data of a report request (city A, the given assessment of A1), labelled by kind."""

    def data(w: Any) -> dict[str, Any]:
        return {
            "kind": kind,
            "city_code": w.city.code,
            "assessment_id": attrgetter(assessment)(w).pk,
        }

    return {"data": data, "label": kind if assessment == "sub_a1" else f"{kind}-{assessment}"}


def _api_report_request(kind: str, assessment: str = "sub_a1") -> dict[str, Any]:
    """JSON of a report request over the API (the subject parameter of the kind only)."""

    def data(w: Any) -> dict[str, Any]:
        return {
            ReportKind.CITY: {"kind": kind, "city_code": w.city.code},
            ReportKind.NATIONAL: {"kind": kind},
            ReportKind.ASSESSMENT: {"kind": kind, "assessment_id": attrgetter(assessment)(w).pk},
        }[ReportKind(kind)]

    label = kind if assessment == "sub_a1" else f"{kind}-{assessment}"
    return {"data": data, "json": True, "label": label}


# The whole product, pattern by pattern.
# fmt: off
MATRIX: list[Entry] = [
    # --- probes: anyone, no session needed --------------------------------------------------
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("healthz",               "200 200 200 200 200 200 200 200 200 200 200 200"),
    E("healthz",               "405 405 405 405 405 405 405 405 405 405 405 405", "POST"),
    E("readyz",                "200 200 200 200 200 200 200 200 200 200 200 200"),

    # --- sign-in ----------------------------------------------------------------------------
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("accounts:login",                 "200 302 302 302 302 302 302 302 302 302 302 302"),
    E("accounts:logout",                "405 405 405 405 405 405 405 405 405 405 405 405"),
    E("accounts:logout",                "L   L   L   L   L   L   L   L   L L   L   L", "POST"),
    E("accounts:password_change",       "L   200 200 200 200 200 200 200 200 200 200 200"),
    E("accounts:password_change_done",  "L   200 200 200 200 200 200 200 200 200 200 200"),
    E("cities:home",                  "L   302 302 302 302 302 302 302 302 302 302 302"),

    # --- registry pages, dashboards, export -------------------------------------------------
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("cities:city_list",             "L   404 404 404 404 404 404 200 200 404 404 200"),
    E("cities:city_detail",           "L   404 404 200 404 200 404 200 200 404 404 200", **CITY),
    E("oversight:roster",                "L   404 404 200 404 200 404 200 200 200 404 200", **CITY),
    E("oversight:city_dashboard",        "L   404 404 404 404 200 404 200 200 404 404 200", **CITY),
    E("oversight:roster_export",         "L   404 404 404 404 200 404 200 200 404 404 200", **CITY),
    E("oversight:national_dashboard",    "L   404 404 404 404 404 404 200 200 404 404 200"),
    E("cities:enterprise_detail",     "L   302 404 200 404 200 404 200 200 200 404 200", **ENT),
    E("cities:my_enterprise",         "L   200 200 404 404 404 404 404 404 404 404 404"),
    E("projects:subsidy_policy",      "L   404 404 404 404 200 404 200 200 404 404 200", **CITY),
    E("cities:my_enterprise",         "L   302 302 404 404 404 404 404 404 404 404 404", "POST",
      data={"contact_name": "张三"}),

    # --- imports: pages and the htmx progress fragment --------------------------------------
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("cities:import_list",           "L   404 404 404 404 200 200 404 200 404 404 404"),
    E("cities:import_list", "L   404 404 404 404 200 200 404 200 404 404 404", "POST", data={}),
    E("cities:import_detail",         "L   404 404 404 404 200 404 404 200 404 404 404", **IMPORT),
    E("cities:import_confirm", "L   404 404 404 404 302 404 404 302 404 404 404", "POST", **IMPORT),
    E("cities:import_confirm",        "L   405 405 405 405 405 405 405 405 405 405 405", **IMPORT),
    E("cities:import_progress",       "L   404 404 404 404 200 404 404 200 404 404 404", **IMPORT),
    E("cities:import_template",       "L   404 404 404 404 200 200 404 200 404 404 404",
      kind=lambda w: "enterprises"),
    E("cities:import_template",       "L   404 404 404 404 404 404 404 200 404 404 404",
      kind=lambda w: "cities", label="cities"),

    # --- account management: city officials only --------------------------------------------
    # 410 for city B's official: a sheet token that is not yours reads as expired, like any
    # unknown token, so it confirms nothing.
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("cities:account_list",          "L   404 404 404 404 200 200 404 404 404 404 404"),
    E("cities:account_create",        "L   404 404 404 404 200 200 404 404 404 404 404"),
    E("cities:account_create", "L   404 404 404 404 200 200 404 404 404 404 404", "POST", data={}),
    E("cities:account_enterprise_search", "L 404 404 404 404 200 200 404 404 404 404 404",
      data=lambda w: {"q": w.ent.name[:2]}),
    E("cities:account_bulk_create",   "L   404 404 404 404 200 200 404 404 404 404 404"),
    E("cities:account_bulk_result", "L   404 404 404 404 200 410 404 404 404 404 404",
      token=sheet_token),
    E("cities:account_sheet_download", "L  404 404 404 404 200 410 404 404 404 404 404",
      token=sheet_token),
    E("cities:account_reset_password", "L  404 404 404 404 200 404 404 404 404 404 404", **ACCOUNT),
    E("cities:account_deactivate",    "L   404 404 404 404 200 404 404 404 404 404 404", **ACCOUNT),
    E("cities:account_deactivate", "L   404 404 404 404 302 404 404 404 404 404 404",
      "POST", **ACCOUNT),
    E("cities:account_reactivate",    "L   404 404 404 404 200 404 404 404 404 404 404", **ACCOUNT),
    # The provider's and the district official's accounts: city A's official manages them.
    E("cities:account_reset_password", "L  404 404 404 404 200 404 404 404 404 404 404",
      **PROVIDER_ACCOUNT),
    E("cities:account_deactivate", "L   404 404 404 404 302 404 404 404 404 404 404",
      "POST", **DISTRICT_ACCOUNT),

    # --- assessment pages -------------------------------------------------------------------
    # Seen but not theirs to act on: 403 from the services (the object is known to exist).
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("assessments:assessment_list",       "L   200 200 404 404 404 404 404 404 404 404 404"),
    E("assessments:assessment_new", "L   302 302 403 403 403 403 403 403 403 403 403", "POST",
      data={"purpose": "self_check"}),
    E("assessments:assessment_new",        "L   405 405 405 405 405 405 405 405 405 405 405"),
    E("assessments:enterprise_assessments", "L  302 404 200 404 200 404 200 200 200 404 200",
      **ENT),
    E("assessments:assessment_detail", "L   200 404 200 404 200 404 200 200 200 404 200",
      **SUBMITTED),
    E("assessments:assessment_detail", "L   200 404 404 404 404 404 404 200 404 404 404", **DRAFT),
    E("assessments:assessment_autosave", "L   400 404 403 404 403 404 403 403 403 404 403",
      "POST", **SUBMITTED,
      data={"field": "Q2", "value": "C", "base_version": 0}),
    E("assessments:assessment_submit", "L   200 404 404 404 404 404 404 404 404 404 404", **DRAFT),
    E("assessments:assessment_submit", "L   302 404 404 404 404 404 404 404 404 404 404",
      **SUBMITTED),
    E("assessments:assessment_submit", "L   200 404 403 404 403 404 403 403 403 404 403",
      "POST", **SUBMITTED,
      data={"signer_name": "张伟", "signer_title": "总经理", "pledge": "on"}),
    E("assessments:assessment_result", "L   200 404 200 404 200 404 200 200 200 404 200",
      **SUBMITTED),
    E("assessments:assessment_confirm", "L   403 404 302 404 403 404 403 403 403 404 403",
      "POST", **CONFIRMED),
    E("assessments:assessment_return", "L   404 404 200 404 404 404 404 404 404 404 404",
      **SUBMITTED),
    E("assessments:assessment_return", "L   403 404 302 404 403 404 403 403 403 404 403",
      "POST", **SUBMITTED,
      data={"comment": "请补充设备台账"}),
    E("assessments:assessment_correct", "L   403 404 302 404 403 404 403 403 403 404 403",
      "POST", **CONFIRMED),
    E("assessments:assessor_list",         "L   404 404 200 200 404 404 404 404 404 404 404"),
    E("assessments:onsite_start", "L   403 404 302 404 403 404 403 403 403 404 403", "POST", **ENT,
      data={"purpose": "baseline"}),
    E("assessments:assessor_queue",        "L   404 404 200 200 404 404 404 404 404 404 404"),
    # The confirmation preview: the city's assessor only (others who see the assessment: 404,
    # as the return page); a confirmed one is its result page.
    E("assessments:assessment_confirm_preview", "L 404 404 200 404 404 404 404 404 404 404 404",
      **ONSITE_DRAFT),
    E("assessments:assessment_confirm_preview", "L 404 404 302 404 404 404 404 404 404 404 404",
      **CONFIRMED),
    # Evidence files (佐证材料): listed and downloaded by whoever sees the assessment; uploaded and
    # deleted by its answers' editor while it is editable (a submitted one: back with a message).
    E("assessments:evidence_upload", "L   302 404 403 404 403 404 403 403 403 404 403",
      "POST", **SUBMITTED,
      data=lambda w: _evidence_upload()),
    E("assessments:evidence_upload", "L   302 404 404 404 404 404 404 403 404 404 404",
      "POST", **DRAFT,
      data=lambda w: _evidence_upload()),
    E("assessments:evidence_download", "L   200 404 200 404 200 404 200 200 200 404 200",
      **SUB_EVIDENCE),
    E("assessments:evidence_download", "L   200 404 404 404 404 404 404 200 404 404 404",
      **DRAFT_EVIDENCE),
    E("assessments:evidence_delete",   "L   302 404 403 404 403 404 403 403 403 404 403", "POST",
      **SUB_EVIDENCE),
    E("assessments:evidence_delete",   "L   302 404 404 404 404 404 404 403 404 404 404", "POST",
      **DRAFT_EVIDENCE),

    # --- reports: request, status page, progress fragment, retry, download ------------------
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("reports:report_list",           "L   200 200 200 200 200 200 200 200 200 404 200"),
    E("reports:report_request",        "L   404 404 404 404 302 404 302 302 404 404 302", "POST",
      **_report_request(ReportKind.CITY)),
    E("reports:report_request",        "L   404 404 404 404 404 404 302 302 404 404 404", "POST",
      **_report_request(ReportKind.NATIONAL)),
    E("reports:report_request",        "L   302 404 302 404 302 404 302 302 302 404 302", "POST",
      **_report_request(ReportKind.ASSESSMENT)),
    E("reports:report_request",        "L   302 404 404 404 404 404 404 302 404 404 404", "POST",
      **_report_request(ReportKind.ASSESSMENT, "draft_a1")),
    # Over the hourly limit it is still 404 out of scope: the limit must not confirm a subject.
    E("reports:report_request",        "L   404 404 404 404 429 404 429 429 404 404 429", "POST",
      data=_report_request(ReportKind.CITY)["data"], label="city-over-limit",
      settings={"REPORTS_REQUESTS_PER_HOUR": 0}),
    E("reports:report_detail", "L   404 404 404 404 200 404 200 200 404 404 200", **CITY_JOB),
    E("reports:report_detail", "L   404 404 404 404 404 404 200 200 404 404 404", **NATIONAL_JOB),
    E("reports:report_detail", "L   200 404 200 404 200 404 200 200 200 404 200", **ASSESSMENT_JOB),
    E("reports:report_progress", "L   404 404 404 404 200 404 200 200 404 404 200", **CITY_JOB),
    E("reports:report_progress", "L   404 404 404 404 404 404 200 200 404 404 404", **NATIONAL_JOB),
    E("reports:report_progress", "L   200 404 200 404 200 404 200 200 200 404 200",
      **ASSESSMENT_JOB),
    E("reports:report_retry", "L   404 404 404 404 302 404 302 302 404 404 302",
      "POST", **CITY_JOB),
    E("reports:report_retry", "L   404 404 404 404 404 404 302 302 404 404 404",
      "POST", **NATIONAL_JOB),
    E("reports:report_retry", "L   302 404 302 404 302 404 302 302 302 404 302",
      "POST", **ASSESSMENT_JOB),
    E("reports:report_download", "L   404 404 404 404 200 404 200 200 404 404 200", **CITY_JOB),
    E("reports:report_download", "L   404 404 404 404 404 404 200 200 404 404 404", **NATIONAL_JOB),
    E("reports:report_download", "L   200 404 200 404 200 404 200 200 200 404 200",
      **ASSESSMENT_JOB),
    # 一企一档 dossier (one enterprise's PDF): whoever sees A1, never a provider.
    E("reports:report_request",        "L   302 404 302 404 302 404 302 302 302 404 302", "POST",
      data=lambda w: {"kind": ReportKind.DOSSIER, "enterprise_id": w.ent.pk}, label="dossier"),
    E("reports:report_detail", "L   200 404 200 404 200 404 200 200 200 404 200", **DOSSIER_JOB),
    E("reports:report_progress", "L   200 404 200 404 200 404 200 200 200 404 200",
      **DOSSIER_JOB),
    E("reports:report_retry", "L   302 404 302 404 302 404 302 302 302 404 302",
      "POST", **DOSSIER_JOB),
    E("reports:report_download", "L   200 404 200 404 200 404 200 200 200 404 200",
      **DOSSIER_JOB),
    # 一企一档批量下载 (ZIP): the project list's roles but a provider; an archive is its
    # requester's.
    E("reports:dossier_archive_list",    "L   404 404 404 404 200 200 200 200 200 404 200"),
    E("reports:dossier_archive_request", "L   404 404 404 404 302 404 302 302 302 404 302", "POST",
      data=lambda w: {"city": w.city.pk}),
    E("reports:dossier_archive_detail",   "L   404 404 404 404 200 404 404 404 404 404 404",
      **ARCHIVE),
    E("reports:dossier_archive_progress", "L   404 404 404 404 200 404 404 404 404 404 404",
      **ARCHIVE),
    E("reports:dossier_archive_download", "L   404 404 404 404 200 404 404 404 404 404 404",
      **ARCHIVE),

    # --- provider library (服务商库): city staff (district officials included) read their city's,
    # province officials their province's, ministry and admin all; enterprises read their city's
    # active providers (the directory); a provider its own entries; only city officials manage.
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("providers:library_list",       "L   302 302 200 200 200 200 200 200 200 200 200"),
    E("providers:entry_add",          "L   404 404 404 404 200 200 404 404 404 404 404"),
    E("providers:entry_add",          "L   404 404 404 404 200 200 404 404 404 404 404", "POST",
      data={}),
    E("providers:entry_detail",       "L   200 200 200 404 200 404 200 200 200 404 200", **LIBRARY),
    E("providers:entry_status",       "L   403 403 403 404 200 404 403 403 403 404 403", **LIBRARY),
    E("providers:entry_status",       "L   403 403 403 404 302 404 403 403 403 404 403", "POST",
      **LIBRARY,
      data={"status": "warned", "reason": "权限矩阵"}),

    # --- 我的服务商: the provider's own profile, contacts and products; anyone else 404, and
    # another provider's product is 404 for everyone.
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("providers:my_provider",        "L   404 404 404 404 404 404 404 404 404 200 404"),
    E("providers:my_provider",        "L   404 404 404 404 404 404 404 404 404 302 404", "POST",
      data={"contact_name": "权限矩阵"}),
    E("providers:my_product_add",     "L   404 404 404 404 404 404 404 404 404 200 404"),
    E("providers:my_product_add",     "L   404 404 404 404 404 404 404 404 404 302 404", "POST",
      data=PRODUCT_FORM),
    E("providers:my_product_edit",    "L   404 404 404 404 404 404 404 404 404 200 404",
      **OWN_PRODUCT),
    E("providers:my_product_edit",    "L   404 404 404 404 404 404 404 404 404 404 404",
      **OTHER_PRODUCT),
    E("providers:my_product_edit",    "L   404 404 404 404 404 404 404 404 404 302 404", "POST",
      **OWN_PRODUCT, data=PRODUCT_FORM),
    E("providers:my_product_delete",  "L   404 404 404 404 404 404 404 404 404 200 404",
      **OWN_PRODUCT),
    E("providers:my_product_delete",  "L   404 404 404 404 404 404 404 404 404 302 404", "POST",
      **OWN_PRODUCT),
    E("providers:my_product_delete",  "L   404 404 404 404 404 404 404 404 404 404 404", "POST",
      **OTHER_PRODUCT),

    # --- funds ledger (资金台账) of city A: its official keeps it; province, ministry and admins
    # read it (acting on it is a 403); nobody else sees it.
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("funds:funds_home",             "L   404 404 404 404 302 302 200 200 404 404 200"),
    E("funds:ledger",                 "L   404 404 404 404 200 404 200 200 404 404 200", **CITY),
    E("funds:entry_book",             "L   404 404 404 404 302 404 403 403 404 404 403", "POST",
      **CITY, data=FUNDS_ENTRY),
    E("funds:entry_book",             "L   405 405 405 405 405 405 405 405 405 405 405", **CITY),
    E("funds:entry_reverse",          "L   404 404 404 404 200 404 403 403 404 404 403",
      **LEDGER_ENTRY),
    E("funds:entry_reverse",          "L   404 404 404 404 302 404 403 403 404 404 403", "POST",
      **LEDGER_ENTRY, data=FUNDS_REVERSAL),
    E("funds:plan_edit",              "L   404 404 404 404 200 404 403 403 404 404 403", **CITY),
    E("funds:plan_edit",              "L   404 404 404 404 302 404 403 403 404 404 403", "POST",
      **CITY, data={"central__receipt": "1000000", "local__transformation": "5"}),

    # --- projects (一企一档): the project of `ent` (in district D1, the district official's), with
    # the matrix provider selected (its provider user serves it and files documents).
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("projects:project_list",        "L   404 404 404 404 200 200 200 200 200 200 200"),
    E("projects:project_export",      "L   404 404 404 404 200 200 200 200 200 200 200"),
    E("projects:project_detail",      "L   200 404 200 404 200 404 200 200 200 200 200", **PROJECT),
    E("projects:my_project",          "L   200 200 404 404 404 404 404 404 404 404 404"),
    # 转型样板 (issue 15): city staff over their scope and enterprises (their city's, by name);
    # not assessors or providers. City B's sample must show to nobody of city A's province.
    E("projects:samples",             "L   200 200 404 404 200 200 200 200 200 404 200"),
    # Marking: the project's own city official only; A1's project is not accepted yet (409,
    # nothing written); whoever else sees the project may not (403), another city's 404.
    E("projects:sample_mark",         "L   403 404 403 404 409 404 403 403 403 403 403", **PROJECT),
    E("projects:sample_mark",         "L   403 404 403 404 409 404 403 403 403 403 403", "POST",
      **PROJECT, data={"description": "权限矩阵"}),
    # Unmarking a project that is no sample: 409 for its city's official.
    E("projects:sample_unmark",       "L   403 404 403 404 409 404 403 403 403 403 403", "POST",
      **PROJECT),
    E("projects:sample_unmark",       "L   405 405 405 405 405 405 405 405 405 405 405", **PROJECT),
    # 服务商评价 (the league table): whoever sees the city's dashboards, over the cities in scope
    # (city B's official its own city); not district officials (city-wide figures), assessors,
    # enterprises or providers.
    E("projects:provider_league",     "L   404 404 404 404 200 200 200 200 404 404 200"),
    # 服务商目录: an enterprise's own city's active providers; nobody else's page.
    E("projects:directory",           "L   200 200 404 404 404 404 404 404 404 404 404"),
    # 服务商工作台: the provider's own evaluation in each of its cities; nobody else's page.
    E("projects:provider_workspace",  "L   404 404 404 404 404 404 404 404 404 200 404"),
    E("projects:document_upload",     "L   400 404 403 404 400 404 403 403 403 400 403", "POST",
      **PROJECT, data={}),
    E("projects:document_upload",     "L   405 405 405 405 405 405 405 405 405 405 405", **PROJECT),
    E("projects:document_download",   "L   200 404 200 404 200 404 200 200 200 200 200",
      **PROJECT_DOC),
    E("projects:document_delete",     "L   302 404 403 404 403 404 403 403 403 403 403", "POST",
      **PROJECT_DOC),
    # The pipeline's move pages: filing the contract is the enterprise's alone (its provider and
    # every official may not: 403); withdrawing is the enterprise's or the city's (a reason is
    # required: the empty form is a 400 and nothing moves).
    E("projects:project_move",        "L   200 404 403 404 403 404 403 403 403 403 403",
      **PROJECT, move=lambda w: "file_contract", label="file_contract"),
    E("projects:project_move",        "L   400 404 403 404 400 404 403 403 403 403 403", "POST",
      **PROJECT, move=lambda w: "withdraw", label="withdraw", data={}),
    E("projects:project_move",        "L   404 404 404 404 404 404 404 404 404 404 404",
      **PROJECT, move=lambda w: "no_such_move", label="unknown"),
    # 待办: the roles that move projects (and assessors, for scheduled on-site acceptances).
    E("projects:work_queue",          "L   200 200 200 200 200 200 404 404 200 200 404"),
    # 申报入库: A1 has its project (back to it), A2 may apply, the city applies for its firms.
    E("projects:project_apply",       "L   302 200 404 404 200 200 404 404 404 404 404"),
    E("projects:project_apply",       "L   302 400 404 404 400 400 404 404 404 404 404", "POST",
      data={}),

    # --- API: anonymous gets 403 (session authentication sends no challenge) ----------------
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("api-root",              "403 200 200 200 200 200 200 200 200 200 200 200"),
    E("api-schema",            "403 200 200 200 200 200 200 200 200 200 200 200"),
    E("api-docs",              "403 200 200 200 200 200 200 200 200 200 200 200"),
    E("api-redoc",             "403 200 200 200 200 200 200 200 200 200 200 200"),
    E("city-list",             "403 200 200 200 200 200 200 200 200 200 200 200"),
    E("city-detail",           "403 404 404 200 404 200 404 200 200 200 404 200", **CITY),
    E("city-compliance",       "403 404 404 404 404 200 404 200 200 404 404 200", **CITY),
    E("city-funnel",           "403 404 404 404 404 200 404 200 200 404 404 200", **CITY),
    E("city-funds",            "403 404 404 404 404 200 404 200 200 404 404 200", **CITY),
    E("enterprise-list",       "403 200 200 200 200 200 200 200 200 200 200 200"),
    E("enterprise-detail",     "403 200 404 200 404 200 404 200 200 200 404 200", **ENT),
    E("enterprise-detail",     "403 200 404 403 404 200 404 403 200 403 404 403", "PATCH", **ENT,
      data={"contact_name": "张三"}, json=True),
    E("import-job-list",       "403 404 404 404 404 200 200 404 200 404 404 404"),
    E("import-job-list",       "403 404 404 404 404 400 400 404 400 404 404 404", "POST", data={}),
    E("import-job-detail",     "403 404 404 404 404 200 404 404 200 404 404 404", **IMPORT),
    E("import-job-confirm",    "403 404 404 404 404 409 404 404 409 404 404 404", "POST", **IMPORT),
    E("scoring-preview", "403 400 400 400 400 400 400 400 400 400 400 400",
      "POST", data={}, json=True),
    E("scoring-preview",       "403 405 405 405 405 405 405 405 405 405 405 405"),
    E("assessment-list",       "403 200 200 200 200 200 200 200 200 200 200 200"),
    E("assessment-list",       "403 201 404 201 404 403 404 403 403 403 404 403", "POST", json=True,
      data=lambda w: {"enterprise": w.ent.uscc, "purpose": "baseline"}),
    E("assessment-queue",      "403 404 404 200 200 404 404 404 404 404 404 404"),
    E("assessment-detail",     "403 200 404 200 404 200 404 200 200 200 404 200", **SUBMITTED),
    E("assessment-detail",     "403 200 404 404 404 404 404 404 200 404 404 404", **DRAFT),
    E("assessment-detail", "403 400 404 403 404 403 404 403 403 403 404 403", "PATCH", **SUBMITTED,
      data={"base_version": 0, "answers": {"Q2": "C"}}, json=True),
    E("assessment-submit", "403 400 404 403 404 403 404 403 403 403 404 403", "POST", **SUBMITTED,
      data={"signer_name": "张伟", "signer_title": "总经理", "pledge_accepted": True},
      json=True),
    E("assessment-confirm", "403 403 404 400 404 403 404 403 403 403 404 403", "POST", **CONFIRMED,
      data={}, json=True),
    E("assessment-return-", "403 403 404 200 404 403 404 403 403 403 404 403", "POST", **SUBMITTED,
      data={"comment": "请补充设备台账"}, json=True),
    E("assessment-correct", "403 403 404 201 404 403 404 403 403 403 404 403", "POST", **CONFIRMED,
      data={}, json=True),
    E("assessment-evidence-list",     "403 200 404 200 404 200 404 200 200 200 404 200", **API_SUB),
    E("assessment-evidence-list", "403 200 404 404 404 404 404 404 200 404 404 404", **API_DRAFT),
    E("assessment-evidence-list", "403 400 404 403 404 403 404 403 403 403 404 403",
      "POST", **API_SUB,
      data=lambda w: _evidence_upload()),
    E("assessment-evidence-list", "403 201 404 404 404 404 404 404 403 404 404 404",
      "POST", **API_DRAFT,
      data=lambda w: _evidence_upload()),
    E("assessment-evidence-detail", "403 200 404 200 404 200 404 200 200 200 404 200",
      **API_SUB_EVIDENCE),
    E("assessment-evidence-detail",   "403 400 404 403 404 403 404 403 403 403 404 403", "DELETE",
      **API_SUB_EVIDENCE),
    E("assessment-evidence-detail",   "403 204 404 404 404 404 404 404 403 404 404 404", "DELETE",
      **API_DRAFT_EVIDENCE),
    E("assessment-evidence-download", "403 200 404 200 404 200 404 200 200 200 404 200",
      **API_SUB_EVIDENCE),
    E("assessment-evidence-download", "403 200 404 404 404 404 404 404 200 404 404 404",
      **API_DRAFT_EVIDENCE),
    E("project-list",          "403 200 200 200 200 200 200 200 200 200 200 200"),
    E("project-detail",        "403 200 404 200 404 200 404 200 200 200 200 200", **PROJECT),
    E("project-document-list", "403 200 404 200 404 200 404 200 200 200 200 200",
      project_pk="project.pk"),
    E("project-document-list", "403 201 404 403 404 201 404 403 403 403 201 403", "POST",
      project_pk="project.pk", data=lambda w: _document_upload()),
    E("project-document-detail",   "403 204 404 403 404 403 404 403 403 403 403 403", "DELETE",
      project_pk="project.pk", pk="project_doc.pk"),
    E("project-document-download", "403 200 404 200 404 200 404 200 200 200 200 200",
      project_pk="project.pk", pk="project_doc.pk"),
    # Pipeline moves on A1's project. Out of scope 404 (a provider diagnoses only what the city
    # named it for), a role that never makes the move 403, a move the stage does not allow 409.
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("project-list",          "403 409 201 403 403 400 400 403 403 403 403 403", "POST",
      data=DECLARED, json=True, label="own"),
    E("project-list",          "403 404 201 403 404 201 404 403 403 404 404 403", "POST",
      data=_apply_for("ent2"), json=True, label="ent2"),
    _move("district-review-application",
          "403 403 404 403 404 403 404 403 403 409 403 403"),
    _move("admit",             "403 403 404 403 404 409 404 403 403 403 403 403"),
    _move("reject",            "403 403 404 403 404 409 404 403 403 409 403 403", comment="矩阵"),
    _move("diagnose",          "403 403 404 403 404 409 404 403 403 403 404 403",
          scenes=["S01"]),
    _move("select-provider",   "403 409 404 403 404 403 404 403 403 403 403 403", provider=1),
    _move("file-contract",     "403 400 404 403 404 403 404 403 403 403 403 403",
          contract_no="HT-1", signed_on="2025-04-01", contract_amount="1000.00",
          planned_completion_on="2025-10-01", software="800"),
    _move("approve-filing",    "403 403 404 403 404 409 404 403 403 403 403 403"),
    _move("return-filing",     "403 403 404 403 404 409 404 403 403 403 403 403", comment="矩阵"),
    _move("complete",          "403 409 404 403 404 403 404 403 403 403 403 403"),
    _move("apply-acceptance",  "403 409 404 403 404 403 404 403 403 403 403 403", satisfaction=5),
    _move("district-review-acceptance",
          "403 403 404 403 404 403 404 403 403 409 403 403"),
    _move("schedule-acceptance",
          "403 403 404 403 404 409 404 403 403 403 403 403", on="2030-01-02"),
    _move("accept",            "403 403 404 403 404 409 404 403 403 403 403 403",
          systems_in_use=True, contract_genuine=True, invoices_genuine=True,
          dossier_complete=True),
    _move("fail-acceptance",   "403 403 404 403 404 409 404 403 403 403 403 403",
          rectification="矩阵"),
    _move("approve-subsidy",   "403 403 404 403 404 409 404 403 403 403 403 403", central="1"),
    _move("pay-subsidy",       "403 403 404 403 404 409 404 403 403 403 403 403", central="1"),
    _move("withdraw",          "403 200 404 403 404 200 404 403 403 403 403 403", comment="矩阵"),
    E("library-entry-list",    "403 200 200 200 200 200 200 200 200 200 200 200"),
    E("library-entry-detail",  "403 200 200 200 404 200 404 200 200 200 404 200", **LIBRARY),
    E("library-entry-status",  "403 403 403 403 404 200 404 403 403 403 404 403", "POST",
      **LIBRARY,
      data={"status": "warned", "reason": "权限矩阵"}, json=True),
    E("own-provider",          "403 404 404 404 404 404 404 404 404 404 200 404"),
    E("own-provider",          "403 404 404 404 404 404 404 404 404 404 200 404", "PATCH",
      data={"contact_name": "权限矩阵"}, json=True),
    E("own-product-list",      "403 404 404 404 404 404 404 404 404 404 200 404"),
    E("own-product-list",      "403 404 404 404 404 404 404 404 404 404 201 404", "POST",
      data=PRODUCT_FORM, json=True),
    E("own-product-detail",    "403 404 404 404 404 404 404 404 404 404 200 404", **OWN_PRODUCT),
    E("own-product-detail",    "403 404 404 404 404 404 404 404 404 404 404 404",
      **OTHER_PRODUCT),
    E("own-product-detail",    "403 404 404 404 404 404 404 404 404 404 200 404", "PATCH",
      **OWN_PRODUCT, data={"price_max": "90000"}, json=True),
    E("own-product-detail",    "403 404 404 404 404 404 404 404 404 404 204 404", "DELETE",
      **OWN_PRODUCT),
    E("own-product-detail",    "403 404 404 404 404 404 404 404 404 404 404 404", "DELETE",
      **OTHER_PRODUCT),
    # Reports: as the pages, 201 for a new job instead of the redirect; a provider, which has no
    # report to request, finds no report API at all.
    #                           anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("report-job-list",       "403 200 200 200 200 200 200 200 200 200 404 200"),
    E("report-job-list",       "403 400 400 400 400 400 400 400 400 400 404 400", "POST",
      data={}, json=True, label="empty"),
    E("report-job-list",       "403 404 404 404 404 201 404 201 201 404 404 201", "POST",
      **_api_report_request(ReportKind.CITY)),
    E("report-job-list",       "403 404 404 404 404 404 404 201 201 404 404 404", "POST",
      **_api_report_request(ReportKind.NATIONAL)),
    E("report-job-list",       "403 201 404 201 404 201 404 201 201 201 404 201", "POST",
      **_api_report_request(ReportKind.ASSESSMENT)),
    E("report-job-list",       "403 201 404 404 404 404 404 404 201 404 404 404", "POST",
      **_api_report_request(ReportKind.ASSESSMENT, "draft_a1")),
    # Over the hourly limit it is still 404 out of scope: the limit must not confirm a subject.
    E("report-job-list",       "403 404 404 404 404 429 404 429 429 404 404 429", "POST",
      data=_api_report_request(ReportKind.CITY)["data"], json=True, label="city-over-limit",
      settings={"REPORTS_REQUESTS_PER_HOUR": 0}),
    E("report-job-detail",     "403 404 404 404 404 200 404 200 200 404 404 200", **CITY_JOB),
    E("report-job-detail",     "403 404 404 404 404 404 404 200 200 404 404 404", **NATIONAL_JOB),
    E("report-job-detail",     "403 200 404 200 404 200 404 200 200 200 404 200", **ASSESSMENT_JOB),
    E("report-job-download",   "403 404 404 404 404 200 404 200 200 404 404 200", **CITY_JOB),
    E("report-job-download",   "403 404 404 404 404 404 404 200 200 404 404 404", **NATIONAL_JOB),
    E("report-job-download",   "403 200 404 200 404 200 404 200 200 200 404 200",
      **ASSESSMENT_JOB),

    # Notifications (issue 16): everyone's own inbox; A1's user's notification is A1's only.
    # The unsubscribe link of a mail needs no login: its signed token is the credential.
    #                                   anon ent ent2 asr asr2 off off2 min adm dst prv prov
    E("notifications:inbox",           "L   200 200 200 200 200 200 200 200 200 200 200"),
    E("notifications:open",            "L   302 404 404 404 404 404 404 404 404 404 404",
      pk="note.pk"),
    E("notifications:mark_all_read",   "L   302 302 302 302 302 302 302 302 302 302 302", "POST"),
    E("notifications:preferences",     "L   200 200 200 200 200 200 200 200 200 200 200"),
    E("notifications:preferences",     "L   302 302 302 302 302 302 302 302 302 302 302", "POST",
      data={"mail_mode": "digest"}),
    E("notifications:unsubscribe",     "200 200 200 200 200 200 200 200 200 200 200 200",
      token=_unsubscribe_token),
    E("notifications:unsubscribe",     "200 200 200 200 200 200 200 200 200 200 200 200",
      "POST", token=_unsubscribe_token),
    E("notifications:unsubscribe",     "400 400 400 400 400 400 400 400 400 400 400 400",
      token=lambda w: "forged", label="forged"),
]
# fmt: on

# Admin site rule. Django generates seven URL patterns per registered model plus the site's own
# (index, login, app lists, …); every one of them is served by `AdminSite.admin_view`, which
# lets in active staff only and sends everyone else to the admin login page before any view
# code runs. Instead of ~130 entries, `test_admin_site_*` check the rule on the index, the login
# page and, for every registered model, its list and one real object's change page: only the
# administrator (staff) gets in, every other role and anonymous is sent to /admin/login/.
ADMIN_NAMESPACE = "admin"
STAFF_ROLES = frozenset({"adm"})


# --- the URL configuration ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Served:
    key: str  # "namespace:name", or the route for an unnamed pattern
    route: str
    namespace: str


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[Served]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace or ""]))
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
            continue
        route = prefix + str(p.pattern)
        # DRF's format-suffix twins (`cities.json`, `<drf_format_suffix:format>`) run the same
        # view with the same permission checks as the pattern they duplicate.
        if "format" in p.pattern.regex.groupindex:
            continue
        name = f"{namespace}:{p.name}" if namespace and p.name else p.name
        yield Served(key=name or route, route=route, namespace=namespace)


def served_patterns() -> list[Served]:
    """Every URL pattern the project serves. No static or media helpers are mounted in
    `sme_pilot.urls` (WhiteNoise serves static files as middleware), so none are skipped."""
    return list(_walk(get_resolver().url_patterns))


# --- seeded world ----------------------------------------------------------------------------

PDF = b"%PDF-1.7\n% permission matrix\n%%EOF\n"


def _seed() -> SimpleNamespace:
    """Two cities, each with an enterprise (+ account), an assessor and an official; a second
    enterprise in city A; assessments; a done report job per kind; an import job per city."""
    province = Province.objects.get(short_name="内蒙古")
    city = CityFactory(code="HHHT", name="呼和浩特市", province=province)
    other_city = CityFactory(code="NB", name="宁波市")  # in 广东: not the province official's
    sub = SubIndustryFactory(city=city, code="FOOD", name="特色食品")
    other_sub = SubIndustryFactory(city=other_city, code="MOLD", name="模具")
    district = DistrictFactory(city=city, code="D1", name="赛罕区")
    district2 = DistrictFactory(city=city, code="D2", name="新城区")
    ent = EnterpriseFactory(sub_industry=sub, district=district)
    ent2 = EnterpriseFactory(sub_industry=sub, district=district2)
    provider = Provider.objects.create(
        uscc="91350100M000100Y43", name="矩阵数字科技有限公司", category="integrator"
    )
    other_ent = EnterpriseFactory(sub_industry=other_sub)
    users = SimpleNamespace(
        ent=UserFactory(username="mx-ent", role=Role.ENTERPRISE, enterprise=ent),
        ent2=UserFactory(username="mx-ent2", role=Role.ENTERPRISE, enterprise=ent2),
        asr=UserFactory(username="mx-asr", role=Role.ASSESSOR, city=city),
        asr2=UserFactory(username="mx-asr2", role=Role.ASSESSOR, city=other_city),
        off=UserFactory(username="mx-off", role=Role.CITY_OFFICIAL, city=city),
        off2=UserFactory(username="mx-off2", role=Role.CITY_OFFICIAL, city=other_city),
        min=UserFactory(username="mx-min", role=Role.MINISTRY),
        adm=UserFactory(username="mx-adm", role=Role.ADMIN, is_staff=True, is_superuser=True),
        dst=UserFactory(
            username="mx-dst", role=Role.DISTRICT_OFFICIAL, city=city, district=district
        ),
        prv=UserFactory(username="mx-prv", role=Role.PROVIDER, provider=provider),
        prov=UserFactory(username="mx-prov", role=Role.PROVINCE_OFFICIAL, province=province),
    )
    UserFactory(username="mx-ent-b", role=Role.ENTERPRISE, enterprise=other_ent)
    # The provider's account was opened by city A's official: city A manages it, B does not.
    users.prv.created_by = users.off
    users.prv.save(update_fields=["created_by"])

    sub_a1 = AssessmentFactory(enterprise=ent, submitted=True)
    conf_a1 = AssessmentFactory(enterprise=ent, confirmed=True, confirmed_by=users.asr)
    draft_a1 = AssessmentFactory(enterprise=ent)
    onsite_a1 = AssessmentFactory(
        enterprise=ent, method=Method.ONSITE, purpose=Purpose.BASELINE, complete=True
    )
    # City A's queue (待评定): one row in progress (onsite_a1), one to start.
    AssessmentFactory(enterprise=ent, submitted=True, purpose=Purpose.BASELINE)
    AssessmentFactory(enterprise=ent2, submitted=True, purpose=Purpose.POST)
    AssessmentFactory(enterprise=ent2, submitted=True)
    AssessmentFactory(enterprise=other_ent, submitted=True)

    def done_job(kind: str, params: dict[str, Any], **subject: Any) -> ReportJob:
        job = ReportJob.objects.create(
            kind=kind,
            params=params,
            requested_by=users.min,
            state=ReportJobState.DONE,
            progress_percent=100,
            snapshot_hash=f"matrix-{kind}",
            finished_at=timezone.now(),
            **subject,
        )
        job.requesters.add(users.min)
        job.file.save(f"matrix-{kind}.pdf", ContentFile(PDF))
        return job

    jobs = SimpleNamespace(
        city=done_job(ReportKind.CITY, {"city_code": city.code}, city=city),
        national=done_job(ReportKind.NATIONAL, {}),
        assessment=done_job(ReportKind.ASSESSMENT, {"assessment_id": sub_a1.pk}, assessment=sub_a1),
        dossier=done_job(ReportKind.DOSSIER, {"enterprise_id": ent.pk}, enterprise=ent),
    )
    archive = DossierArchive.objects.create(
        requested_by=users.off,
        city=city,
        enterprise_ids=[ent.pk],
        enterprise_count=1,
        state=DossierArchiveState.DONE,
        progress_percent=100,
        finished_at=timezone.now(),
    )
    archive.file.save("matrix.zip", ContentFile(b"PK\x05\x06" + bytes(18)))

    def import_job(official: Any) -> ImportJob:
        return ImportJob.objects.create(
            kind=ImportKind.ENTERPRISES,
            original_filename="名录.csv",
            file="imports/matrix.csv",
            requested_by=official,
            city=official.city,
            state=ImportJobState.DONE,
            progress_percent=100,
            finished_at=timezone.now(),
        )

    def evidence_file(assessment: Any) -> Evidence:
        return Evidence.objects.create(
            assessment=assessment,
            item="Q1",
            file=private_storage.save(
                evidence_content.stored_name(evidence_content.PDF), ContentFile(PDF)
            ),
            # Long, as real scans are named: it must wrap in the phone layout.
            original_name="内蒙古自治区呼和浩特市赛罕区绿色智能特色食品精深加工集团股份有限公司设备台账及系统截图汇总（2026年第一季度）.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256=hashlib.sha256(PDF).hexdigest(),
            uploaded_by=users.ent,
        )

    evidence = SimpleNamespace(submitted=evidence_file(sub_a1), draft=evidence_file(draft_a1))

    import_a = import_job(users.off)
    import_job(users.off2)

    library = LibraryEntryFactory(city=city, status="active")
    library_product = ProductFactory(provider=library.provider)
    # The provider user's own provider: in city A's library, with a product (我的服务商).
    LibraryEntryFactory(provider=provider, city=city, status="active")
    own_product = ProductFactory(provider=provider, name="矩阵云MES", scenes=["S05"])
    other_library = LibraryEntryFactory(city=other_city, status="active")

    # One object of every admin-registered model that nothing above creates.
    CityTarget.objects.create(city=city, metric="level2_share", value=90, due_date="2026-12-31")
    SubsidyRule.objects.create(
        city=city,
        valid_from="2025-01-01",
        rate=Decimal("0.4"),
        cap_l2=Decimal(300000),
        cap_l3=Decimal(400000),
        cap_l4=Decimal(500000),
        created_by=users.off,
    )
    project = Project.objects.create(
        enterprise=ent,
        applied_on="2025-03-01",
        admitted_on="2025-03-02",
        diagnosed_on="2025-03-10",
        provider_selected_on="2025-03-20",
        provider=provider,
    )
    # City B's 转型样板: an accepted project of its enterprise, marked by its official.
    b_project = Project.objects.create(
        enterprise=other_ent,
        provider=other_library.provider,
        **{
            field: f"2025-0{month}-01"
            for month, field in enumerate(
                (
                    "applied_on",
                    "admitted_on",
                    "diagnosed_on",
                    "provider_selected_on",
                    "contract_filed_on",
                    "completed_on",
                    "acceptance_applied_on",
                    "accepted_on",
                ),
                start=1,
            )
        },
    )
    TransformationSample.objects.create(
        project=b_project, description="宁波样板", marked_by=users.off2, marked_at=timezone.now()
    )
    ProviderEvaluation.objects.create(
        city=city,
        provider=provider,
        as_of="2026-06-15",
        scoring=ProviderScoring.objects.get(version=1),
        status="active",
        projects=1,
        accepted=0,
        failed=0,
        score=Decimal("0.0"),
    )
    project_doc = ProjectDocument.objects.create(
        project=project,
        stage="admitted",
        doc_type="other",
        file=private_storage.save("projects/ab/matrix.pdf", ContentFile(PDF)),
        original_name="项目材料（权限矩阵）.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        uploaded_by=users.ent,
    )
    # City A's funds ledger: a central receipt (reversible) and one plan line.
    ledger_entry = LedgerEntry.objects.create(
        city=city,
        entry_on="2025-03-01",
        kind="receipt",
        source="central",
        amount=Decimal(1000000),
        reference="MX-1",
        created_by=users.off,
    )
    FundsPlan.objects.create(
        city=city, source="central", line="receipt", amount=Decimal(1000000), updated_by=users.off
    )
    # A performance scorecard of the cities' batch and one saved city score.
    scorecard = Scorecard.objects.create(
        batch=city.batch, version=1, label="矩阵评分卡", valid_from="2025-01-01"
    )
    ScorecardIndicator.objects.create(scorecard=scorecard, key="compliance_share", weight=1)
    CityScore.objects.create(
        city=city,
        as_of="2025-06-30",
        scorecard=scorecard,
        score=Decimal("50.0"),
        rank=1,
        band="不合格",
        breakdown=[],
    )
    ReportDownload.objects.create(job=jobs.city, user=users.min)
    mail = Mail.objects.create(recipient=users.ent, to="ent@example.cn", subject="通知", body="")
    note = Notification.objects.create(
        recipient=users.ent,
        kind=Kind.FILING_RETURNED,
        title="合同备案被退回",
        link="/my-project/",
        mail=mail,
    )
    Preferences.objects.create(user=users.ent)
    DeadlineNotice.objects.create(item=f"acceptance_overdue:project:{project.pk}")
    Group.objects.create(name="matrix")
    attempt = {"user_agent": "pytest", "ip_address": "127.0.0.1", "username": "mx-ent"}
    AccessAttempt.objects.create(**attempt, path_info="/login/", failures_since_start=1)
    AccessLog.objects.create(**attempt, path_info="/login/")
    AccessFailureLog.objects.create(**attempt, path_info="/login/")

    return SimpleNamespace(
        city=city,
        other_city=other_city,
        ent=ent,
        ent2=ent2,
        other_ent=other_ent,
        users=users,
        sub_a1=sub_a1,
        conf_a1=conf_a1,
        draft_a1=draft_a1,
        onsite_a1=onsite_a1,
        jobs=jobs,
        archive=archive,
        import_a=import_a,
        evidence=evidence,
        library=library,
        library_product=library_product,
        own_product=own_product,
        project=project,
        project_doc=project_doc,
        ledger_entry=ledger_entry,
        note=note,
    )


@pytest.fixture(scope="module")
def seeded_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seeded once for the module, inside a transaction rolled back after its last test."""
    media = tmp_path_factory.mktemp("matrix-media")
    private = tmp_path_factory.mktemp("matrix-private")
    with (
        override_settings(MEDIA_ROOT=str(media), PRIVATE_MEDIA_ROOT=private),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield _seed()
        transaction.set_rollback(True)


@pytest.fixture
def db(seeded_module, django_db_blocker):
    """This module's `db`: a savepoint per test inside the module's transaction.

    pytest-django's own `db` (and the django_db mark) wraps each test in a TestCase that closes
    the connection afterwards, which would end the module's transaction. The name stays `db` so
    that pytest-django still creates the test database when only this module is run.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield seeded_module
        transaction.set_rollback(True)


@pytest.fixture
def world(db):
    """The seeded objects; whatever a test writes is rolled back with its savepoint."""
    return db


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles, credential sheets and cached dashboards must not carry over between cases."""
    cache.clear()
    yield
    cache.clear()


def _resolve(value: Any, w: SimpleNamespace) -> Any:
    if callable(value):
        return value(w)
    if isinstance(value, str):
        return attrgetter(value)(w)
    return value


def _send(client: Any, entry: Entry, w: SimpleNamespace) -> Any:
    url = reverse(entry.route, kwargs={k: _resolve(v, w) for k, v in entry.kwargs.items()})
    data = entry.data(w) if callable(entry.data) else entry.data
    method = getattr(client, entry.method.lower())
    if entry.json:
        return method(url, data or {}, content_type="application/json")
    assert entry.method in ("GET", "POST", "DELETE"), f"{entry.id}: send PATCH/PUT bodies as JSON"
    if entry.method == "DELETE":
        return method(url)
    return method(url, data or {})  # GET: query string; POST: a multipart form


def _assert_outcome(response: Any, token: str, where: str) -> None:
    location = response.get("Location", "")
    login = reverse("accounts:login")
    if token == "L":
        assert (response.status_code, location.split("?")[0]) == (302, login), where
        return
    assert response.status_code == int(token), f"{where}: {response.status_code} {location}"
    if response.status_code == 302:
        assert not location.startswith(login), f"{where}: sent to log in ({location})"


def _out_of_scope(w: SimpleNamespace, role: str) -> list[str]:
    """Text that must not appear in any page or API answer `role` gets: other enterprises'
    USCCs, the other city's name (USCCs are unique 18-character codes, the city names unusual
    enough not to appear by chance) and links to assessments out of the role's scope."""
    a_city, b_city = w.city.name, w.other_city.name
    ent, ent2, other = w.ent.uscc, w.ent2.uscc, w.other_ent.uscc
    draft = f"/assessments/{w.draft_a1.pk}/"  # A1's private draft
    a1 = [f"/assessments/{a.pk}/" for a in (w.sub_a1, w.conf_a1)] + [draft]
    return {
        "anon": [ent, ent2, other, a_city, b_city, *a1],
        "ent": [ent2, other, b_city],
        "ent2": [ent, other, b_city, *a1],
        "asr": [other, b_city, draft],
        "off": [other, b_city, draft],
        "asr2": [ent, ent2, a_city, *a1],
        "off2": [ent, ent2, a_city, *a1],
        "min": [draft],
        "adm": [],
        "dst": [ent2, other, b_city, draft],
        # A provider sees the project it serves (in city A) by the enterprise's name, never its
        # USCC or anything else of the registry; nor another provider's USCC.
        "prv": [ent, ent2, other, b_city, *a1, w.library.provider.uscc],
        "prov": [other, b_city, draft],
    }[role]


def _assert_nothing_out_of_scope(response: Any, w: SimpleNamespace, role: str, where: str) -> None:
    if response.streaming or response.status_code >= 300:
        return
    kind = response.get("Content-Type", "")
    if not kind.startswith(("text/", "application/json")):
        return  # spreadsheets and PDFs: compressed, nothing to read here
    body = response.content.decode()
    leaked = [marker for marker in _out_of_scope(w, role) if marker in body]
    assert leaked == [], f"{where}: shows {leaked}"


CASES = [(entry, role) for entry in MATRIX for role in ROLES]


@pytest.mark.parametrize(
    ("entry", "role"), CASES, ids=[f"{entry.id}-{role}" for entry, role in CASES]
)
def test_permission_matrix(client, world, entry, role):
    if role != "anon":
        client.force_login(getattr(world.users, role))
    with override_settings(**entry.settings):
        response = _send(client, entry, world)
    if response.streaming:  # downloads: read to the end, which closes the file
        b"".join(response.streaming_content)
    where = f"{entry.id} as {role}"
    _assert_outcome(response, entry.expected[role], where)
    _assert_nothing_out_of_scope(response, world, role, where)


# --- coverage of the URL configuration ---------------------------------------------------------


def test_every_url_pattern_has_a_matrix_entry():
    served = served_patterns()
    keys = {s.key for s in served if s.namespace != ADMIN_NAMESPACE}
    in_matrix = {entry.route for entry in MATRIX}
    missing, stale = sorted(keys - in_matrix), sorted(in_matrix - keys)
    assert not missing and not stale, (
        f"URL patterns without an entry in MATRIX: {missing}; "
        f"MATRIX entries for URL patterns that no longer exist: {stale}"
    )


def test_admin_namespace_is_the_admin_site_only():
    """The admin rule below covers the `admin` namespace; it must hold nothing but the site."""
    admin_routes = [s.route for s in served_patterns() if s.namespace == ADMIN_NAMESPACE]
    assert admin_routes, "the admin site is no longer mounted: drop the admin rule"
    assert all(route.startswith("admin/") for route in admin_routes), admin_routes
    site_patterns = {str(p.pattern) for p in admin.site.get_urls()}
    for resolver in get_resolver().url_patterns:
        if isinstance(resolver, URLResolver) and resolver.namespace == ADMIN_NAMESPACE:
            assert {str(p.pattern) for p in resolver.url_patterns} == site_patterns


# --- the admin site rule -----------------------------------------------------------------------


def _assert_admin_outcome(response: Any, role: str, where: str) -> None:
    """In for staff; everyone else, anonymous or not, is sent to the admin login page."""
    if role in STAFF_ROLES:
        assert response.status_code == 200, where
    else:
        location = response.get("Location", "").split("?")[0]
        assert (response.status_code, location) == (302, reverse("admin:login")), where


REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label_lower)
def test_admin_site_model_pages(client, world, model, role):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"seed one {model._meta.label} so its change page is checked"
    if role != "anon":
        client.force_login(getattr(world.users, role))
    info = (model._meta.app_label, model._meta.model_name)
    urls = [
        reverse("admin:{}_{}_changelist".format(*info)),
        reverse("admin:{}_{}_change".format(*info), args=[obj.pk]),
    ]
    for url in urls:
        _assert_admin_outcome(client.get(url), role, f"{url} as {role}")


@pytest.mark.parametrize("role", ROLES)
def test_admin_site_index_and_login(client, world, role):
    if role != "anon":
        client.force_login(getattr(world.users, role))
    _assert_admin_outcome(client.get(reverse("admin:index")), role, f"index as {role}")
    # The login page itself: shown to anyone who may not enter, the administrator goes on in.
    response = client.get(reverse("admin:login"))
    assert response.status_code == (302 if role in STAFF_ROLES else 200)


# --- what each role finds in the lists ---------------------------------------------------------
# The matrix above checks statuses and that nothing out of scope shows; these check the other
# half: every list holds exactly what is in the role's scope.

# (city codes, enterprises) the API lists for each role; None: the API asks to log in (403).
# fmt: off
LISTED = {
    "anon": None,
    "ent":  ([], ["ent"]),               "ent2": ([], ["ent2"]),
    "asr":  (["HHHT"], ["ent", "ent2"]), "asr2": (["NB"], ["other_ent"]),
    "off":  (["HHHT"], ["ent", "ent2"]), "off2": (["NB"], ["other_ent"]),
    "min":  (["HHHT", "NB"], ["ent", "ent2", "other_ent"]),
    "adm":  (["HHHT", "NB"], ["ent", "ent2", "other_ent"]),
    "dst":  (["HHHT"], ["ent"]),
    "prv":  ([], []),
    "prov": (["HHHT"], ["ent", "ent2"]),
}
# Import jobs (by official) and managed accounts (usernames) for the roles that have the lists.
IMPORTS = {"off": ["off"], "off2": ["off2"], "adm": ["off", "off2"]}
ACCOUNTS = {
    "off": {"mx-ent", "mx-ent2", "mx-asr", "mx-dst", "mx-prv"},
    "off2": {"mx-asr2", "mx-ent-b"},
}
# fmt: on


def _logged_in(client: Any, w: SimpleNamespace, role: str) -> Any:
    if role != "anon":
        client.force_login(getattr(w.users, role))
    return client


@pytest.mark.parametrize("role", ROLES)
def test_api_lists_hold_exactly_the_scope(client, world, role):
    c = _logged_in(client, world, role)
    cities, enterprises = c.get(reverse("city-list")), c.get(reverse("enterprise-list"))
    if LISTED[role] is None:
        assert (cities.status_code, enterprises.status_code) == (403, 403)
        return
    codes, ents = LISTED[role]
    assert sorted(r["code"] for r in cities.json()["results"]) == codes
    usccs = sorted(r["uscc"] for r in enterprises.json()["results"])
    assert usccs == sorted(getattr(world, key).uscc for key in ents)


def _roles_answered(route: str, token: str, method: str = "GET") -> list[str]:
    """The roles MATRIX expects `token` from for `route` (the first entry of that method)."""
    entry = next(e for e in MATRIX if (e.route, e.method) == (route, method))
    return [role for role in ROLES if entry.expected[role] == token]


@pytest.mark.parametrize("role", _roles_answered("oversight:roster", "200"))
def test_the_roster_lists_the_citys_enterprises(client, world, role):
    response = _logged_in(client, world, role).get(
        reverse("oversight:roster", args=[world.city.code])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert world.ent.uscc in body
    # A district official's roster is the district's: A2 is in another district of city A.
    assert (world.ent2.uscc in body) == (role != "dst")


@pytest.mark.parametrize("role", sorted(IMPORTS))
def test_import_job_lists_hold_exactly_the_scope(client, world, role):
    c = _logged_in(client, world, role)
    api, page = c.get(reverse("import-job-list")), c.get(reverse("cities:import_list"))
    officials = [getattr(world.users, r) for r in IMPORTS[role]]
    expected = sorted(
        ImportJob.objects.filter(requested_by__in=officials).values_list("pk", flat=True)
    )
    assert sorted(j["id"] for j in api.json()["results"]) == expected
    for pk in ImportJob.objects.values_list("pk", flat=True):
        assert (reverse("cities:import_detail", args=[pk]) in page.content.decode()) == (
            pk in expected
        )


@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_account_list_holds_exactly_the_citys_accounts(client, world, role):
    response = _logged_in(client, world, role).get(reverse("cities:account_list"))
    assert {u.username for u in response.context["page"]} == ACCOUNTS[role]


@pytest.mark.parametrize("role", ROLES)
def test_an_enterprise_patch_changes_the_enterprise_exactly_when_allowed(client, world, role):
    url = reverse("enterprise-detail", args=[world.ent.uscc])
    c = _logged_in(client, world, role)
    response = c.patch(url, {"contact_phone": "0471-7654321"}, content_type="application/json")
    world.ent.refresh_from_db()
    assert (world.ent.contact_phone == "0471-7654321") == (response.status_code == 200), role


@pytest.mark.parametrize("role", ROLES[1:])
def test_an_unknown_city_is_not_found_for_everyone(client, world, role):
    c = _logged_in(client, world, role)
    assert c.get(reverse("oversight:roster", args=["NOPE"])).status_code == 404
    assert c.get(reverse("city-detail", args=["NOPE"])).status_code == 404


def test_the_other_citys_official_changes_no_account(client, world):
    account = world.users.ent
    password = account.password  # the stored hash
    client.force_login(world.users.off2)
    for route in ("cities:account_reset_password", "cities:account_deactivate"):
        assert client.post(reverse(route, args=[account.pk])).status_code == 404
    account.refresh_from_db()
    assert account.is_active and account.password == password
