"""Where reporting plugs into the rest: navigation and demo data."""
from accounts import navigation
from accounts.management.commands import demo_council

from .filters import OWN_SERVICE, SEE_ALL

navigation.register("Reports", "report_home", roles=SEE_ALL | OWN_SERVICE,
                    description="Channel growth, mentions, response times and publishing, and the committee report.",
                    order=60)


def _demo():
    from .demo import load_demo_metrics

    return load_demo_metrics()


demo_council.DEMO_HOOKS.append(_demo)
