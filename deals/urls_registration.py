from django.urls import path

from partners.placeholder import not_built_yet

urlpatterns = [
    path("deals/new/", not_built_yet, name="deal_register"),
    path("deals/<int:deal_id>/", not_built_yet, name="deal_detail"),
]
