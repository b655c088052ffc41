"""Tell people things: an in-app notification for each, and an email after commit."""
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from .models import Notification, User
from .selectors import staff_with_role


def notify(*, users, subject: str, body: str = "", url: str = "", email: bool = True) -> list[Notification]:
    users = [u for u in {u.pk: u for u in users if u is not None and u.is_active}.values()]
    # Summaries may quote what residents wrote; NUL cannot be stored or mailed.
    subject, body = subject.replace("\x00", ""), body.replace("\x00", "")
    notes = Notification.objects.bulk_create(
        [Notification(user=u, subject=subject[:200], body=body, url=url, emailed=email and bool(u.email))
         for u in users]
    )
    if email:
        link = f"\n\n{settings.SITE_URL.rstrip('/')}{url}" if url else ""
        messages = [(subject, body + link, settings.DEFAULT_FROM_EMAIL, [u.email]) for u in users if u.email]
        if messages:
            transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return notes


def notify_role(role: str, *, service_id: int | None = None, **kwargs) -> list[Notification]:
    return notify(users=list(staff_with_role(role, service_id=service_id)), **kwargs)


def unread_for(user: User):
    return Notification.objects.filter(user=user, read_at__isnull=True)
