"""Forms of the partner pages: they validate input; the services decide and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from partners import selectors
from partners.models import PartnerStatus, PartnerType, Region, Specialisation, Tier
from partners.services import INITIAL_STATUSES, specialisations_by_name
from prm.errors import DomainError

SORT_LABELS = {
    "name": _("Name, A to Z"),
    "-name": _("Name, Z to A"),
    "created": _("Oldest first"),
    "-created": _("Newest first"),
    "tier": _("Tier, lowest first"),
    "-tier": _("Tier, highest first"),
    "status": pgettext_lazy("sort order", "Status"),
    "country": pgettext_lazy("sort order", "Country"),
}


def _person(membership) -> str:
    return str(membership.user)


class DomainErrorsMixin:
    """Show a service's DomainError on the field it names, or above the form."""

    def add_domain_error(self, error: DomainError) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


class DirectoryFilterForm(forms.Form):
    """The directory's GET form. Choices come from the tenant: its tiers, managers, tags."""

    q = forms.CharField(label=_("Name or domain"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search"}))
    country = CountryField(blank=True, blank_label=_("Any country")).formfield(
        label=_("Country"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False,
                               choices=[("", _("Any region")), *Region.choices])
    partner_type = forms.ChoiceField(label=_("Type"), required=False,
                                     choices=[("", _("Any type")), *PartnerType.choices])
    tier = forms.TypedChoiceField(label=_("Tier"), required=False, coerce=int,
                                  empty_value=None)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *PartnerStatus.choices])
    manager = forms.TypedChoiceField(label=_("Channel manager"), required=False, coerce=int,
                                     empty_value=None)
    specialisation = forms.TypedChoiceField(label=_("Specialisation"), required=False,
                                            coerce=int, empty_value=None)
    sort = forms.ChoiceField(label=_("Sort by"), required=False,
                             choices=list(SORT_LABELS.items()))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("Any tier"))] + [
            (t.pk, t.name) for t in Tier.objects.order_by("rank")]
        self.fields["manager"].choices = [("", _("Any manager"))] + [
            (m.pk, _person(m)) for m in selectors.channel_managers()]
        self.fields["specialisation"].choices = [("", _("Any specialisation"))] + [
            (s.pk, s.name) for s in Specialisation.objects.order_by("name")]

    MAIN_FIELDS = ("q", "sort")

    def main_fields(self) -> list:
        return [self[name] for name in self.MAIN_FIELDS]

    def more_fields(self) -> list:
        return [field for field in self if field.name not in self.MAIN_FIELDS]

    def more_in_use(self) -> bool:
        """Whether a filter besides the search is set (its panel then starts open)."""
        return any(self.data.get(name) for name in self.fields if name not in self.MAIN_FIELDS)

    def filters(self) -> dict:
        """The valid, non-empty filters as keyword arguments of ``partner_directory``;
        an invalid value is shown as an error on its field and ignored."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


class PartnerForm(DomainErrorsMixin, forms.Form):
    """A partner's profile. The service normalises the domain (from the website if empty)."""

    name = forms.CharField(label=_("Company name"), max_length=200)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https",
                             max_length=300)
    domain = forms.CharField(label=_("Domain"), required=False, max_length=253,
                             help_text=_("For example example.com. Left empty, it is taken "
                                         "from the website."))
    country = CountryField(blank=True, blank_label="—").formfield(label=_("Country"),
                                                                  required=False)
    region = forms.ChoiceField(label=_("Region"), required=False,
                               choices=[("", "—"), *Region.choices])
    partner_type = forms.ChoiceField(label=_("Type"), choices=PartnerType.choices)
    tier = forms.ModelChoiceField(label=_("Tier"), queryset=None,
                                  required=False, empty_label=_("No tier"))
    manager = forms.ModelChoiceField(label=_("Channel manager"), queryset=None,
                                     required=False, empty_label=_("Nobody yet"))
    specialisations = forms.ModelMultipleChoiceField(
        label=_("Specialisations"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple)
    new_specialisations = forms.CharField(
        label=_("New specialisations"), required=False, max_length=500,
        help_text=_("Separate them with commas, for example: Cloud migration, Security. "
                    "One that exists already is matched, whatever its case."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = Tier.objects.order_by("rank")
        self.fields["manager"].queryset = selectors.channel_managers()
        self.fields["manager"].label_from_instance = _person
        self.fields["specialisations"].queryset = Specialisation.objects.order_by("name")

    def profile(self) -> dict:
        """The cleaned values as keyword arguments of ``partner_create``/``partner_update``."""
        data = dict(self.cleaned_data)
        names = [name.strip() for name in data.pop("new_specialisations", "").split(",")]
        chosen = {s.pk: s for s in data["specialisations"]}
        # Creates the new ones: call it inside the transaction of the service call.
        chosen.update((s.pk, s) for s in specialisations_by_name(names))
        data["specialisations"] = list(chosen.values())
        return data


class PartnerCreateForm(PartnerForm):
    status = forms.ChoiceField(
        label=_("Status"), initial=PartnerStatus.APPROVED,
        choices=[(s.value, s.label) for s in PartnerStatus if s in INITIAL_STATUSES],
        help_text=_("Later changes of status are made on the partner's page, with a reason."))


class TransitionForm(forms.Form):
    """One small form per next status on the partner page; the service checks the move."""

    status = forms.ChoiceField(choices=PartnerStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class TierForm(DomainErrorsMixin, forms.ModelForm):
    class Meta:
        model = Tier
        fields = ["name", "rank", "benefits", "discount_percent", "min_revenue_12m",
                  "min_certified_people", "min_deals_won"]
        widgets = {"benefits": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "rank": _("1 is the entry level; higher ranks are higher tiers."),
            "benefits": _("What partners at this tier get, shown to them on their "
                          "program page."),
        }
