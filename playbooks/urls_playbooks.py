"""Portal pages of playbooks (mounted at the tenant portal's root)."""

from django.urls import path

from playbooks import views_playbooks as views

urlpatterns = [
    path("playbooks/", views.playbook_list, name="playbook_list"),
    path("playbooks/new/", views.playbook_create, name="playbook_create"),
    path("playbooks/<int:playbook_id>/", views.playbook_detail, name="playbook_detail"),
    path("playbooks/<int:playbook_id>/acknowledge/", views.playbook_acknowledge,
         name="playbook_acknowledge"),
    path("playbooks/<int:playbook_id>/edit/", views.playbook_update, name="playbook_update"),
    path("playbooks/<int:playbook_id>/draft/", views.playbook_draft, name="playbook_draft"),
    path("playbooks/<int:playbook_id>/draft/diff/", views.playbook_diff, name="playbook_diff"),
    path("playbooks/<int:playbook_id>/draft/publish/", views.playbook_publish,
         name="playbook_publish"),
    path("playbooks/<int:playbook_id>/draft/discard/", views.playbook_discard,
         name="playbook_discard"),
    path("playbooks/<int:playbook_id>/draft/stages/", views.stage_add, name="playbook_stage_add"),
    path("playbooks/stages/<int:stage_id>/", views.stage_edit, name="playbook_stage_edit"),
    path("playbooks/stages/<int:stage_id>/remove/", views.stage_remove,
         name="playbook_stage_remove"),
    path("playbooks/stages/<int:stage_id>/activities/", views.activity_add,
         name="playbook_activity_add"),
    path("playbooks/activities/<int:activity_id>/", views.activity_edit,
         name="playbook_activity_edit"),
    path("playbooks/activities/<int:activity_id>/move/", views.activity_move,
         name="playbook_activity_move"),
    path("playbooks/activities/<int:activity_id>/remove/", views.activity_remove,
         name="playbook_activity_remove"),
    path("playbooks/deal/<int:deal_id>/", views.deal_playbook, name="deal_playbook"),
    path("playbooks/deal/<int:deal_id>/activity/<int:activity_id>/", views.deal_activity_toggle,
         name="deal_activity_toggle"),
]
