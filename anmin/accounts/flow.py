"""The end of a staff sign-in, after the password was accepted: the session begins here."""

from django.contrib import auth
from django.shortcuts import redirect

from anmin.core.audit import security_event


def finish_login(request, user, *, redirect_to: str):
    """Start the session for `user`, whose password was just accepted, and answer the request."""
    auth.login(request, user)
    security_event("auth.login", request=request, actor=user, obj=user, data={"factors": ["password"]})
    return redirect(redirect_to)
