"""The citizen's session on the portal: a key of its own in Django's session, never Django's login
(an officer's and a citizen's sign-in never mix)."""

from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from anmin.citizens.models import Citizen

SESSION_KEY = "anmin_citizen_id"


def sign_in(request, citizen: Citizen) -> None:
    request.session.cycle_key()  # a new session id at sign-in: no fixation
    request.session[SESSION_KEY] = citizen.pk


def sign_out(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def current_citizen(request) -> Citizen | None:
    if not hasattr(request, "_citizen"):
        pk = request.session.get(SESSION_KEY)
        request._citizen = Citizen.objects.filter(pk=pk).first() if pk else None
    return request._citizen


def citizen_required(view=None, *, verified: bool = False):
    """The view gets `request.citizen`; anonymous visitors go to sign in, and with verified=True a
    citizen without real-name verification goes to the verification page first."""

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            citizen = current_citizen(request)
            if citizen is None:
                return redirect(f"{reverse('citizens:login')}?{urlencode({'next': request.get_full_path()})}")
            if verified and not citizen.is_verified:
                return redirect(f"{reverse('citizens:me')}?{urlencode({'next': request.get_full_path()})}")
            request.citizen = citizen
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
