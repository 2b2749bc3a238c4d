"""Demo playbook: "New logo — mid-market", six stages bound to the tenant's deal stages in
rank order, published, acknowledged by some partner people, with a few activities ticked on
open demo deals. Idempotent: does nothing once the tenant has a playbook."""

from __future__ import annotations

from dataclasses import dataclass

from deals.models import Deal, DealStage
from deals.services_settings import deal_stage_create
from playbooks import services
from playbooks.models import Playbook, PlaybookStage
from prm.models import PARTNER_ROLES, Membership, Role, Tenant
from prm.tenancy import tenant_scope

NAME = "New logo — mid-market"
STAGE_NAMES = ["Qualify", "Discover", "Propose", "Negotiate", "Commit", "Onboard"]


@dataclass(frozen=True)
class StageText:
    entry: str
    exit: str
    talk_track: str
    objections: str
    activities: tuple[tuple[str, bool], ...]  # (title, required)


STAGES = [
    StageText(
        entry="- A named contact at the customer has agreed to a first call.\n"
              "- The company has **200 to 2,000 employees**.",
        exit="- Budget, authority, need and timing (**BANT**) are confirmed in writing.\n"
             "- The registration is submitted, so the deal is protected.",
        talk_track="Hello {{ contact.name }}, thank you for the time. At {{ partner.name }} we "
                   "help companies like **{{ customer.name }}** run their operations on "
                   "{{ product.name }}.\n\n"
                   "Before I say more about us, may I ask three questions?\n\n"
                   "1. What made you take this call now?\n"
                   "2. Who else cares about solving this?\n"
                   "3. What happens if nothing changes this year?",
        objections="**“We are happy with our current tool.”**  \n"
                   "Ask what they would change if they could; most teams have a list.\n\n"
                   "**“Send me some material.”**  \n"
                   "Agree, and ask which problem the material should address, so you send "
                   "the right case study.",
        activities=(("Confirm budget, authority, need and timing", True),
                    ("Register the deal in the portal", True),
                    ("Check the customer's size and industry fit", False)),
    ),
    StageText(
        entry="- BANT confirmed.\n- The registration is approved.",
        exit="- The customer agrees with a written summary of their pains and goals.\n"
             "- The buying committee is known by name.",
        talk_track="{{ contact.name }}, here is what I heard: {{ customer.name }} wants to "
                   "cut the time its teams spend on manual work, and the current setup "
                   "does not scale.\n\n"
                   "> Did I get that right? What did I miss?\n\n"
                   "Who else should be in the room when we show how {{ product.name }} "
                   "solves this?",
        objections="**“We need to involve IT first.”**  \n"
                   "Offer a short technical session with the vendor's solution engineer; "
                   "request one in the portal.",
        activities=(("Run a discovery workshop", True),
                    ("Map the buying committee", True),
                    ("Send the written summary of pains and goals", True),
                    ("Share a matching case study", False)),
    ),
    StageText(
        entry="- The pains and goals summary is agreed.\n"
              "- The decision maker will attend the proposal meeting.",
        exit="- The customer has the proposal and has walked through it with you.\n"
             "- Next steps and a decision date are agreed.",
        talk_track="Thank you for having us, {{ contact.name }}. This proposal for "
                   "{{ customer.name }} covers the goals we agreed on; the investment is "
                   "**{{ deal.amount }}**.\n\n"
                   "Let's walk through it goal by goal, and stop me wherever something does "
                   "not fit.",
        objections="**“That is more than we planned.”**  \n"
                   "Go back to the cost of the problem you wrote down together. Never "
                   "discount in the meeting; ask your channel manager first.\n\n"
                   "**“Your competitor is cheaper.”**  \n"
                   "Ask what exactly is included in their offer; compare outcomes, not "
                   "line items.",
        activities=(("Present the proposal to the decision maker", True),
                    ("Agree on the decision date", True),
                    ("Ask the channel manager about special pricing", False)),
    ),
    StageText(
        entry="- The customer has the proposal and a decision date.",
        exit="- Commercial terms are agreed.\n"
             "- Legal and procurement have everything they need.",
        talk_track="{{ contact.name }}, what stands between {{ customer.name }} and a "
                   "signature today? Let's list it together, and I will own every item on "
                   "our side.",
        objections="**“Legal needs changes to the contract.”**  \n"
                   "Collect all changes in one round and send them to your channel manager; "
                   "the vendor's legal team answers within five working days.",
        activities=(("Agree the commercial terms", True),
                    ("Send the contract to the customer's legal team", True),
                    ("Log the discount approval, if any", False)),
    ),
    StageText(
        entry="- Commercial terms agreed; the contract is with the customer.",
        exit="- The contract is signed by both sides.\n"
             "- The order is placed with the vendor.",
        talk_track="{{ contact.name }}, everything is in place. Once you sign, "
                   "{{ partner.name }} and the vendor start onboarding within a week: here "
                   "is the plan for the first 30 days.",
        objections="**“We need to wait until next quarter.”**  \n"
                   "Ask what changes next quarter. If it is budget, offer a start date "
                   "then with today's terms.",
        activities=(("Get the signed contract", True),
                    ("Place the order with the vendor", True),
                    ("Introduce the customer to the onboarding team", False)),
    ),
    StageText(
        entry="- The contract is signed and the order placed.",
        exit="- The customer is live and has confirmed the first goal is met.\n"
             "- A reference or case study is agreed, where the customer is willing.",
        talk_track="Welcome on board, {{ contact.name }}! Over the next weeks we will set "
                   "up {{ product.name }} for {{ customer.name }}. Our first goal together: "
                   "the one you named in our very first call.",
        objections="**“Our team has no time for training.”**  \n"
                   "Offer the short self-paced modules; they take 20 minutes each.",
        activities=(("Hold the kick-off meeting", True),
                    ("Confirm the first goal is met", True),
                    ("Ask for a reference or case study", False),
                    ("Plan the first quarterly review", False)),
    ),
]


