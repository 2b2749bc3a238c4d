"""Factories. Tenant-owned rows are created inside their tenant's scope."""

from __future__ import annotations

import factory

from partners.models import Partner, PartnerType, Tier
from prm.models import PARTNER_ROLES, Membership, Role, Tenant, User
from prm.tenancy import tenant_scope

TEST_PASSWORD = "correct-horse-battery-2026"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tenant{n}")
    name = factory.LazyAttribute(lambda o: f"{o.slug.title()} Inc")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):
        if create:
            self.save()


class TenantScopedFactory(factory.django.DjangoModelFactory):
    """Creates the row inside ``tenant_scope(tenant)``; pass ``tenant=``."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, tenant, **kwargs):
        with tenant_scope(tenant):
            return super()._create(model_class, *args, tenant=tenant, **kwargs)


class TierFactory(TenantScopedFactory):
    class Meta:
        model = Tier

    tenant = factory.SubFactory(TenantFactory)
    rank = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"Level {o.rank}")


class PartnerFactory(TenantScopedFactory):
    class Meta:
        model = Partner

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Partner {n} Ltd")
    domain = factory.Sequence(lambda n: f"partner{n}.example")
    website = factory.LazyAttribute(lambda o: f"https://{o.domain}")
    country = "DE"
    region = "emea"
    partner_type = PartnerType.RESELLER
    status = "active"


class MembershipFactory(TenantScopedFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.PARTNER_USER
    partner = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role in PARTNER_ROLES),
        yes_declaration=factory.SubFactory(PartnerFactory,
                                           tenant=factory.SelfAttribute("..tenant")),
        no_declaration=None,
    )


class ProductLineFactory(TenantScopedFactory):
    class Meta:
        model = "deals.ProductLine"

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Product {n}")


class DealStageFactory(TenantScopedFactory):
    class Meta:
        model = "deals.DealStage"

    tenant = factory.SubFactory(TenantFactory)
    rank = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"Stage {o.rank}")
