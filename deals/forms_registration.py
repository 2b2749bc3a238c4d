"""Forms of the registration and deal pages: they validate input; the services decide."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from deals.models import DealStage, ExchangeRate, ProductLine, TimelineEntry
from partners.models import Partner, PartnerStatus
from playbooks.forms_glossary import checked_textarea
from prm.errors import DomainError
from prm.models import Membership
from prm.tenancy import get_current_tenant

# Partners a vendor may register on behalf of: in the program, not applicants or leavers.
REGISTERING_STATUSES = (PartnerStatus.APPROVED, PartnerStatus.ONBOARDING, PartnerStatus.ACTIVE,
                        PartnerStatus.AT_RISK)
HINT_FIELDS = "#id_customer_name, #id_customer_domain"


def _date_input() -> forms.DateInput:
    # <input type=date> takes ISO dates whatever the language.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _hint_attrs(**extra) -> dict:
    """As the customer's name or domain is typed, ask whether a registration may exist."""
    return {"hx-get": reverse_lazy("deal_hint"), "hx-trigger": "input changed delay:400ms",
            "hx-target": "#deal-hint", "hx-include": HINT_FIELDS,
            "hx-sync": "#deal-hint:queue last", **extra}


def person_label(membership: Membership) -> str:
    user = membership.user
    return f"{user.full_name} ({user.email})" if user.full_name else user.email


class DomainErrorsMixin:
    """Show a service's DomainError on the field it names, or above the form."""

    def add_domain_error(self, error: DomainError) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


