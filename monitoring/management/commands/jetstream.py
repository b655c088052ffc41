import logging
import signal
import threading

from django.core.management.base import BaseCommand

from monitoring.jetstream import Consumer, stream_url


class Command(BaseCommand):
    help = ("Listen to Bluesky's live stream (Jetstream) and store the posts that concern the council, "
            "resuming from where it stopped. Runs until stopped (SIGTERM or Ctrl-C).")

    def add_arguments(self, parser):
        parser.add_argument("--url", default=None, help=f"The stream's address (default: {stream_url()}).")
        parser.add_argument("--batch-size", type=int, default=200, help="Events stored per transaction.")
        parser.add_argument("--until-idle", action="store_true",
                            help="Stop once the stream has had nothing new for a few seconds (catching up).")

    def handle(self, *args, url, until_idle, batch_size, **options):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        consumer = Consumer(url, stop=stop, until_idle=until_idle, batch_size=max(1, batch_size))
        consumer.run()
        self.stdout.write(f"Stored {consumer.stored} posts from the stream.")
