"""Forms of the content library: they validate input; playbooks.content decides and writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from deals.models import DealStage
from partners.models import PartnerType, Tier
from playbooks.content import FILE_TYPES, max_upload_bytes
from playbooks.forms_glossary import DomainErrorsMixin, split_list
from playbooks.models import ContentItem


class ContentFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=120,
                        widget=forms.TextInput(attrs={"type": "search"}))
    tag = forms.ChoiceField(label=_("Tag"), required=False)

    def __init__(self, *args, tags: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("All tags")), *((t, t) for t in tags)]

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class ContentForm(DomainErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    url = forms.URLField(label=_("Link"), required=False, assume_scheme="https",
                         help_text=_("A page or document elsewhere. Give a link or upload "
                                     "a file."))
    file = forms.FileField(label=_("File"), required=False,
                           widget=forms.FileInput(attrs={
                               "accept": ",".join(f".{ext}" for ext in FILE_TYPES)}))
    remove_file = forms.BooleanField(label=_("Remove the current file"), required=False)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=1000,
                           help_text=_("For example battle card, pricing. Separate them "
                                       "with commas."))
    partner_types = forms.MultipleChoiceField(
        label=_("Visible to partner types"), required=False, choices=PartnerType.choices,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: every type."))
    min_tier_rank = forms.TypedChoiceField(label=_("Visible from tier"), required=False,
                                           coerce=int, empty_value=None)
    stages = forms.ModelMultipleChoiceField(
        label=_("Related deal stages"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, item: ContentItem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        limit = max_upload_bytes() // (1024 * 1024) or 1
        self.fields["file"].help_text = _(
            "PDF, Word, PowerPoint, Excel, PNG or JPEG, at most %(limit)d MB.") % {
            "limit": limit}
        self.fields["min_tier_rank"].choices = [("", _("Every tier"))] + [
            (rank, _("%(tier)s and above") % {"tier": name})
            for rank, name in Tier.objects.order_by("rank").values_list("rank", "name")]
        self.fields["stages"].queryset = DealStage.objects.order_by("rank")
        if item is None or not item.file:
            del self.fields["remove_file"]

    @classmethod
    def initial_for(cls, item: ContentItem) -> dict:
        return {"title": item.title, "description": item.description, "url": item.url,
                "tags": ", ".join(item.tags), "partner_types": item.partner_types,
                "min_tier_rank": item.min_tier_rank,
                "stages": [s.pk for s in item.stages.all()]}

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["tags"] = split_list(data["tags"])
        if not data.get("file"):
            data.pop("file", None)  # False (cleared) or None: nothing uploaded
        return data
