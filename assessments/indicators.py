"""Indicator revisions as scoring objects: the bridge between stored definitions and scoring.py.

Revisions are immutable, so a parsed `Indicator` is cached per revision row for the life of the
process (keyed by id and creation time, so a reused id after a rollback is never confused).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from . import scoring
from .models import IndicatorRevision, IndicatorVersion

_CACHE: dict[tuple[int, str], scoring.Indicator] = {}


def indicator_for(revision: IndicatorRevision) -> scoring.Indicator:
    key = (revision.pk, revision.created_at.isoformat())
    indicator = _CACHE.get(key)
    if indicator is None:
        indicator = scoring.indicator_from_definition(revision.definition, revision=revision.number)
        _CACHE[key] = indicator
    return indicator


def current_revision(version_code: str) -> IndicatorRevision | None:
    return (
        IndicatorRevision.objects.filter(version__code=version_code)
        .select_related("version")
        .order_by("-number")
        .first()
    )


def current_revisions() -> dict[str, IndicatorRevision]:
    """The newest revision of every indicator version, by version code."""
    newest: dict[str, IndicatorRevision] = {}
    for revision in IndicatorRevision.objects.select_related("version").order_by(
        "version__code", "-number"
    ):
        newest.setdefault(revision.version.code, revision)
    return newest


def current_indicators() -> dict[str, scoring.Indicator]:
    """What `score_answers` and the scoring preview score against: the newest revisions."""
    return {code: indicator_for(rev) for code, rev in current_revisions().items()}


def default_version_code() -> str:
    """The edition new assessments use: the newest version that has a revision."""
    version = IndicatorVersion.objects.filter(revisions__isnull=False).order_by("-code").first()
    if version is None:
        raise ValidationError("系统中没有可用的评测指标版本，请联系系统管理员。")
    return version.code


@transaction.atomic
def revision_create(
    *, version: IndicatorVersion, definition: dict[str, Any], note: str, actor: Any
) -> IndicatorRevision:
    """A correction: validate the whole definition, then store it as the next revision."""
    if str(definition.get("version", "")) != version.code:
        raise ValidationError(
            {"definition": f"定义中的版本号应为 {version.code}，实际为 {definition.get('version')}"}
        )
    try:
        scoring.indicator_from_definition(definition, revision=1)
    except scoring.DefinitionError as exc:
        raise ValidationError({"definition": str(exc)}) from exc
    last = (
        IndicatorRevision.objects.select_for_update()
        .filter(version=version)
        .order_by("-number")
        .first()
    )
    if last is not None and last.definition == definition:
        raise ValidationError({"definition": "与当前修订完全相同，没有需要保存的更正。"})
    return IndicatorRevision.objects.create(
        version=version,
        number=(last.number + 1) if last else 1,
        definition=definition,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
