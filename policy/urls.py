from django.urls import path

from . import views

urlpatterns = [
    path("policies/", views.policy_list, name="policy_list"),
    path("policies/compliance/", views.compliance, name="policy_compliance"),
    path("policies/<slug:slug>/", views.policy_document, name="policy_document"),
    path("policies/<slug:slug>/acknowledge/", views.policy_acknowledge, name="policy_acknowledge"),
    path("policies/<slug:slug>/versions/new/", views.policy_version_create, name="policy_version_create"),
    path("policies/<slug:slug>/versions/<int:number>/", views.policy_version, name="policy_version"),
    path("guidance/", views.guidance_index, name="guidance_index"),
    path("training/", views.training_mine, name="training_mine"),
    path("training/people/<int:pk>/", views.training_person, name="training_person"),
    path("training/services/", views.training_services, name="training_services"),
    path("training/services/<slug:slug>/", views.training_service, name="training_service"),
    path("training/record/", views.training_record, name="training_record"),
]
