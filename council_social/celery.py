import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_social.settings")

app = Celery("council_social")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
