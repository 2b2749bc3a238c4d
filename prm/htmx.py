from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def render_page(request: HttpRequest, template: str, context: dict, *,
                partial: str | None = None) -> HttpResponse:
    """The full page, or only ``partial`` when htmx asks for a fragment of it.

    A history restore (Back after the cache missed) gets the full page, and responses
    vary on ``HX-Request`` so no cache serves a fragment as a page.
    """
    htmx = getattr(request, "htmx", None)
    if partial and htmx and not htmx.boosted and not htmx.history_restore_request:
        response = render(request, partial, context)
    else:
        response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response
