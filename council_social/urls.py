from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from accounts import mfa_views, request_api
from monitoring import api as monitoring_api
from policy import api as policy_api
from publishing import api as publishing_api
from triage import api as triage_api

from .api import router

router.register("channels", accounts_api.ChannelViewSet, basename="channel")
router.register("mentions", monitoring_api.MentionViewSet, basename="mention")
router.register("cases", triage_api.CaseViewSet, basename="case")
router.register("rules", triage_api.RuleViewSet, basename="rule")
router.register("account-requests", request_api.AccountRequestViewSet, basename="account-request")
router.register("policies", policy_api.PolicyViewSet, basename="policy")
router.register("posts", publishing_api.PostViewSet, basename="post")
router.register("campaigns", publishing_api.CampaignViewSet, basename="campaign")

admin.site.__class__ = mfa_views.MFAAdminSite  # admin only after multi-factor sign-in
admin.site.site_header = "Council Social administration"
admin.site.site_title = "Council Social admin"

urlpatterns = [
    path("sign-in/", mfa_views.SignInView.as_view(), name="login"),
    path("", include("accounts.mfa_urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/status/", accounts_api.system_status, name="api_status"),
    path("api/status/ping/", accounts_api.system_ping, name="api_status_ping"),
    path("api/reports/", include("reporting.api_urls")),
    path("api/", include(router.urls)),
    path("", include("monitoring.urls")),
    path("", include("triage.urls")),
    path("", include("accounts.urls")),
    path("", include("accounts.request_urls")),
    path("", include("policy.urls")),
    path("", include("publishing.urls")),
    path("", include("reporting.urls")),
]

handler404 = "council_social.api.not_found"
