"""Forms of the glossary pages: they validate input; playbooks.glossary decides and writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from playbooks.glossary import MAX_CHECK_LENGTH, language_check
from playbooks.models import LOCALES, GlossaryTerm
from prm.errors import DomainError
from prm.tenancy import require_tenant


class DomainErrorsMixin:
    """Show a service's DomainError on the field it names, or above the form."""

    def add_domain_error(self, error: DomainError) -> None:
        field = error.field if error.field in self.fields else None  # type: ignore[attr-defined]
        self.add_error(field, error.message)  # type: ignore[attr-defined]


def split_list(value: str) -> list[str]:
    """``"a, b,, a"`` → ``["a", "b"]`` (order kept, case-insensitive duplicates dropped)."""
    seen: dict[str, str] = {}
    for part in value.split(","):
        part = " ".join(part.split())
        if part and part.casefold() not in seen:
            seen[part.casefold()] = part
    return list(seen.values())


def checked_textarea(locale: str, rows: int = 4) -> forms.Textarea:
    """A textarea the live language check watches (static/js/language-check.js)."""
    return forms.Textarea(attrs={"rows": rows, "data-language-check": "",
                                 "data-locale": locale})


class GlossaryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=120,
                        widget=forms.TextInput(attrs={"type": "search"}))
    category = forms.ChoiceField(label=_("Category"), required=False)

    def __init__(self, *args, categories: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")),
                                           *((c, c) for c in categories)]

    def filters(self) -> dict:
        """Valid filters as keyword arguments of the selector; invalid ones are ignored."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class TermForm(DomainErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Term"), max_length=120)
    category = forms.CharField(label=_("Category"), max_length=60, required=False,
                               help_text=_("For example Deals, Program or Marketing."))
    definition = forms.CharField(label=_("Definition"))
    examples = forms.CharField(label=_("Examples"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("Sentences that use the term the way the program "
                                           "means it."))
    synonyms = forms.CharField(label=_("Accepted synonyms"), required=False, max_length=1000,
                               help_text=_("Words that mean the same and are fine to use. "
                                           "Separate them with commas."))

    def __init__(self, *args, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["definition"].widget = checked_textarea(locale)

    @classmethod
    def initial_for(cls, term: GlossaryTerm) -> dict:
        return {"name": term.name, "category": term.category, "definition": term.definition,
                "examples": term.examples, "synonyms": ", ".join(term.synonyms)}

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["synonyms"] = split_list(data["synonyms"])
        return data


class DiscouragedForm(DomainErrorsMixin, forms.Form):
    phrase = forms.CharField(label=_("Discouraged word or phrase"), max_length=120)
    locale = forms.ChoiceField(label=_("Language"), choices=LOCALES)
    replacement = forms.CharField(
        label=_("Say instead"), max_length=120, required=False,
        help_text=_("Left empty, the term itself is suggested."))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False,
                             help_text=_("Shown next to every finding, so people learn why."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "phrase_%s"


class TranslationForm(DomainErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Term"), max_length=120)
    definition = forms.CharField(label=_("Definition"))
    examples = forms.CharField(label=_("Examples"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, locale: str, term_id: int, **kwargs):
        kwargs.setdefault("prefix", f"tr-{locale}")
        super().__init__(*args, **kwargs)
        self.locale, self.term_id = locale, term_id
        self.locale_label = dict(LOCALES)[locale]
        self.fields["definition"].widget = checked_textarea(locale)
        for field in self.fields.values():
            field.widget.attrs["lang"] = locale

    def clean_definition(self) -> str:
        """Blocking mode applies to translated definitions too (a term may still name its
        own discouraged words, as in the service's guard of the base definition)."""
        text = self.cleaned_data["definition"]
        findings = [f for f in language_check(text=text, locale=self.locale)
                    if f.term_id != self.term_id]
        if findings and require_tenant().language_check_blocks:
            raise forms.ValidationError(
                _("The text uses discouraged words: %s") % ", ".join(
                    f"“{f.found}” → “{f.preferred}”" for f in findings[:5]))
        return text


class LanguageCheckForm(forms.Form):
    """Input of the live check: the text as typed (never stripped) and its language."""

    text = forms.CharField(required=False, strip=False, max_length=MAX_CHECK_LENGTH)
    locale = forms.ChoiceField(choices=LOCALES)

