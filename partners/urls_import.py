from django.urls import path

from partners.placeholder import not_built_yet

urlpatterns = [
    path("partners/import/", not_built_yet, name="partner_import"),
    path("partners/import/<int:import_id>/", not_built_yet, name="partner_import_detail"),
]
