"""Where the policy app plugs into the rest: navigation, the home panel, demo data."""
from accounts import navigation
from accounts import views as accounts_views
from accounts.management.commands import demo_council

navigation.register("Policies", "policy_list", description="Read and acknowledge the social media policies, the "
                    "house rules and the guidance.", order=80)
navigation.register("Training", "training_mine", description="Your social media training, when it was done and "
                    "when it lapses.", order=85)


def _home_panel(request):
    from .views import home_panel

    return home_panel(request)


def _demo():
    from .demo import load_demo_policies

    return load_demo_policies()


accounts_views.HOME_PANELS.append(_home_panel)
demo_council.DEMO_HOOKS.append(_demo)
