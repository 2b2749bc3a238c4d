"""REST API of the content library: everyone lists what they may see, admins write."""

from __future__ import annotations

import posixpath

from django.http import FileResponse, Http404, HttpResponseRedirect
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from deals.models import DealStage
from partners.models import PartnerType
from playbooks import content
from playbooks.models import ContentItem
from prm.api_base import TenantViewSet
from prm.models import Role

ADMINS = {Role.TENANT_ADMIN}


class ContentOut(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()
    file_name = serializers.SerializerMethodField()
    stages = serializers.SerializerMethodField()

    class Meta:
        model = ContentItem
        fields = ["id", "title", "description", "kind", "url", "file_name", "tags",
                  "partner_types", "min_tier_rank", "stages", "created_at"]

    def get_kind(self, item) -> str:
        return "file" if item.file else "link"

    def get_file_name(self, item) -> str:
        return posixpath.basename(item.file.name) if item.file else ""

    def get_stages(self, item) -> list[int]:
        return [stage.pk for stage in item.stages.all()]


class ContentIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    url = serializers.URLField(required=False, allow_blank=True)
    file = serializers.FileField(required=False, allow_empty_file=False,
                                 help_text="Multipart upload: PDF, DOCX, PPTX, XLSX, PNG or JPEG.")
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False,
                                 max_length=content.MAX_TAGS)
    partner_types = serializers.ListField(child=serializers.ChoiceField(PartnerType.choices),
                                          required=False, help_text="Empty: every type.")
    min_tier_rank = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    stages = serializers.PrimaryKeyRelatedField(queryset=DealStage.objects, many=True,
                                                required=False)


class ContentUpdateIn(ContentIn):
    title = serializers.CharField(max_length=200, required=False)
    remove_file = serializers.BooleanField(required=False, default=False)


class ContentFilterIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True)
    tag = serializers.CharField(required=False, allow_blank=True)


class ContentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The content library: items the caller may see; tenant admins add, change, remove."""

    serializer_class = ContentOut
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    action_roles = {"create": ADMINS, "partial_update": ADMINS, "destroy": ADMINS}

    @property
    def member(self):
        return self.request._request.membership

    def get_queryset(self):
        if self.action == "list":
            filters = ContentFilterIn(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            return content.content_list(member=self.member, **filters.validated_data)
        return content.content_visible(member=self.member).prefetch_related("stages")

    @extend_schema(parameters=[ContentFilterIn])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _detail(self, pk) -> ContentItem:
        item = ContentItem.objects.prefetch_related("stages").filter(pk=pk).first()
        if item is None:
            raise Http404
        return item

    @extend_schema(request=ContentIn, responses={201: ContentOut})
    def create(self, request):
        data = ContentIn(data=request.data)
        data.is_valid(raise_exception=True)
        item = content.content_create(actor=request.user, **data.validated_data)
        return Response(ContentOut(self._detail(item.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ContentUpdateIn, responses=ContentOut)
    def partial_update(self, request, pk=None):
        item = self._detail(pk)
        data = ContentUpdateIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        item = content.content_update(actor=request.user, item=item, **data.validated_data)
        return Response(ContentOut(self._detail(item.pk)).data)

    def destroy(self, request, pk=None):
        content.content_delete(actor=request.user, item=self._detail(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Open an item: counts the view, then the file or a redirect",
                   responses={(200, "application/octet-stream"): bytes, 302: None})
    @action(detail=True, methods=["get"])
    def open(self, request, pk=None):
        item = content.get_content_for_member(self.member, pk)
        if not item.file:
            content.content_open(actor=request.user, member=self.member, item=item)
            return HttpResponseRedirect(item.url)
        try:
            handle = item.file.storage.open(item.file.name, "rb")
        except FileNotFoundError:
            raise Http404 from None
        content.content_open(actor=request.user, member=self.member, item=item)
        return FileResponse(handle, as_attachment=True,
                            filename=posixpath.basename(item.file.name),
                            content_type=content.content_type_of(item.file.name))
