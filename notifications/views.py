"""Notification pages, mounted at /notifications/: the inbox, opening one, marking all read,
the preferences and the unsubscribe link of the mails (the only page without a login: the
signed token is the credential)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.requests import AuthenticatedHttpRequest
from sme_pilot.errors import Invalid

from . import selectors, services
from .choices import KINDS_BY_ROLE, Channel, Kind, MailMode

PAGE_SIZE = 20


def _show(request: HttpRequest) -> str:
    show = request.GET.get("show", "unread")
    return show if show in selectors.FILTERS else "unread"


@login_required
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    show = _show(request)
    page = Paginator(selectors.inbox(user=request.user, show=show), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "show": show, "filters": selectors.FILTERS, "query": f"show={show}"},
    )


@login_required
def notification_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark read, then go to what it is about (a link of this site only; else the inbox)."""
    note = services.notification_open(user=request.user, notification_id=pk)
    link = note.link
    if (
        link
        and link.startswith("/")
        and url_has_allowed_host_and_scheme(
            link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return redirect(link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, f"已将 {count} 条通知标为已读")
    return redirect("notifications:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    prefs = services.preferences_of(request.user)
    error = ""
    if request.method == "POST":
        # Kinds the page does not offer keep what they had.
        channels = {
            kind: request.POST.get(f"channel_{kind}", prefs.channel_for(kind))
            for kind in Kind.values
        }
        try:
            services.preferences_update(
                user=request.user,
                channels=channels,
                mail_mode=request.POST.get("mail_mode", MailMode.IMMEDIATE),
            )
        except Invalid as exc:
            error = exc.message
        else:
            messages.success(request, "通知设置已保存")
            return redirect("notifications:preferences")
    offered = set(KINDS_BY_ROLE.get(request.user.role, ()))
    rows = [(k, label, prefs.channel_for(k)) for k, label in Kind.choices if k in offered]
    return render(
        request,
        "notifications/preferences.html",
        {
            "rows": rows,
            "channels": Channel.choices,
            "mail_modes": MailMode.choices,
            "prefs": prefs,
            "mail_enabled": services.mail_enabled(),
            "has_email": bool(request.user.email),
            "error": error,
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link does (mail scanners follow links); POST does it."""
    try:
        if request.method == "POST":
            found = services.unsubscribe(token)
            return render(request, "notifications/unsubscribe.html", {"done": True, "found": found})
        found = services.unsubscribe_check(token)
    except Invalid as exc:
        return render(request, "notifications/unsubscribe.html", {"error": exc.message}, status=400)
    return render(request, "notifications/unsubscribe.html", {"found": found})
