"""Assessment lifecycle (docs/rules.md §2.4): create, autosave, submit, confirm, return, correct.

draft → submitted → confirmed (on-site only) or returned for correction. Levels, scores, methods
and confirmations are computed or set here, never taken from the caller. Confirmed assessments
are immutable; a correction is a new assessment that supersedes the old one.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.models import User
from cities.models import Enterprise
from notifications import recipients
from notifications.choices import Kind
from notifications.services import Event, notify_on_commit
from sme_pilot.errors import Conflict, Forbidden, NotFound
from sme_pilot.inputs import RETURN_COMMENT_MAX_LENGTH, parse_number
from sme_pilot.storage import private_storage

from . import evidence, indicators, scoring, selectors, signals
from .models import EDITABLE_STATES, Assessment, Evidence, Method, Purpose, Source, State

DATA_PREFIX = "data:"
NOTE_PREFIX = "note:"
NOTE_MAX_LENGTH = 1000
SIGNER_MAX_LENGTH = {
    "signer_name": Assessment._meta.get_field("pledge_signer").max_length or 50,  # type: ignore[union-attr]
    "signer_title": Assessment._meta.get_field("pledge_title").max_length or 50,  # type: ignore[union-attr]
}


class AutosaveConflict(Conflict):
    """The field changed elsewhere (another tab or person) since this client loaded it."""

    def __init__(self, field: str, current: Any, version: int) -> None:
        super().__init__(f"{field} 已在其他窗口被修改")
        self.field = field
        self.current = current
        self.version = version


@dataclass(frozen=True)
class AutosaveResult:
    field: str
    value: Any
    edit_version: int
    field_version: int
    answered: int
    total_items: int
    messages: list[scoring.FieldError] = dataclass_field(default_factory=list)


def _indicator(assessment: Assessment) -> scoring.Indicator:
    if assessment.revision is None:
        raise ValidationError("该评测没有绑定评测指标（导入的等级不能在线填写）。")
    return indicators.indicator_for(assessment.revision)


def _is_enterprise_owner(actor: User, assessment: Assessment) -> bool:
    return policy.is_own_enterprise(actor, assessment.enterprise_id)


def _is_city_assessor(actor: User, enterprise: Enterprise) -> bool:
    return policy.is_city_assessor(actor, enterprise.city_id)


def may_edit_answers(actor: User, assessment: Assessment) -> bool:
    """The enterprise edits its self-assessments, the city's assessor its on-site ones."""
    if assessment.method == Method.SELF:
        return _is_enterprise_owner(actor, assessment)
    return _is_city_assessor(actor, assessment.enterprise)


def _visible_or_404(actor: User, assessment: Assessment) -> None:
    if not selectors.assessment_list_visible_to(user=actor).filter(pk=assessment.pk).exists():
        raise NotFound("没有找到该评测")


def _ensure_editor(actor: User, assessment: Assessment) -> None:
    """Who may change the answers: the enterprise for self, the city's assessor for on-site."""
    _visible_or_404(actor, assessment)
    if not may_edit_answers(actor, assessment):
        raise Forbidden("您不能修改这份评测。")


def _ensure_editable(assessment: Assessment) -> None:
    if assessment.state not in EDITABLE_STATES:
        raise ValidationError(
            f"这份评测{assessment.get_state_display()}，不能再修改；如需更正请新建评测。",
            code="not_editable",
        )


# --- create ------------------------------------------------------------------------------------


