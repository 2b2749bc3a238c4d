"""REST API of playbooks: everyone reads published versions; tenant admins edit the draft
(its stages and activities), see what changed, publish, and see who acknowledged.

Routes (registered in prm/urls.py):
    /api/v1/playbooks/                       PlaybookViewSet
    /api/v1/playbook-stages/{id}/            PlaybookStageViewSet (draft stages, admins)
    /api/v1/playbook-activities/{id}/        StageActivityViewSet (draft activities, admins)
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from deals.models import DealStage
from playbooks import playbook_selectors as selectors
from playbooks import services
from playbooks.access import (
    get_draft_activity_for_admin,
    get_draft_for_admin,
    get_draft_stage_for_admin,
    get_playbook_for_admin,
    get_playbook_for_member,
)
from playbooks.models import (
    Playbook,
    PlaybookStage,
    PlaybookVersion,
    StageActivity,
)
from prm.api_base import TenantViewSet
from prm.errors import DomainError
from prm.models import Membership, Role

ADMINS = {Role.TENANT_ADMIN}
# Named choice sets of the diff, so the schema gives them names of their own.
ACTIVITY_CHANGES = ["added", "removed", "changed"]
STAGE_CHANGES = ["added", "removed", "changed", "unchanged"]


# --- output ---------------------------------------------------------------------------

class ActivityOut(serializers.ModelSerializer):
    class Meta:
        model = StageActivity
        fields = ["id", "title", "required", "position"]


class DealStageOut(serializers.ModelSerializer):
    class Meta:
        model = DealStage
        fields = ["id", "name", "rank"]


class StageOut(serializers.ModelSerializer):
    deal_stage = DealStageOut(read_only=True)
    activities = ActivityOut(many=True, read_only=True)

    class Meta:
        model = PlaybookStage
        fields = ["id", "deal_stage", "entry_criteria", "exit_criteria", "talk_track",
                  "objection_handling", "activities"]


class VersionOut(serializers.ModelSerializer):
    stages = StageOut(many=True, read_only=True)
    is_draft = serializers.BooleanField(read_only=True)

    class Meta:
        model = PlaybookVersion
        fields = ["id", "number", "is_draft", "published_at", "change_note", "stages"]


class VersionSummaryOut(serializers.ModelSerializer):
    is_draft = serializers.BooleanField(read_only=True)
    published_by = serializers.SerializerMethodField()
    acknowledgements = serializers.SerializerMethodField()

    class Meta:
        model = PlaybookVersion
        fields = ["id", "number", "is_draft", "published_at", "published_by", "change_note",
                  "acknowledgements"]

    def get_acknowledgements(self, version) -> int | None:
        """How many acknowledged: the vendor's to know; partners get null (the count takes
        in other partners' people)."""
        member = self.context.get("member")
        return None if member is None or member.is_partner else version.acknowledgement_count

    def get_published_by(self, version) -> str | None:
        return version.published_by.get_full_name() if version.published_by else None


class PlaybookOut(serializers.ModelSerializer):
    published_version = VersionOut(read_only=True, allow_null=True)
    acknowledged = serializers.BooleanField(read_only=True,
                                            help_text="Whether you acknowledged the "
                                                      "published version.")
    draft_number = serializers.IntegerField(read_only=True, allow_null=True, default=None,
                                            help_text="The open draft's number (admins only).")

    class Meta:
        model = Playbook
        fields = ["id", "name", "description", "published_version", "acknowledged",
                  "draft_number", "created_at"]


class FindingOut(serializers.Serializer):
    field = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    found = serializers.CharField()
    preferred = serializers.CharField()
    term_id = serializers.IntegerField()
    message = serializers.CharField()


class StageUpdateOut(StageOut):
    warnings = serializers.SerializerMethodField()

    class Meta(StageOut.Meta):
        fields = [*StageOut.Meta.fields, "warnings"]

    def get_warnings(self, stage) -> list[dict]:
        findings = self.context.get("findings", {})
        return [{"field": name, **finding.as_dict()}
                for name, found in findings.items() for finding in found]


class AcknowledgementOut(serializers.Serializer):
    version = serializers.IntegerField()
    acknowledged_at = serializers.DateTimeField()
    created = serializers.BooleanField()


class PersonOut(serializers.Serializer):
    membership = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="user.get_full_name")
    email = serializers.EmailField(source="user.email")
    partner = serializers.CharField(source="partner.name")
    acknowledged_at = serializers.DateTimeField(allow_null=True)


class TextChangeOut(serializers.Serializer):
    field = serializers.CharField()
    lines = serializers.ListField(child=serializers.ListField(child=serializers.CharField()),
                                  help_text='[kind, text]: kind "+" added, "-" removed, '
                                            '" " unchanged context, "…" a gap')


class ActivityChangeOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ACTIVITY_CHANGES)
    title = serializers.CharField()
    required = serializers.BooleanField()
    was_required = serializers.BooleanField(allow_null=True)


