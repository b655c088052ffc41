import os

from celery import Celery
from celery.signals import task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_social.settings")

app = Celery("council_social")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_postrun.connect
def _worker_alive(**_):
    """Every task run touches the worker's heartbeat file (council_social/liveness.py)."""
    from council_social import liveness

    liveness.touch("worker")
