from django.urls import path

from . import request_views as views

urlpatterns = [
    path("account-requests/", views.account_request_list, name="account_request_list"),
    path("account-requests/new/", views.account_request_create, name="account_request_create"),
    path("account-requests/<int:pk>/", views.account_request_detail, name="account_request_detail"),
    path("account-requests/<int:pk>/decide/", views.account_request_decide, name="account_request_decide"),
    path("account-requests/<int:pk>/resubmit/", views.account_request_resubmit, name="account_request_resubmit"),
    path("channels/<int:pk>/branding/", views.channel_branding, name="channel_branding"),
    path("channels/<int:pk>/activate/", views.channel_activate, name="channel_activate"),
    path("housekeeping/", views.housekeeping_report, name="housekeeping_report"),
    path("housekeeping/run/", views.housekeeping_run, name="housekeeping_run"),
    path("housekeeping/channels/<int:pk>/", views.housekeeping_channel, name="housekeeping_channel"),
    path("housekeeping/channels/<int:pk>/reassign/", views.housekeeping_reassign, name="housekeeping_reassign"),
    path("housekeeping/channels/<int:pk>/status/", views.housekeeping_transition, name="housekeeping_transition"),
    path("housekeeping/flags/<int:pk>/resolve/", views.housekeeping_resolve, name="housekeeping_resolve"),
]