@transaction.atomic
def assessment_create(
    *, actor: User, enterprise: Enterprise, purpose: str, version_code: str | None = None
) -> Assessment:
    """A new draft. Enterprises start self-assessments of their own enterprise; assessors start
    on-site assessments (baseline or post) of their city's enterprises, prefilled from the
    enterprise's latest submitted self-assessment of the same purpose (none of that purpose, or
    one on another indicator revision: not prefilled, `based_on` empty)."""
    if purpose not in Purpose.values:
        raise ValidationError({"purpose": f"未知的评测目的：{purpose}"})
    if policy.has(actor, policy.Ability.SELF_ASSESS):
        if actor.enterprise_id != enterprise.pk:
            raise NotFound("没有找到该企业")
        method = Method.SELF
    elif policy.has(actor, policy.Ability.ASSESS_ONSITE):
        if actor.city_id != enterprise.city_id:
            raise NotFound("没有找到该企业")
        if purpose == Purpose.SELF_CHECK:
            raise ValidationError({"purpose": "现场评定的目的应为改造前或改造后。"})
        method = Method.ONSITE
    else:
        raise Forbidden("只有企业用户和现场评定员可以新建评测。")
    revision = indicators.current_revision(version_code or indicators.default_version_code())
    if revision is None:
        raise ValidationError({"indicator_version": f"评测指标版本 {version_code} 不存在"})
    assessment = Assessment(
        enterprise=enterprise,
        purpose=purpose,
        method=method,
        state=State.DRAFT,
        source=Source.ONLINE,
        revision=revision,
        assessed_on=timezone.localdate(),
        created_by=actor,
    )
    if method == Method.ONSITE:
        base = selectors.latest_submitted_self_assessment(enterprise=enterprise, purpose=purpose)
        if base is not None and base.revision_id == revision.pk:
            assessment.based_on = base
            assessment.answers = dict(base.answers)
            assessment.scenes = dict(base.scenes)
            assessment.data = dict(base.data)
    assessment.save()
    return assessment


def _already_corrected() -> ValidationError:
    return ValidationError(
        "这份评定已有一份更正，请在那份更正上继续修改。", code="already_corrected"
    )


@transaction.atomic
def assessment_correct(*, actor: User, assessment: Assessment) -> Assessment:
    """A correction of a confirmed on-site assessment: a new draft that will supersede it.

    At most one correction per assessment. Simultaneous requests queue on the corrected row, so
    each checks for a correction with the previous one's committed; the database's
    `assessments_assessment_one_correction` refuses one written past this service, and that
    refusal gets the same message.
    """
    # "No key": the row is not changed, and rows that merely reference it are not held up. An
    # insert that bypassed this lock then meets the unique constraint rather than a deadlock.
    assessment = _locked(assessment.pk, no_key=True)
    _visible_or_404(actor, assessment)
    if assessment.state != State.CONFIRMED or assessment.method != Method.ONSITE:
        raise ValidationError("只能更正已确认的现场评定。")
    if not _is_city_assessor(actor, assessment.enterprise):
        raise Forbidden("只有本市的现场评定员可以更正评定结果。")
    corrections = Assessment.objects.filter(supersedes=assessment)
    if corrections.exists():
        raise _already_corrected()
    revision = assessment.revision or indicators.current_revision(indicators.default_version_code())
    try:
        with transaction.atomic():
            return Assessment.objects.create(
                enterprise=assessment.enterprise,
                purpose=assessment.purpose,
                method=Method.ONSITE,
                state=State.DRAFT,
                source=Source.ONLINE,
                revision=revision,
                assessed_on=timezone.localdate(),
                supersedes=assessment,
                answers=dict(assessment.answers),
                scenes=dict(assessment.scenes),
                data=dict(assessment.data),
                evidence_notes=dict(assessment.evidence_notes),
                created_by=actor,
            )
    except IntegrityError:
        if corrections.exists():
            raise _already_corrected() from None
        raise


# --- autosave ----------------------------------------------------------------------------------


# Bounds of a data field (sme_pilot.inputs.parse_number): counts are whole, amounts (万元) keep
# at most two decimals. Far above any real enterprise; they keep numbers small, not plausible.
DATA_COUNT_MAX = 10**9
DATA_AMOUNT_MAX = 10**12


