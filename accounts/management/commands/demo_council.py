import json

from django.core.management.base import BaseCommand

from accounts.demo import demo_sign_ins, load_demo_council


class Command(BaseCommand):
    help = "Load the demo council (services, staff in every role, channels). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--sign-ins", action="store_true", help="Print the demo sign-ins afterwards.")

    def handle(self, *args, **options):
        summary = load_demo_council()
        for hook in DEMO_HOOKS:
            summary.update(hook() or {})
        self.stdout.write(json.dumps(summary))
        if options["sign_ins"]:
            for role, username, password in demo_sign_ins():
                self.stdout.write(f"  {role:<28} {username:<20} {password}")


# Other apps add their demo data (rules, policies, mentions) here.
DEMO_HOOKS: list = []
