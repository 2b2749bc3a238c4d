"""Portal pages of the playbooks app (mounted at the tenant portal's root)."""

from playbooks import urls_content, urls_glossary, urls_playbooks

urlpatterns = [
    *urls_glossary.urlpatterns,
    *urls_content.urlpatterns,
    *urls_playbooks.urlpatterns,
]
