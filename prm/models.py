"""Platform core tables: tenants, users, memberships, invitations, API keys, events."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prm.tenancy import TenantModel

TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


class Tenant(models.Model):
    """A vendor running its partner program on the platform (global table)."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    default_currency = models.CharField(_("default currency"), max_length=3, default="EUR")
    locale = models.CharField(
        _("locale"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Berlin"
    )
    deal_protection_days = models.PositiveSmallIntegerField(
        _("deal protection days"), default=90
    )
    language_check_blocks = models.BooleanField(
        _("language findings block saving"), default=False,
        help_text=_("Off: findings only warn. On: text with discouraged words is refused."))
    stage_exceptions_allowed = models.BooleanField(
        _("allow stage moves with required activities undone"), default=True,
        help_text=_("On: allowed and recorded as an exception. Off: refused."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(slug__regex=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"),
                name="tenant_slug_is_hostname_label",
                violation_error_message=_("A slug is lower-case letters, digits and dashes."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person. Global: one person may belong to several tenants through memberships."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, blank=True,
        help_text=_("Leave empty to use your program's time zone."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    TENANT_ADMIN = "tenant_admin", _("Tenant admin")
    CHANNEL_MANAGER = "channel_manager", _("Channel manager")
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    PARTNER_USER = "partner_user", _("Partner user")


VENDOR_ROLES = frozenset({Role.TENANT_ADMIN, Role.CHANNEL_MANAGER})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER})


class Membership(TenantModel):
    """A user's one role in one tenant."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="memberships",
        help_text=_("The partner organisation of a partner admin or partner user."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=["partner_admin", "partner_user"], partner__isnull=False)
                    | models.Q(role__in=["tenant_admin", "channel_manager"],
                               partner__isnull=True)
                ),
                name="membership_partner_matches_role",
                violation_error_message=_("Partner roles belong to a partner; vendor roles don't."),
            ),
            models.UniqueConstraint(
                fields=["tenant", "user"],
                name="membership_one_per_user_and_tenant",
                violation_error_message=_("This person is already a member."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_vendor(self) -> bool:
        return self.role in VENDOR_ROLES

    @property
    def is_partner(self) -> bool:
        return self.role in PARTNER_ROLES


class Invitation(TenantModel):
    """An e-mailed offer to join the tenant with a role; the link expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.CASCADE, null=True,
        blank=True, related_name="+",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                "tenant", Lower("email"),
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_email",
                violation_error_message=_("This address already has a pending invitation."),
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status", "-created_at"])]

    def __str__(self) -> str:
        return self.email

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class ApiKey(TenantModel):
    """A tenant-bound API key. Only a SHA-256 of the secret is stored; the key is shown once."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16)
    hashed_secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "prefix"], name="apikey_prefix_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Event(TenantModel):
    """One domain event: audit trail, outbox and raw material of analytics.

    Append-only: a database trigger refuses deletes and any update other than the
    outbox's delivery bookkeeping.
    """

    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    verb = models.CharField(_("event"), max_length=64)
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="event_tenant_created"),
            models.Index(fields=["tenant", "verb", "-created_at"], name="event_tenant_verb"),
            models.Index(
                fields=["tenant", "created_at"], name="event_undelivered",
                condition=models.Q(delivered_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verb} {self.subject_type}:{self.subject_id}"


class IdempotencyRecord(TenantModel):
    """The first response to a POST carrying an ``Idempotency-Key``."""

    key = models.CharField(max_length=255)
    caller = models.CharField(max_length=64)  # "user:<id>" or "apikey:<id>"
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "caller", "key"], name="idempotency_key_unique"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return self.key
