"""The API's OpenAPI schema: drf-spectacular's, plus the error answers every operation can give.

Not in sme_pilot.api: drf-spectacular imports DRF's views, whose defaults import that module.
"""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="错误说明")
    code = serializers.CharField(
        required=False, help_text="错误代码，如 password_change_required（须先修改初始密码）"
    )


# DRF's answer to invalid input: {"字段": ["错误", …], "non_field_errors": [...]}; the value for a
# dictionary field (answers, scenes, …) is itself keyed by code.
VALIDATION_ERRORS = {
    "type": "object",
    "description": "按字段列出的错误信息；与单个字段无关的错误在 non_field_errors 中",
    "additionalProperties": {},
}


# Text in a URL: no NUL or other C0 control character (sme_pilot.middleware refuses them).
NO_CONTROL_CHARACTERS = "^[^\\u0000-\\u001f]*$"
NO_CONTROL_CHARACTERS_OR_SLASH = "^[^/\\u0000-\\u001f]+$"

VALIDATION_ERROR_RESPONSE = OpenApiResponse(VALIDATION_ERRORS, description="请求无效")

# What the edge answers before any view runs (sme_pilot.middleware: control characters in the URL
# or a form; sme_pilot.inputs.BoundedJSONParser: malformed or too deeply nested JSON, NUL in a
# string). An operation documenting its own 400 body may give these too.
EDGE_ERRORS = {
    "description": "请求在进入接口前被拒绝（含控制字符、JSON 无法解析或嵌套过深）",
    "anyOf": [
        {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
        {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    ],
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema plus the error answers DRF gives on every operation.

    Added unless the operation documents that status itself: 400 where there is input to
    validate (a request body or query parameters), 403 everywhere (not signed in, initial
    password not yet changed, or not allowed), 404 where the path names an object or the query
    a page or cursor, 429 where the operation is throttled.

    An input serializer marked `strict_input = True` is validated exactly as declared: a field
    it does not have is a 400 (`additionalProperties: false`), and its required fields stay
    required on PATCH (drf-spectacular assumes DRF's partial validation there).
    """

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        serializer = force_instance(serializer)
        if direction == "request" and getattr(serializer, "strict_input", False):
            required = [
                name
                for name, field in serializer.fields.items()
                if field.required and not field.read_only
            ]
            if required:
                schema["required"] = required
            schema["additionalProperties"] = False
        return schema

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        paginated = getattr(self.view, "action", None) == "list" and self._get_paginator()
        responses: dict[str, Any] = operation["responses"]

        def add(code: str, body: Any, description: str) -> None:
            if code not in responses:
                response = OpenApiResponse(body, description=description)
                responses[code] = self._get_response_for_code(response, code)

        for parameter in parameters:
            schema = parameter.get("schema", {})
            if parameter["in"] in ("query", "path") and schema.get("type") == "string":
                # sme_pilot.middleware answers 400 to control characters in the URL.
                if schema.get("pattern") == "^[^/]+$":  # lookup_value_regex "[^/]+"
                    parameter["schema"] = {**schema, "pattern": NO_CONTROL_CHARACTERS_OR_SLASH}
                elif not {"enum", "pattern", "format"} & set(schema):
                    parameter["schema"] = {**schema, "pattern": NO_CONTROL_CHARACTERS}
        # Any text in the URL may be refused (control characters, sme_pilot.middleware).
        if "requestBody" in operation or any(p["in"] in ("query", "path") for p in parameters):
            for media in responses.get("400", {}).get("content", {}).values():
                if media.get("schema") != VALIDATION_ERRORS:  # an operation's own 400 body
                    media["schema"] = {"anyOf": [media["schema"], EDGE_ERRORS]}
            add("400", VALIDATION_ERRORS, "请求参数或请求体无效")
        add("403", ErrorSerializer, "未登录、须先修改初始密码，或无权执行此操作")
        if paginated or any(p["in"] == "path" for p in parameters):
            add("404", ErrorSerializer, "对象不存在或不在您的权限范围内，或页码、游标无效")
        if self.view.get_throttles():
            add("429", ErrorSerializer, "请求过于频繁，请稍后再试")
        operation["responses"] = dict(sorted(responses.items()))
        return operation
