from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from policy.models import PolicyDocument
from policy.services import policy_version_publish


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def web(staff):
    return staff[Role.WEB_TEAM]


@pytest.fixture
def publish(web, today):
    def make(document, body="## Rules\n\nBe kind.", days_ago=10, **extra):
        fields = {"change_type": "committee", "approved_by": "Policy Committee",
                  "committee_reference": "Policy Committee, minute 8", **extra}
        return policy_version_publish(actor=web, document=document, body=body,
                                      effective_from=today - timedelta(days=days_ago), **fields)

    return make


@pytest.fixture
def staff_policy(web):
    return PolicyDocument.objects.create(slug="social-media-policy", title="Social media policy", audience="staff",
                                         kind="social_media_policy", owner=web)


@pytest.fixture
def members_policy(staff):
    return PolicyDocument.objects.create(slug="members-policy", title="Social media policy for members",
                                         audience="councillors", kind="members_policy",
                                         owner=staff[Role.MONITORING_OFFICER])
