"""Partner organisations, their program levels (tiers), applications and imports."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from prm.tenancy import TenantModel


class PartnerType(models.TextChoices):
    RESELLER = "reseller", _("Reseller")
    REFERRAL = "referral", _("Referral")
    TECHNOLOGY = "technology", _("Technology")
    MSP = "msp", _("Managed service provider")
    DISTRIBUTOR = "distributor", _("Distributor")


class Region(models.TextChoices):
    EMEA = "emea", _("Europe, Middle East and Africa")
    NORTH_AMERICA = "north_america", _("North America")
    LATAM = "latam", _("Latin America")
    APAC = "apac", _("Asia-Pacific")


class PartnerStatus(models.TextChoices):
    APPLIED = "applied", pgettext_lazy("partner status", "Applied")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    ONBOARDING = "onboarding", _("Onboarding")
    ACTIVE = "active", _("Active")
    AT_RISK = "at_risk", _("At risk")
    INACTIVE = "inactive", _("Inactive")


class Tier(TenantModel):
    """A program level. ``rank`` orders them (1 = entry level); requirements are data."""

    name = models.CharField(_("name"), max_length=60)
    rank = models.PositiveSmallIntegerField(_("rank"), validators=[MinValueValidator(1)])
    benefits = models.TextField(_("benefits"), blank=True)
    discount_percent = models.DecimalField(
        _("discount or margin (%)"), max_digits=5, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    min_revenue_12m = models.DecimalField(
        _("minimum won revenue, trailing 12 months"), max_digits=14, decimal_places=2,
        default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
    )
    min_certified_people = models.PositiveIntegerField(_("minimum certified people"), default=0)
    min_deals_won = models.PositiveIntegerField(_("minimum deals won"), default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "rank"], name="tier_rank_unique",
                                    violation_error_message=_("Another tier has this rank.")),
            models.UniqueConstraint("tenant", Lower("name"), name="tier_name_unique",
                                    violation_error_message=_("Another tier has this name.")),
        ]

    def __str__(self) -> str:
        return self.name


class Specialisation(TenantModel):
    """A tenant-defined tag for what partners are good at (e.g. "Cloud migration")."""

    name = models.CharField(_("name"), max_length=80)

    class Meta:
        verbose_name = _("specialisation")
        verbose_name_plural = _("specialisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="specialisation_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Partner(TenantModel):
    """A company in the vendor's partner program."""

    name = models.CharField(_("name"), max_length=200)
    website = models.URLField(_("website"), max_length=300, blank=True)  # as applications
    domain = models.CharField(_("domain"), max_length=253, blank=True,
                              help_text=_("Normalised primary domain, e.g. example.com"))
    country = CountryField(_("country"), blank=True)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, blank=True)
    partner_type = models.CharField(_("type"), max_length=20, choices=PartnerType.choices)
    tier = models.ForeignKey(Tier, verbose_name=_("tier"), on_delete=models.PROTECT,
                             null=True, blank=True, related_name="partners")
    manager = models.ForeignKey("prm.Membership", verbose_name=_("channel manager"),
                                on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="managed_partners")
    status = models.CharField(_("status"), max_length=20, choices=PartnerStatus.choices,
                              default=PartnerStatus.APPROVED)
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "domain"], condition=~models.Q(domain=""),
                name="partner_domain_unique",
                violation_error_message=_("A partner with this domain is already in the program."),
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"], name="partner_status"),
            models.Index("tenant", Lower("name"), name="partner_name"),
            models.Index(fields=["tenant", "tier"], name="partner_tier"),
            models.Index(fields=["tenant", "manager"], name="partner_manager"),
        ]

    def __str__(self) -> str:
        return self.name


class PartnerSpecialisation(TenantModel):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    specialisation = models.ForeignKey(Specialisation, on_delete=models.CASCADE,
                                       related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "partner", "specialisation"],
                                    name="partner_specialisation_unique"),
        ]


Partner.add_to_class(
    "specialisations",
    models.ManyToManyField(Specialisation, through=PartnerSpecialisation, blank=True,
                           related_name="partners", verbose_name=_("specialisations")),
)


class PartnerStatusChange(TenantModel):
    """The lifecycle history of a partner: every transition, who made it, and why."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=PartnerStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=PartnerStatus.choices)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["tenant", "partner", "-created_at"],
                                name="partner_status_history")]


class PartnerApplication(TenantModel):
    """A company asking to join the program through the public application page."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    company_name = models.CharField(_("company"), max_length=200)
    website = models.CharField(_("website"), max_length=300)
    domain = models.CharField(max_length=253)
    country = CountryField(_("country"))
    partner_type = models.CharField(_("partner type"), max_length=20,
                                    choices=PartnerType.choices)
    regions = models.JSONField(_("regions"), default=list)
    specialisations = models.JSONField(_("specialisations"), default=list)
    contact_name = models.CharField(_("your name"), max_length=200)
    contact_email = models.EmailField(_("your e-mail address"))
    contact_phone = models.CharField(_("phone"), max_length=40, blank=True)
    message = models.TextField(_("why do you want to partner with us?"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    existing_partner = models.ForeignKey(Partner, on_delete=models.SET_NULL, null=True,
                                         blank=True, related_name="+",
                                         help_text=_("A partner with this domain already exists."))
    partner = models.ForeignKey(Partner, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="applications")
    review_note = models.TextField(_("note"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("partner application")
        verbose_name_plural = _("partner applications")
        indexes = [models.Index(fields=["tenant", "status", "created_at"],
                                name="application_queue")]

    def __str__(self) -> str:
        return self.company_name


class PartnerImport(TenantModel):
    """An uploaded CSV of partners: checked in a dry run, then applied all-or-nothing."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        APPLYING = "applying", _("Applying")
        APPLIED = "applied", pgettext_lazy("import status", "Applied")
        FAILED = "failed", _("Failed")

    filename = models.CharField(max_length=255)
    content = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CHECKING)
    total_rows = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    to_create = models.PositiveIntegerField(default=0)
    to_update = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "-created_at"], name="partner_import_recent")]

    def __str__(self) -> str:
        return self.filename
