"""REST API of the platform core: who am I, members, invitations, API keys, events."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from partners.models import Partner
from prm import selectors, services
from prm.access import get_api_key_for_member, get_invitation_for_admin
from prm.api_base import TenantAPIView, TenantViewSet
from prm.models import ApiKey, Event, Invitation, Membership, Role, Tenant, User

ADMINS = {Role.TENANT_ADMIN}


class UserOut(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "time_zone"]


class TenantOut(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["slug", "name", "default_currency", "locale", "time_zone",
                  "deal_protection_days"]


class MeOut(serializers.Serializer):
    user = UserOut()
    tenant = TenantOut()
    role = serializers.CharField()
    authenticated_by = serializers.ChoiceField(choices=["session", "api_key"])


class MeView(TenantAPIView):
    @extend_schema(responses=MeOut, summary="The caller: user, tenant and role")
    def get(self, request):
        membership = request._request.membership
        return Response(MeOut({
            "user": request.user,
            "tenant": request._request.tenant,
            "role": membership.role,
            "authenticated_by": "api_key" if isinstance(request.auth, ApiKey) else "session",
        }).data)


class MembershipOut(serializers.ModelSerializer):
    user = UserOut()

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "partner", "is_active", "created_at"]


class MembershipUpdateIn(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects, required=False,
                                                 allow_null=True)
    is_active = serializers.BooleanField(required=False)


class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Members of the program (tenant admins)."""

    required_roles = ADMINS
    serializer_class = MembershipOut

    def get_queryset(self):
        return selectors.membership_list()

    @extend_schema(request=MembershipUpdateIn, responses=MembershipOut)
    def partial_update(self, request, pk=None):
        membership = self.get_object()
        data = MembershipUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_update(actor=request.user, membership=membership,
                                                **data.validated_data)
        return Response(MembershipOut(membership).data)


class InvitationOut(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "partner", "status", "created_at", "expires_at",
                  "accepted_at"]


class InvitationIn(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects, required=False, allow_null=True,
        help_text=_("Required for partner roles."))


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Invitations by e-mail with a role (tenant admins). The link expires."""

    required_roles = ADMINS
    serializer_class = InvitationOut

    def get_queryset(self):
        return Invitation.objects.order_by("-created_at")

    @extend_schema(request=InvitationIn, responses={201: InvitationOut})
    def create(self, request):
        data = InvitationIn(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(actor=request.user, **data.validated_data)
        return Response(InvitationOut(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvitationOut)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        invitation = get_invitation_for_admin(request._request.membership, pk)
        invitation = services.invitation_revoke(actor=request.user, invitation=invitation)
        return Response(InvitationOut(invitation).data)


class ApiKeyOut(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]


class ApiKeyCreatedOut(ApiKeyOut):
    key = serializers.CharField(help_text=_("Shown once; store it now."))

    class Meta(ApiKeyOut.Meta):
        fields = [*ApiKeyOut.Meta.fields, "key"]


class ApiKeyIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class ApiKeyViewSet(mixins.ListModelMixin, TenantViewSet):
    """The caller's own API keys. They act with the caller's permissions."""

    serializer_class = ApiKeyOut

    def get_queryset(self):
        return selectors.api_key_list(membership=self.request._request.membership)

    @extend_schema(request=ApiKeyIn, responses={201: ApiKeyCreatedOut})
    def create(self, request):
        data = ApiKeyIn(data=request.data)
        data.is_valid(raise_exception=True)
        key, plaintext = services.api_key_create(
            actor=request.user, membership=request._request.membership, **data.validated_data
        )
        key.key = plaintext
        return Response(ApiKeyCreatedOut(key).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeyOut)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        key = get_api_key_for_member(request._request.membership, pk)
        key = services.api_key_revoke(actor=request.user, api_key=key)
        return Response(ApiKeyOut(key).data)


class EventOut(serializers.ModelSerializer):
    actor = serializers.EmailField(source="actor.email", default=None)

    class Meta:
        model = Event
        fields = ["id", "created_at", "actor", "verb", "subject_type", "subject_id", "data"]


class EventFilterIn(serializers.Serializer):
    actor = serializers.IntegerField(required=False)
    verb = serializers.CharField(required=False, max_length=64)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class EventViewSet(mixins.ListModelMixin, TenantViewSet):
    """The audit trail (tenant admins), filtered by actor id, verb prefix and dates."""

    required_roles = ADMINS
    serializer_class = EventOut

    @extend_schema(parameters=[EventFilterIn])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        filters = EventFilterIn(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        actor = filters.validated_data.pop("actor", None)
        return selectors.event_list(actor_id=actor, **filters.validated_data)


