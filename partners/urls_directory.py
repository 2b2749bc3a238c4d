from django.urls import path

from partners import views

urlpatterns = [
    path("partners/", views.partner_directory, name="partner_directory"),
    path("partners/export/", views.partner_export, name="partner_export"),
    path("partners/new/", views.partner_create, name="partner_create"),
    path("partners/<int:partner_id>/", views.partner_detail, name="partner_detail"),
    path("partners/<int:partner_id>/edit/", views.partner_edit, name="partner_edit"),
    path("partners/<int:partner_id>/status/", views.partner_transition,
         name="partner_transition"),
    path("program/", views.my_program, name="my_program"),
    path("program/tiers/", views.tier_list, name="tier_list"),
    path("program/tiers/new/", views.tier_create, name="tier_create"),
    path("program/tiers/<int:tier_id>/edit/", views.tier_edit, name="tier_edit"),
    path("program/tiers/<int:tier_id>/delete/", views.tier_delete, name="tier_delete"),
]
