"""The demo council's policies, guidance and training, written from the seed papers:
000 (policy purpose, annual review, e-learning), 002 (members' policy, delegated minor
amendments), 003 (councillors' guide at induction) and 004 (house rules, personal use,
FOI by social media, requesting a new account)."""
from datetime import timedelta

from django.db import transaction

from accounts.models import User

from . import selectors
from .models import PolicyDocument, PolicyVersion, TrainingCompletion, TrainingModule
from .services import policy_acknowledge, policy_version_publish, training_completion_record

SOCIAL_MEDIA_POLICY = """\
## Purpose

Social media is the term commonly given to online tools, channels and interactive media which allow people to \
interact with individuals, groups or organisations by sharing information, opinions, knowledge and interests, and \
by asking questions or taking part in online discussion and conversations.

The council recognises that there are a number of risks with using social media, and that it brings professional \
responsibilities that all council employees need to understand. This policy provides a framework to manage those \
risks, so that the benefits of using social media are maximised with minimum risk.

The purpose of this policy is to ensure that social media activity is **safe, appropriate, purposeful and legal**.

## How the council uses social media

- **Communication**: connecting the public with news, information and events, increasing awareness of the services \
available, and communicating during emergencies and major events.
- **Engagement**: gathering intelligence about ongoing issues and gauging public opinion.
- **Collaboration**: finding more efficient ways of working together and sharing information with residents.
- **Customer services**: answering concerns or issues, and directing customers to where they can find more \
information or correct the problem, ideally through self-service.

## Access

Access to social and streaming media is open by default from devices on the council's network.

## Monitoring and control

To manage risk effectively, social media is monitored. The council uses social media monitoring and management \
software that monitors mentions of the council and controls the publishing of social media updates by staff to \
council social media channels. You can submit posts and replies on council channels only once you have \
acknowledged the current version of this policy and the [house rules](/policies/house-rules/).

## Council accounts

Staff should not set up any new accounts, groups, pages or profiles, or take part in any social media activity on \
behalf of their service area, without first consulting the web team and the relevant head of service. See \
[how to request a new account](/policies/requesting-an-account/).

The departments or services are responsible for monitoring, updating and engaging with their audience. All council \
social media accounts are subject to the [house rules](/policies/house-rules/).

## Personal use and Freedom of Information

Read the guidance on [personal use of social media](/policies/personal-use/) and on \
[Freedom of Information requests made by social media](/policies/foi-by-social-media/).

## Training

All staff complete the social media e-learning module, which explains the appropriate use of social media and the \
key points of this policy.

## Review

This policy is reviewed every year, and any future updates are brought back to Policy Committee for approval.
"""

HOUSE_RULES = """\
Anything written on the council's social media channels reflects on the organisation, but given the relaxed style \
of social media, it is important not to appear overly formal.

## Do

- engage and be sociable by starting conversations, sharing news and asking questions
- ensure you have the resource to post regular/daily content and respond to questions
- try to take difficult conversations out of the public domain and on to a private channel
- consider how you will deal with messages received out of hours
- contact the web team if you are unsure about how to deal with an issue

## Do not

- ignore genuine questions or interactions
- post too often and become an annoyance
- take any political standpoint – just deal with the issue
- reveal confidential or sensitive information about the authority or your work
- delete posts/comments unless absolutely necessary (as the comment will likely be preserved somewhere, and it'll \
often take longer explaining why we deleted it)
"""

PERSONAL_USE = """\
Officers must be aware that they may be identified directly or indirectly as a council employee. When using social \
media in a personal capacity it is expected that they behave appropriately and in line with council values and \
policies. Any inappropriate online activity will not be tolerated by the council and may result in disciplinary \
action, and this applies whether the inappropriate online activity takes place during or outside of working hours.

The council may also be liable for the actions of officers who post comments or content on social media in a \
private capacity which are closely connected to the work environment.

It's your own personal choice whether or not you choose to participate in any kind of social media activity in your \
own time – the views and opinions that you express are your own. However, as a council officer you should be aware \
that any information which you post about the council cannot be kept entirely separate from your working life. This \
is in line with the code of conduct for employees.

Any information published online can be accessed around the world in seconds and will be publicly available for all \
to see – and will often be retained electronically even if you subsequently delete it.

## For your social media accounts

- Consider adding a disclaimer to your social media profile to make it clearer that your personal accounts are \
personal – for example: "These views are my own". Be aware though that this doesn't give you licence to share \
confidential information or bring the council into disrepute.
- Check your online privacy settings so that you understand who can see the information you publish and who can view \
your personal information. Be aware that sites like Facebook are renowned for often changing their privacy settings, \
meaning that something that might previously have been private may now be viewed more widely.
- Do not use a work email address when registering on social media sites for personal use.
- Mature discretion should be exercised in all personal communications in a social media environment.
- Officers' obligations must be complied with in respect of other council policies when using social media, \
particularly around confidentiality.
"""

