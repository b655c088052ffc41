import json

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Channel
from monitoring.services import IngestRefused, ingest_file


class Command(BaseCommand):
    help = ("Run a saved API response body through the same store → classify → route pipeline as polling. "
            "Prints a JSON summary: created, duplicates, quarantined. A platform's error response is "
            "refused with a message; running the same file again stores nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--platform", required=True)
        parser.add_argument("--channel", required=True, help="The channel's handle in the registry.")
        parser.add_argument("--endpoint", default=None, help="The endpoint the body came from, if known.")
        parser.add_argument("file")

    def handle(self, *args, platform, channel, endpoint, file, **options):
        try:
            target = Channel.objects.get(platform=platform, handle__iexact=channel)
        except Channel.DoesNotExist:
            raise CommandError(f"No {platform} channel with the handle {channel!r} in the registry.") from None
        try:
            with open(file, encoding="utf-8", errors="surrogateescape") as fh:
                body = fh.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            summary = ingest_file(channel=target, body=body, endpoint=endpoint, source_name=file)
        except IngestRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(summary.as_dict()))
