"""Demo governance data: branding checklists for the demo channels and one request for a
new account waiting for the head of Libraries. Safe to run any number of times."""
from django.db import transaction

from .models import AccountRequest, BrandingChecklist, Channel, User
from .requests import account_request_submit

# Demo channels whose branding is not finished, so housekeeping has something to show.
UNFINISHED_BRANDING = {("x", "@DemoJobs"): {"header_image": False, "hours_and_contact": False}}


@transaction.atomic
def load_demo_governance() -> dict:
    checklists = 0
    for channel in Channel.objects.filter(branding__isnull=True).exclude(status=Channel.Status.SETTING_UP):
        items = {field: True for field, _ in BrandingChecklist.ITEMS}
        items.update(UNFINISHED_BRANDING.get((channel.platform, channel.handle), {}))
        BrandingChecklist.objects.create(channel=channel, **items)
        checklists += 1
    requests_created = 0
    editor = User.objects.filter(username="editor.libraries").select_related("service").first()
    if editor and editor.service and editor.service.head_id and not AccountRequest.objects.filter(
            proposed_handle__iexact="@DemoLibrariesKids").exists():
        account_request_submit(
            actor=editor, platform=Channel.Platform.INSTAGRAM, kind=Channel.Kind.SERVICE,
            proposed_handle="@DemoLibrariesKids", proposed_display_name="Demo Libraries for children",
            audience="Parents and carers of children under 12 in the borough, and schools.",
            objectives="More families at Rhyme Time and the Summer Reading Challenge; more children joining the "
                       "library.",
            why_own_account="Parents follow children's activities on Instagram, which the council's corporate "
                            "accounts do not use for events like ours; two or three posts a week would crowd them.",
            content_commitment="Three posts a week from the children's librarians, planned a month ahead on the "
                               "forward planner.",
            monitors=[editor], out_of_hours="The profile says it is monitored 9am to 5pm, Monday to Friday, and "
                                            "points to the council website and 999 for emergencies.",
        )
        requests_created += 1
    return {"branding_checklists_created": checklists, "account_requests_created": requests_created}
