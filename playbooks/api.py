"""REST API of the glossary and the language check."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from playbooks import glossary
from playbooks.models import LOCALES, DiscouragedPhrase, GlossaryTerm
from prm.api_base import TenantAPIView, TenantViewSet
from prm.models import Role

ADMINS = {Role.TENANT_ADMIN}


class DiscouragedOut(serializers.ModelSerializer):
    class Meta:
        model = DiscouragedPhrase
        fields = ["id", "phrase", "locale", "replacement", "reason"]


class DiscouragedIn(serializers.Serializer):
    phrase = serializers.CharField(max_length=120)
    locale = serializers.ChoiceField(choices=LOCALES, default="en")
    replacement = serializers.CharField(max_length=120, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class TranslationIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    definition = serializers.CharField()
    examples = serializers.CharField(required=False, allow_blank=True, default="")


class TermOut(serializers.ModelSerializer):
    discouraged = DiscouragedOut(many=True, read_only=True)
    translations = serializers.SerializerMethodField()

    class Meta:
        model = GlossaryTerm
        fields = ["id", "name", "definition", "category", "examples", "synonyms", "status",
                  "discouraged", "translations", "updated_at"]

    def get_translations(self, term) -> dict[str, dict[str, str]]:
        return {t.locale: {"name": t.name, "definition": t.definition, "examples": t.examples}
                for t in term.translations.all()}


class TermIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    definition = serializers.CharField()
    category = serializers.CharField(max_length=60, required=False, allow_blank=True)
    examples = serializers.CharField(required=False, allow_blank=True)
    synonyms = serializers.ListField(child=serializers.CharField(max_length=120),
                                     required=False)
    discouraged = DiscouragedIn(many=True, required=False)


class TermUpdateIn(TermIn):
    name = serializers.CharField(max_length=120, required=False)
    definition = serializers.CharField(required=False)
    discouraged = None
    status = serializers.ChoiceField(choices=GlossaryTerm.Status.choices, required=False)


class TermFilterIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=GlossaryTerm.Status.choices, required=False)


class GlossaryTermViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The program's glossary: everyone reads, tenant admins write."""

    serializer_class = TermOut
    action_roles = {"create": ADMINS, "partial_update": ADMINS, "destroy": ADMINS,
                    "translation": ADMINS, "discouraged": ADMINS,
                    "discouraged_remove": ADMINS}

    def get_queryset(self):
        from playbooks.selectors import term_list

        filters = TermFilterIn(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        terms = term_list(**filters.validated_data)
        if self.request._request.membership.role not in ADMINS:
            terms = terms.filter(status=GlossaryTerm.Status.ACTIVE)  # as the glossary page
        return terms

    @extend_schema(parameters=[TermFilterIn])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _term(self, pk) -> GlossaryTerm:
        term = GlossaryTerm.objects.filter(pk=pk).first()
        if term is None:
            raise Http404
        return term

    @extend_schema(request=TermIn, responses={201: TermOut})
    def create(self, request):
        data = TermIn(data=request.data)
        data.is_valid(raise_exception=True)
        term = glossary.term_create(actor=request.user, **data.validated_data)
        return Response(TermOut(term).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TermUpdateIn, responses=TermOut)
    def partial_update(self, request, pk=None):
        term = self._term(pk)
        data = TermUpdateIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        new_status = values.pop("status", None)
        term = glossary.term_update(actor=request.user, term=term, **values)
        if new_status:
            term = glossary.term_retire(actor=request.user, term=term,
                                        retired=new_status == GlossaryTerm.Status.RETIRED)
        return Response(TermOut(term).data)

    @extend_schema(summary="Retire a term (it stays in the history)")
    def destroy(self, request, pk=None):
        glossary.term_retire(actor=request.user, term=self._term(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=TranslationIn, responses=TermOut,
                   summary="Set the term's name, definition and examples in one language",
                   parameters=[OpenApiParameter("locale", str, OpenApiParameter.PATH,
                                                enum=[code for code, _label in LOCALES])])
    @action(detail=True, methods=["put"], url_path="translations/<str:locale>")
    def translation(self, request, pk=None, locale=None):
        term = self._term(pk)
        data = TranslationIn(data=request.data)
        data.is_valid(raise_exception=True)
        glossary.translation_set(actor=request.user, term=term, locale=locale,
                                 **data.validated_data)
        return Response(TermOut(self._term(pk)).data)

    @extend_schema(request=DiscouragedIn, responses={201: DiscouragedOut},
                   summary="Discourage a word or phrase in favour of this term")
    @action(detail=True, methods=["post"])
    def discouraged(self, request, pk=None):
        term = self._term(pk)
        data = DiscouragedIn(data=request.data)
        data.is_valid(raise_exception=True)
        item = glossary.discouraged_add(actor=request.user, term=term, **data.validated_data)
        return Response(DiscouragedOut(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None},
                   summary="Stop discouraging a word or phrase")
    @action(detail=True, methods=["delete"], url_path="discouraged/<int:item_id>")
    def discouraged_remove(self, request, pk=None, item_id=None):
        item = DiscouragedPhrase.objects.filter(term=self._term(pk), pk=item_id).first()
        if item is None:
            raise Http404
        glossary.discouraged_remove(actor=request.user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StrictCharField(serializers.CharField):
    """A string and nothing else (DRF would turn 42 into "42")."""

    default_error_messages = {"not_a_string": "Send a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class CheckIn(serializers.Serializer):
    text = StrictCharField(allow_blank=True, trim_whitespace=False,
                           max_length=glossary.MAX_CHECK_LENGTH)
    locale = serializers.ChoiceField(choices=LOCALES, default="en")


class FindingOut(serializers.Serializer):
    start = serializers.IntegerField(help_text="Offset in Unicode code points")
    end = serializers.IntegerField()
    found = serializers.CharField()
    preferred = serializers.CharField()
    term_id = serializers.IntegerField()
    message = serializers.CharField()


class CheckOut(serializers.Serializer):
    findings = FindingOut(many=True)


class LanguageCheckView(TenantAPIView):
    """Find discouraged words and phrases in a text (any member)."""

    @extend_schema(request=CheckIn, responses=CheckOut)
    def post(self, request):
        data = CheckIn(data=request.data)
        data.is_valid(raise_exception=True)
        findings = glossary.language_check(**data.validated_data)
        return Response({"findings": [f.as_dict() for f in findings]})
