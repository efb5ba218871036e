from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from sme_pilot import health

admin.site.site_header = "中小企业数字化转型城市试点 · 系统管理"
admin.site.site_title = "城市试点系统管理"
admin.site.index_title = "参考数据与账号"

API_DOCS_CSP = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})

api_v1: list[URLPattern | URLResolver] = [
    path("", include("cities.api.urls")),
    path("", include("assessments.api.urls")),
    path("", include("oversight.api.urls")),
    path("", include("providers.api.urls")),
    path("", include("projects.api.urls")),
    path("", include("reports.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up code as a script file, so script-src stays
    # 'self'; Swagger UI and Redoc write their own <style> elements, allowed on these two pages
    # only (never in the global policy, settings CONTENT_SECURITY_POLICY).
    path(
        "docs/",
        API_DOCS_CSP(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path(
        "redoc/",
        API_DOCS_CSP(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-redoc",
    ),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("assessments/", include("assessments.urls")),
    path("reports/", include("reports.urls")),
    path("providers/", include("providers.urls")),
    path("funds/", include("funds.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("accounts.urls")),
    path("", include("oversight.urls")),
    path("", include("projects.urls")),
    path("", include("cities.urls")),
]
