from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from monitoring import api as monitoring_api

from .api import router

router.register("channels", accounts_api.ChannelViewSet, basename="channel")
router.register("mentions", monitoring_api.MentionViewSet, basename="mention")

admin.site.site_header = "Council Social administration"
admin.site.site_title = "Council Social admin"

urlpatterns = [
    path("sign-in/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/status/", accounts_api.system_status, name="api_status"),
    path("api/status/ping/", accounts_api.system_ping, name="api_status_ping"),
    path("api/", include(router.urls)),
    path("", include("monitoring.urls")),
    path("", include("accounts.urls")),
]
