from django.urls import path

from deals import views_registration as views

urlpatterns = [
    path("deals/new/", views.deal_register, name="deal_register"),
    path("deals/new/hint/", views.deal_hint, name="deal_hint"),
    path("deals/<int:deal_id>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:deal_id>/edit/", views.deal_edit, name="deal_edit"),
    path("deals/<int:deal_id>/actions/<slug:action>/", views.deal_action, name="deal_action"),
    path("deals/<int:deal_id>/timeline/", views.deal_timeline_add, name="deal_timeline_add"),
    path("deals/<int:deal_id>/plan/", views.deal_plan_add, name="deal_plan_add"),
    path("deals/<int:deal_id>/plan/<int:item_id>/toggle/", views.deal_plan_toggle,
         name="deal_plan_toggle"),
]
