from django.urls import path

from . import moderation_views, views

urlpatterns = [
    path("dashboard/", views.dashboard, name="triage_dashboard"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/updates/", views.case_updates, name="case_updates"),
    path("cases/bulk/", views.case_bulk, name="case_bulk"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/preview/", views.case_preview, name="case_preview"),
    path("cases/<int:pk>/<slug:action>/", views.case_action, name="case_action"),
    path("foi/", views.foi_list, name="foi_list"),
    path("moderation/", moderation_views.moderation_log, name="moderation_log"),
    path("moderation/<int:pk>/review/", moderation_views.moderation_review, name="moderation_review"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/add/", views.rule_edit, name="rule_create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/replies/", views.canned_list, name="canned_list"),
    path("rules/replies/add/", views.canned_edit, name="canned_create"),
    path("rules/replies/<int:pk>/", views.canned_edit, name="canned_edit"),
    path("triage/quality/", views.quality, name="triage_quality"),
    path("triage/quality/labels.csv", views.labels_export, name="triage_labels_csv"),
    path("triage/quality/retrain/", views.retrain, name="triage_retrain"),
    path("triage/quality/retrain/<int:pk>/", views.retrain_run, name="triage_retrain_run"),
    path("triage/quality/retrain/<int:pk>/status/", views.retrain_status, name="triage_retrain_status"),
    path("triage/quality/rollback/", views.rollback, name="triage_rollback"),
]
