from django.conf import settings
from django.urls import reverse

from .navigation import nav_items


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "product_name": "Council Social",
        "council_name": settings.COUNCIL_NAME,
        "nav_items": nav_items(user, request.path) if user and user.is_authenticated else [],
        "home_url": reverse("home"),
    }
