"""Forms of the playbook pages: they validate input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from deals.models import DealStage
from playbooks.forms_glossary import checked_textarea
from playbooks.markdown import VARIABLES
from playbooks.services import MAX_TEXT
from prm.errors import DomainError
from prm.tenancy import require_tenant

TEXTS = {
    "entry_criteria": (_("Entry criteria (inputs)"),
                       _("What must be true before a deal enters this stage.")),
    "exit_criteria": (_("Exit criteria (outputs)"),
                      _("What must be true before the deal moves on.")),
    "talk_track": (_("Talk track"), None),
    "objection_handling": (_("Objection handling"),
                           _("Objections partners hear at this stage, and good answers.")),
}


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def talk_track_help() -> str:
    names = ", ".join(f"{{{{ {name} }}}}" for name in VARIABLES)
    return str(_("Markdown. These variables are filled in from the deal: %s.") % names)


class PlaybookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class StageForm(forms.Form):
    """One stage of the draft; its long texts are checked for discouraged words live."""

    deal_stage = forms.ModelChoiceField(label=_("Deal stage"), queryset=None,
                                        empty_label=None)
    entry_criteria = forms.CharField(required=False, max_length=MAX_TEXT)
    exit_criteria = forms.CharField(required=False, max_length=MAX_TEXT)
    talk_track = forms.CharField(required=False, max_length=MAX_TEXT)
    objection_handling = forms.CharField(required=False, max_length=MAX_TEXT)

    def __init__(self, *args, stages=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deal_stage"].queryset = DealStage.objects.order_by("rank")
        if stages is not None:  # the choices, already read once for every stage of the page
            self.fields["deal_stage"].choices = [(s.pk, s.name) for s in stages]
        locale = require_tenant().locale
        for name, (label, help_text) in TEXTS.items():
            field = self.fields[name]
            field.label = label
            field.help_text = talk_track_help() if name == "talk_track" else help_text
            # The live language check (static/js/language-check.js), as everywhere else.
            field.widget = checked_textarea(locale, rows=6 if name == "talk_track" else 4)


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("Activity"), max_length=200)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)


class ActivityMoveForm(forms.Form):
    offset = forms.TypedChoiceField(choices=[("-1", "up"), ("1", "down")], coerce=int)


class StageAddForm(forms.Form):
    deal_stage = forms.ModelChoiceField(label=_("Deal stage"), queryset=None)

    def __init__(self, *args, covered: set[int] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deal_stage"].queryset = DealStage.objects.exclude(
            pk__in=covered).order_by("rank")


class PublishForm(forms.Form):
    change_note = forms.CharField(
        label=_("What changed"), max_length=300, required=False,
        help_text=_("Partner people read this when they are asked to acknowledge the new "
                    "version."))


class ToggleForm(forms.Form):
    checked = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
