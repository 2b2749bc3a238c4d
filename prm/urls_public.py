"""URLs of the bare base domain: health check and the operators' admin only."""

from django.contrib import admin
from django.urls import path

from prm import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
