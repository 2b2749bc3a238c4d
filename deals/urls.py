"""Portal pages of the deals app."""

from deals import urls_pipeline, urls_registration

urlpatterns = [*urls_registration.urlpatterns, *urls_pipeline.urlpatterns]
