"""The import kinds the framework knows. Each app registers the kinds of its own data.

The framework (readers, column parsing, the job model, its pages and API, the runner) never names
a kind: an app calls `register()` from its AppConfig.ready() (cities registers cities,
sub_industries and enterprises in `cities.imports.kinds`; assessments registers levels in
`assessments.imports`), so a new kind plugs in without editing the framework. Kinds are listed
in the order they were registered, i.e. in INSTALLED_APPS order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured, ValidationError

if TYPE_CHECKING:
    from .columns import KindSpec
    from .plans import Context, Plan
    from .results import ParsedRow

    Planner = Callable[[list[ParsedRow], Context], Plan]


@dataclass(frozen=True)
class Kind:
    spec: KindSpec
    # Resolves parsed rows against the database: what to create and update. It gets every row
    # (of its chunk, for a kind that `streams`), those with cell errors too (`ParsedRow.valid`
    # False, holding only the cells that parsed: check with `row.has`), so one pass reports
    # every reference problem; it plans valid rows only.
    plan: Planner
    city_officials: bool  # a city official may import it (within their city)
    # The planner may be given the file's rows a chunk at a time (settings.IMPORT_CHUNK_ROWS),
    # each chunk planned, looked up and written before the next is read, so that an import of
    # a million rows holds one chunk of them: its checks then only span a chunk (those across
    # the file, such as duplicate keys, are the framework's, or kept in `Context.memo`).
    # A kind whose rules compare every row with every other (a ledger in date order) is
    # planned in one go.
    streams: bool = False


_KINDS: dict[str, Kind] = {}


def register(spec: KindSpec, plan: Planner, *, city_officials: bool, streams: bool = False) -> None:
    known = _KINDS.get(spec.kind)
    if known is not None and (known.spec, known.plan) != (spec, plan):
        raise ImproperlyConfigured(f"import kind {spec.kind!r} is registered twice")
    _KINDS[spec.kind] = Kind(spec=spec, plan=plan, city_officials=city_officials, streams=streams)


class _Specs(Mapping[str, "KindSpec"]):
    """The registered kinds' column specs, read-only, in registration order."""

    def __getitem__(self, kind: str) -> KindSpec:
        return _KINDS[kind].spec

    def __iter__(self) -> Iterator[str]:
        return iter(_KINDS)

    def __len__(self) -> int:
        return len(_KINDS)


SPECS: Mapping[str, KindSpec] = _Specs()


def kinds() -> tuple[str, ...]:
    return tuple(_KINDS)


def get(kind: str) -> Kind:
    """The registered kind; KeyError if no app registered it."""
    return _KINDS[kind]


def spec(kind: str) -> KindSpec:
    return _KINDS[kind].spec


def label(kind: str) -> str:
    """The kind's Chinese name (the code itself for a kind no app registers any more)."""
    found = _KINDS.get(kind)
    return found.spec.label if found is not None else kind


def choices() -> list[tuple[str, str]]:
    return [(kind, k.spec.label) for kind, k in _KINDS.items()]


def validate_kind(value: str) -> None:
    if value not in _KINDS:
        raise ValidationError(f"未知的导入类型“{value}”", code="invalid_choice")
