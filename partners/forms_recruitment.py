"""Forms of recruitment (the public application, its review) and of the partner's team page."""

from __future__ import annotations

import re

from django import forms
from django.forms import BoundField
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from partners.models import PartnerType, Region, Specialisation, Tier
from partners.selectors import channel_managers
from prm.domains import InvalidDomain, is_free_email_domain, normalise_domain
from prm.models import Membership, Role

HONEYPOT = "fax_number"
MESSAGE_MIN_LENGTH = 30
MAX_SPECIALISATIONS = 12
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{3,38}$")


class ApplicationForm(forms.Form):
    """What a company tells the vendor when it applies. The honeypot field is for robots:
    people never see it, and a submission that fills it is thanked and thrown away."""

    company_name = forms.CharField(label=_("Company name"), max_length=200)
    website = forms.CharField(
        label=_("Company website"), max_length=300,
        help_text=_("Your company's own website, e.g. https://example.com."),
        widget=forms.TextInput(attrs={"autocomplete": "url", "inputmode": "url"}))
    country = CountryField(blank_label=_("Choose a country")).formfield(
        label=_("Country of your head office"))
    partner_type = forms.ChoiceField(
        label=_("How do you want to partner with us?"),
        choices=[("", _("Choose a partner type")), *PartnerType.choices])
    regions = forms.MultipleChoiceField(
        label=_("Regions where you sell"), choices=Region.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one region.")})
    specialisations = forms.MultipleChoiceField(
        label=_("Specialisations"), required=False, widget=forms.CheckboxSelectMultiple)
    other_specialisations = forms.CharField(
        label=_("Other specialisations"), required=False, max_length=500,
        help_text=_("Separate several with commas, e.g. Healthcare, Cloud migration."))
    contact_name = forms.CharField(
        label=_("Your name"), max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}))
    contact_email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("We send our answer and, if we approve, your invitation here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    contact_phone = forms.CharField(
        label=_("Phone (optional)"), required=False, max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}))
    message = forms.CharField(
        label=_("Why do you want to partner with us?"),
        min_length=MESSAGE_MIN_LENGTH, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}))
    consent = forms.BooleanField(
        label=_("I agree that you store these details to review my application and contact "
                "me about it."),
        error_messages={"required": _("We can only review your application with your "
                                      "consent.")})
    fax_number = forms.CharField(
        label=_("Leave this field empty (it catches spam robots)."), required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].help_text = gettext(
            "Your customers, what you would sell or build with us, and why now. At least "
            "%(count)d characters.") % {"count": MESSAGE_MIN_LENGTH}
        names = list(Specialisation.objects.order_by("name").values_list("name", flat=True))
        if names:
            self.fields["specialisations"].choices = [(name, name) for name in names]
        else:
            del self.fields["specialisations"]
            self.fields["other_specialisations"].label = _("Specialisations")

    def error_summary(self) -> list[tuple[BoundField, str]]:
        """The first error of each field, in the order of the page, to list above the form."""
        return [(self[name], self.errors[name][0]) for name in self.fields
                if name in self.errors]

    @property
    def filled_honeypot(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())

    def clean_website(self) -> str:
        website = self.cleaned_data["website"].strip()
        try:
            domain = normalise_domain(website)
        except InvalidDomain as error:
            raise forms.ValidationError(str(error)) from None
        if "@" in website and "://" not in website:
            raise forms.ValidationError(
                _("Enter your company's website address, not an e-mail address."))
        if is_free_email_domain(domain):
            raise forms.ValidationError(
                _("Enter your company's own website, not an e-mail provider (%(domain)s).")
                % {"domain": domain})
        return website

    def clean_contact_phone(self) -> str:
        phone = self.cleaned_data["contact_phone"].strip()
        if phone and not _PHONE.match(phone):
            raise forms.ValidationError(
                _("Enter a phone number with digits, spaces and + ( ) - only."))
        return phone

    def clean(self):
        data = super().clean()
        chosen = list(data.get("specialisations") or [])
        other = [name.strip() for name in (data.get("other_specialisations") or "").split(",")]
        names: list[str] = []
        for name in [*chosen, *other]:
            if name and name.lower() not in {n.lower() for n in names}:
                names.append(name)
        if any(len(name) > 80 for name in names):
            self.add_error("other_specialisations",
                           _("Keep each specialisation under 80 characters."))
        elif len(names) > MAX_SPECIALISATIONS:
            self.add_error("other_specialisations",
                           _("Name at most %(count)d specialisations.")
                           % {"count": MAX_SPECIALISATIONS})
        data["specialisation_names"] = names
        return data

    def application_data(self) -> dict:
        """The keyword arguments of ``services.application_submit``."""
        data = self.cleaned_data
        return {
            "company_name": data["company_name"], "website": data["website"],
            "country": data["country"], "partner_type": data["partner_type"],
            "regions": data["regions"], "specialisations": data["specialisation_names"],
            "contact_name": data["contact_name"], "contact_email": data["contact_email"],
            "contact_phone": data["contact_phone"], "message": data["message"],
        }


class _ManagerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user} ({obj.get_role_display()})"


class ApproveForm(forms.Form):
    tier = forms.ModelChoiceField(
        label=_("Tier"), queryset=None, required=False, empty_label=None,
        help_text=_("Where the new partner starts; usually the entry level."))
    manager = _ManagerChoice(
        label=_("Channel manager"), queryset=None, required=False,
        empty_label=_("Nobody yet"))
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=2000,
        help_text=_("Kept with the application, for the program's people; the applicant "
                    "does not see it."),
        widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, member: Membership | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        tiers = Tier.objects.order_by("rank")
        self.fields["tier"].queryset = tiers
        self.fields["manager"].queryset = channel_managers()
        if not self.is_bound:
            self.initial.setdefault("tier", tiers.first())
            if member is not None and member.role == Role.CHANNEL_MANAGER:
                self.initial.setdefault("manager", member.pk)


class DeclineForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the applicant"), max_length=2000,
        help_text=_("We e-mail this note to the applicant. Be kind and specific."),
        error_messages={"required": _("Tell the applicant why (the note is sent to them).")},
        widget=forms.Textarea(attrs={"rows": 4}))


class TeamInviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"),
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(
        label=_("Role"), initial=Role.PARTNER_USER,
        choices=[(Role.PARTNER_USER, Role.PARTNER_USER.label),
                 (Role.PARTNER_ADMIN, Role.PARTNER_ADMIN.label)],
        help_text=_("Partner admins can also invite and deactivate colleagues."))


class TeamMemberForm(forms.Form):
    is_active = forms.TypedChoiceField(choices=[("true", "true"), ("false", "false")],
                                       coerce=lambda value: value == "true")
