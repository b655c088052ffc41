from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.home, name="report_home"),
    path("reports/growth/", views.growth, name="report_growth"),
    path("reports/mentions/", views.mentions, name="report_mentions"),
    path("reports/triage/", views.triage, name="report_triage"),
    path("reports/publishing/", views.publishing, name="report_publishing"),
    path("reports/committee/", views.run_create, name="report_run_create"),
    path("reports/committee/<int:pk>/", views.run_detail, name="report_run"),
    path("reports/committee/<int:pk>/status/", views.run_status, name="report_run_status"),
    path("reports/committee/<int:pk>/pdf/", views.run_download, {"kind": "pdf"}, name="report_run_pdf"),
    path("reports/committee/<int:pk>/csv/", views.run_download, {"kind": "csv"}, name="report_run_csv"),
]