def _normalise_scene(value: Any, *, field: str) -> Any:
    """A rating typed as text ("2") becomes a number; other text is left to the validation."""
    if isinstance(value, str) and value.strip().lstrip("+-").isascii():
        text = value.strip()
        if text.lstrip("+-").isdigit():
            return int(parse_number(text, field=field, whole=True, max_digits=3))
    if isinstance(value, int) and not isinstance(value, bool):
        return int(parse_number(value, field=field, whole=True, max_digits=3))
    return value


def _normalise_data(value: Any, *, whole: bool, field: str = "data") -> Any:
    """Form or JSON input to a JSON number: counts must be whole; amounts keep two decimals.

    Bounded before any conversion (sme_pilot.inputs.parse_number): ValidationError naming the
    field for text that is too long, an exponent, NaN, a negative or too large number."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip() == "":
        return None
    if whole:
        number = parse_number(value, field=field, whole=True, min=0, max=DATA_COUNT_MAX)
    else:
        number = parse_number(value, field=field, min=0, max=DATA_AMOUNT_MAX, decimal_places=2)
    if number == number.to_integral_value():
        return int(number)
    # An informational amount (万元), never scored: a float with two decimals is exact enough.
    return float(number)


def _shape_errors(
    store: dict[str, Any],
    assessment: Assessment,
    key: str,
    value: Any,
    indicator: scoring.Indicator,
) -> list[str]:
    """Errors of one answer or scene rating on its own (the data cross-checks are advice)."""
    if value is None or store is assessment.evidence_notes or store is assessment.data:
        return []
    if store is assessment.answers:
        errors = scoring.validate_answers({key: value}, {}, None, indicator, complete=False)
    else:
        errors = scoring.validate_answers({}, {key: value}, None, indicator, complete=False)
    return [e.message for e in errors]


@transaction.atomic
def assessment_autosave(
    *, actor: User, assessment_id: int, field_name: str, value: Any, base_version: int
) -> AutosaveResult:
    """Save one answer, scene rating, data field or evidence note.

    `base_version` is the field's version the client last saw. If the field has changed since
    (another tab or a save that overtook this one) and holds a different value, nothing is
    written and AutosaveConflict says what is stored now: an older save never wins.
    """
    assessment = _locked(assessment_id)
    _ensure_editor(actor, assessment)
    _ensure_editable(assessment)
    indicator = _indicator(assessment)

    store, key, value = _target(assessment, indicator, field_name, value)
    current = store.get(key)
    seen = assessment.field_versions.get(field_name, 0)
    if seen > base_version and current != value:
        raise AutosaveConflict(field_name, current, seen)
    if current != value:
        problems = _shape_errors(store, assessment, key, value, indicator)
        if problems:
            raise ValidationError({field_name: problems})
        if value is None:
            store.pop(key, None)
        else:
            store[key] = value
        assessment.edit_version += 1
        assessment.field_versions[field_name] = assessment.edit_version
        assessment.save()
    # Cross-checks between data fields and the bands chosen are advice while editing.
    messages = scoring.validate_answers(
        assessment.answers, assessment.scenes, assessment.data, indicator, complete=False
    )
    return AutosaveResult(
        field=field_name,
        value=value,
        edit_version=assessment.edit_version,
        field_version=assessment.field_versions.get(field_name, 0),
        answered=scoring.answered_count(assessment.answers, assessment.scenes, indicator),
        total_items=len(indicator.questions) + len(indicator.scenes),
        messages=messages,
    )


def _target(
    assessment: Assessment, indicator: scoring.Indicator, field_name: str, value: Any
) -> tuple[dict[str, Any], str, Any]:
    """Which stored dict a field lives in, its key there, and the normalised value."""
    if field_name.startswith(NOTE_PREFIX):
        code = field_name.removeprefix(NOTE_PREFIX)
        if assessment.method != Method.ONSITE:
            raise ValidationError({field_name: "佐证材料说明只用于现场评定。"})
        if not any(q.code == code for q in indicator.questions) and not any(
            s.code == code for s in indicator.scenes
        ):
            raise ValidationError({field_name: f"未知的题目或场景：{code}"})
        text = (str(value) if value is not None else "").strip()
        if len(text) > NOTE_MAX_LENGTH:
            raise ValidationError({field_name: f"说明不能超过 {NOTE_MAX_LENGTH} 字"})
        return assessment.evidence_notes, code, text or None
    if field_name.startswith(DATA_PREFIX):
        code = field_name.removeprefix(DATA_PREFIX)
        if code not in {f.code for f in indicator.data_fields}:
            raise ValidationError({field_name: f"未知的数据项：{code}"})
        whole = indicator.data_field(code).kind == "count"
        try:
            value = _normalise_data(value, whole=whole, field=field_name)
        except ValidationError as exc:
            message = (
                f"请填写 0 到 {DATA_COUNT_MAX} 之间的整数"
                if whole
                else f"请填写 0 到 {DATA_AMOUNT_MAX} 之间的数字（最多两位小数）"
            )
            label = indicator.data_field(code).label
            raise ValidationError({field_name: f"{label}：{message}"}) from exc
        return assessment.data, code, value
    if any(s.code == field_name for s in indicator.scenes):
        return assessment.scenes, field_name, _normalise_scene(value, field=field_name)
    if any(q.code == field_name for q in indicator.questions):
        if isinstance(value, list) and not value:
            value = None
        return assessment.answers, field_name, value
    raise ValidationError({field_name: f"未知的题目或场景：{field_name}"})


# --- submit, confirm, return -------------------------------------------------------------------


@dataclass(frozen=True)
class Completeness:
    """What stands between a questionnaire and its score: unanswered items, then the errors of
    a complete document (`scoring.validate_answers(complete=True)`)."""

    missing: list[str]
    errors: list[scoring.FieldError]

    @property
    def complete(self) -> bool:
        return not self.missing and not self.errors


def _completeness(assessment: Assessment, indicator: scoring.Indicator) -> Completeness:
    missing = scoring.missing_items(assessment.answers, assessment.scenes, indicator)
    if missing:
        return Completeness(missing, [])
    errors = scoring.validate_answers(
        assessment.answers, assessment.scenes, assessment.data, indicator, complete=True
    )
    return Completeness([], list(errors))


def _complete_or_explain(assessment: Assessment, indicator: scoring.Indicator) -> None:
    found = _completeness(assessment, indicator)
    if found.missing:
        raise ValidationError(
            {"answers": f"还有 {len(found.missing)} 项未填写：{'、'.join(found.missing)}"},
            code="incomplete",
        )
    if found.errors:
        raise ValidationError({e.field: e.message for e in found.errors}, code="invalid")


def _score(assessment: Assessment, indicator: scoring.Indicator) -> scoring.Result:
    """The score confirmation stores (and the confirmation preview shows)."""
    return scoring.score(assessment.answers, assessment.scenes, assessment.data, indicator)


def _apply_score(assessment: Assessment, indicator: scoring.Indicator) -> None:
    result = _score(assessment, indicator)
    assessment.level = result.level
    assessment.total_score = result.total
    assessment.foundation_score = result.dimensions["foundation"]
    assessment.management_score = result.dimensions["management"]
    assessment.outcomes_score = result.dimensions["outcomes"]
    assessment.result = scoring.result_to_json(result)


@transaction.atomic
def assessment_submit(
    *, actor: User, assessment_id: int, signer_name: str, signer_title: str, pledge_accepted: bool
) -> Assessment:
    """The enterprise submits its self-assessment with the truthfulness pledge."""
    assessment = _locked(assessment_id)
    _visible_or_404(actor, assessment)
    if assessment.method != Method.SELF or not _is_enterprise_owner(actor, assessment):
        raise Forbidden("只有本企业用户可以提交自评。")
    _ensure_editable(assessment)
    errors: dict[str, str] = {}
    if not pledge_accepted:
        errors["pledge"] = "提交前须阅读并勾选真实性承诺。"
    if not signer_name.strip():
        errors["signer_name"] = "请填写承诺人姓名。"
    if not signer_title.strip():
        errors["signer_title"] = "请填写承诺人职务。"
    for name, text in (("signer_name", signer_name), ("signer_title", signer_title)):
        limit = SIGNER_MAX_LENGTH[name]
        if len(text.strip()) > limit:
            errors[name] = f"不能超过 {limit} 字。"
    pledge = selectors.current_pledge_text()
    if pledge is None:
        errors["pledge"] = "系统中没有真实性承诺文本，请联系系统管理员。"
    indicator = _indicator(assessment)
    try:
        _complete_or_explain(assessment, indicator)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    _apply_score(assessment, indicator)
    now = timezone.now()
    assessment.state = State.SUBMITTED
    assessment.submitted_at = now
    assessment.assessed_on = timezone.localdate()
    assessment.pledge_signer = signer_name.strip()
    assessment.pledge_title = signer_title.strip()
    assessment.pledged_at = now
    assessment.pledge_text = pledge
    assessment.return_comment = ""
    assessment._change_reason = "提交自评"  # type: ignore[attr-defined]
    assessment.save()
    return assessment


def _ensure_confirmer(actor: User, assessment: Assessment) -> None:
    if not _is_city_assessor(actor, assessment.enterprise):
        raise Forbidden("只有本市的现场评定员可以确认评定结果。")
    if assessment.method != Method.ONSITE:
        raise ValidationError("自评不能直接确认：请基于该自评开始现场评定，核实后确认。")


def _changed_since_preview() -> ValidationError:
    return ValidationError(
        {"edit_version": "预览之后评定内容又有修改，请重新核对预览结果后再确认。"},
        code="changed_since_preview",
    )


@transaction.atomic
def assessment_confirm(
    *, actor: User, assessment_id: int, previewed_version: int | None = None
) -> Assessment:
    """The city's assessor confirms an on-site assessment: it becomes the current level.

    `previewed_version` is the `edit_version` the confirmation preview showed (the page's
    second step): if the answers changed since, nothing is confirmed and the assessor looks
    again. The API, which has no preview, passes None.
    """
    assessment = _locked(assessment_id)
    _visible_or_404(actor, assessment)
    _ensure_confirmer(actor, assessment)
    _ensure_editable(assessment)
    if previewed_version is not None and previewed_version != assessment.edit_version:
        raise _changed_since_preview()
    indicator = _indicator(assessment)
    _complete_or_explain(assessment, indicator)
    _apply_score(assessment, indicator)
    now = timezone.now()
    assessment.state = State.CONFIRMED
    assessment.submitted_at = assessment.submitted_at or now
    assessment.confirmed_at = now
    assessment.confirmed_by = actor
    assessment.assessed_on = timezone.localdate()
    assessment._change_reason = "现场评定确认"  # type: ignore[attr-defined]
    assessment.save()
    refresh_current_level([assessment.enterprise_id])
    signals.levels_changed.send(sender=Assessment, city_ids=[assessment.enterprise.city_id])
    _notify_enterprise(
        assessment,
        Kind.ASSESSMENT_CONFIRMED,
        f"{assessment.get_purpose_display()}现场评定已确认：{assessment.level} 级",
        f"评定日期 {assessment.assessed_on:%Y-%m-%d}",
    )
    return assessment


@transaction.atomic
def assessment_return(*, actor: User, assessment_id: int, comment: str) -> Assessment:
    """The assessor returns a submitted self-assessment with a comment the enterprise sees."""
    assessment = _locked(assessment_id)
    _visible_or_404(actor, assessment)
    if not _is_city_assessor(actor, assessment.enterprise):
        raise Forbidden("只有本市的现场评定员可以退回评测。")
    if assessment.method != Method.SELF or assessment.state != State.SUBMITTED:
        raise ValidationError("只能退回已提交的企业自评。")
    if not comment.strip():
        raise ValidationError({"comment": "请填写退回意见，告诉企业需要更正什么。"})
    if len(comment.strip()) > RETURN_COMMENT_MAX_LENGTH:
        raise ValidationError({"comment": f"退回意见不能超过 {RETURN_COMMENT_MAX_LENGTH} 字"})
    assessment.state = State.RETURNED
    assessment.returned_at = timezone.now()
    assessment.returned_by = actor
    assessment.return_comment = comment.strip()
    assessment._change_reason = "退回修改"  # type: ignore[attr-defined]
    assessment.save()
    _notify_enterprise(
        assessment,
        Kind.ASSESSMENT_RETURNED,
        "您提交的自评被退回，请修改后重新提交",
        f"退回意见：{assessment.return_comment}",
    )
    return assessment


def _notify_enterprise(assessment: Assessment, kind: str, title: str, body: str) -> None:
    """The enterprise's users learn the outcome once the change is committed."""
    notify_on_commit(
        recipients=recipients.of(enterprise=assessment.enterprise_id),
        event=Event(
            kind=kind,
            title=title,
            body=body,
            link=reverse("assessments:assessment_detail", args=[assessment.pk]),
            subject_type="assessment",
            subject_id=assessment.pk,
        ),
    )


