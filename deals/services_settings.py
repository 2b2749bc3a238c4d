"""Writes of the deal program settings: product lines, deal stages, auto-approval rules.

Exchange rates and the direct-customer list are written by ``deals.services``
(``exchange_rate_set``, ``customer_accounts_replace``).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from deals.models import AutoApprovalRule, DealStage, ProductLine
from prm.errors import DomainError, InvalidInput
from prm.events import record_event


def _name(value: str, *, taken) -> str:
    """A stripped, non-empty name that no other row of ``taken`` (a queryset) uses."""
    name = (value or "").strip()
    if not name:
        raise InvalidInput(_("Enter a name."), field="name")
    if taken.filter(name__iexact=name).exists():
        raise InvalidInput(_("This name is already in use."), field="name")
    return name


def _save(obj, **kwargs) -> None:
    """Save; a twin created concurrently is refused by the unique constraint."""
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError:
        raise InvalidInput(_("This name is already in use."), field="name") from None


# --- product lines --------------------------------------------------------------------

@transaction.atomic
def product_line_create(*, actor, name: str) -> ProductLine:
    product = ProductLine(name=_name(name, taken=ProductLine.objects.all()))
    _save(product)
    record_event(actor=actor, verb="product_line.created", subject=product,
                 data={"name": product.name})
    return product


@transaction.atomic
def product_line_update(*, actor, product: ProductLine, name: str,
                        is_active: bool) -> ProductLine:
    """Rename or (de)activate. A deactivated line keeps its deals; new ones can't use it."""
    product = ProductLine.objects.select_for_update().get(pk=product.pk)
    name = _name(name, taken=ProductLine.objects.exclude(pk=product.pk))
    diff = {field: {"from": getattr(product, field), "to": value}
            for field, value in (("name", name), ("is_active", is_active))
            if getattr(product, field) != value}
    if diff:
        product.name, product.is_active = name, is_active
        _save(product, update_fields=["name", "is_active"])
        record_event(actor=actor, verb="product_line.updated", subject=product, data=diff)
    return product


# --- deal stages ----------------------------------------------------------------------

@transaction.atomic
def deal_stage_create(*, actor, name: str) -> DealStage:
    """A new stage at the end of the sales process (move it up afterwards)."""
    name = _name(name, taken=DealStage.objects.all())
    # Lock the existing stages, so two admins adding at once don't both take the same rank.
    list(DealStage.objects.select_for_update().values_list("pk", flat=True))
    rank = (DealStage.objects.aggregate(top=Max("rank"))["top"] or 0) + 1
    stage = DealStage(name=name, rank=rank)
    _save(stage)
    record_event(actor=actor, verb="deal_stage.created", subject=stage,
                 data={"name": stage.name, "rank": rank})
    return stage


@transaction.atomic
def deal_stage_rename(*, actor, stage: DealStage, name: str) -> DealStage:
    stage = DealStage.objects.select_for_update().get(pk=stage.pk)
    name = _name(name, taken=DealStage.objects.exclude(pk=stage.pk))
    if name != stage.name:
        record_event(actor=actor, verb="deal_stage.renamed", subject=stage,
                     data={"from": stage.name, "to": name})
        stage.name = name
        _save(stage, update_fields=["name"])
    return stage


@transaction.atomic
def deal_stage_move(*, actor, stage: DealStage, direction: str) -> DealStage:
    """Swap the stage's rank with its neighbour's ("up" is earlier in the process)."""
    if direction not in ("up", "down"):
        raise InvalidInput(_("Move a stage up or down."), field="direction")
    stages = list(DealStage.objects.select_for_update().order_by("rank"))
    index = next((i for i, s in enumerate(stages) if s.pk == stage.pk), None)
    if index is None:
        raise DomainError(_("This stage no longer exists."), code="not_found")
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(stages):
        raise DomainError(_("The stage is already at that end."), code="at_the_end")
    stage, other = stages[index], stages[other_index]
    stage_rank, other_rank = stage.rank, other.rank
    # (tenant, rank) is unique and checked per statement: park one stage at 0 first.
    other.rank = 0
    other.save(update_fields=["rank"])
    stage.rank = other_rank
    stage.save(update_fields=["rank"])
    other.rank = stage_rank
    other.save(update_fields=["rank"])
    record_event(actor=actor, verb="deal_stage.moved", subject=stage,
                 data={"name": stage.name, "rank": stage.rank, "swapped_with": other.pk})
    return stage


# --- auto-approval rules ----------------------------------------------------------------

RULE_FIELDS = ("name", "min_tier_rank", "max_amount", "is_active")


def _rule_values(name: str, min_tier_rank: int | None, max_amount: Decimal | None,
                 is_active: bool) -> dict:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter a name."), field="name")
    if max_amount is not None and max_amount < 0:
        raise InvalidInput(_("The amount cannot be negative."), field="max_amount")
    if min_tier_rank is not None and min_tier_rank < 1:
        raise InvalidInput(_("Choose one of the tiers."), field="min_tier_rank")
    return {"name": name, "min_tier_rank": min_tier_rank, "max_amount": max_amount,
            "is_active": is_active}


@transaction.atomic
def auto_approval_rule_create(*, actor, name: str, min_tier_rank: int | None = None,
                              max_amount: Decimal | None = None,
                              is_active: bool = True) -> AutoApprovalRule:
    """Approve conflict-free registrations at once when the partner's tier and the amount fit."""
    rule = AutoApprovalRule.objects.create(
        **_rule_values(name, min_tier_rank, max_amount, is_active))
    record_event(actor=actor, verb="auto_approval_rule.created", subject=rule,
                 data={k: str(getattr(rule, k)) for k in RULE_FIELDS})
    return rule


@transaction.atomic
def auto_approval_rule_update(*, actor, rule: AutoApprovalRule, name: str,
                              min_tier_rank: int | None = None,
                              max_amount: Decimal | None = None,
                              is_active: bool = True) -> AutoApprovalRule:
    rule = AutoApprovalRule.objects.select_for_update().get(pk=rule.pk)
    values = _rule_values(name, min_tier_rank, max_amount, is_active)
    diff = {k: {"from": str(getattr(rule, k)), "to": str(v)} for k, v in values.items()
            if getattr(rule, k) != v}
    if diff:
        for field, value in values.items():
            setattr(rule, field, value)
        rule.save(update_fields=list(RULE_FIELDS))
        record_event(actor=actor, verb="auto_approval_rule.updated", subject=rule, data=diff)
    return rule
