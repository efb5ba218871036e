"""factory_boy factories for assessments, and complete answer sets to fill them with.

`AssessmentFactory()` is an empty self-check draft (method self) on the newest 2024 revision.
Pass `answers`/`scenes`/`data` (e.g. from `complete_answers()`) or a `document`, or use a trait:
`complete` (the docs/rules.md §3.1 example answers: level 2, 44.975 points), `submitted` (complete,
with the pledge), `confirmed` (an on-site assessment confirmed by an assessor). Submitted and
confirmed assessments are scored with the real scoring module unless `level` is given.
"""

from __future__ import annotations

import copy
from typing import Any

import factory
from django.utils import timezone

from assessments import indicators, scoring, selectors
from assessments.models import Assessment, Method, Purpose, Source, State
from assessments.services import refresh_current_level
from tests.assessments.documents import EXAMPLE_DOCUMENT, EXAMPLE_RESULT
from tests.cities.factories import EnterpriseFactory

# The §3.1 example document (level 2) and its result live with the scoring tests' documents.
__all__ = ["EXAMPLE_DOCUMENT", "EXAMPLE_RESULT"]


def complete_answers() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Fresh copies of the example's answers, scene ratings and data (level 2)."""
    document = example_document()
    return document["answers"], document["scenes"], document["data"]


def example_document() -> dict[str, Any]:
    """A fresh copy of the §3.1 example (level 2)."""
    return copy.deepcopy(EXAMPLE_DOCUMENT)


def top_document() -> dict[str, Any]:
    """Every question at its best answer and every scene at level 4: 100 points, level 4."""
    indicator = scoring.default_indicator()
    answers: dict[str, Any] = {}
    for q in indicator.questions:
        best = list(q.best_options)
        answers[q.code] = best if q.kind == "multi" else best[0]
    return {
        "indicator_version": indicator.version,
        "answers": answers,
        "scenes": {s.code: 4 for s in indicator.scenes},
        "data": {},
    }


def _part(document: dict[str, Any] | None, key: str) -> dict[str, Any]:
    return copy.deepcopy((document or {}).get(key) or {})


def current_revision() -> Any:
    return indicators.current_revision("2024")


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    enterprise = factory.SubFactory(EnterpriseFactory)
    purpose = Purpose.SELF_CHECK
    method = Method.SELF
    state = State.DRAFT
    source = Source.ONLINE
    revision = factory.LazyFunction(current_revision)
    assessed_on = factory.LazyFunction(timezone.localdate)
    answers = factory.LazyAttribute(lambda o: _part(o.document, "answers"))
    scenes = factory.LazyAttribute(lambda o: _part(o.document, "scenes"))
    data = factory.LazyAttribute(lambda o: _part(o.document, "data"))

    class Params:
        document = None  # an answer document (see example_document) to fill in
        complete = factory.Trait(document=factory.LazyFunction(example_document))
        submitted = factory.Trait(
            complete=True,
            state=State.SUBMITTED,
            submitted_at=factory.LazyFunction(timezone.now),
            pledge_signer="张伟",
            pledge_title="总经理",
            pledged_at=factory.LazyFunction(timezone.now),
            pledge_text=factory.LazyFunction(selectors.current_pledge_text),
        )
        confirmed = factory.Trait(
            complete=True,
            method=Method.ONSITE,
            purpose=Purpose.BASELINE,
            state=State.CONFIRMED,
            submitted_at=factory.LazyFunction(timezone.now),
            confirmed_at=factory.LazyFunction(timezone.now),
        )

    @classmethod
    def _create(cls, model_class: type[Assessment], *args: Any, **kwargs: Any) -> Assessment:
        if (
            kwargs.get("state") in (State.SUBMITTED, State.CONFIRMED)
            and kwargs.get("level") is None
        ):
            revision = kwargs.get("revision")
            if revision is not None and kwargs.get("answers"):
                result = scoring.score(
                    kwargs["answers"],
                    kwargs["scenes"],
                    kwargs.get("data"),
                    indicators.indicator_for(revision),
                )
                kwargs.update(
                    level=result.level,
                    total_score=result.total,
                    foundation_score=result.dimensions["foundation"],
                    management_score=result.dimensions["management"],
                    outcomes_score=result.dimensions["outcomes"],
                    result=scoring.result_to_json(result),
                )
        created = super()._create(model_class, *args, **kwargs)
        if created.state == State.CONFIRMED:
            # Written past the services, like a bulk loader: keep the current level as they do.
            refresh_current_level([created.enterprise_id])
        return created


def confirmed_level(enterprise: Any, level: int, *, days_ago: int = 0) -> Assessment:
    """A level that counts: an on-site post-transformation assessment, confirmed, `days_ago`."""
    import datetime as dt

    return AssessmentFactory(
        enterprise=enterprise,
        method=Method.ONSITE,
        purpose=Purpose.POST,
        state=State.CONFIRMED,
        level=level,
        revision=None,
        assessed_on=timezone.localdate() - dt.timedelta(days=days_ago),
        confirmed_at=timezone.now(),
    )
