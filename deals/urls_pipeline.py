from django.urls import path

from partners.placeholder import not_built_yet

urlpatterns = [
    path("deals/", not_built_yet, name="deal_list"),
    path("deals/review/", not_built_yet, name="deal_review_queue"),
    path("program/deals/", not_built_yet, name="deal_settings"),
]
