from django.urls import path

from partners.placeholder import not_built_yet

urlpatterns = [
    path("apply/", not_built_yet, name="apply"),
    path("partners/applications/", not_built_yet, name="application_queue"),
    path("partners/applications/<int:application_id>/", not_built_yet, name="application_detail"),
    path("team/", not_built_yet, name="partner_team"),
]
