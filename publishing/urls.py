from django.urls import path

from . import views

urlpatterns = [
    path("posts/", views.post_list, name="post_list"),
    path("posts/new/", views.post_create, name="post_create"),
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/submit/", views.post_submit, name="post_submit"),
    path("posts/<int:pk>/decide/", views.post_decide, name="post_decide"),
    path("posts/<int:pk>/refer/", views.post_refer, name="post_refer"),
    path("posts/<int:pk>/monitoring-officer/", views.post_monitoring_officer, name="post_monitoring_officer"),
    path("posts/<int:pk>/schedule/", views.post_schedule, name="post_schedule"),
    path("posts/<int:pk>/cancel/", views.post_cancel, name="post_cancel"),
    path("posts/<int:pk>/channels/<int:target_pk>/retry/", views.target_retry, name="target_retry"),
    path("posts/<int:pk>/channels/<int:target_pk>/found/", views.target_mark_published,
         name="target_mark_published"),
    path("emergency/", views.emergency, name="emergency"),
    path("emergency/end/", views.emergency_end, name="emergency_end"),
    path("calendar/", views.calendar_month, name="calendar_month"),
    path("calendar/fortnight/", views.calendar_fortnight, name="calendar_fortnight"),
    path("calendar/plan.ics", views.calendar_ics, name="calendar_ics"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("alerts/", views.alerts_subscribe, name="alerts_subscribe"),
    path("alerts/confirm/<str:token>/", views.alerts_confirm, name="alerts_confirm"),
    path("alerts/unsubscribe/<str:token>/", views.alerts_unsubscribe, name="alerts_unsubscribe"),
    path("alerts/subscribers/", views.alerts_admin, name="alerts_admin"),
    path("alerts/subscribers/export.csv", views.alerts_export, name="alerts_export"),
    path("alerts/subscribers/<int:subscriber_pk>/erase/", views.alerts_erase, name="alerts_erase"),
]