FOI = """\
A request for information made on social media can be a Freedom of Information (FOI) request. Users can expect a \
response within **20 working days** (bank holidays in England and Wales do not count).

## When a request is valid

To accept a request as an FOI request on social media, the requester's real name should be visible in their public \
profile, or they must send an address for correspondence and the name of the applicant.

## How to answer

The length of a post is usually too short to give a full response, so the information should be emailed to the \
applicant, or published on the council's website with a link posted in reply.

More information can be found on the [Information Commissioner's Office website](https://ico.org.uk/).
"""

REQUESTING_AN_ACCOUNT = """\
Staff should NOT set up any new accounts, groups, pages or profiles, or take part in any social media activity on \
behalf of their service area, without first consulting the web team and the relevant head of service.

We will accept requests for new accounts as long as they give sufficient answers to the questions below:

1. Who is your audience?
2. What are your business objectives that a new, direct social media account would likely help you achieve?
3. Why do you reckon that having your own social media accounts would help you achieve these objectives better than \
simply providing content for the wider council's existing social media accounts?
4. Having your own social media accounts carries with it an implicit duty to create regular, fresh, interesting \
content (that also meets basic council standards) – whereas providing occasional content through the council's \
existing channels means you only need to do this work more occasionally, when you have something fresh and new to \
share – so are you sure that you want to take on this additional responsibility that comes with having your own \
channels?

The departments or services will be responsible for monitoring, updating and engaging with their audience. All new \
social media accounts are subject to the [house rules](/policies/house-rules/) as set by the council's policy.

## How a request is decided

1. Fill in the [request form](/account-requests/new/): the four questions, the platform, the proposed name, who will \
monitor the account and how you will handle messages out of hours.
2. Your head of service approves it, refuses it, or asks you for more information.
3. The web team then approves it, refuses it, or asks you for more information.
4. Once approved, the account is added to the council's register of channels, "setting up". It becomes active when \
the web team has access to it and its branding checklist is done.
"""

MEMBERS_POLICY = """\
## Why members have their own policy

Social media in its many forms plays a greater role in the council's work, with more and more people using it in \
their daily lives. It is important to give clear guidance as to what the council expects is communicated, both for \
the protection of individuals and for the protection of the council's reputation.

There are separate policies for staff and for members, as their roles are quite different, so that the policy and \
the advice for each stay clear and consistent.

## What this policy covers

- why the council uses social media
- guidance and pitfalls in using social media personally when associated with the council as a member
- legal implications and risks
- speaking for the council

This policy covers members' personal use of social media. It is not intended to restrict members' use of social \
media, or to make members use social media: it is intended to provide guidance and information on how best to use \
social media and protect the council's reputation.

## The Code of Conduct

This policy must be taken into consideration alongside the Members' Code of Conduct.

## Training

Members are briefed on the risks of social media use in terms of their status as elected members. Training on \
social media is offered to members and this policy supports the discussion in those sessions.

## Amendments

Minor amendments to this policy are delegated to the Corporate Officer in consultation with the Portfolio Holder. \
Other changes are approved by Cabinet.
"""

COUNCILLORS_GUIDE = """\
This guide is a brief introduction to social media for councillors, outlining how social media can be used to \
positively support councillors' community leadership roles. It is given to every councillor, including new members \
as part of their induction pack.

## What social media can do for you

- support your leadership role
- create a space for community conversation
- keep up to date with local needs and issues
- campaign on important local issues

It can help you create community conversations and connect with residents, businesses and organisations.

## Privacy and security

Protect your own privacy and that of residents. Check who can see what you publish, keep your accounts secure, and \
think before sharing anything a resident has told you.

## Code of Conduct, libel and copyright

What you post as a councillor can be covered by the Code of Conduct. Posts can be libellous, and images, video and \
text belong to someone: make sure you have the right to share them. Ask the Monitoring Officer if you are unsure.
"""

