"""Portal pages of the partners app (mounted at the tenant portal's root)."""

from django.urls import path  # noqa: F401 - pages are added below

urlpatterns: list = []
