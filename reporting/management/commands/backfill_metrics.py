import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Channel
from monitoring.services import metrics_snapshot
from reporting.services import metrics_backfill


class Command(BaseCommand):
    help = ("Read today's figures of each connected channel from its platform (or the simulator), then fill "
            "the days missing before the earliest snapshot with plausible history. Never changes a stored day.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=400, help="How many days back from today (default 400).")
        parser.add_argument("--channel", type=int, action="append", help="Only this channel id (repeatable).")

    def handle(self, *args, days, channel, **options):
        if not 1 <= days <= 3660:
            raise CommandError("--days must be between 1 and 3660.")
        channels = Channel.objects.filter(connection__isnull=False).exclude(connection__access_token="").exclude(
            status=Channel.Status.CLOSED).select_related("connection", "service")
        if channel:
            channels = channels.filter(pk__in=channel)
        today = timezone.localdate()
        summary = {}
        for ch in channels:
            metrics_snapshot(channel=ch)
            summary[str(ch)] = metrics_backfill(channel=ch, days=days, today=today)
        self.stdout.write(json.dumps({"days_added": summary}))
