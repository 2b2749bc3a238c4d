"""REST API of the partners app: partners (with lifecycle actions), tiers, applications."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from partners import selectors, services
from partners.access import (
    get_application_for_member,
    get_colleague_for_partner_admin,
    get_partner_for_member,
    get_partner_rw_for_member,
    get_tier_rw_for_member,
)
from partners.models import Partner, PartnerApplication, PartnerStatus, PartnerType, Region, Tier
from prm.api_base import TenantViewSet
from prm.models import Membership, Role

VENDOR = {Role.TENANT_ADMIN, Role.CHANNEL_MANAGER}


class TierOut(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = ["id", "name", "rank", "benefits", "discount_percent", "min_revenue_12m",
                  "min_certified_people", "min_deals_won"]


class TierIn(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = ["name", "rank", "benefits", "discount_percent", "min_revenue_12m",
                  "min_certified_people", "min_deals_won"]
        validators = []  # uniqueness is the service's (and the database's) job


class PartnerOut(serializers.ModelSerializer):
    country = CountryField()
    tier = TierOut(read_only=True)
    manager = serializers.EmailField(source="manager.user.email", default=None)
    specialisations = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Partner
        fields = ["id", "name", "website", "domain", "country", "region", "partner_type",
                  "tier", "manager", "specialisations", "status", "status_reason",
                  "status_changed_at", "created_at"]


class PartnerIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    website = serializers.URLField(required=False, allow_blank=True, max_length=300)
    domain = serializers.CharField(required=False, allow_blank=True, max_length=300)
    country = CountryField(required=False, allow_blank=True)
    region = serializers.ChoiceField(choices=Region.choices, required=False, allow_blank=True)
    partner_type = serializers.ChoiceField(choices=PartnerType.choices)
    tier = serializers.PrimaryKeyRelatedField(queryset=Tier.objects, required=False,
                                              allow_null=True)
    manager = serializers.PrimaryKeyRelatedField(queryset=Membership.objects, required=False,
                                                 allow_null=True,
                                                 help_text=_("Membership id of a channel manager"))
    specialisations = serializers.ListField(child=serializers.CharField(max_length=80),
                                            required=False)
    status = serializers.ChoiceField(choices=sorted(services.INITIAL_STATUSES), required=False)


class PartnerUpdateIn(PartnerIn):
    name = serializers.CharField(max_length=200, required=False)
    partner_type = serializers.ChoiceField(choices=PartnerType.choices, required=False)
    status = None


class PartnerFilterIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, help_text=_("Name or domain"))
    country = CountryField(required=False, allow_blank=True)
    region = serializers.ChoiceField(choices=Region.choices, required=False, allow_blank=True)
    partner_type = serializers.ChoiceField(choices=PartnerType.choices, required=False,
                                           allow_blank=True)
    tier = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=PartnerStatus.choices, required=False,
                                     allow_blank=True)
    manager = serializers.IntegerField(required=False)
    specialisation = serializers.IntegerField(required=False)
    sort = serializers.ChoiceField(choices=list(selectors.SORTS), required=False)


class TransitionIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


def _specialisations(data):
    names = data.pop("specialisations", None)
    return None if names is None else services.specialisations_by_name(names)


class PartnerViewSet(mixins.ListModelMixin, TenantViewSet):
    """Partners of the program. Partner people see only their own organisation."""

    serializer_class = PartnerOut
    action_roles = {"create": VENDOR, "partial_update": VENDOR}

    def get_queryset(self):
        filters = PartnerFilterIn(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.partner_directory(
            member=self.request._request.membership, **filters.validated_data
        ).prefetch_related("specialisations")

    @extend_schema(parameters=[PartnerFilterIn])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        partner = get_partner_for_member(request._request.membership, pk)
        return Response(PartnerOut(partner).data)

    @extend_schema(request=PartnerIn, responses={201: PartnerOut})
    def create(self, request):
        data = PartnerIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        with transaction.atomic():  # new tags go too when the partner is refused
            partner = services.partner_create(actor=request.user,
                                              specialisations=_specialisations(values),
                                              **values)
        return Response(PartnerOut(partner).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PartnerUpdateIn, responses=PartnerOut)
    def partial_update(self, request, pk=None):
        partner = get_partner_rw_for_member(request._request.membership, pk)
        data = PartnerUpdateIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        with transaction.atomic():  # new tags go too when the change is refused
            partner = services.partner_update(actor=request.user, partner=partner,
                                              specialisations=_specialisations(values),
                                              **values)
        return Response(PartnerOut(partner).data)

    def _transition(self, request, pk, to_status):
        partner = get_partner_rw_for_member(request._request.membership, pk)
        data = TransitionIn(data=request.data)
        data.is_valid(raise_exception=True)
        partner = services.partner_transition(actor=request.user, partner=partner,
                                              to_status=to_status, **data.validated_data)
        return Response(PartnerOut(partner).data)


def _transition_action(to_status: str, url_path: str):
    def transition(self, request, pk=None):
        return self._transition(request, pk, to_status)

    # DRF maps the HTTP method to the function's name, so name it before decorating.
    transition.__name__ = url_path.replace("-", "_")
    transition = action(detail=True, methods=["post"], url_path=url_path,
                        url_name=url_path)(transition)
    return extend_schema(request=TransitionIn, responses=PartnerOut,
                         summary=f"Move the partner to {to_status!r} (409 when not allowed)"
                         )(transition)


for _status, _path in [(PartnerStatus.IN_REVIEW, "review"), (PartnerStatus.APPROVED, "approve"),
                       (PartnerStatus.DECLINED, "decline"),
                       (PartnerStatus.ONBOARDING, "start-onboarding"),
                       (PartnerStatus.ACTIVE, "activate"),
                       (PartnerStatus.AT_RISK, "flag-at-risk"),
                       (PartnerStatus.INACTIVE, "deactivate")]:
    setattr(PartnerViewSet, _path.replace("-", "_"), _transition_action(_status, _path))


class TierViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Program levels. Everyone reads; tenant admins write."""

    serializer_class = TierOut
    action_roles = {"create": {Role.TENANT_ADMIN}, "partial_update": {Role.TENANT_ADMIN},
                    "destroy": {Role.TENANT_ADMIN}}

    def get_queryset(self):
        return Tier.objects.order_by("rank")

    @extend_schema(request=TierIn, responses={201: TierOut})
    def create(self, request):
        data = TierIn(data=request.data)
        data.is_valid(raise_exception=True)
        tier = services.tier_create(actor=request.user, **data.validated_data)
        return Response(TierOut(tier).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TierIn, responses=TierOut)
    def partial_update(self, request, pk=None):
        tier = get_tier_rw_for_member(request._request.membership, pk)
        data = TierIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        tier = services.tier_update(actor=request.user, tier=tier, **data.validated_data)
        return Response(TierOut(tier).data)

    def destroy(self, request, pk=None):
        tier = get_tier_rw_for_member(request._request.membership, pk)
        services.tier_delete(actor=request.user, tier=tier)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApplicationOut(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = PartnerApplication
        fields = ["id", "company_name", "website", "domain", "country", "partner_type",
                  "regions", "specialisations", "contact_name", "contact_email",
                  "contact_phone", "message", "status", "existing_partner", "partner",
                  "review_note", "reviewed_at", "created_at"]


class ApproveIn(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True)
    tier = serializers.PrimaryKeyRelatedField(queryset=Tier.objects, required=False,
                                              allow_null=True)
    manager = serializers.PrimaryKeyRelatedField(queryset=Membership.objects, required=False,
                                                 allow_null=True)


class DeclineIn(serializers.Serializer):
    note = serializers.CharField()


class ApplicationFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=PartnerApplication.Status.choices, required=False)


