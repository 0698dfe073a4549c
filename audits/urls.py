from django.urls import path

from audits.views import audits, checklists, findings, reports

app_name = "audits"
urlpatterns = [
    path("", audits.audit_list, name="audit_list"),
    path("new/", audits.audit_create_view, name="audit_create"),
    path("dashboard/", audits.dashboard, name="dashboard"),
    path("<int:audit_id>/", audits.audit_detail, name="audit_detail"),
    path("<int:audit_id>/edit/", audits.audit_edit, name="audit_edit"),
    path("<int:audit_id>/status/", audits.audit_status, name="audit_status"),
    path("<int:audit_id>/checklist/", audits.audit_checklist, name="audit_checklist"),
    path("<int:audit_id>/sign/", audits.audit_sign, name="audit_sign"),
    path("<int:audit_id>/revise/", audits.audit_revise_view, name="audit_revise"),
    path("<int:audit_id>/findings/new/", findings.finding_create_view, name="finding_create"),
    path("<int:audit_id>/reports/", reports.report_request_view, name="report_request"),
    path("answers/<int:answer_id>/", audits.answer_detail, name="answer"),
    path("answers/<int:answer_id>/evidence/", audits.evidence_upload, name="evidence_upload"),
    path("evidence/<int:evidence_id>/", audits.evidence_download, name="evidence_download"),
    path("findings/<int:finding_id>/", findings.finding_detail, name="finding_detail"),
    path("findings/<int:finding_id>/edit/", findings.finding_edit, name="finding_edit"),
    path("capas/<int:capa_id>/", findings.capa_action, name="capa_action"),
    path("reports/<int:auditreport_id>/", reports.report_status, name="report_status"),
    path("reports/<int:auditreport_id>/download/", reports.report_download, name="report_download"),
    path("checklists/", checklists.template_list, name="template_list"),
    path("checklists/new/", checklists.template_create_view, name="template_create"),
    path("checklists/import/", checklists.template_import, name="template_import"),
    path(
        "checklists/<int:checklisttemplate_id>/",
        checklists.template_detail,
        name="template_detail",
    ),
    path(
        "checklists/versions/<int:templateversion_id>/",
        checklists.version_detail,
        name="version_detail",
    ),
    path(
        "checklists/versions/<int:templateversion_id>/export/",
        checklists.version_export,
        name="version_export",
    ),
    path(
        "checklists/versions/<int:templateversion_id>/publish/",
        checklists.version_publish_view,
        name="version_publish",
    ),
    path(
        "checklists/versions/<int:templateversion_id>/new-draft/",
        checklists.version_new_draft,
        name="version_new_draft",
    ),
    path(
        "checklists/versions/<int:templateversion_id>/discard/",
        checklists.version_discard_view,
        name="version_discard",
    ),
    path(
        "checklists/versions/<int:templateversion_id>/sections/new/",
        checklists.section_create,
        name="section_create",
    ),
    path(
        "checklists/versions/<int:templateversion_id>/questions/new/",
        checklists.question_create,
        name="question_create",
    ),
    path(
        "checklists/sections/<int:checklistsection_id>/",
        checklists.section_edit,
        name="section_edit",
    ),
    path(
        "checklists/sections/<int:checklistsection_id>/action/",
        checklists.section_action,
        name="section_action",
    ),
    path(
        "checklists/questions/<int:checklistquestion_id>/",
        checklists.question_edit,
        name="question_edit",
    ),
    path(
        "checklists/questions/<int:checklistquestion_id>/action/",
        checklists.question_action,
        name="question_action",
    ),
]
