from django.urls import path

from playbooks import views_glossary as views

urlpatterns = [
    path("glossary/", views.glossary_list, name="glossary"),
    path("glossary/check/", views.language_check_partial, name="language_check_partial"),
    path("glossary/new/", views.glossary_term_new, name="glossary_term_new"),
    path("glossary/<int:term_id>/edit/", views.glossary_term_edit, name="glossary_term_edit"),
    path("glossary/<int:term_id>/retire/", views.glossary_term_retire,
         name="glossary_term_retire"),
    path("glossary/<int:term_id>/restore/", views.glossary_term_restore,
         name="glossary_term_restore"),
    path("glossary/<int:term_id>/discouraged/", views.glossary_discouraged_add,
         name="glossary_discouraged_add"),
    path("glossary/<int:term_id>/discouraged/<int:phrase_id>/remove/",
         views.glossary_discouraged_remove, name="glossary_discouraged_remove"),
    path("glossary/<int:term_id>/translations/<slug:locale>/", views.glossary_translation_set,
         name="glossary_translation_set"),
]
