"""Temporary stand-in view while a page is being built (removed when all pages exist)."""

from django.http import Http404


def not_built_yet(request, *args, **kwargs):
    raise Http404
