from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from deals.models import DealStage, ProductLine
from deals.services import deal_submit
from prm.tenancy import tenant_scope
from tests.factories import DealStageFactory, MembershipFactory, ProductLineFactory


@dataclass
class Program:
    """The cast's program set up for deals: products, stages, and a second Northwind user."""

    cast: object
    cloud: ProductLine
    security: ProductLine
    stages: list[DealStage]
    northwind_user: object

    def submit(self, member=None, **overrides):
        member = member or self.cast.partner_admin
        values = {
            "customer_name": "Initrode GmbH", "customer_domain": "initrode.example",
            "customer_country": "DE", "product": self.cloud, "amount": Decimal("50000"),
            "currency": "EUR", "expected_close_date": timezone.localdate() + timedelta(days=60),
        }
        values.update(overrides)
        with tenant_scope(member.tenant):
            return deal_submit(member=member, partner=member.partner, **values)


@pytest.fixture
def program(cast) -> Program:
    cloud = ProductLineFactory(tenant=cast.acme, name="Cloud Suite")
    security = ProductLineFactory(tenant=cast.acme, name="Security Suite")
    stages = [DealStageFactory(tenant=cast.acme, name=name, rank=rank) for rank, name in
              enumerate(["Qualify", "Discover", "Propose", "Negotiate"], start=1)]
    northwind_user = MembershipFactory(tenant=cast.acme, role="partner_user",
                                       partner=cast.northwind)
    return Program(cast, cloud, security, stages, northwind_user)