def _deal_stages() -> list[DealStage]:
    """The tenant's first six deal stages by rank; missing ones are added at the end."""
    stages = list(DealStage.objects.order_by("rank")[:6])
    taken = {stage.name.casefold() for stage in DealStage.objects.all()}
    for name in STAGE_NAMES:
        if len(stages) >= 6:
            break
        if name.casefold() not in taken:
            stages.append(deal_stage_create(actor=None, name=name))
            taken.add(name.casefold())
    return stages


def seed(*, tenant_slug: str) -> Playbook | None:
    """Idempotent: nothing happens when the tenant has a playbook already."""
    tenant = Tenant.objects.get(slug=tenant_slug)
    with tenant_scope(tenant):
        if Playbook.objects.exists():
            return None
        admin = (Membership.objects.filter(role=Role.TENANT_ADMIN, is_active=True)
                 .select_related("user").order_by("pk").first())
        actor = admin.user if admin else None
        deal_stages = _deal_stages()
        playbook = services.playbook_create(
            actor=actor, name=NAME, deal_stages=deal_stages,
            description="How we win new mid-market customers together, from the first call "
                        "to a customer who is live and happy.")
        draft, _created = services.draft_get_or_create(actor=actor, playbook=playbook)
        stages = {s.deal_stage_id: s for s in PlaybookStage.objects.filter(version=draft)}
        for deal_stage, text in zip(deal_stages, STAGES, strict=False):
            stage = stages[deal_stage.pk]
            services.stage_update(actor=actor, stage=stage, entry_criteria=text.entry,
                                  exit_criteria=text.exit, talk_track=text.talk_track,
                                  objection_handling=text.objections)
            for title, required in text.activities:
                services.activity_add(actor=actor, stage=stage, title=title, required=required)
        version = services.draft_publish(actor=actor, version=draft,
                                         change_note="First version of the playbook.")
        people = list(Membership.objects.filter(role__in=PARTNER_ROLES, is_active=True)
                      .order_by("pk"))
        for index, member in enumerate(people):
            if index % 2 == 0:
                services.version_acknowledge(member=member, version=version)
        _tick_some(stages, deal_stages)
        return playbook


def _tick_some(stages: dict[int, PlaybookStage], deal_stages: list[DealStage]) -> None:
    """Tick part of the checklist on some open demo deals, so the panel shows progress."""
    deals = (Deal.objects.filter(status__in=["submitted", "approved"],
                                 stage__in=deal_stages)
             .select_related("registered_by__user").order_by("pk")[:40])
    for index, deal in enumerate(deals):
        activities = list(stages[deal.stage_id].activities.order_by("position"))
        for activity in activities[: index % (len(activities) + 1)]:
            services.deal_activity_tick(member=deal.registered_by, deal=deal, activity=activity)
