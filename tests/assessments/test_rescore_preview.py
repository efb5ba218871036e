"""`manage.py rescore_preview VERSION`: the assessments whose level a correction would change,
printed one by one as they are found, then the counts (nothing is collected, nothing changed)."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command

from assessments import indicators
from assessments.models import Assessment, IndicatorVersion
from assessments.selectors import rescore_preview
from tests.assessments.factories import AssessmentFactory, top_document

pytestmark = pytest.mark.django_db


def raise_level_2_gate(to: str) -> None:
    current = indicators.current_revision("2024")
    definition = copy.deepcopy(current.definition)
    for gate in definition["gates"]:
        if gate["level"] == 2:
            gate["min_score"] = to
    indicators.revision_create(
        version=IndicatorVersion.objects.get(code="2024"),
        definition=definition,
        note="测试：二级门槛 40 → 45",
        actor=None,
    )


def test_lists_each_level_change_then_the_counts(enterprise, other_enterprise):
    # The §3.1 example scores 44.975 (level 2); the top document 100 (level 4).
    falls = AssessmentFactory(enterprise=enterprise, submitted=True)
    confirmed = AssessmentFactory(enterprise=other_enterprise, confirmed=True)
    stays = AssessmentFactory(enterprise=enterprise, submitted=True, document=top_document())
    AssessmentFactory(enterprise=enterprise)  # a draft: not scored, not examined
    raise_level_2_gate("45")
    before = list(Assessment.objects.order_by("id").values_list("level", "revision__number"))

    out = io.StringIO()
    call_command("rescore_preview", "2024", stdout=out)
    *changes, summary = [json.loads(line) for line in out.getvalue().splitlines()]

    assert [(c["assessment"], c["level"], c["new_level"]) for c in changes] == [
        (falls.pk, 2, 1),
        (confirmed.pk, 2, 1),
    ]
    assert changes[0] == {
        "assessment": falls.pk,
        "uscc": enterprise.uscc,
        "state": "submitted",
        "revision": 1,
        "level": 2,
        "new_level": 1,
        "total": "44.975",
        "new_total": "44.975",
    }
    assert summary == {"version": "2024", "newest_revision": 2, "examined": 3, "level_changes": 2}
    assert stays.pk not in [c["assessment"] for c in changes]
    after = list(Assessment.objects.order_by("id").values_list("level", "revision__number"))
    assert after == before  # read only


def test_changes_are_handed_over_as_found_not_collected(enterprise):
    AssessmentFactory.create_batch(5, enterprise=enterprise, submitted=True)
    raise_level_2_gate("45")
    seen = []
    preview = rescore_preview(version_code="2024", on_change=seen.append, chunk_size=2)
    assert len(seen) == preview.level_changes == preview.examined == 5


def test_an_unknown_version_is_an_error():
    with pytest.raises(CommandError, match="评测指标版本 1999 不存在"):
        call_command("rescore_preview", "1999", stdout=io.StringIO())
