from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/add/", views.channel_create, name="channel_create"),
    path("channels/<int:pk>/", views.channel_detail, name="channel_detail"),
    path("channels/<int:pk>/edit/", views.channel_edit, name="channel_edit"),
    path("audit/", views.audit_list, name="audit_list"),
    path("status/", views.system_status, name="system_status"),
    path("status/ping/", views.system_status_ping, name="system_status_ping"),
    path("healthz", views.healthz, name="healthz"),
]
