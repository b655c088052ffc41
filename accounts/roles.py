"""Roles are Django groups. Each role's model permissions are set by roles_sync()."""
from django.db import models


class Role(models.TextChoices):
    WEB_TEAM = "web_team", "Web team"
    COMMUNICATIONS_OFFICER = "communications_officer", "Communications officer"
    HEAD_OF_SERVICE = "head_of_service", "Head of service"
    SERVICE_EDITOR = "service_editor", "Service editor"
    CUSTOMER_SERVICES = "customer_services", "Customer services officer"
    COUNCILLOR = "councillor", "Councillor"
    MONITORING_OFFICER = "monitoring_officer", "Monitoring officer"
    ADMINISTRATOR = "administrator", "Administrator"


# Roles that see every channel; others see their own service's channels.
SEE_ALL_CHANNELS = {Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.ADMINISTRATOR}
# Roles that may edit any channel and add channels to the registry.
MANAGE_ALL_CHANNELS = {Role.WEB_TEAM, Role.ADMINISTRATOR}
# Roles that may edit their own service's channels.
MANAGE_OWN_CHANNELS = {Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR}

# What each role may do, in words: shown on the README and the home page.
DESCRIPTIONS = {
    Role.WEB_TEAM: "Sees and manages every channel; triages mentions; answers simple questions.",
    Role.COMMUNICATIONS_OFFICER: "Sees every channel; handles escalated items; plans and approves posts.",
    Role.HEAD_OF_SERVICE: "Owns the service's channels and cases; decides its requests for new accounts.",
    Role.SERVICE_EDITOR: "Runs the service's channels day to day; drafts posts.",
    Role.CUSTOMER_SERVICES: "Takes customer service cases from social media.",
    Role.COUNCILLOR: "Reads and acknowledges the members' policy; is told of escalated items.",
    Role.MONITORING_OFFICER: "Approves posts during the pre-election period.",
    Role.ADMINISTRATOR: "Manages users, roles, services, rules and schedules in admin.",
}

# Model permissions per role, as "app_label.codename".
PERMISSIONS = {
    Role.WEB_TEAM: [
        "accounts.view_service", "accounts.view_channel", "accounts.add_channel", "accounts.change_channel",
    ],
    Role.COMMUNICATIONS_OFFICER: ["accounts.view_service", "accounts.view_channel"],
    Role.HEAD_OF_SERVICE: ["accounts.view_service", "accounts.view_channel", "accounts.change_channel"],
    Role.SERVICE_EDITOR: ["accounts.view_service", "accounts.view_channel", "accounts.change_channel"],
    Role.CUSTOMER_SERVICES: ["accounts.view_service", "accounts.view_channel"],
    Role.COUNCILLOR: [],
    Role.MONITORING_OFFICER: ["accounts.view_service"],
    # Administrators get every permission of these apps (see roles_sync), not a list.
    Role.ADMINISTRATOR: [],
}
ADMINISTRATOR_APPS = ("accounts", "monitoring", "triage", "publishing", "policy", "django_celery_beat", "auth",
                      "authtoken")
