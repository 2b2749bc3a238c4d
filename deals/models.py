"""Deal registration: deals, their stages and history, conflicts, and the shared timeline."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from prm.names import index_terms, name_lengths
from prm.tenancy import TenantModel


class ProductLine(TenantModel):
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product line")
        ordering = ["name"]
        constraints = [models.UniqueConstraint("tenant", Lower("name"), name="product_name_unique")]

    def __str__(self) -> str:
        return self.name


class DealStage(TenantModel):
    """A tenant-defined, ordered sales stage (bound to a playbook stage by the playbooks app)."""

    name = models.CharField(_("name"), max_length=80)
    rank = models.PositiveSmallIntegerField(_("rank"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("deal stage")
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "rank"], name="deal_stage_rank_unique"),
            models.UniqueConstraint("tenant", Lower("name"), name="deal_stage_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ExchangeRate(TenantModel):
    """How many units of the tenant's reporting currency one unit of ``currency`` was
    worth from ``valid_from`` on."""

    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=8,
                               validators=[MinValueValidator(Decimal("0.00000001"))])
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("exchange rate")
        constraints = [models.UniqueConstraint(fields=["tenant", "currency", "valid_from"],
                                               name="exchange_rate_unique")]


class CustomerAccount(TenantModel):
    """One of the vendor's own direct customers: a partner registering it is a conflict."""

    name = models.CharField(_("name"), max_length=200)
    name_normalised = models.CharField(max_length=200)
    name_tokens = ArrayField(models.CharField(max_length=100), default=list)
    domain = models.CharField(_("domain"), max_length=253, blank=True)

    class Meta:
        verbose_name = _("customer account")
        indexes = [
            models.Index(fields=["tenant", "domain"], name="customer_account_domain"),
            models.Index(fields=["tenant", "name_normalised"], name="customer_account_name"),
        ]


class NameToken(TenantModel):
    """A word or pair of words of a name, with the name's lengths: a row of the conflict
    check's word tables (``DealNameToken``, ``CustomerAccountToken``)."""

    token = models.CharField(max_length=100)
    name_length = models.PositiveSmallIntegerField(default=0)
    words_length = models.PositiveSmallIntegerField(default=0)

    class Meta(TenantModel.Meta):
        abstract = True

    @classmethod
    def rows(cls, normalised: str, tokens: list[str], **owner) -> list:
        """The rows of a name (``owner`` names the row it belongs to)."""
        lengths = name_lengths(normalised, tokens)
        return [cls(token=term, **lengths, **owner) for term in index_terms(tokens)]


