"""URLs of a tenant's portal (``<slug>.<base domain>``)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from deals import api as deals_api
from partners import api as partners_api
from playbooks import api as playbooks_api
from playbooks import api_content, api_playbooks
from prm import api, views

router = DefaultRouter(trailing_slash=True, use_regex_path=False)
router.register("memberships", api.MembershipViewSet, basename="membership")
router.register("invitations", api.InvitationViewSet, basename="invitation")
router.register("api-keys", api.ApiKeyViewSet, basename="apikey")
router.register("events", api.EventViewSet, basename="event")
router.register("partners", partners_api.PartnerViewSet, basename="partner")
router.register("tiers", partners_api.TierViewSet, basename="tier")
router.register("deals", deals_api.DealViewSet, basename="deal")
router.register("glossary/terms", playbooks_api.GlossaryTermViewSet, basename="glossary-term")
router.register("playbooks", api_playbooks.PlaybookViewSet, basename="playbook")
router.register("playbook-stages", api_playbooks.PlaybookStageViewSet, basename="playbook-stage")
router.register("playbook-activities", api_playbooks.StageActivityViewSet,
                basename="playbook-activity")
router.register("content", api_content.ContentViewSet, basename="content")
router.register("team", partners_api.TeamViewSet, basename="team")
router.register("partner-applications", partners_api.PartnerApplicationViewSet,
                basename="partner-application")

api_v1 = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("glossary/check/", playbooks_api.LanguageCheckView.as_view(), name="api-glossary-check"),
    *router.urls,
]

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("members/", views.member_list, name="member_list"),
    path("members/<int:membership_id>/", views.member_update, name="member_update"),
    path("invitations/<int:invitation_id>/revoke/", views.invitation_revoke,
         name="invitation_revoke"),
    path("invitations/accept/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("api-keys/", views.api_key_list, name="api_key_list"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("profile/", views.profile, name="profile"),
    path("audit/", views.audit_log, name="audit_log"),
    path("program/settings/", views.program_settings, name="program_settings"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("partners.urls")),
    path("", include("deals.urls")),
    path("", include("playbooks.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
