from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from prm.models import Role, Tenant, User


class _PartnerChoice(forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=None, required=False,
                                     help_text=_("For partner admins and partner users."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from partners.models import Partner

        self.fields["partner"].queryset = Partner.objects.order_by("name")


class InvitationForm(_PartnerChoice):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    field_order = ["email", "role", "partner"]


class MembershipForm(_PartnerChoice):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(label=_("Password (again)"), widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        elif data.get("password"):
            try:
                validate_password(data["password"], User(email=self.email,
                                                         full_name=data.get("full_name", "")))
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What the key is for, e.g. “CRM sync”."))


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "time_zone"]


class ProgramSettingsForm(forms.ModelForm):
    """The program settings a tenant admin may change (slug and currency are the operator's)."""

    class Meta:
        model = Tenant
        fields = ["name", "locale", "time_zone", "deal_protection_days",
                  "language_check_blocks", "stage_exceptions_allowed"]
        labels = {"name": _("Program name"), "locale": _("Language of the program"),
                  "time_zone": _("Time zone"),
                  "deal_protection_days": _("Protection period (days)")}
        help_texts = {
            "locale": _("The language of e-mails and of the glossary's base terms."),
            "deal_protection_days": _("How long an approved registration is protected. "
                                      "A change applies to registrations approved from now "
                                      "on."),
        }

    def clean_deal_protection_days(self):
        days = self.cleaned_data["deal_protection_days"]
        if not 1 <= days <= 730:
            raise forms.ValidationError(_("Choose between 1 and 730 days."))
        return days


class EventFilterForm(forms.Form):
    actor = forms.TypedChoiceField(label=_("Actor"), required=False, coerce=int,
                                   empty_value=None)
    verb = forms.ChoiceField(label=_("Event"), required=False)
    # <input type=date> takes ISO dates whatever the language.
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, actors, verbs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [("", _("Anyone"))] + [(u.pk, str(u)) for u in actors]
        self.fields["verb"].choices = [("", _("Any event"))] + [(v, v) for v in verbs]