# slug, title, audience, kind, summary, body, requires acknowledgement, change type, approved by, reference, order
DOCUMENTS = [
    ("social-media-policy", "Social media policy", "staff", "social_media_policy",
     "Safe, appropriate, purposeful and legal social media activity by staff.", SOCIAL_MEDIA_POLICY, True,
     "committee", "Policy Committee", "Policy Committee, annual review: Social Media Policy, minute 8", 10),
    ("house-rules", "House rules", "staff", "house_rules",
     "What to do and what not to do on the council's social media channels.", HOUSE_RULES, True,
     "delegated_minor", "Head of Communications", "", 20),
    ("personal-use", "Personal use of social media", "staff", "guidance",
     "Using social media in your own time as a council officer.", PERSONAL_USE, False,
     "delegated_minor", "Head of Communications", "", 30),
    ("foi-by-social-media", "Freedom of Information requests by social media", "staff", "guidance",
     "When a request on social media is an FOI request, and how to answer it within 20 working days.", FOI, False,
     "delegated_minor", "Head of Communications", "", 40),
    ("requesting-an-account", "How to request a new social media account", "staff", "guidance",
     "The four questions, and who decides.", REQUESTING_AN_ACCOUNT, False,
     "delegated_minor", "Head of Communications", "", 50),
    ("members-social-media-policy", "Social media policy for members", "councillors", "members_policy",
     "For elected members; read alongside the Members' Code of Conduct.", MEMBERS_POLICY, True,
     "committee", "Cabinet", "Cabinet: Social Media Policy for Members approved, minor amendments delegated", 10),
    ("councillors-guide", "Social media guide for councillors", "councillors", "councillors_guide",
     "A brief introduction for councillors, given at induction.", COUNCILLORS_GUIDE, True,
     "committee", "Standards Committee", "Standards Committee: Social Media Guide for Councillors noted", 20),
]

# Demo people who have not acknowledged yet, so the compliance page has something to show.
NOT_ACKNOWLEDGED = {"editor.leisure", "cllr.patel"}

MODULES = [
    ("social-media-e-learning", "Social media e-learning", "staff", 24,
     "Explains the appropriate use of social media and the key points of the council's social media policy."),
    ("councillor-induction-social-media", "Councillor induction: social media", "councillors", 48,
     "The social media guide for councillors and the members' policy, at induction."),
]

# username, module slug, days ago completed
COMPLETIONS = [
    ("webteam", "social-media-e-learning", 60), ("comms", "social-media-e-learning", 120),
    ("head.libraries", "social-media-e-learning", 715),  # expires within the month
    ("editor.libraries", "social-media-e-learning", 800),  # lapsed
    ("cllr.patel", "councillor-induction-social-media", 200),
]


@transaction.atomic
def load_demo_policies() -> dict:
    """Create the demo documents, guidance and training. Safe to run any number of times:
    existing documents keep their versions."""
    users = {u.username: u for u in User.objects.filter(username__in=[
        "webteam", "monitoring.officer", "comms", "head.libraries", "editor.libraries", "cllr.patel",
        "editor.leisure", "head.waste", "customer.services", "admin"]).prefetch_related("groups")}
    publisher = users.get("webteam")
    today = selectors.today()
    created = []
    for slug, title, audience, kind, summary, body, ack, change, approved, ref, order in DOCUMENTS:
        owner = users.get("monitoring.officer" if audience == "councillors" else "webteam")
        document, _ = PolicyDocument.objects.get_or_create(slug=slug, defaults={
            "title": title, "audience": audience, "kind": kind, "summary": summary, "owner": owner,
            "requires_acknowledgement": ack, "order": order})
        if publisher is None or document.versions.exists():
            continue
        created.append(policy_version_publish(
            actor=publisher, document=document, body=body, effective_from=today - timedelta(days=30),
            change_type=change, approved_by=approved, committee_reference=ref,
            summary_of_changes="First version in Council Social."))
    acknowledged = 0
    for version in created:
        if not version.document.requires_acknowledgement:
            continue
        for username, user in users.items():
            if username in NOT_ACKNOWLEDGED or version.document.audience not in selectors.audiences_for(user):
                continue
            policy_acknowledge(actor=user, version=version)
            acknowledged += 1
    modules = {}
    for slug, title, audience, months, description in MODULES:
        modules[slug], _ = TrainingModule.objects.get_or_create(slug=slug, defaults={
            "title": title, "audience": audience, "valid_for_months": months, "description": description})
    completions = 0
    if publisher is not None and not TrainingCompletion.objects.filter(module__in=modules.values()).exists():
        for username, slug, days in COMPLETIONS:
            if username in users:
                training_completion_record(actor=publisher, user=users[username], module=modules[slug],
                                           completed_on=today - timedelta(days=days), note="Demo record")
                completions += 1
    return {"policy_versions_created": len(created), "acknowledgements_created": acknowledged,
            "training_completions_created": completions,
            "policy_documents": PolicyDocument.objects.count(), "policy_versions": PolicyVersion.objects.count()}