def _locked(assessment_id: int, *, no_key: bool = False) -> Assessment:
    assessment = (
        Assessment.objects.select_for_update(of=("self",), no_key=no_key)
        .select_related("enterprise", "revision")
        .filter(pk=assessment_id)
        .first()
    )
    if assessment is None:
        raise NotFound("没有找到该评测")
    return assessment


@dataclass(frozen=True)
class ConfirmPreview:
    """What confirming an on-site assessment would do, computed as `assessment_confirm` does.

    `result` is None while the questionnaire is incomplete or invalid (`completeness` says
    what is missing or wrong). `based_on` is the self-assessment it was prefilled from, and
    `current` the enterprise's current confirmed assessment (None: never confirmed).
    """

    assessment: Assessment
    indicator: scoring.Indicator
    completeness: Completeness
    result: scoring.Result | None
    based_on: Assessment | None
    current: Assessment | None

    @property
    def differs_from_self_assessment(self) -> bool:
        base = self.based_on
        if self.result is None or base is None:
            return False
        return base.level != self.result.level or base.total_score != self.result.total

    @property
    def lowers_current_level(self) -> bool:
        current = self.current
        if self.result is None or current is None or current.level is None:
            return False
        return self.result.level < current.level


def confirm_preview(*, actor: User, assessment_id: int) -> ConfirmPreview:
    """The confirmation preview: the same checks and score as `assessment_confirm`, nothing
    written. Refused (the same errors) where confirming would be."""
    assessment = (
        Assessment.objects.select_related("enterprise", "revision", "based_on")
        .filter(pk=assessment_id)
        .first()
    )
    if assessment is None:
        raise NotFound("没有找到该评测")
    _visible_or_404(actor, assessment)
    _ensure_confirmer(actor, assessment)
    _ensure_editable(assessment)
    indicator = _indicator(assessment)
    completeness = _completeness(assessment, indicator)
    return ConfirmPreview(
        assessment=assessment,
        indicator=indicator,
        completeness=completeness,
        result=_score(assessment, indicator) if completeness.complete else None,
        based_on=assessment.based_on,
        current=selectors.current_assessment_of(enterprise=assessment.enterprise),
    )


