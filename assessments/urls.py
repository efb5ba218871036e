"""Assessment pages, mounted at /assessments/."""

from django.urls import URLPattern, path

from .views import assessor, enterprise, evidence, questionnaire

app_name = "assessments"

urlpatterns: list[URLPattern] = [
    path("", enterprise.my_assessments, name="assessment_list"),
    path("new/", enterprise.assessment_new, name="assessment_new"),
    path(
        "enterprise/<str:uscc>/",
        enterprise.enterprise_assessments,
        name="enterprise_assessments",
    ),
    path("<int:pk>/", questionnaire.questionnaire, name="assessment_detail"),
    path("<int:pk>/autosave/", questionnaire.autosave, name="assessment_autosave"),
    path("<int:pk>/submit/", questionnaire.submit, name="assessment_submit"),
    path("<int:pk>/result/", questionnaire.result, name="assessment_result"),
    path("<int:pk>/confirm/", assessor.confirm, name="assessment_confirm"),
    path("<int:pk>/return/", assessor.return_for_correction, name="assessment_return"),
    path("<int:pk>/correct/", assessor.correct, name="assessment_correct"),
    path("assessor/", assessor.assessor_list, name="assessor_list"),
    path("assessor/<str:uscc>/start/", assessor.onsite_start, name="onsite_start"),
    path("assessor/queue/", assessor.queue, name="assessor_queue"),
    path("<int:pk>/confirm/preview/", assessor.confirm_preview, name="assessment_confirm_preview"),
    path("<int:pk>/evidence/", evidence.evidence_upload, name="evidence_upload"),
    path(
        "<int:pk>/evidence/<int:evidence_id>/",
        evidence.evidence_download,
        name="evidence_download",
    ),
    path(
        "<int:pk>/evidence/<int:evidence_id>/delete/",
        evidence.evidence_delete,
        name="evidence_delete",
    ),
]
