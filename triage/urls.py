from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="triage_dashboard"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/updates/", views.case_updates, name="case_updates"),
    path("cases/bulk/", views.case_bulk, name="case_bulk"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/preview/", views.case_preview, name="case_preview"),
    path("cases/<int:pk>/<slug:action>/", views.case_action, name="case_action"),
    path("foi/", views.foi_list, name="foi_list"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/add/", views.rule_edit, name="rule_create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/replies/", views.canned_list, name="canned_list"),
    path("rules/replies/add/", views.canned_edit, name="canned_create"),
    path("rules/replies/<int:pk>/", views.canned_edit, name="canned_edit"),
]
