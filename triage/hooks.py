"""Where triage plugs into the rest: monitoring's hooks, navigation, the home page, demo data."""
from accounts import navigation
from accounts import views as accounts_views
from accounts.management.commands import demo_council
from accounts.roles import Role
from monitoring import privacy
from monitoring import services as monitoring_services

from . import classify, config, selectors, services

# New mentions are routed in the transaction that stores them; grown threads are looked at again.
if services.mentions_route not in monitoring_services.NEW_MENTION_HOOKS:
    monitoring_services.NEW_MENTION_HOOKS.append(services.mentions_route)
if services.mentions_rethink not in monitoring_services.GROWN_MENTION_HOOKS:
    monitoring_services.GROWN_MENTION_HOOKS.append(services.mentions_rethink)
if services.cases_search_refresh not in monitoring_services.EDITED_MENTION_HOOKS:
    monitoring_services.EDITED_MENTION_HOOKS.append(services.cases_search_refresh)
# Comments with a blocked word marked "hide incoming" are hidden automatically, on the record.
from . import moderation  # noqa: E402

if moderation.queue_auto_hide not in monitoring_services.NEW_MENTION_HOOKS:
    monitoring_services.NEW_MENTION_HOOKS.append(moderation.queue_auto_hide)
# Authors are scored as they are stored, under the influence thresholds in force.


def _author_scorer():
    classifier = config.current().classifier
    return lambda followers, verified: classify.author_influence(followers, verified, classifier)


if not monitoring_services.AUTHOR_INFLUENCE:
    monitoring_services.AUTHOR_INFLUENCE.append(_author_scorer)
# Data protection: cases being worked on keep their mentions; purged or erased mentions take
# the cases they opened with them; a subject-access export includes the author's cases.
privacy.RETENTION_HOLDS.append(selectors.mentions_held)
privacy.MENTION_DELETE_HOOKS.append(services.mentions_forget)
privacy.SUBJECT_ACCESS_SECTIONS.append(selectors.author_case_records)

EVERYONE = set(Role.values)
navigation.register("Dashboard", "triage_dashboard", roles=EVERYONE - {Role.MONITORING_OFFICER},
                    description="Queues, SLAs and your own cases at a glance.", order=10)
navigation.register("Cases", "case_list", roles=EVERYONE,
                    description="The review dashboard: every case you may see, live, with filters.", order=15)
navigation.register("FOI register", "foi_list",
                    roles={Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.HEAD_OF_SERVICE, Role.ADMINISTRATOR},
                    description="Freedom of Information requests made on social media and their due dates.",
                    order=30)
navigation.register("Rules", "rule_list", roles={Role.WEB_TEAM, Role.ADMINISTRATOR},
                    description="The escalation matrix: which mentions go where, and who is told.", order=80)
navigation.register("Triage quality", "triage_quality", roles={Role.WEB_TEAM, Role.ADMINISTRATOR},
                    description="How well the classifier reads mentions, the council's corrections and retraining.",
                    order=81)


def _home_cases(request):
    user = request.user
    if not user.roles:
        return None
    return {"template": "triage/home_panel.html", "summary": selectors.case_summary(user=user)}


accounts_views.HOME_PANELS.append(_home_cases)


def _demo():
    from .demo import load_demo_triage

    return load_demo_triage()


demo_council.DEMO_HOOKS.append(_demo)
navigation.register("Moderation log", "moderation_log", roles=EVERYONE - {Role.COUNCILLOR},
                    description="Every comment hidden or deleted and account blocked, with why and a copy.", order=32)


# Replies waiting for approval appear on the posts' "To approve" list, beside the posts.
def _replies_to_approve(request):
    from . import replies

    waiting = replies.waiting_for(request.user)
    return {"template": "triage/_replies_to_approve.html", "replies": waiting} if waiting else None


try:
    from publishing import views as publishing_views
except ImportError:  # publishing not installed
    publishing_views = None
if publishing_views is not None and _replies_to_approve not in publishing_views.TO_APPROVE_EXTRAS:
    publishing_views.TO_APPROVE_EXTRAS.append(_replies_to_approve)
