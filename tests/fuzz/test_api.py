"""Every operation of the OpenAPI schema with hostile path, query and body values.

tests/test_api_fuzz.py checks, with schemathesis, that the API answers as documented for
schema-shaped input; this module sends what the schema does not describe: JSON numbers beyond
float and int, NaN, nesting 5,000 deep, NULs and non-ASCII digits, lists and objects where
scalars go (tests/fuzz/hostile.py). Operations come from drf-spectacular's schema, so a new
endpoint is fuzzed without being listed. Each example signs in as one role; path parameters are
either real objects (in or out of the role's scope) or hostile. Fails on any 5xx and on any
request slower than 2 s; every failure is listed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import Findings
from tests.fuzz.hostile import HOSTILE_BODIES, hostile_json, hostile_text, json_object

pytestmark = pytest.mark.fuzz

EXAMPLES = 25  # per operation
API_ROLES = ("ent", "ent2", "asr", "off", "min", "adm")

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
OPERATIONS = [
    (method.upper(), path, op)
    for path, ops in SCHEMA["paths"].items()
    for method, op in ops.items()
    if method in ("get", "post", "put", "patch", "delete")
]


def _properties(op: dict[str, Any]) -> tuple[str | None, list[str]]:
    """The request body's media type (JSON preferred) and its property names."""
    content = op.get("requestBody", {}).get("content", {})
    if not content:
        return None, []
    media = "application/json" if "application/json" in content else next(iter(content))
    schema = content[media]["schema"]
    if "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return media, sorted(schema.get("properties", {}))


def _real_values(world: Any, path: str, name: str) -> list[Any]:
    if name == "code":
        return [world.city.code, world.other_city.code]
    if name == "uscc":
        return [world.ent.uscc, world.ent2.uscc, world.other_ent.uscc]
    if path.startswith("/api/v1/imports/"):
        return [world.import_a.pk]
    return [world.draft_a1.pk, world.sub_a1.pk, world.conf_a1.pk]


def request_strategy(world: Any, method: str, path: str, op: dict[str, Any]) -> Any:
    params = op.get("parameters", [])
    media, props = _properties(op)

    @st.composite
    def requests(draw: Any) -> dict[str, Any]:
        url = path
        for p in (p for p in params if p["in"] == "path"):
            value = draw(
                st.one_of(
                    st.sampled_from(_real_values(world, path, p["name"])).map(str),
                    hostile_text(),
                )
            )
            url = url.replace("{" + p["name"] + "}", quote(value, safe=""))
        query = {
            p["name"]: draw(hostile_text())
            for p in params
            if p["in"] == "query" and draw(st.booleans())
        }
        body: Any = None
        if media == "application/json":
            if draw(st.integers(0, 5)) == 0:
                body = draw(st.sampled_from(HOSTILE_BODIES))
            else:
                chosen = [name for name in props if draw(st.booleans())] or props[:1]
                body = json_object({name: draw(hostile_json()) for name in chosen})
        elif media is not None:  # multipart or form: text fields only
            body = {name: draw(hostile_text()) for name in props if draw(st.booleans())}
        return {
            "role": draw(st.sampled_from(API_ROLES)),
            "url": url,
            "query": query,
            "media": media,
            "body": body,
        }

    return requests()


@pytest.mark.parametrize(
    ("method", "path", "op"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_every_api_operation_survives_hostile_values(client, world, findings, method, path, op):
    fuzz_operation(client, world, findings, method, path, op)
    # An operation without parameters or body (GET /api/v1/providers/me/) has one request per
    # role to make: Hypothesis stops there.
    has_input = op.get("parameters") or op.get("requestBody")
    assert findings.requests == (EXAMPLES if has_input else len(API_ROLES))
    assert findings.problems == [], "\n".join(findings.problems)


def fuzz_operation(
    client: Any, world: Any, findings: Findings, method: str, path: str, op: dict[str, Any]
) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,  # the 2 s bound is checked per request, by Findings
        database=None,
        phases=[Phase.generate],  # no shrinking: every failure is recorded, not raised
        suppress_health_check=list(HealthCheck),
    )
    @given(req=request_strategy(world, method, path, op))
    def send(req: dict[str, Any]) -> None:
        client.force_login(getattr(world.users, req["role"]))
        call = getattr(client, method.lower())
        url, query, body, media = req["url"], req["query"], req["body"], req["media"]
        body_text = body if isinstance(body, str) else repr(body)
        where = f"{req['role']} {method} {url} query={_short(query)} body={_cut(body_text)}"

        def go() -> Any:
            if method == "GET":
                return call(url, query)
            target = url + (
                "?" + "&".join(f"{k}={quote(v)}" for k, v in query.items()) if query else ""
            )
            if media == "application/json":
                return call(target, body.encode("utf-8", "surrogatepass"), content_type=media)
            if method == "POST":
                return call(target, body or {})
            return call(
                target, encode_multipart(BOUNDARY, body or {}), content_type=MULTIPART_CONTENT
            )

        findings.record(where, go)

    send()


def _cut(text: str) -> str:
    return text if len(text) < 60 else f"{text[:40]}…({len(text)})"


def _short(data: dict[str, str]) -> str:
    return repr({k: _cut(v) for k, v in data.items()})
