"""REST API of the deals app: registration, review actions (with If-Match), timeline."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from deals import selectors, services, services_timeline
from deals.access import get_action_item_for_member, get_deal_for_manager, get_deal_for_member
from deals.models import (
    ActionPlanItem,
    Deal,
    DealStage,
    DealStatus,
    ProductLine,
    TimelineEntry,
)
from partners.models import Partner
from prm.api_base import TenantViewSet
from prm.errors import InvalidInput, PreconditionFailed
from prm.models import Membership

IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=False,
                            description="The ETag from your last read; 412 if it changed since.")
_ETAG = re.compile(r'^(?:W/)?"deal-(\d+)-(\d+)"$')


def expected_version(request, deal: Deal) -> int | None:
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    match = _ETAG.match(header.strip())
    if not match or int(match.group(1)) != deal.pk:
        raise PreconditionFailed(_("If-Match does not name this registration."))
    return int(match.group(2))


class ConflictOut(serializers.Serializer):
    """Partners get one entry, reason "registration_may_exist", and nothing else; the
    vendor's people get each match with its reason, score and the matched record."""

    reason = serializers.CharField()
    score = serializers.IntegerField(required=False)
    other_deal = serializers.IntegerField(required=False, allow_null=True)
    other_partner = serializers.CharField(required=False, allow_null=True)
    other_customer = serializers.CharField(required=False, allow_null=True)
    other_product = serializers.CharField(required=False, allow_null=True)
    other_status = serializers.CharField(required=False, allow_null=True)
    customer_account = serializers.CharField(required=False, allow_null=True)


class DealOut(serializers.ModelSerializer):
    customer_country = CountryField()
    partner = serializers.CharField(source="partner.name")
    partner_id = serializers.IntegerField()
    product = serializers.CharField(source="product.name")
    product_id = serializers.IntegerField()
    stage = serializers.CharField(source="stage.name")
    stage_id = serializers.IntegerField()
    expires_at = serializers.DateTimeField(source="protection_expires_at")
    conflicts = serializers.SerializerMethodField()

    class Meta:
        model = Deal
        fields = ["id", "partner", "partner_id", "customer_name", "customer_domain",
                  "customer_country", "contact_name", "contact_email", "contact_title",
                  "product", "product_id", "amount", "currency", "reporting_amount",
                  "expected_close_date", "stage", "stage_id", "status", "status_reason",
                  "registered_at", "expires_at", "extension_requested_at", "approval_rule",
                  "has_conflict", "notes", "version", "conflicts"]

    @extend_schema_field(ConflictOut(many=True))
    def get_conflicts(self, deal) -> list[dict]:
        # Partners learn only that a registration may exist; the vendor gets the records.
        known = self.context.get("partner_conflicts")
        if known is not None:
            return known
        return selectors.deal_conflicts_for(member=self.context["member"], deal=deal)


class DealListOut(DealOut):
    class Meta(DealOut.Meta):
        fields = [f for f in DealOut.Meta.fields if f != "conflicts"]


class DealIn(serializers.Serializer):
    customer_name = serializers.CharField(max_length=200)
    customer_domain = serializers.CharField(max_length=300)
    customer_country = CountryField()
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    product = serializers.PrimaryKeyRelatedField(queryset=ProductLine.objects)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    currency = serializers.CharField(min_length=3, max_length=3)
    expected_close_date = serializers.DateField()
    stage = serializers.PrimaryKeyRelatedField(queryset=DealStage.objects, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects, required=False,
        help_text=_("Only for the vendor's people registering on a partner's behalf."))


class DealUpdateIn(DealIn):
    customer_name = serializers.CharField(max_length=200, required=False)
    customer_domain = serializers.CharField(max_length=300, required=False)
    customer_country = CountryField(required=False)
    product = serializers.PrimaryKeyRelatedField(queryset=ProductLine.objects, required=False)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0,
                                      required=False)
    currency = serializers.CharField(min_length=3, max_length=3, required=False)
    expected_close_date = serializers.DateField(required=False)
    stage = None
    partner = None


class DealFilterIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True)
    partner = serializers.IntegerField(required=False)
    stage = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=DealStatus.choices, required=False,
                                     allow_blank=True)
    product = serializers.IntegerField(required=False)
    country = CountryField(required=False, allow_blank=True)
    close_from = serializers.DateField(required=False)
    close_to = serializers.DateField(required=False)
    amount_min = serializers.DecimalField(max_digits=16, decimal_places=2, required=False)
    amount_max = serializers.DecimalField(max_digits=16, decimal_places=2, required=False)
    conflicts_only = serializers.BooleanField(required=False)
    sort = serializers.ChoiceField(choices=list(selectors.DEAL_SORTS), required=False)


