"""Writes of the platform core. Keyword-only, one transaction each, each records its events."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.errors import DomainError, InvalidInput
from prm.events import record_event
from prm.models import PARTNER_ROLES, ApiKey, Invitation, Membership, Role, Tenant, User
from prm.tenancy import require_tenant

INVITATION_SALT = "prm.invitation"
API_KEY_PREFIX = "prm"


# --- people and memberships ------------------------------------------------------

def _user_get_or_create(*, email: str, full_name: str = "", password: str | None = None,
                        verified: bool = True) -> User:
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    if verified:
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    return user


def _check_role(role: str, partner) -> None:
    if role not in Role.values:
        raise InvalidInput(_("Unknown role."), field="role")
    if role in PARTNER_ROLES and partner is None:
        raise InvalidInput(_("Partner roles belong to a partner: choose one."), field="partner")
    if role not in PARTNER_ROLES and partner is not None:
        raise InvalidInput(_("Vendor roles do not belong to a partner."), field="partner")


@transaction.atomic
def membership_create(*, actor, email: str, role: str, partner=None,
                      password: str | None = None, full_name: str = "") -> Membership:
    """Make a person (new or existing) a member of the current tenant with ``role``."""
    _check_role(role, partner)
    user = _user_get_or_create(email=email, full_name=full_name, password=password)
    membership = Membership.objects.filter(user=user).first()
    if membership is not None:
        if (membership.role, membership.partner_id, membership.is_active) != (
                role, getattr(partner, "pk", None), True):
            return membership_update(actor=actor, membership=membership, role=role,
                                     partner=partner, is_active=True)
        return membership
    membership = Membership.objects.create(user=user, role=role, partner=partner)
    record_event(actor=actor, verb="membership.created", subject=membership,
                 data={"email": user.email, "role": role,
                       "partner": getattr(partner, "pk", None)})
    return membership


def _active_admins_excluding(membership: Membership) -> int:
    return (Membership.objects.filter(role=Role.TENANT_ADMIN, is_active=True)
            .exclude(pk=membership.pk).count())


_UNCHANGED = object()


@transaction.atomic
def membership_update(*, actor, membership: Membership, role: str | None = None,
                      partner=_UNCHANGED, is_active: bool | None = None) -> Membership:
    """Change a member's role (and partner) or (de)activate them.

    The last active tenant admin must stay. Moving between vendor and partner roles
    needs the partner to match (given, or kept from before).
    """
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    new_role = role if role is not None else membership.role
    new_active = is_active if is_active is not None else membership.is_active
    new_partner = membership.partner if partner is _UNCHANGED else partner
    if new_role not in PARTNER_ROLES and partner is _UNCHANGED:
        new_partner = None
    _check_role(new_role, new_partner)
    losing_admin = membership.role == Role.TENANT_ADMIN and membership.is_active and (
        new_role != Role.TENANT_ADMIN or not new_active
    )
    if losing_admin and _active_admins_excluding(membership) == 0:
        raise DomainError(_("The program needs at least one active tenant admin."),
                          code="last_admin")
    changes = {}
    if new_role != membership.role or getattr(new_partner, "pk", None) != membership.partner_id:
        changes["role"] = {"from": membership.role, "to": new_role}
        if getattr(new_partner, "pk", None) != membership.partner_id:
            changes["role"]["partner"] = getattr(new_partner, "pk", None)
        membership.role = new_role
        membership.partner = new_partner
    if new_active != membership.is_active:
        changes["is_active"] = {"from": membership.is_active, "to": new_active}
        membership.is_active = new_active
    if changes:
        membership.save(update_fields=["role", "partner", "is_active"])
        if "role" in changes:
            record_event(actor=actor, verb="membership.role_changed", subject=membership,
                         data=changes["role"])
        if "is_active" in changes:
            verb = "membership.reactivated" if new_active else "membership.deactivated"
            record_event(actor=actor, verb=verb, subject=membership, data={})
        if not new_active:
            ApiKey.objects.filter(membership=membership, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
    return membership


# --- invitations -----------------------------------------------------------------

def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "t": invitation.tenant_id}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation | None:
    """The pending, unexpired invitation of the current tenant that ``token`` names."""
    tenant = require_tenant()
    try:
        payload = signing.loads(token, salt=INVITATION_SALT,
                                max_age=timedelta(days=settings.PRM_INVITATION_DAYS))
    except signing.BadSignature:
        return None
    if payload.get("t") != tenant.pk:
        return None
    invitation = Invitation.objects.filter(pk=payload.get("i")).first()
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        return None
    return None if invitation.is_expired else invitation


@transaction.atomic
def invitation_create(*, actor, email: str, role: str, partner=None) -> Invitation:
    """Invite ``email`` with ``role``; the e-mail goes out after commit via the outbox."""
    email = User.objects.normalize_email(email).strip().lower()
    _check_role(role, partner)
    if Membership.objects.filter(user__email__iexact=email, is_active=True).exists():
        raise InvalidInput(_("This person is already a member."), field="email")
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                email=email, role=role, partner=partner, invited_by=actor,
                expires_at=timezone.now() + timedelta(days=settings.PRM_INVITATION_DAYS),
            )
    except IntegrityError:
        raise InvalidInput(_("This address already has a pending invitation."),
                           field="email") from None
    record_event(actor=actor, verb="invitation.created", subject=invitation,
                 data={"email": email, "role": role, "partner": getattr(partner, "pk", None)})
    return invitation


@transaction.atomic
def invitation_revoke(*, actor, invitation: Invitation) -> Invitation:
    updated = Invitation.objects.filter(
        pk=invitation.pk, status=Invitation.Status.PENDING
    ).update(status=Invitation.Status.REVOKED)
    if not updated:
        raise DomainError(_("Only a pending invitation can be revoked."))
    invitation.refresh_from_db()
    record_event(actor=actor, verb="invitation.revoked", subject=invitation,
                 data={"email": invitation.email})
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, full_name: str = "",
                      password: str | None = None) -> Membership:
    """Accept: the e-mailed link proves the address, so it is marked verified."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING or invitation.is_expired:
        raise DomainError(_("This invitation is no longer valid."), code="invitation_invalid")
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is None and not password:
        raise InvalidInput(_("Choose a password."), field="password")
    user = _user_get_or_create(email=invitation.email, full_name=full_name,
                               password=None if existing else password)
    membership = Membership.objects.filter(user=user).first()
    if membership is None:
        membership = Membership.objects.create(user=user, role=invitation.role,
                                               partner=invitation.partner)
        record_event(actor=user, verb="membership.created", subject=membership,
                     data={"email": user.email, "role": invitation.role,
                           "partner": invitation.partner_id, "invitation": invitation.pk})
    else:
        membership = membership_update(actor=user, membership=membership, role=invitation.role,
                                       partner=invitation.partner, is_active=True)
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.membership = membership
    invitation.save(update_fields=["status", "accepted_at", "membership"])
    record_event(actor=user, verb="invitation.accepted", subject=invitation,
                 data={"email": invitation.email})
    return membership


