"""Answers to the exceptions of the views: log in first, or a French message (never a
traceback)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mixite.errors import MixiteError
from mixite.web.permissions import LoginRequired


class MixiteMiddleware:
    """``LoginRequired`` → the login page (then back); a ``MixiteError`` → its French message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, LoginRequired):
            return redirect_to_login(request.get_full_path())
        if isinstance(exception, MixiteError):
            return render(
                request,
                "web/erreur.html",
                {"title": "Donnée indisponible", "message": str(exception)},
                status=503,
            )
        return None