class StageDiffOut(serializers.Serializer):
    deal_stage = DealStageOut()
    status = serializers.ChoiceField(choices=STAGE_CHANGES)
    texts = TextChangeOut(many=True)
    activities = ActivityChangeOut(many=True)
    reordered = serializers.BooleanField()


# --- input ------------------------------------------------------------------------------

class PlaybookIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True)


class PlaybookUpdateIn(PlaybookIn):
    name = serializers.CharField(max_length=120, required=False)


def _text() -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_TEXT)


class StageIn(serializers.Serializer):
    deal_stage = serializers.PrimaryKeyRelatedField(queryset=DealStage.objects, required=False)
    entry_criteria = _text()
    exit_criteria = _text()
    talk_track = _text()
    objection_handling = _text()


class StageAddIn(serializers.Serializer):
    deal_stage = serializers.PrimaryKeyRelatedField(queryset=DealStage.objects)


class ActivityIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    required = serializers.BooleanField(default=True)


class ActivityUpdateIn(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    required = serializers.BooleanField(required=False)


class ReorderIn(serializers.Serializer):
    order = serializers.ListField(child=serializers.IntegerField(), allow_empty=True,
                                  help_text="Every activity id of the stage, in the new order.")


class PublishIn(serializers.Serializer):
    change_note = serializers.CharField(max_length=300, required=False, allow_blank=True)


# --- views -------------------------------------------------------------------------------

def _stages_prefetch(lookup: str) -> Prefetch:
    return Prefetch(lookup, queryset=PlaybookStage.objects.select_related("deal_stage")
                    .prefetch_related(Prefetch("activities",
                                               StageActivity.objects.order_by("position", "pk")))
                    .order_by("deal_stage__rank", "pk"))


def _version_out(version: PlaybookVersion) -> dict:
    version = (PlaybookVersion.objects.prefetch_related(_stages_prefetch("stages"))
               .get(pk=version.pk))
    return VersionOut(version).data


class _MemberMixin:
    def member(self) -> Membership:
        return self.request._request.membership


class PlaybookViewSet(_MemberMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      TenantViewSet):
    """Playbooks with their published version's stages and checklists. Partner people and
    channel managers see published playbooks only; tenant admins also edit drafts."""

    serializer_class = PlaybookOut
    action_roles = {"create": ADMINS, "partial_update": ADMINS, "draft": ADMINS,
                    "diff": ADMINS, "publish": ADMINS, "discard": ADMINS,
                    "acknowledgements": ADMINS, "add_stage": ADMINS}

    def get_queryset(self):
        return selectors.playbook_list(member=self.member()).prefetch_related(
            _stages_prefetch("published_version__stages"))

    def _playbook_out(self, playbook: Playbook, code=status.HTTP_200_OK) -> Response:
        return Response(PlaybookOut(self.get_queryset().get(pk=playbook.pk)).data, status=code)

    @extend_schema(request=PlaybookIn, responses={201: PlaybookOut})
    def create(self, request):
        data = PlaybookIn(data=request.data)
        data.is_valid(raise_exception=True)
        playbook = services.playbook_create(actor=request.user, **data.validated_data)
        return self._playbook_out(playbook, status.HTTP_201_CREATED)

    @extend_schema(request=PlaybookUpdateIn, responses=PlaybookOut)
    def partial_update(self, request, pk=None):
        playbook = get_playbook_for_admin(self.member(), pk)
        data = PlaybookUpdateIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {"name": playbook.name, "description": playbook.description,
                  **data.validated_data}
        playbook = services.playbook_update(actor=request.user, playbook=playbook, **values)
        return self._playbook_out(playbook)

    @extend_schema(responses=VersionSummaryOut(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        playbook = get_playbook_for_member(self.member(), pk)
        versions = selectors.version_list(member=self.member(), playbook=playbook)
        return Response(VersionSummaryOut(versions, many=True,
                                          context={"member": self.member()}).data)

    @extend_schema(methods=["GET"], responses=VersionOut,
                   summary="The open draft (404 when there is none)")
    @extend_schema(methods=["POST"], request=None, responses={200: VersionOut, 201: VersionOut},
                   summary="Start a draft from the published version (or get the open one)")
    @action(detail=True, methods=["get", "post"])
    def draft(self, request, pk=None):
        playbook = get_playbook_for_admin(self.member(), pk)
        if request.method == "POST":
            draft, created = services.draft_get_or_create(actor=request.user, playbook=playbook)
            return Response(_version_out(draft),
                            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
        return Response(_version_out(get_draft_for_admin(self.member(), playbook)))

    @extend_schema(request=StageAddIn, responses={201: StageOut},
                   summary="Cover one more deal stage in the draft")
    @action(detail=True, methods=["post"], url_path="draft/stages", url_name="draft-stages")
    def add_stage(self, request, pk=None):
        playbook = get_playbook_for_admin(self.member(), pk)
        draft = get_draft_for_admin(self.member(), playbook)
        data = StageAddIn(data=request.data)
        data.is_valid(raise_exception=True)
        stage = services.stage_add(actor=request.user, version=draft, **data.validated_data)
        return Response(StageOut(stage).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=StageDiffOut(many=True),
                   summary="What the draft changes against the published version")
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        playbook = get_playbook_for_admin(self.member(), pk)
        draft = get_draft_for_admin(self.member(), playbook)
        diff = selectors.draft_diff(draft=draft, published_id=playbook.published_version_id)
        return Response(StageDiffOut(diff, many=True).data)

    @extend_schema(request=PublishIn, responses=VersionOut)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        playbook = get_playbook_for_admin(self.member(), pk)
        draft = get_draft_for_admin(self.member(), playbook)
        data = PublishIn(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.draft_publish(actor=request.user, version=draft,
                                         **data.validated_data)
        return Response(_version_out(version))

    @extend_schema(request=None, responses={204: None}, summary="Throw the draft away")
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        playbook = get_playbook_for_admin(self.member(), pk)
        services.draft_discard(actor=request.user,
                               version=get_draft_for_admin(self.member(), playbook))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: AcknowledgementOut, 201: AcknowledgementOut},
                   summary="Acknowledge the published version (safe to repeat)")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        playbook = get_playbook_for_member(self.member(), pk)
        version = playbook.published_version
        if version is None:
            raise DomainError("This playbook is not published yet.", code="draft")
        ack, created = services.version_acknowledge(member=self.member(), version=version)
        body = {"version": version.number, "acknowledged_at": ack.acknowledged_at,
                "created": created}
        return Response(AcknowledgementOut(body).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses=PersonOut(many=True),
                   summary="Partner people of working partners and whether they acknowledged "
                           "the published version")
    @action(detail=True, methods=["get"])
    def acknowledgements(self, request, pk=None):
        playbook = get_playbook_for_admin(self.member(), pk)
        if playbook.published_version is None:
            return Response([])
        people = selectors.acknowledgement_overview(version=playbook.published_version)
        return Response(PersonOut(people, many=True).data)


class PlaybookStageViewSet(_MemberMixin, TenantViewSet):
    """A stage of a playbook's draft (published stages are frozen and answer 404)."""

    required_roles = ADMINS
    serializer_class = StageOut

    def _stage(self, pk) -> PlaybookStage:
        return get_draft_stage_for_admin(self.member(), pk)

    def _out(self, stage: PlaybookStage, **context) -> dict:
        stage = (PlaybookStage.objects.select_related("deal_stage")
                 .prefetch_related("activities").get(pk=stage.pk))
        return StageUpdateOut(stage, context=context).data

    @extend_schema(responses=StageOut)
    def retrieve(self, request, pk=None):
        return Response(self._out(self._stage(pk)))

    @extend_schema(request=StageIn, responses=StageUpdateOut,
                   summary="Change the texts or the deal stage; warnings list discouraged words")
    def partial_update(self, request, pk=None):
        stage = self._stage(pk)
        data = StageIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        stage, findings = services.stage_update(actor=request.user, stage=stage,
                                                **data.validated_data)
        return Response(self._out(stage, findings=findings))

    @extend_schema(summary="Remove the stage from the draft")
    def destroy(self, request, pk=None):
        services.stage_remove(actor=request.user, stage=self._stage(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ActivityIn, responses={201: ActivityOut})
    @action(detail=True, methods=["post"])
    def activities(self, request, pk=None):
        stage = self._stage(pk)
        data = ActivityIn(data=request.data)
        data.is_valid(raise_exception=True)
        activity = services.activity_add(actor=request.user, stage=stage, **data.validated_data)
        return Response(ActivityOut(activity).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReorderIn, responses=ActivityOut(many=True))
    @action(detail=True, methods=["post"])
    def reorder(self, request, pk=None):
        stage = self._stage(pk)
        data = ReorderIn(data=request.data)
        data.is_valid(raise_exception=True)
        activities = services.activity_reorder(actor=request.user, stage=stage,
                                               **data.validated_data)
        return Response(ActivityOut(activities, many=True).data)


class StageActivityViewSet(_MemberMixin, TenantViewSet):
    """An activity of a draft stage's checklist."""

    required_roles = ADMINS
    serializer_class = ActivityOut

    @extend_schema(request=ActivityUpdateIn, responses=ActivityOut)
    def partial_update(self, request, pk=None):
        activity = get_draft_activity_for_admin(self.member(), pk)
        data = ActivityUpdateIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        activity = services.activity_update(actor=request.user, activity=activity,
                                            **data.validated_data)
        return Response(ActivityOut(activity).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.activity_remove(actor=request.user,
                                 activity=get_draft_activity_for_admin(self.member(), pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
