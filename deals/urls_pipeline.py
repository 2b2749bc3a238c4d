from django.urls import path

from deals import views_pipeline as views

urlpatterns = [
    path("deals/", views.deal_list, name="deal_list"),
    path("deals/export/", views.deal_export, name="deal_export"),
    path("deals/review/", views.deal_review_queue, name="deal_review_queue"),
    path("deals/review/approve/", views.deal_bulk_approve, name="deal_bulk_approve"),
    path("deals/review/<int:deal_id>/decide/", views.deal_review_decide,
         name="deal_review_decide"),
    path("program/deals/", views.deal_settings, name="deal_settings"),
    path("program/deals/products/", views.deal_product_create, name="deal_product_create"),
    path("program/deals/products/<int:product_id>/", views.deal_product_edit,
         name="deal_product_edit"),
    path("program/deals/stages/", views.deal_stage_create, name="deal_stage_create"),
    path("program/deals/stages/<int:stage_id>/", views.deal_stage_edit, name="deal_stage_edit"),
    path("program/deals/stages/<int:stage_id>/move/", views.deal_stage_move,
         name="deal_stage_move"),
    path("program/deals/rates/", views.deal_rate_set, name="deal_rate_set"),
    path("program/deals/rules/", views.deal_rule_create, name="deal_rule_create"),
    path("program/deals/rules/<int:rule_id>/", views.deal_rule_edit, name="deal_rule_edit"),
    path("program/deals/customers/", views.deal_customers, name="deal_customers"),
]