def assessment_preview(*, assessment: Assessment) -> scoring.Result | None:
    """The score of a complete questionnaire without changing it (None while incomplete)."""
    indicator = _indicator(assessment)
    if scoring.validate_answers(
        assessment.answers, assessment.scenes, assessment.data, indicator, complete=True
    ):
        return None
    return scoring.score(assessment.answers, assessment.scenes, assessment.data, indicator)


# --- the kept current level (docs/rules.md "Kept current level") ------------------------------


def _refresh_chunk() -> int:
    # Enterprises per statement: a few thousand keys keep each statement reasonable (SQLite's
    # parameter limit is 999 in Django's accounting).
    limit = connection.features.max_query_params
    return min(limit - 10, 5000) if limit else 5000


def refresh_current_level(enterprise_ids: Iterable[int]) -> None:
    """Recompute the kept current level (`Enterprise.kept_level`, `kept_level_on`) of these
    enterprises from their confirmed assessments, and their assessments' kept spans
    (`refresh_spans`), set-based: a few statements per few thousand enterprises.

    Every write that changes which confirmed assessment of an enterprise counts, or its level or
    date, calls this in its own transaction (confirmation, the `levels` import, demo data, bulk
    loaders). The rows are locked first, in id order: a concurrent writer of the same enterprise
    then waits, and the UPDATE's snapshot, taken after the lock, sees what it committed.
    """
    ids = sorted({int(pk) for pk in enterprise_ids})
    if not ids:
        return
    level, level_on = selectors.latest_counting_level()
    size = _refresh_chunk()
    with transaction.atomic(savepoint=False):
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            rows = Enterprise.objects.filter(pk__in=chunk)
            list(rows.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
            rows.update(kept_level=level, kept_level_on=level_on)
            refresh_spans(chunk)


def rebuild_level_counts() -> None:
    """Recount the level-history counters from the kept spans and replace them, in one
    transaction (`verify_aggregates --fix`); on PostgreSQL the assessments and the roster are
    locked against writes meanwhile, so no write lands between the recount and the commit."""
    from . import level_triggers

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"LOCK TABLE {level_triggers.ASSESSMENTS}, {level_triggers.ROSTER} IN SHARE MODE"
            )
        level_triggers.rebuild(connection, cursor)