class CustomerAccountToken(NameToken):
    """One distinctive word, or pair of words, of a direct customer's name (see
    ``DealNameToken``)."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "token", "account"],
                                               include=["name_length", "words_length"],
                                               name="customer_account_token_once")]

    @classmethod
    def rows_for(cls, account: CustomerAccount) -> list[CustomerAccountToken]:
        return cls.rows(account.name_normalised, account.name_tokens, account=account)


class DealStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", pgettext_lazy("deal status", "Approved")
    REJECTED = "rejected", _("Rejected")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (DealStatus.SUBMITTED, DealStatus.APPROVED)
# At most one open registration per customer domain and product line, per tenant.
OPEN_TWIN_CONSTRAINT = "deal_one_open_per_customer_product"


class Deal(TenantModel):
    """A registered opportunity: the partner that found the customer is protected."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT,
                                related_name="deals", verbose_name=_("partner"))
    registered_by = models.ForeignKey("prm.Membership", on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("registered by"))
    customer_name = models.CharField(_("customer"), max_length=200)
    customer_name_normalised = models.CharField(max_length=200)
    customer_name_tokens = ArrayField(models.CharField(max_length=100), default=list)
    customer_domain = models.CharField(_("customer domain"), max_length=253)
    customer_country = CountryField(_("customer country"))
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_title = models.CharField(_("contact title"), max_length=200, blank=True)
    product = models.ForeignKey(ProductLine, on_delete=models.PROTECT, related_name="deals",
                                verbose_name=_("product line"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(_("currency"), max_length=3)
    reporting_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    rate_used = models.DecimalField(max_digits=18, decimal_places=8, null=True)
    rate_date = models.DateField(null=True)
    expected_close_date = models.DateField(_("expected close date"))
    stage = models.ForeignKey(DealStage, on_delete=models.PROTECT, related_name="deals",
                              verbose_name=_("stage"))
    status = models.CharField(_("status"), max_length=20, choices=DealStatus.choices,
                              default=DealStatus.SUBMITTED)
    status_reason = models.CharField(max_length=500, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    registered_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    approval_rule = models.CharField(max_length=200, blank=True)
    protection_expires_at = models.DateTimeField(null=True, blank=True)
    extension_requested_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.CharField(max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    has_conflict = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer_domain", "product"],
                condition=models.Q(status__in=["submitted", "approved"]),
                name=OPEN_TWIN_CONSTRAINT,
                violation_error_message=_(
                    "A registration for this customer and product already exists."),
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "registered_at"], name="deal_queue"),
            models.Index(fields=["tenant", "partner", "-registered_at"], name="deal_partner"),
            models.Index(fields=["tenant", "customer_domain"], name="deal_open_domain",
                         condition=models.Q(status__in=["submitted", "approved"])),
            models.Index(fields=["tenant", "customer_name_normalised"], name="deal_open_name",
                         condition=models.Q(status__in=["submitted", "approved"])),
            models.Index(fields=["tenant", "protection_expires_at"], name="deal_protection",
                         condition=models.Q(status="approved")),
        ]

    def __str__(self) -> str:
        return f"{self.customer_name} — {self.product_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def etag(self) -> str:
        return f'W/"deal-{self.pk}-{self.version}"'


class DealNameToken(NameToken):
    """One distinctive word, or pair of words (``prm.names.index_terms``), of an open
    deal's normalised customer name: where the conflict check finds similar names (rows
    go when the deal closes). A GIN index on the array column cannot serve: ``&&`` is not
    leakproof, so under row-level security PostgreSQL never uses it as an index condition
    and reads every deal of the tenant. Equality on ``(tenant, token)`` is leakproof.

    Each row also carries the lengths of the deal's normalised name and of its
    distinctive words, in the index, so the check drops names too long or too short to
    be similar before it visits any deal (see ``deals.conflicts``)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "token", "deal"],
                                               include=["name_length", "words_length"],
                                               name="deal_name_token_once")]

    @classmethod
    def rows_for(cls, deal: Deal) -> list[DealNameToken]:
        return cls.rows(deal.customer_name_normalised, deal.customer_name_tokens, deal=deal)


class DealConflict(TenantModel):
    """Why a registration was flagged: the matching open deal or direct customer."""

    class Reason(models.TextChoices):
        SAME_DOMAIN = "same_domain", _("Same customer domain")
        SIMILAR_NAME = "similar_name", _("Similar customer name")
        DIRECT_CUSTOMER = "direct_customer", _("Direct customer of the vendor")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="conflicts")
    other_deal = models.ForeignKey(Deal, on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="+")
    # A new direct-customer list must not erase why a deal was flagged.
    customer_account = models.ForeignKey(CustomerAccount, on_delete=models.SET_NULL,
                                         null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    score = models.PositiveSmallIntegerField(default=100)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["tenant", "deal"], name="deal_conflict_deal")]


class DealStatusChange(TenantModel):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["tenant", "deal", "created_at"],
                                name="deal_status_history")]


class DealStageChange(TenantModel):
    """From which stage to which, when and by whom: the raw material of velocity."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(DealStage, on_delete=models.PROTECT, null=True,
                                   related_name="+")
    to_stage = models.ForeignKey(DealStage, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["tenant", "deal", "created_at"],
                                name="deal_stage_history")]


class AutoApprovalRule(TenantModel):
    """Approve at once when every condition holds (and there is no possible conflict)."""

    name = models.CharField(_("name"), max_length=100)
    min_tier_rank = models.PositiveSmallIntegerField(_("minimum tier rank"), null=True,
                                                     blank=True)
    max_amount = models.DecimalField(_("maximum amount (reporting currency)"), max_digits=14,
                                     decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("auto-approval rule")

    def __str__(self) -> str:
        return self.name


class TimelineEntry(TenantModel):
    """One item of a deal's co-selling timeline."""

    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment")
        INTERNAL_NOTE = "internal_note", _("Internal note")
        ACTIVITY = "activity", _("Activity")
        NEXT_STEP = "next_step", _("Next step")

    class ActivityType(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("E-mail")
        DEMO = "demo", _("Demo")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    author = models.ForeignKey("prm.Membership", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("text"), blank=True)
    activity_type = models.CharField(_("activity"), max_length=20,
                                     choices=ActivityType.choices, blank=True)
    occurred_on = models.DateField(_("date"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)
    owner = models.ForeignKey("prm.Membership", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    due_on = models.DateField(_("due"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["tenant", "deal", "created_at"],
                                name="timeline_deal")]


class TimelineMention(TenantModel):
    entry = models.ForeignKey(TimelineEntry, on_delete=models.CASCADE, related_name="mentions")
    membership = models.ForeignKey("prm.Membership", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "entry", "membership"],
                                               name="timeline_mention_unique")]


class ActionPlanItem(TenantModel):
    """A step of the mutual action plan that both sides tick off."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="action_plan")
    title = models.CharField(_("step"), max_length=200)
    owner = models.ForeignKey("prm.Membership", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["tenant", "deal"], name="action_plan_deal")]
