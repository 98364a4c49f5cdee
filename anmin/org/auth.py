"""Staff login by 警号 or username, with lock-out after repeated failures."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import F, Q
from django.utils import timezone

from anmin.org.models import Officer


class BadgeOrUsernameBackend(ModelBackend):
    """Authenticate with a 警号 (six digits) or a username.

    After LOGIN_MAX_FAILURES wrong passwords in a row the account is locked for LOGIN_LOCK_MINUTES;
    while locked even the right password is refused, so guessing cannot continue.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        username = username.strip()
        officer = Officer.objects.filter(Q(username=username) | Q(badge_number=username)).first()
        if officer is None:
            Officer().set_password(password)  # same cost as a real check: no user enumeration by timing
            return None
        now = timezone.now()
        if officer.is_locked(now):
            if request is not None:
                request.anmin_locked = True
            return None
        if officer.check_password(password) and self.user_can_authenticate(officer):
            if officer.failed_logins or officer.locked_until:
                Officer.objects.filter(pk=officer.pk).update(failed_logins=0, locked_until=None)
            return officer
        Officer.objects.filter(pk=officer.pk).update(failed_logins=F("failed_logins") + 1)
        officer.refresh_from_db(fields=["failed_logins"])
        if officer.failed_logins >= settings.LOGIN_MAX_FAILURES:
            Officer.objects.filter(pk=officer.pk).update(
                locked_until=now + timedelta(minutes=settings.LOGIN_LOCK_MINUTES), failed_logins=0
            )
            if request is not None:
                request.anmin_locked = True
        return None
