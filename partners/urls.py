"""Portal pages of the partners app (mounted at the tenant portal's root)."""

from partners import urls_directory, urls_import, urls_recruitment

urlpatterns = [
    *urls_directory.urlpatterns,
    *urls_recruitment.urlpatterns,
    *urls_import.urlpatterns,
]
