from django.urls import path

from partners.placeholder import not_built_yet

urlpatterns = [
    path("partners/", not_built_yet, name="partner_directory"),
    path("partners/<int:partner_id>/", not_built_yet, name="partner_detail"),
    path("program/", not_built_yet, name="my_program"),
    path("program/tiers/", not_built_yet, name="tier_list"),
]
