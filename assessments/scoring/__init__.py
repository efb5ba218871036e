"""Digital-level scoring (docs/rules.md §2, §3.1). Pure Python: no Django, `Decimal` points.

An indicator edition is data (`assessments/data/indicator_2024.json`, corrected through the admin
as new revisions). `indicator_from_definition` checks a definition and compiles it into an
immutable `Indicator`; `validate_answers`, `score` and `evaluate_document` work against it.

    indicator.py   the indicator's frozen dataclasses and their look-up tables
    definition.py  definition (JSON) → Indicator, with every consistency check
    validation.py  answers → field errors in Chinese; the fast "valid and resolved?" path
    engine.py      points, level, next level and the plan to reach it
    exchange.py    the §3.1 answer document and result JSON
"""

from .definition import (
    DATA_FILE,
    default_indicator,
    indicator_from_definition,
    load_definition_file,
)
from .engine import InvalidAnswersError, NextLevel, PlanItem, Result, level_for, score
from .exchange import evaluate_document, result_to_json
from .indicator import (
    DataField,
    DefinitionError,
    Dimension,
    Gate,
    Indicator,
    Option,
    Question,
    Scene,
)
from .validation import FieldError, answered_count, missing_items, validate_answers

__all__ = [
    "DATA_FILE",
    "DataField",
    "DefinitionError",
    "Dimension",
    "FieldError",
    "Gate",
    "Indicator",
    "InvalidAnswersError",
    "NextLevel",
    "Option",
    "PlanItem",
    "Question",
    "Result",
    "Scene",
    "answered_count",
    "default_indicator",
    "evaluate_document",
    "indicator_from_definition",
    "level_for",
    "load_definition_file",
    "missing_items",
    "result_to_json",
    "score",
    "validate_answers",
]