def refresh_spans(enterprise_ids: list[int] | None) -> None:
    """Rewrite the kept spans (`Assessment.kept_first`, `kept_to_month`, docs/rules.md "Kept
    level history") of these enterprises' assessments, or of all, from `selectors.span_rows`:
    one UPDATE of the confirmed rows whose span changed, one clearing the rows no longer
    confirmed. The counter triggers follow both. Called with the enterprise rows locked."""
    inner, params = selectors.span_rows(enterprise_ids).query.sql_with_params()
    table = Assessment._meta.db_table
    differ = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET kept_first = (k.span_rn = 1), kept_to_month = k.span_to "  # noqa: S608 (compiled ORM SQL)
            f"FROM ({inner}) AS k WHERE {table}.id = k.id "
            f"AND ({table}.kept_first {differ} (k.span_rn = 1) "
            f"OR {table}.kept_to_month {differ} k.span_to)",
            params,
        )
    stale = Assessment.objects.filter(kept_first__isnull=False).exclude(state=State.CONFIRMED)
    if enterprise_ids is not None:
        stale = stale.filter(enterprise_id__in=enterprise_ids)
    stale.update(kept_first=None, kept_to_month=None)


# --- evidence files (佐证材料) ------------------------------------------------------------------

# Uploads up to this size stay in memory while they are checked; larger ones spill to disk.
_EVIDENCE_SPOOL_BYTES = 1024 * 1024