class PartnerApplicationViewSet(mixins.ListModelMixin, TenantViewSet):
    """Applications from the public page, for channel managers and admins to review."""

    serializer_class = ApplicationOut
    required_roles = VENDOR

    def get_queryset(self):
        filters = ApplicationFilterIn(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.application_queue(**filters.validated_data)

    @extend_schema(parameters=[ApplicationFilterIn])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        application = get_application_for_member(request._request.membership, pk)
        return Response(ApplicationOut(application).data)

    @extend_schema(request=ApproveIn, responses=PartnerOut)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        application = get_application_for_member(request._request.membership, pk)
        data = ApproveIn(data=request.data)
        data.is_valid(raise_exception=True)
        partner = services.application_approve(actor=request.user, application=application,
                                               **data.validated_data)
        return Response(PartnerOut(partner).data)

    @extend_schema(request=DeclineIn, responses=ApplicationOut)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        application = get_application_for_member(request._request.membership, pk)
        data = DeclineIn(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_decline(actor=request.user, application=application,
                                                   **data.validated_data)
        return Response(ApplicationOut(application).data)


# --- a partner admin's own team -------------------------------------------------------------

class ColleagueOut(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "is_active", "created_at"]


class ColleagueInviteIn(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=[(Role.PARTNER_USER, Role.PARTNER_USER.label),
                                            (Role.PARTNER_ADMIN, Role.PARTNER_ADMIN.label)],
                                   default=Role.PARTNER_USER)


class ColleagueInvitationOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ColleagueUpdateIn(serializers.Serializer):
    is_active = serializers.BooleanField()


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """A partner admin's own company's people: list, invite, (de)activate. Nobody else's."""

    required_roles = {Role.PARTNER_ADMIN}
    serializer_class = ColleagueOut

    def get_queryset(self):
        return selectors.partner_people(partner=self.request._request.membership.partner)

    def retrieve(self, request, pk=None):
        colleague = get_colleague_for_partner_admin(request._request.membership, pk)
        return Response(ColleagueOut(colleague).data)

    @extend_schema(request=ColleagueInviteIn, responses={201: ColleagueInvitationOut})
    def create(self, request):
        data = ColleagueInviteIn(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.partner_user_invite(
            actor_membership=request._request.membership, **data.validated_data)
        return Response(ColleagueInvitationOut(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ColleagueUpdateIn, responses=ColleagueOut)
    def partial_update(self, request, pk=None):
        colleague = get_colleague_for_partner_admin(request._request.membership, pk)
        data = ColleagueUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        colleague = services.partner_user_set_active(
            actor_membership=request._request.membership, membership=colleague,
            **data.validated_data)
        return Response(ColleagueOut(colleague).data)
