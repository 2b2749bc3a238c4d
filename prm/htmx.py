from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page(request: HttpRequest, template: str, context: dict, *,
                partial: str | None = None) -> HttpResponse:
    """The full page, or only ``partial`` when htmx asks for a fragment of it."""
    if partial and getattr(request, "htmx", False) and not request.htmx.boosted:
        return render(request, partial, context)
    return render(request, template, context)