class NoteIn(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class StageIn(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=DealStage.objects)


class TimelineOut(serializers.ModelSerializer):
    author = serializers.CharField(source="author.user.email")
    owner = serializers.CharField(source="owner.user.email", default=None)
    mentions = serializers.SerializerMethodField()

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "author", "body", "activity_type", "occurred_on", "outcome",
                  "owner", "due_on", "mentions", "created_at"]

    def get_mentions(self, entry) -> list[int]:
        return [m.membership_id for m in entry.mentions.all()]


class TimelineIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TimelineEntry.Kind.choices)
    body = serializers.CharField(required=False, allow_blank=True)
    activity_type = serializers.ChoiceField(choices=TimelineEntry.ActivityType.choices,
                                            required=False, allow_blank=True)
    occurred_on = serializers.DateField(required=False)
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=500)
    owner = serializers.PrimaryKeyRelatedField(queryset=Membership.objects, required=False,
                                               allow_null=True)
    due_on = serializers.DateField(required=False)


class PlanItemOut(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.user.email", default=None)
    done_by = serializers.CharField(source="done_by.email", default=None)

    class Meta:
        model = ActionPlanItem
        fields = ["id", "title", "owner", "due_on", "done_at", "done_by", "position",
                  "created_at"]


class PlanItemIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    owner = serializers.PrimaryKeyRelatedField(queryset=Membership.objects, required=False,
                                               allow_null=True)
    due_on = serializers.DateField(required=False, allow_null=True)


class PlanItemDoneIn(serializers.Serializer):
    done = serializers.BooleanField()


class DealViewSet(mixins.ListModelMixin, TenantViewSet):
    """Deal registrations. Partner people see and act on their own company's only."""

    serializer_class = DealListOut

    def member(self) -> Membership:
        return self.request._request.membership

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "member": self.member()}

    def get_queryset(self):
        filters = DealFilterIn(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.deal_list(member=self.member(), **filters.validated_data)

    def _out(self, deal: Deal, code=status.HTTP_200_OK, *, fresh: bool = False,
             matches: list | None = None) -> Response:
        if not fresh:  # a service's F() updates leave the instance stale; a new one is not
            deal = Deal.objects.select_related("partner", "product", "stage").get(pk=deal.pk)
        context = {"member": self.member()}
        if matches is not None and self.member().is_partner:  # no need to read them back
            context["partner_conflicts"] = selectors.partner_conflicts(flagged=bool(matches))
        response = Response(DealOut(deal, context=context).data, status=code)
        response["ETag"] = deal.etag
        return response

    @extend_schema(parameters=[DealFilterIn])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=DealOut)
    def retrieve(self, request, pk=None):
        return self._out(get_deal_for_member(self.member(), pk))

    @extend_schema(request=DealIn, responses={201: DealOut})
    def create(self, request):
        data = DealIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        member = self.member()
        partner = values.pop("partner", None)
        if member.is_partner:
            partner = member.partner
        elif partner is None:
            raise InvalidInput(_("Choose the partner this registration is for."),
                               field="partner")
        deal, matches = services.deal_submit(member=member, partner=partner, **values)
        return self._out(deal, status.HTTP_201_CREATED, fresh=True, matches=matches)

    @extend_schema(request=DealUpdateIn, responses=DealOut, parameters=[IF_MATCH])
    def partial_update(self, request, pk=None):
        deal = get_deal_for_member(self.member(), pk)
        data = DealUpdateIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        deal, _matches = services.deal_update(member=self.member(), deal=deal,
                                              expected_version=expected_version(request, deal),
                                              **data.validated_data)
        return self._out(deal)

    def _act(self, request, pk, service, serializer, *, manager=False, **extra):
        member = self.member()
        deal = (get_deal_for_manager if manager else get_deal_for_member)(member, pk)
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        deal = service(member=member, deal=deal, **extra, **data.validated_data)
        return self._out(deal)

    @extend_schema(request=NoteIn, responses=DealOut, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        deal = get_deal_for_manager(self.member(), pk)
        return self._act(request, pk, services.deal_approve, NoteIn, manager=True,
                         expected_version=expected_version(request, deal))

    @extend_schema(request=NoteIn, responses=DealOut, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        deal = get_deal_for_manager(self.member(), pk)
        return self._act(request, pk, services.deal_reject, NoteIn, manager=True,
                         expected_version=expected_version(request, deal))

    @extend_schema(request=ReasonIn, responses=DealOut, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        deal = get_deal_for_member(self.member(), pk)
        return self._act(request, pk, services.deal_withdraw, ReasonIn,
                         expected_version=expected_version(request, deal))

    @extend_schema(request=ReasonIn, responses=DealOut)
    @action(detail=True, methods=["post"], url_path="request-extension")
    def request_extension(self, request, pk=None):
        return self._act(request, pk, services.deal_request_extension, ReasonIn)

    @extend_schema(request=NoteIn, responses=DealOut, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"], url_path="grant-extension")
    def grant_extension(self, request, pk=None):
        deal = get_deal_for_manager(self.member(), pk)
        return self._act(request, pk, services.deal_decide_extension, NoteIn, manager=True,
                         grant=True, expected_version=expected_version(request, deal))

    @extend_schema(request=NoteIn, responses=DealOut, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"], url_path="refuse-extension")
    def refuse_extension(self, request, pk=None):
        deal = get_deal_for_manager(self.member(), pk)
        return self._act(request, pk, services.deal_decide_extension, NoteIn, manager=True,
                         grant=False, expected_version=expected_version(request, deal))

    @extend_schema(request=StageIn, responses=DealOut, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"], url_path="move-stage")
    def move_stage(self, request, pk=None):
        deal = get_deal_for_member(self.member(), pk)
        return self._act(request, pk, services.deal_move_stage, StageIn,
                         expected_version=expected_version(request, deal))

    @extend_schema(request=ReasonIn, responses=DealOut, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"], url_path="close-won")
    def close_won(self, request, pk=None):
        deal = get_deal_for_member(self.member(), pk)
        return self._act(request, pk, services.deal_close_won, ReasonIn,
                         expected_version=expected_version(request, deal))

    @extend_schema(request=ReasonIn, responses=DealOut, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"], url_path="close-lost")
    def close_lost(self, request, pk=None):
        deal = get_deal_for_member(self.member(), pk)
        return self._act(request, pk, services.deal_close_lost, ReasonIn,
                         expected_version=expected_version(request, deal))

    @extend_schema(methods=["GET"], responses=TimelineOut(many=True))
    @extend_schema(methods=["POST"], request=TimelineIn, responses={201: TimelineOut})
    @action(detail=True, methods=["get", "post"])
    def timeline(self, request, pk=None):
        member = self.member()
        deal = get_deal_for_member(member, pk)
        if request.method == "POST":
            data = TimelineIn(data=request.data)
            data.is_valid(raise_exception=True)
            entry = services_timeline.timeline_add(member=member, deal=deal, **data.validated_data)
            return Response(TimelineOut(entry).data, status=status.HTTP_201_CREATED)
        entries = selectors.deal_timeline(member=member, deal=deal)
        return Response(TimelineOut(entries, many=True).data)

    @extend_schema(methods=["GET"], responses=PlanItemOut(many=True),
                   summary="The mutual action plan: steps both sides tick off")
    @extend_schema(methods=["POST"], request=PlanItemIn, responses={201: PlanItemOut})
    @action(detail=True, methods=["get", "post"])
    def plan(self, request, pk=None):
        member = self.member()
        deal = get_deal_for_member(member, pk)
        if request.method == "POST":
            data = PlanItemIn(data=request.data)
            data.is_valid(raise_exception=True)
            item = services_timeline.action_item_add(member=member, deal=deal,
                                                     **data.validated_data)
            return Response(PlanItemOut(item).data, status=status.HTTP_201_CREATED)
        items = ActionPlanItem.objects.filter(deal=deal).select_related("owner__user",
                                                                        "done_by")
        return Response(PlanItemOut(items, many=True).data)

    @extend_schema(request=PlanItemDoneIn, responses=PlanItemOut,
                   summary="Tick a step of the action plan off, or open it again")
    @action(detail=True, methods=["patch"], url_path="plan/<int:item_id>")
    def plan_item(self, request, pk=None, item_id=None):
        member = self.member()
        deal = get_deal_for_member(member, pk)
        item = get_action_item_for_member(member, deal, item_id)
        data = PlanItemDoneIn(data=request.data)
        data.is_valid(raise_exception=True)
        item = services_timeline.action_item_set_done(member=member, item=item,
                                                      done=data.validated_data["done"])
        return Response(PlanItemOut(item).data)
