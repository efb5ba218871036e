"""转型样板 (issue 15): the list of samples (city staff over their scope, enterprises their own
city's, next to the provider directory), and the city official's mark and unmark on an accepted
project's 一企一档. The rules are `projects.services.samples`; out of scope is 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.requests import AuthenticatedHttpRequest
from providers.models import Product
from sme_pilot.errors import Conflict, Forbidden, NotFound

from .forms import SampleForm
from .models import Project, TransformationSample
from .selectors import projects
from .selectors import samples as selectors
from .services import samples as services

PAGE_SIZE = 30


@login_required
def sample_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not policy.sees_samples(user):
        raise NotFound("页面不存在")
    today = timezone.localdate()
    ids = (
        selectors.samples_visible_to(user)
        .filter(marked_at__date__lte=today)
        .order_by(
            "project__enterprise__city__code",
            "project__enterprise__sub_industry__name",
            "project__enterprise__name",
            "id",
        )
        .values_list("pk", flat=True)
    )
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.sample_rows(
        TransformationSample.objects.filter(pk__in=list(page.object_list)), as_of=today
    )
    return render(
        request,
        "projects/samples.html",
        {
            "page": page,
            "rows": rows,
            "codes": policy.sees_sample_codes(user),
            "links": policy.sees_project_list(user),
            "query": "",
        },
    )


def _markable(request: AuthenticatedHttpRequest, pk: int) -> Project:
    """The project, if the user marks its city's samples (404 out of scope, 403 otherwise)."""
    project = projects.project_get_visible(user=request.user, pk=pk)
    if not policy.marks_samples_of(request.user, project.enterprise.city_id):
        raise Forbidden("只有项目所在城市的主管部门可以设定转型样板")
    return project


@login_required
def sample_mark(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """设为转型样板 (or change the mark): the case description and the provider's products."""
    project = _markable(request, pk)
    reason = services.refusal(project)
    if reason is not None:
        raise Conflict(reason)
    sample = TransformationSample.objects.filter(project=project).first()
    choices: list[tuple[int, str]] = []
    if project.provider_id is not None:
        choices = list(
            Product.objects.filter(provider_id=project.provider_id)
            .order_by("name", "id")
            .values_list("pk", "name")
        )
    if request.method == "POST":
        form = SampleForm(request.POST, products=choices)
        if form.is_valid():
            try:
                services.mark_sample(
                    actor=request.user,
                    project_id=project.pk,
                    description=form.cleaned_data["description"],
                    products=form.cleaned_data["products"],
                )
            except ValidationError as exc:
                for field, problems in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, "已设为转型样板。" if sample is None else "样板已更新。")
                return redirect("projects:project_detail", pk=project.pk)
    else:
        initial: dict[str, object] = {}
        if sample is not None:
            initial = {
                "description": sample.description,
                "products": [str(pk) for pk in sample.products.values_list("pk", flat=True)],
            }
        form = SampleForm(initial=initial, products=choices)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "projects/sample_form.html",
        {"project": project, "form": form, "sample": sample},
        status=status,
    )


@login_required
@require_POST
def sample_unmark(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """取消样板: the way back."""
    project = _markable(request, pk)
    services.unmark_sample(actor=request.user, project_id=project.pk)
    messages.success(request, "已取消转型样板。")
    return redirect("projects:project_detail", pk=project.pk)
