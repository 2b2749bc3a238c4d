from django.urls import path

from playbooks import views_content as views

urlpatterns = [
    path("content/", views.content_library, name="content_library"),
    path("content/new/", views.content_new, name="content_new"),
    path("content/<int:item_id>/open/", views.content_open, name="content_open"),
    path("content/<int:item_id>/edit/", views.content_edit, name="content_edit"),
    path("content/<int:item_id>/delete/", views.content_delete, name="content_delete"),
]
