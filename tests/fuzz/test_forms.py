"""Every form of every page, POSTed (or, for GET forms, queried) with hostile values.

Targets are discovered, not listed: for each role, every page of the permission matrix that
role may GET (the matrix must have an entry for every URL pattern, test_permission_matrix
enforces it) is fetched, and every <form> in it is read from the HTML (`action`, or htmx's
`hx-post`; `method`; the names and current values of its inputs, selects and textareas).
Each form is then sent with hostile values (tests/fuzz/hostile.py) in its fields, the other
fields keeping the values the page gave them, so a hostile value gets as far into the view as
it can. Fails on any 5xx and on any request slower than 2 s; every failure is listed.
"""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.conftest import drain
from tests.fuzz.conftest import Findings
from tests.fuzz.hostile import CRITICAL, hostile_text
from tests.test_permission_matrix import MATRIX, _resolve

pytestmark = pytest.mark.fuzz

# One user per kind of role (ent2/asr2/off2 see the same pages as ent/asr/off, other objects).
FUZZ_ROLES = ("anon", "ent", "asr", "off", "min", "adm")
EXAMPLES = 4  # generated, per distinct form, after the explicit ones


@dataclasses.dataclass(frozen=True)
class Form:
    page: str
    action: str
    method: str
    fields: tuple[tuple[str, str, str], ...]  # (name, control type, value the page gave)
    htmx: bool = False  # sent by htmx (hx-post), with its HX-Request header

    @property
    def shape(self) -> tuple[str, str, tuple[str, ...]]:
        """Forms posting the same kinds of controls to one URL are one target: the
        questionnaire has one autosave form per question, all alike."""
        kinds = tuple(sorted({kind for _, kind, _ in self.fields if kind != "hidden"}))
        return (self.method, self.action, kinds)


class FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._current: dict[str, Any] | None = None
        self._textarea: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            htmx = a.get("hx-post")
            method = "post" if htmx else (a.get("method") or "get").lower()
            action = urljoin(self.page, htmx or a.get("action") or self.page)
            self._current = {"action": action, "method": method, "fields": [], "htmx": bool(htmx)}
        elif self._current is not None and tag in ("input", "select", "textarea", "button"):
            name = a.get("name")
            if not name:
                return
            kind = a.get("type", "text") if tag == "input" else tag
            if kind in ("submit", "button") and tag == "button":
                kind = "submit"
            if kind in ("checkbox", "radio") and "checked" not in a:
                value = a.get("value", "on")  # not sent by a browser, but a valid choice
            else:
                value = a.get("value", "")
            entry = [name, kind, value]
            self._current["fields"].append(entry)
            if tag == "textarea":
                self._textarea = entry

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._current is not None:
            fields = tuple(tuple(f) for f in self._current["fields"])
            current = self._current
            self.forms.append(
                Form(self.page, current["action"], current["method"], fields, current["htmx"])  # type: ignore[arg-type]
            )
            self._current = None


def discover_forms(client: Client, world: Any, role: str) -> list[Form]:
    """Every distinct form on every page `role` may GET (200 in the permission matrix)."""
    seen: dict[tuple[Any, ...], Form] = {}
    for entry in MATRIX:
        if entry.method != "GET" or entry.expected[role] != "200":
            continue
        url = reverse(entry.route, kwargs={k: _resolve(v, world) for k, v in entry.kwargs.items()})
        response = client.get(url)
        if response.streaming or not response["Content-Type"].startswith("text/html"):
            if response.streaming:
                drain(response)
            continue
        parser = FormParser(url)
        parser.feed(response.content.decode())
        for form in parser.forms:
            if form.fields:
                seen.setdefault(form.shape, form)
    return list(seen.values())


def form_values(form: Form) -> st.SearchStrategy[dict[str, str]]:
    """Every field either keeps its value or takes a hostile one; at least one is hostile."""
    names = sorted({name for name, _, _ in form.fields})
    defaults = {name: value for name, _, value in reversed(form.fields)}  # first wins

    @st.composite
    def values(draw: Any) -> dict[str, str]:
        target = draw(st.sampled_from(names))
        data = {name: draw(hostile_text()) if name == target else defaults[name] for name in names}
        for name in names:  # and sometimes more than one at once
            if name != target and draw(st.integers(0, 4)) == 0:
                data[name] = draw(hostile_text())
        return data

    return values()


def test_every_form_survives_hostile_values(client, world, findings: Findings):
    """One target per distinct form (the first role to find it sends it): a form that several
    roles see parses its input the same way for all of them."""
    targets: dict[tuple[Any, ...], tuple[str, Form]] = {}
    for role in FUZZ_ROLES:
        client.logout()
        if role != "anon":
            client.force_login(getattr(world.users, role))
        for form in discover_forms(client, world, role):
            targets.setdefault(form.shape, (role, form))
    actions = {form.action.split("?")[0] for _, form in targets.values()}
    # The discovery must keep finding the product's forms (a test that finds none cannot fail).
    assert {
        reverse("accounts:login"),
        reverse("cities:account_create"),
        reverse("reports:report_request"),
    } <= actions
    assert any("/autosave/" in action for action in actions), sorted(actions)

    for role, form in targets.values():
        user = getattr(world.users, role, None)
        fuzz_form(client, user, role, form, findings)
    print(f"{len(targets)} forms, {findings.requests} requests, slowest {findings.slowest:.3f} s")
    assert findings.problems == [], "\n".join(findings.problems)


def explicit_examples(form: Form) -> Any:
    """Each field, in turn, with each of the values known to break parsers (a NUL, numbers
    beyond int and float, a non-ASCII digit); the other fields keep their values."""
    defaults = {name: value for name, _, value in reversed(form.fields)}

    def decorate(test: Any) -> Any:
        for name in sorted(defaults):
            for value in CRITICAL:
                test = example(data={**defaults, name: value})(test)
        return test

    return decorate


def fuzz_form(client: Client, user: Any, role: str, form: Form, findings: Findings) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,  # the 2 s bound is checked per request, by Findings
        database=None,
        phases=[
            Phase.explicit,
            Phase.generate,
        ],  # no shrinking: every failure is recorded, not raised
        suppress_health_check=list(HealthCheck),
    )
    @given(data=form_values(form))
    @explicit_examples(form)
    def send(data: dict[str, str]) -> None:
        if user is not None:
            client.force_login(user)  # a fuzzed logout or password change ends the session
        where = f"{role} {form.method.upper()} {form.action} (form on {form.page}) {_short(data)}"
        method = client.post if form.method == "post" else client.get
        headers = {"HX-Request": "true"} if form.htmx else {}
        findings.record(where, lambda: method(form.action, data, headers=headers))

    send()


def _short(data: dict[str, str]) -> str:
    return repr({k: (v if len(v) < 40 else f"{v[:20]}…({len(v)})") for k, v in data.items()})
