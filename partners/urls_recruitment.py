from django.urls import path

from partners import views_recruitment as views

urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("apply/done/", views.apply_done, name="apply_done"),
    path("partners/applications/", views.application_queue, name="application_queue"),
    path("partners/applications/<int:application_id>/", views.application_detail,
         name="application_detail"),
    path("partners/applications/<int:application_id>/approve/", views.application_approve,
         name="application_approve"),
    path("partners/applications/<int:application_id>/decline/", views.application_decline,
         name="application_decline"),
    path("team/", views.partner_team, name="partner_team"),
    path("team/<int:membership_id>/", views.partner_team_member, name="partner_team_member"),
]
