"""The 一企一档 checklist (projects.rules.REQUIRED_DOCUMENTS, missing_documents): pure."""

from __future__ import annotations

from projects import rules
from projects.choices import DocType
from projects.rules import Stage


def test_required_document_types_are_document_choices():
    required = {t for types in rules.REQUIRED_DOCUMENTS.values() for t in types}
    assert required <= set(DocType.values)


def test_nothing_is_missing_before_diagnosis():
    assert rules.missing_documents([Stage.APPLIED, Stage.ADMITTED], []) == []


def test_missing_documents_of_reached_stages_in_order():
    reached = list(rules.STAGES[: rules.STAGES.index(Stage.ACCEPTANCE_APPLIED) + 1])
    assert rules.missing_documents(reached, ["contract", "invoice"]) == [
        (Stage.DIAGNOSED, "diagnosis_report"),
        (Stage.ACCEPTANCE_APPLIED, "payment_proof"),
        (Stage.ACCEPTANCE_APPLIED, "summary"),
    ]


def test_all_present_means_nothing_missing():
    present = [t for types in rules.REQUIRED_DOCUMENTS.values() for t in types]
    assert rules.missing_documents(rules.STAGES, present) == []
    assert rules.missing_documents(rules.STAGES, []) == [
        (stage, t) for stage, types in rules.REQUIRED_DOCUMENTS.items() for t in types
    ]