@dataclass(frozen=True)
class _ReceivedFile:
    size: int
    sha256: str
    kind: evidence.Kind


def _evidence_item(assessment: Assessment, item: str) -> None:
    indicator = _indicator(assessment)
    codes = {q.code for q in indicator.questions} | {s.code for s in indicator.scenes}
    if item not in codes:
        raise ValidationError({"item": f"未知的题目或场景：{item[:20]}"})


def _receive(upload: File, copy: IO[bytes]) -> _ReceivedFile:
    """The upload read once, in chunks, into `copy`: counted (refused as soon as it passes the
    limit, never read to its end first), hashed, and recognised by its content."""
    limit = settings.EVIDENCE_MAX_FILE_BYTES
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            raise ValidationError({"file": f"文件不能超过 {evidence.size_label(limit)}"})
        digest.update(chunk)
        copy.write(chunk)
    if size == 0:
        raise ValidationError({"file": "文件是空的，请重新选择"})
    try:
        kind = evidence.recognise(copy)
    except evidence.NotRecognised as exc:
        raise ValidationError({"file": str(exc)}) from None
    return _ReceivedFile(size, digest.hexdigest(), kind)


def _evidence_limits(assessment: Assessment, item: str, sha256: str) -> None:
    """Counted under the assessment's row lock: simultaneous uploads cannot pass a limit."""
    files = Evidence.objects.filter(assessment=assessment)
    per_item = settings.EVIDENCE_MAX_FILES_PER_ITEM
    per_assessment = settings.EVIDENCE_MAX_FILES_PER_ASSESSMENT
    if files.filter(item=item, sha256=sha256).exists():
        raise ValidationError({"file": "这个文件已上传到本题，无需重复上传"})
    if files.filter(item=item).count() >= per_item:
        raise ValidationError({"file": f"每题最多上传 {per_item} 个佐证材料，请先删除不需要的文件"})
    if files.count() >= per_assessment:
        raise ValidationError({"file": f"每份评测最多上传 {per_assessment} 个佐证材料"})


