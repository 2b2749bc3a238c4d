from django.urls import path

from partners import views_import as views

urlpatterns = [
    path("partners/import/", views.partner_import, name="partner_import"),
    path("partners/import/partners-template.csv", views.partner_import_template,
         name="partner_import_template"),
    path("partners/import/<int:import_id>/", views.partner_import_detail,
         name="partner_import_detail"),
    path("partners/import/<int:import_id>/progress/", views.partner_import_progress,
         name="partner_import_progress"),
    path("partners/import/<int:import_id>/apply/", views.partner_import_apply,
         name="partner_import_apply"),
    path("partners/import/<int:import_id>/recheck/", views.partner_import_recheck,
         name="partner_import_recheck"),
]