class DealRegisterForm(DomainErrorsMixin, forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=None,
                                     help_text=_("The partner this registration is for."))
    customer_name = forms.CharField(label=_("Customer company name"), max_length=200,
                                    widget=forms.TextInput(attrs=_hint_attrs()))
    customer_domain = forms.CharField(
        label=_("Customer domain"), max_length=300,
        help_text=_("The customer's domain, website or an e-mail address there, "
                    "for example example.com."),
        widget=forms.TextInput(attrs=_hint_attrs(inputmode="url", autocomplete="off")))
    customer_country = CountryField(blank_label=_("Choose a country")).formfield(
        label=_("Customer country"))
    contact_name = forms.CharField(label=_("Contact name"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    contact_title = forms.CharField(label=_("Contact title"), max_length=200, required=False,
                                    help_text=_("For example Head of IT."))
    product = forms.ModelChoiceField(label=_("Product line"), queryset=None,
                                     empty_label=_("Choose a product line"))
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=14, decimal_places=2,
                                widget=forms.NumberInput(attrs={"step": "0.01"}))
    currency = forms.ChoiceField(label=_("Currency"))
    expected_close_date = forms.DateField(label=_("Expected close date"), widget=_date_input())
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=None,
                                   empty_label=None)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(
        attrs={"rows": 4}), help_text=_("What the customer needs, who else is involved."))

    def __init__(self, *args, member: Membership, default_currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        _check_language(self, "notes", rows=4)
        if member.is_partner:
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = Partner.objects.filter(
                status__in=REGISTERING_STATUSES).order_by("name")
        self.fields["product"].queryset = ProductLine.objects.filter(is_active=True)
        stages = DealStage.objects.order_by("rank")
        self.fields["stage"].queryset = stages
        self.fields["stage"].initial = next(iter(stages), None)
        # The reporting currency, and those an admin keeps exchange rates for.
        rated = ExchangeRate.objects.order_by("currency").values_list(
            "currency", flat=True).distinct()
        currencies = [default_currency, *(c for c in rated if c != default_currency)]
        self.fields["currency"].choices = [(c, c) for c in currencies]
        self.fields["currency"].initial = default_currency

    def submission(self, member: Membership) -> dict:
        """The cleaned values as keyword arguments of ``deal_submit``."""
        data = dict(self.cleaned_data)
        data["partner"] = member.partner if member.is_partner else data["partner"]
        return data


class DealEditForm(DealRegisterForm):
    """A submitted registration's own fields (not its partner, stage or status), and the
    version the person saw."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, member: Membership, default_currency: str, **kwargs):
        super().__init__(*args, member=member, default_currency=default_currency, **kwargs)
        for name in ("partner", "stage"):
            self.fields.pop(name, None)

    def changes(self) -> dict:
        """The cleaned values as keyword arguments of ``deal_update``."""
        data = dict(self.cleaned_data)
        data.pop("version")
        return data


class HintForm(forms.Form):
    """The live hint's query: lenient, since people are still typing."""

    customer_name = forms.CharField(required=False, max_length=200)
    customer_domain = forms.CharField(required=False, max_length=300)


# --- the deal page's actions ----------------------------------------------------------

class VersionForm(forms.Form):
    """Every action names the version the person saw, so a stale page changes nothing."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def service_kwargs(self) -> dict:
        return {}


class NoteForm(VersionForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self) -> dict:
        return {"note": self.cleaned_data["note"]}


class ReasonForm(VersionForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self) -> dict:
        return {"reason": self.cleaned_data["reason"]}


class StageForm(VersionForm):
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=None,
                                   empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = DealStage.objects.order_by("rank")

    def service_kwargs(self) -> dict:
        return {"stage": self.cleaned_data["stage"]}


# --- the co-selling timeline and the mutual action plan ---------------------------------

class _PeopleForm(DomainErrorsMixin, forms.Form):
    """A form with an owner chosen among the people on the deal (given, not queried)."""

    def __init__(self, *args, people: list[Membership], member: Membership | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self._people = {m.pk: m for m in people}
        if "owner" in self.fields:
            self.fields["owner"].choices = [("", _("Nobody yet"))] + [
                (m.pk, person_label(m)) for m in people]

    def clean_owner(self) -> Membership | None:
        owner_id = self.cleaned_data.get("owner")
        return self._people.get(owner_id) if owner_id else None


def _owner_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int,
                                  empty_value=None)


def _check_language(form: forms.Form, name: str, rows: int) -> None:
    """Let the live language check watch this text (in the program's language)."""
    tenant = get_current_tenant()
    form.fields[name].widget = checked_textarea(tenant.locale if tenant else "en", rows=rows)


class CommentForm(_PeopleForm):
    kind = TimelineEntry.Kind.COMMENT
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Mention someone on this deal with @ and their e-mail "
                                       "address, for example @ann@example.com; they get an "
                                       "e-mail."))
    internal = forms.BooleanField(label=_("Internal note: only the vendor's people see it"),
                                  required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _check_language(self, "body", rows=3)
        if self.member is None or self.member.is_partner:
            del self.fields["internal"]

    def service_kwargs(self) -> dict:
        internal = self.cleaned_data.get("internal")
        return {"kind": TimelineEntry.Kind.INTERNAL_NOTE if internal else self.kind,
                "body": self.cleaned_data["body"]}


class ActivityForm(_PeopleForm):
    kind = TimelineEntry.Kind.ACTIVITY
    activity_type = forms.ChoiceField(label=_("Activity"),
                                      choices=TimelineEntry.ActivityType.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=_date_input())
    outcome = forms.CharField(label=_("Outcome"), max_length=500, required=False)
    body = forms.CharField(label=_("Notes"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self) -> dict:
        return {"kind": self.kind, **self.cleaned_data}


class NextStepForm(_PeopleForm):
    kind = TimelineEntry.Kind.NEXT_STEP
    body = forms.CharField(label=_("Next step"), max_length=2000)
    owner = _owner_field()
    due_on = forms.DateField(label=_("Due"), required=False, widget=_date_input())

    def service_kwargs(self) -> dict:
        return {"kind": self.kind, **self.cleaned_data}


TIMELINE_FORMS: dict[str, type[_PeopleForm]] = {
    "comment": CommentForm, "activity": ActivityForm, "next_step": NextStepForm}


class PlanItemForm(_PeopleForm):
    title = forms.CharField(label=_("Step"), max_length=200)
    owner = _owner_field()
    due_on = forms.DateField(label=_("Due"), required=False, widget=_date_input())

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class PlanToggleForm(forms.Form):
    done = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
