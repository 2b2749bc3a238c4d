"""Forms of the pipeline, review queue and deal settings pages: they validate input only;
the selectors read and the services decide and write."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django import forms
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from deals.currencies import CODES, NOT_A_CURRENCY
from deals.models import DealStatus, ProductLine
from partners.models import Partner
from prm.domains import InvalidDomain, normalise_domain
from prm.errors import DomainError

SORT_LABELS = {
    "-registered": _("Newest registrations first"),
    "registered": _("Oldest registrations first"),
    "-amount": _("Largest amount first"),
    "amount": _("Smallest amount first"),
    "close": _("Closing soonest first"),
    "-close": _("Closing latest first"),
    "expires": _("Protection ending soonest first"),
}
DATE_INPUT = {"type": "date"}


def _date_field(label) -> forms.DateField:
    # <input type=date> sends ISO dates whatever the language.
    return forms.DateField(label=label, required=False,
                           widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"))


class DomainErrorsMixin:
    """Show a service's DomainError on the field it names, or above the form."""

    def add_domain_error(self, error: DomainError) -> None:
        name = error.field if error.field in self.fields else None
        self.add_error(name, error.message)


# --- the deal list ----------------------------------------------------------------------

class DealFilterForm(forms.Form):
    """The deal list's GET form. Choices come from the tenant; partner people get no
    partner filter (they only ever see their own company's deals)."""

    q = forms.CharField(label=_("Customer or domain"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search"}))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *DealStatus.choices])
    sort = forms.ChoiceField(label=_("Sort by"), required=False,
                             choices=list(SORT_LABELS.items()))
    partner = forms.TypedChoiceField(label=_("Partner"), required=False, coerce=int,
                                     empty_value=None)
    stage = forms.TypedChoiceField(label=_("Stage"), required=False, coerce=int,
                                   empty_value=None)
    product = forms.TypedChoiceField(label=_("Product line"), required=False, coerce=int,
                                     empty_value=None)
    country = CountryField(blank=True, blank_label=_("Any country")).formfield(
        label=_("Customer country"), required=False)
    close_from = _date_field(_("Expected close from"))
    close_to = _date_field(_("Expected close to"))
    amount_min = forms.DecimalField(label=_("Amount at least"), required=False, min_value=0,
                                    max_digits=16, decimal_places=2)
    amount_max = forms.DecimalField(label=_("Amount at most"), required=False, min_value=0,
                                    max_digits=16, decimal_places=2)
    conflicts_only = forms.BooleanField(label=_("Only registrations with possible conflicts"),
                                        required=False)

    MAIN_FIELDS = ("q", "status", "sort")

    def __init__(self, *args, member, stages, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        if member.is_partner:
            del self.fields["partner"]
        else:
            partners = Partner.objects.order_by(Lower("name"), "pk").values_list("pk", "name")
            self.fields["partner"].choices = [("", _("Any partner")), *partners]
        self.fields["stage"].choices = [("", _("Any stage"))] + [(s.pk, s.name) for s in stages]
        products = ProductLine.objects.order_by(Lower("name"), "pk").values_list("pk", "name")
        self.fields["product"].choices = [("", _("Any product line")), *products]
        for name in ("amount_min", "amount_max"):
            self.fields[name].help_text = _("In %(currency)s, the reporting currency.") % {
                "currency": currency}

    def main_fields(self) -> list:
        return [self[name] for name in self.MAIN_FIELDS]

    def more_fields(self) -> list:
        return [bound for bound in self if bound.name not in self.MAIN_FIELDS]

    def more_in_use(self) -> bool:
        """Whether a filter besides the main ones is set (its panel then starts open)."""
        return any(self.data.get(name) for name in self.fields if name not in self.MAIN_FIELDS)

    def filters(self) -> dict:
        """The valid, non-empty filters as keyword arguments of ``selectors.deal_list``;
        an invalid value is shown as an error on its field and ignored."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None, False)}


# --- the review queue -------------------------------------------------------------------

class DecisionForm(forms.Form):
    """Approve or reject one registration, as it was when the page showed it."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("Tell the partner why you reject the registration."))
        return data


class BulkApproveForm(forms.Form):
    """The checked registrations of the queue, each as ``<id>:<version>``."""

    selected = forms.Field(widget=forms.MultipleHiddenInput, error_messages={
        "required": _("Select the registrations to approve first.")})

    def clean_selected(self) -> dict[int, int]:
        chosen: dict[int, int] = {}
        for value in self.cleaned_data["selected"]:
            deal_id, _sep, version = value.partition(":")
            if not (deal_id.isdigit() and version.isdigit()):
                raise forms.ValidationError(_("Reload the page and select again."))
            chosen[int(deal_id)] = int(version)
        if len(chosen) > 100:
            raise forms.ValidationError(_("Approve at most 100 registrations at once."))
        return chosen


# --- settings ---------------------------------------------------------------------------

class ProductLineForm(DomainErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


class ProductLineEditForm(ProductLineForm):
    is_active = forms.BooleanField(
        label=_("Offered"), required=False,
        help_text=_("Partners register new deals only for offered product lines; existing "
                    "deals keep theirs."))


class StageForm(DomainErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)


class StageMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])


class ExchangeRateForm(DomainErrorsMixin, forms.Form):
    currency = forms.RegexField(label=_("Currency"), regex=r"^[A-Za-z]{3}$", max_length=3,
                                error_messages={"invalid": NOT_A_CURRENCY},
                                widget=forms.TextInput(attrs={"autocapitalize": "characters",
                                                              "size": 4}))
    rate = forms.DecimalField(label=_("Rate"), min_value=0, max_digits=18, decimal_places=8)
    valid_from = forms.DateField(label=_("Valid from"),
                                 widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"))

    def __init__(self, *args, currency: str, **kwargs):
        kwargs.setdefault("initial", {"valid_from": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.reporting = currency
        self.fields["rate"].help_text = _(
            "How many %(currency)s one unit of this currency is worth.") % {"currency": currency}

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].upper()
        if currency not in CODES:
            raise forms.ValidationError(NOT_A_CURRENCY)
        if currency == self.reporting:
            raise forms.ValidationError(_("This is the reporting currency itself; its rate is "
                                          "always 1."))
        return currency

    def clean_rate(self):
        rate = self.cleaned_data["rate"]
        if rate is not None and rate <= 0:
            raise forms.ValidationError(_("A rate must be positive."))
        return rate


class AutoApprovalRuleForm(DomainErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    min_tier = forms.ModelChoiceField(
        label=_("Minimum tier"), queryset=None, required=False,
        empty_label=pgettext_lazy("tier", "Any tier"),
        help_text=_("The partner's tier must be this one or higher."))
    max_amount = forms.DecimalField(label=_("Maximum amount"), required=False, min_value=0,
                                    max_digits=14, decimal_places=2)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, tiers, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["min_tier"].queryset = tiers
        self.fields["max_amount"].help_text = _(
            "In %(currency)s; empty means any amount.") % {"currency": currency}

    def rule(self) -> dict:
        """The cleaned values as keyword arguments of the rule services."""
        data = self.cleaned_data
        tier = data["min_tier"]
        return {"name": data["name"], "min_tier_rank": tier.rank if tier else None,
                "max_amount": data["max_amount"], "is_active": data["is_active"]}


@dataclass
class CustomerRow:
    line: int
    name: str
    domain: str
    reasons: list[str] = field(default_factory=list)


MAX_CUSTOMER_ROWS = 50_000
MAX_CUSTOMER_BYTES = 5 * 1024 * 1024


class CustomerAccountsForm(forms.Form):
    """A CSV of the vendor's direct customers (columns ``name`` and ``domain``).

    ``rows`` are the accepted (name, domain) pairs, ``refused`` the rows with reasons; the
    list is replaced only when nothing is refused.
    """

    file = forms.FileField(label=_("CSV file"),
                           help_text=_("Columns name and domain; the first line names them."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CUSTOMER_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("Save the file as CSV UTF-8 and upload it again."),
                                        ) from None
        self.rows, self.refused = self._parse(text)
        return upload

    def _parse(self, text: str) -> tuple[list[tuple[str, str]], list[CustomerRow]]:
        sample = text[:4096]
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        header = [cell.strip().lower() for cell in next(reader, [])]
        if "name" not in header:
            raise forms.ValidationError(_("The first line must name the columns: name, "
                                          "domain."))
        name_at = header.index("name")
        domain_at = header.index("domain") if "domain" in header else None
        rows, refused = [], []
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) + len(refused) >= MAX_CUSTOMER_ROWS:
                raise forms.ValidationError(_("The file has more than 50,000 rows."))
            row = CustomerRow(line, _cell(cells, name_at), _cell(cells, domain_at))
            if not row.name:
                row.reasons.append(_("The name is missing."))
            elif len(row.name) > 200:
                row.reasons.append(_("The name is longer than 200 characters."))
            if row.domain:
                try:
                    row.domain = normalise_domain(row.domain)
                except InvalidDomain as error:
                    row.reasons.append(_("The domain is not valid: %(error)s") % {
                        "error": error})
            if row.reasons:
                refused.append(row)
            else:
                rows.append((row.name, row.domain))
        return rows, refused


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""
