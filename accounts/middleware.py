"""Send a user whose password was set by someone else to the password change page first."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

ALLOWED_PREFIXES = ("/static/", "/media/", "/login/", "/logout/", "/password/change/")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(ALLOWED_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": "请先修改初始密码后再使用系统。",
                        "code": "password_change_required",
                    },
                    status=403,
                )
            return redirect(f"{reverse('accounts:password_change')}?next={request.get_full_path()}")
        return self.get_response(request)