# --- API keys --------------------------------------------------------------------

def hash_secret(secret: str) -> str:
    # Keys carry 256 bits of randomness: a fast hash is right (a slow one would only
    # slow every API call); a leaked table still reveals no usable key.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, actor, membership: Membership, name: str) -> tuple[ApiKey, str]:
    """Create a key for ``membership``. Returns the row and the key, which is shown once."""
    name = name.strip()
    if not name:
        raise InvalidInput(_("Give the key a name."), field="name")
    if not membership.is_active:
        raise DomainError(_("An inactive member cannot own API keys."))
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        membership=membership, name=name, prefix=prefix,
        hashed_secret=hash_secret(secret),
    )
    record_event(actor=actor, verb="api_key.created", subject=key,
                 data={"name": name, "prefix": prefix, "owner": membership.user.email})
    return key, f"{API_KEY_PREFIX}_{prefix}_{secret}"


@transaction.atomic
def api_key_revoke(*, actor, api_key: ApiKey) -> ApiKey:
    updated = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    api_key.refresh_from_db()
    if updated:
        record_event(actor=actor, verb="api_key.revoked", subject=api_key,
                     data={"name": api_key.name, "prefix": api_key.prefix})
    return api_key


# --- tenants (operators) ---------------------------------------------------------

@transaction.atomic
def tenant_create(*, slug: str, name: str, **settings_fields) -> Tenant:
    tenant = Tenant(slug=slug.strip().lower(), name=name.strip(), **settings_fields)
    tenant.full_clean()
    tenant.save()
    return tenant


PROGRAM_SETTINGS = ("name", "locale", "time_zone", "deal_protection_days",
                    "language_check_blocks", "stage_exceptions_allowed")


@transaction.atomic
def tenant_settings_update(*, actor, tenant: Tenant, **changes) -> Tenant:
    """A tenant admin's change of the program settings; records what changed, from and to."""
    unknown = set(changes) - set(PROGRAM_SETTINGS)
    if unknown:
        raise InvalidInput(_("These settings cannot be changed here: %s.")
                           % ", ".join(sorted(unknown)))
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    changed = {name: {"from": getattr(tenant, name), "to": value}
               for name, value in changes.items() if getattr(tenant, name) != value}
    if not changed:
        return tenant
    for name, change in changed.items():
        setattr(tenant, name, change["to"])
    try:
        tenant.full_clean(exclude=["slug"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise InvalidInput(messages[0], field=field) from error
    tenant.save(update_fields=list(changed))
    record_event(actor=actor, verb="tenant.settings_changed", subject=tenant, data=changed)
    return tenant