def evidence_add(*, actor: User, assessment_id: int, item: str, upload: File) -> Evidence:
    """Store one evidence file of a questionnaire item.

    Whoever may edit the answers (may_edit_answers), while the assessment is editable. The file
    is checked before the row lock is taken (size while reading, content, name), the limits under
    it. The file is written to the private storage under a random name and deleted again if the
    row is not committed: nothing stays half-written.
    """
    assessment = selectors.assessment_get_visible(user=actor, pk=assessment_id)
    _ensure_editor(actor, assessment)
    _ensure_editable(assessment)
    _evidence_item(assessment, item)
    if any(sep in (upload.name or "") for sep in "/\\"):
        raise ValidationError({"file": "文件名不能包含路径（/ 或 \\），请改名后再上传"})
    with tempfile.SpooledTemporaryFile(max_size=_EVIDENCE_SPOOL_BYTES) as copy:
        received = _receive(upload, copy)  # type: ignore[arg-type]
        return _evidence_store(actor, assessment_id, item, upload.name or "", copy, received)


def _evidence_store(
    actor: User,
    assessment_id: int,
    item: str,
    name: str,
    content: IO[bytes],
    received: _ReceivedFile,
) -> Evidence:
    stored: str | None = None
    try:
        with transaction.atomic():
            assessment = _locked(assessment_id)
            _ensure_editor(actor, assessment)
            _ensure_editable(assessment)
            _evidence_limits(assessment, item, received.sha256)
            stored = private_storage.save(evidence.stored_name(received.kind), File(content))
            return Evidence.objects.create(
                assessment=assessment,
                item=item,
                file=stored,
                original_name=evidence.original_name(name, received.kind),
                content_type=received.kind.content_type,
                size=received.size,
                sha256=received.sha256,
                uploaded_by=actor,
            )
    except BaseException:
        if stored is not None:  # written, but its row is not: nothing stays half-written
            private_storage.delete(stored)
        raise


@transaction.atomic
def evidence_delete(*, actor: User, assessment_id: int, evidence_id: int) -> None:
    """Remove one evidence file of an editable assessment; the file goes once the row has."""
    assessment = _locked(assessment_id)
    _ensure_editor(actor, assessment)
    _ensure_editable(assessment)
    row = Evidence.objects.filter(assessment=assessment, pk=evidence_id).first()
    if row is None:
        raise NotFound("没有找到该佐证材料")
    name = row.file.name
    row.delete()
    if name:
        transaction.on_commit(partial(private_storage.delete, name))
