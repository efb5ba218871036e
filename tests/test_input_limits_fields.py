"""Every text field a client or a person can fill is bounded (issue 10 defect 7): a walk over
every DRF serializer and every Django form of the project, failing on a CharField without
max_length, and over every API view's parsers (JSON only through BoundedJSONParser)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from django import forms
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import parsers, serializers

from sme_pilot.inputs import BoundedJSONParser

APPS = (
    "accounts",
    "notifications",
    "cities",
    "assessments",
    "providers",
    "projects",
    "funds",
    "oversight",
    "reports",
    "demo",
    "sme_pilot",
)

# (class name, field name) → why it may stay unbounded. Keep short.
ALLOWED_UNBOUNDED: dict[tuple[str, str], str] = {
    # Django's own password fields: the password validators and hasher bound them.
    ("PasswordChangeForm", "old_password"): "Django auth form",
    ("PasswordChangeForm", "new_password1"): "Django auth form",
    ("PasswordChangeForm", "new_password2"): "Django auth form",
    # An indicator definition pasted as JSON by an administrator, checked by the definition parser.
    ("RevisionCorrectionForm", "definition"): "admin-only JSON document",
    ("AccountCreationForm", "password1"): "Django admin auth form",
    ("AccountCreationForm", "password2"): "Django admin auth form",
    ("AccountPasswordChangeForm", "password1"): "Django admin auth form",
    ("AccountPasswordChangeForm", "password2"): "Django admin auth form",
}


def _import_all() -> None:
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if any(part in info.name for part in (".migrations", ".management", ".settings")):
                continue
            importlib.import_module(info.name)


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _ours(cls: type) -> bool:
    return cls.__module__.split(".")[0] in APPS


def _serializer_fields(serializer: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    for name, field in serializer.fields.items():
        yield from _field_tree(field, f"{prefix}{name}")


def _field_tree(field: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, field
    if field.read_only:
        return  # never read from a request, nor anything inside it
    child = getattr(field, "child", None)
    if child is not None:
        yield from _field_tree(child, f"{path}[]")
    if isinstance(field, serializers.BaseSerializer) and hasattr(field, "fields"):
        yield from _serializer_fields(field, f"{path}.")


def _api_views() -> Iterator[Any]:
    def walk(patterns: list[Any]) -> Iterator[Any]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            elif isinstance(p, URLPattern) and hasattr(p.callback, "cls"):
                yield p.callback.cls

    yield from walk(get_resolver().url_patterns)


# Input serializers not marked `strict_input` (the house's marker of a request shape).
OTHER_INPUT_SERIALIZERS = {"AnswerDocumentSerializer", "ImportJobCreateSerializer"}


def _is_input(cls: type) -> bool:
    return getattr(cls, "strict_input", False) or cls.__name__ in OTHER_INPUT_SERIALIZERS


def test_every_input_serializer_char_field_is_bounded():
    """Every serializer that reads a request: `strict_input` ones, the others named above, and
    every API view's own serializer_class (response-only serializers never read input)."""
    _import_all()
    classes = {c for c in _subclasses(serializers.BaseSerializer) if _ours(c) and _is_input(c)}
    classes |= {v.serializer_class for v in _api_views() if getattr(v, "serializer_class", None)}
    assert len(classes) >= 8  # the walk sees the project's input serializers
    names = {c.__name__ for c in classes}
    assert {"SubmitSerializer", "ReturnSerializer", "EnterpriseUpdateSerializer"} <= names
    unbounded = []
    for cls in sorted(classes, key=lambda c: c.__qualname__):
        for path, field in _serializer_fields(cls(), f"{cls.__name__}."):
            if field.read_only or not isinstance(field, serializers.CharField):
                continue
            if field.max_length is None and (cls.__name__, path) not in ALLOWED_UNBOUNDED:
                unbounded.append(path)
    assert unbounded == [], "\n".join(unbounded)


def test_every_form_char_field_is_bounded():
    _import_all()
    classes = [c for c in _subclasses(forms.BaseForm) if _ours(c)]
    assert len(classes) >= 8  # the walk sees the project's forms
    unbounded = []
    for cls in classes:
        for name, field in cls.base_fields.items():
            if not isinstance(field, forms.CharField) or field.disabled:
                continue
            allowed = any((k.__name__, name) in ALLOWED_UNBOUNDED for k in cls.__mro__)
            if field.max_length is None and not allowed:
                unbounded.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert unbounded == [], "\n".join(unbounded)


def test_every_api_view_parses_json_only_through_the_bounded_parser():
    views = list(_api_views())
    api_views = [v for v in views if v.__module__.split(".")[0] in APPS and ".api" in v.__module__]
    assert api_views
    for view in api_views:
        for parser in view.parser_classes:
            if issubclass(parser, parsers.JSONParser):
                assert issubclass(parser, BoundedJSONParser), view
            else:
                # Form parsers only where an upload needs them (imports, evidence files,
                # project documents).
                uploads = ("ImportJobViewSet", "EvidenceViewSet", "ProjectDocumentViewSet")
                assert view.__name__ in uploads, (view, parser)


@pytest.mark.parametrize("name", ["signer_name", "signer_title"])
def test_signer_fields_are_bounded_by_the_model(name):
    from assessments.api.serializers import SubmitSerializer
    from assessments.forms import SubmitForm
    from assessments.models import Assessment

    model_field = {"signer_name": "pledge_signer", "signer_title": "pledge_title"}[name]
    limit = Assessment._meta.get_field(model_field).max_length
    assert SubmitSerializer().fields[name].max_length == limit
    assert SubmitForm.base_fields[name].max_length == limit
