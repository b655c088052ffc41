from . import selectors


def emergency_banner(request):
    """The emergency banner, shown to every signed-in member of staff while emergency mode is on."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"emergency_pause": selectors.emergency_active()}
