"""DRF glue shared by every app: default permission and pagination."""

from typing import Any

from rest_framework import exceptions, pagination, permissions
from rest_framework.request import Request


class IsActiveAccount(permissions.IsAuthenticated):
    """Authenticated, active, and not waiting to replace an initial password."""

    message = "请先登录。"

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if getattr(request.user, "must_change_password", False):
            self.message = "请先修改初始密码后再使用系统。"
            return False
        return True


class StrictPageSizeMixin:
    """`page_size` that is not a whole number of at least 1 is a 400, not quietly the default
    (DRF's behaviour); more than `max_page_size` still gives `max_page_size` rows."""

    page_size: int | None
    page_size_query_param: str | None
    max_page_size: int | None

    def get_page_size(self, request: Request) -> int | None:
        name = self.page_size_query_param
        raw = request.query_params.get(name) if name else None
        if name is None or raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            message = f"每页条数应为正整数（最多 {self.max_page_size}）"
            raise exceptions.ValidationError({name: [message]})
        return min(size, self.max_page_size or size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)  # type: ignore[misc]
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
                parameter["description"] = f"每页条数，最多 {self.max_page_size}"
        return parameters


class PageNumberPagination(StrictPageSizeMixin, pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        """An empty `page=` is an invalid page (404) like `page=abc`, not silently page 1."""
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        return raw


class CursorPagination(StrictPageSizeMixin, pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "id"
