from django.urls import path

from . import api

urlpatterns = [
    path("growth/", api.growth, name="api_report_growth"),
    path("volume/", api.volume, name="api_report_volume"),
    path("response-times/", api.response_times, name="api_report_response_times"),
    path("foi/", api.foi, name="api_report_foi"),
    path("publishing/", api.publishing, name="api_report_publishing"),
]
