"""DRF glue shared by every app: default permission and pagination."""

from typing import Any

from rest_framework import pagination, permissions
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


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "id"
