from django.conf import settings
from django.urls import reverse

from . import mfa
from .navigation import nav_items, sections


def navigation(request):
    user = getattr(request, "user", None)
    # No menu until sign-in is finished: on the multi-factor steps none of it would work.
    signed_in = bool(user and user.is_authenticated) and mfa.session_next_step(request) is None
    items = nav_items(user, request.path) if signed_in else []
    nav_sections = sections(items)
    return {
        "product_name": "Council Social",
        "council_name": settings.COUNCIL_NAME,
        "nav_items": items,
        "nav_sections": nav_sections,
        "nav_section": next((s for s in nav_sections if s["current"]), None),
        "signed_in": signed_in,
        "home_url": reverse("home"),
    }
