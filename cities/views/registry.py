"""Registry pages: home, city list, city overview, enterprise detail, own profile."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from accounts import policy
from accounts.requests import AuthenticatedHttpRequest

from .. import selectors, services
from ..models import Enterprise


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    scope = policy.scope_of(user)
    if policy.works_a_queue(user):
        # Enterprises, city and district officials and providers open on what waits for them
        # (待办, the project pipeline's work queues, projects.selectors.queues).
        return redirect("projects:work_queue")
    if scope.reach is policy.Reach.CITY and user.city is not None:
        return redirect("cities:city_detail", code=user.city.code)
    if policy.compares_cities(user):
        # Ministry staff (and administrators) start from the comparison of every city, province
        # officials from that of their province's cities.
        return redirect("oversight:national_dashboard")
    raise Http404


@login_required
def city_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not policy.compares_cities(user):
        raise Http404
    cities = selectors.city_list_with_counts(user=user)
    return render(request, "cities/city_list.html", {"cities": cities})


@login_required
def city_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    if not policy.sees_city_overview(user):
        raise Http404  # a district official: the city's totals are not the district's
    city = selectors.city_get_visible(user=user, code=code)
    return render(
        request,
        "cities/city_detail.html",
        {
            "city": city,
            "sub_industries": selectors.sub_industry_summary(city=city),
            "targets": selectors.target_list_for_city(city=city),
        },
    )


@login_required
def enterprise_detail(request: AuthenticatedHttpRequest, uscc: str) -> HttpResponse:
    user = request.user
    enterprise = selectors.enterprise_get_visible(user=user, uscc=uscc)
    if policy.has(user, policy.Ability.HAS_OWN_ENTERPRISE):
        return redirect("cities:my_enterprise")
    return render(
        request,
        "cities/enterprise_detail.html",
        {"enterprise": enterprise, "history": selectors.enterprise_history(enterprise=enterprise)},
    )


class ContactForm(forms.ModelForm[Enterprise]):
    class Meta:
        model = Enterprise
        fields = list(Enterprise.CONTACT_FIELDS)


@login_required
def my_enterprise(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not policy.has(user, policy.Ability.HAS_OWN_ENTERPRISE) or user.enterprise_id is None:
        raise Http404
    enterprise = selectors.enterprise_list_visible_to(user=user).get(pk=user.enterprise_id)
    if request.method == "POST":
        form = ContactForm(request.POST, instance=enterprise)
        forbidden = [f for f in Enterprise.CLASSIFICATION_FIELDS if f in request.POST]
        if forbidden:
            labels = "、".join(Enterprise.field_label(f) for f in forbidden)
            form.add_error(None, f"企业用户不能修改分类信息（{labels}），请联系城市管理员更正。")
        if not forbidden and form.is_valid():
            services.enterprise_update(enterprise=enterprise, actor=user, changes=form.cleaned_data)
            messages.success(request, "联系信息已保存。")
            return redirect("cities:my_enterprise")
    else:
        form = ContactForm(instance=enterprise)
    return render(request, "cities/my_enterprise.html", {"enterprise": enterprise, "form": form})
