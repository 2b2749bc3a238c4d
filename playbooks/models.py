"""One language and selling as documented steps: glossary, playbooks, content library."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prm.tenancy import TenantModel

LOCALES = [("en", _("English")), ("de", _("German"))]


class GlossaryTerm(TenantModel):
    """A term of the program's language, defined once for everyone."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    name = models.CharField(_("term"), max_length=120)
    definition = models.TextField(_("definition"))
    category = models.CharField(_("category"), max_length=60, blank=True)
    examples = models.TextField(_("examples"), blank=True)
    synonyms = models.JSONField(_("accepted synonyms"), default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("glossary term")
        ordering = [Lower("name")]
        constraints = [models.UniqueConstraint("tenant", Lower("name"),
                                               name="glossary_term_unique")]

    def __str__(self) -> str:
        return self.name


class GlossaryTranslation(TenantModel):
    """The term in another locale (the base record is in the program's own locale)."""

    term = models.ForeignKey(GlossaryTerm, on_delete=models.CASCADE, related_name="translations")
    locale = models.CharField(max_length=10, choices=LOCALES)
    name = models.CharField(_("term"), max_length=120)
    definition = models.TextField(_("definition"))
    examples = models.TextField(_("examples"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "term", "locale"],
                                               name="glossary_translation_unique")]


class DiscouragedPhrase(TenantModel):
    """A word or phrase not to use, with the preferred term and the reason."""

    term = models.ForeignKey(GlossaryTerm, on_delete=models.CASCADE, related_name="discouraged")
    phrase = models.CharField(_("discouraged word or phrase"), max_length=120)
    locale = models.CharField(max_length=10, choices=LOCALES, default="en")
    replacement = models.CharField(_("say instead"), max_length=120, blank=True,
                                   help_text=_("Defaults to the term itself."))
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint("tenant", "locale", Lower("phrase"),
                                               name="discouraged_phrase_unique")]


class Playbook(TenantModel):
    """A documented way of selling (e.g. "New logo — mid-market"), versioned."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    published_version = models.ForeignKey("PlaybookVersion", on_delete=models.SET_NULL,
                                          null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("playbook")
        constraints = [models.UniqueConstraint("tenant", Lower("name"),
                                               name="playbook_name_unique")]

    def __str__(self) -> str:
        return self.name


class PlaybookVersion(TenantModel):
    """A numbered version: one draft at a time, published ones are frozen."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "playbook", "number"],
                                    name="playbook_version_number_unique"),
            models.UniqueConstraint(fields=["tenant", "playbook"],
                                    condition=models.Q(published_at__isnull=True),
                                    name="playbook_one_draft"),
        ]

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class PlaybookStage(TenantModel):
    """A stage of a playbook version, bound to one of the tenant's deal stages."""

    version = models.ForeignKey(PlaybookVersion, on_delete=models.CASCADE, related_name="stages")
    deal_stage = models.ForeignKey("deals.DealStage", on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("deal stage"))
    entry_criteria = models.TextField(_("entry criteria (inputs)"), blank=True)
    exit_criteria = models.TextField(_("exit criteria (outputs)"), blank=True)
    talk_track = models.TextField(_("talk track"), blank=True,
                                  help_text=_("Markdown; {{ customer.name }} and "
                                              "{{ partner.name }} are filled in on deals."))
    objection_handling = models.TextField(_("objection handling"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "version", "deal_stage"],
                                               name="playbook_stage_unique")]


class StageActivity(TenantModel):
    """One checklist item of a playbook stage."""

    stage = models.ForeignKey(PlaybookStage, on_delete=models.CASCADE, related_name="activities")
    title = models.CharField(_("activity"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]


class PlaybookAcknowledgement(TenantModel):
    version = models.ForeignKey(PlaybookVersion, on_delete=models.CASCADE,
                                related_name="acknowledgements")
    membership = models.ForeignKey("prm.Membership", on_delete=models.CASCADE, related_name="+")
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "version", "membership"],
                                               name="playbook_ack_unique")]


class DealActivityCheck(TenantModel):
    """A playbook activity ticked off on a deal (the raw material of compliance)."""

    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(StageActivity, on_delete=models.CASCADE, related_name="+")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "deal", "activity"],
                                               name="deal_activity_check_unique")]


class ContentItem(TenantModel):
    """A document or link of the content library, visible by partner type and tier."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("link"), blank=True)
    file = models.FileField(_("file"), upload_to="content/%Y/%m/", blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    partner_types = models.JSONField(_("visible to partner types"), default=list, blank=True,
                                     help_text=_("Empty: every type."))
    min_tier_rank = models.PositiveSmallIntegerField(_("minimum tier rank"), null=True,
                                                     blank=True)
    stages = models.ManyToManyField("deals.DealStage", through="ContentStage", blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("content item")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ContentStage(TenantModel):
    content = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="+")
    deal_stage = models.ForeignKey("deals.DealStage", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "content", "deal_stage"],
                                               name="content_stage_unique")]
