from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partners.imports import MAX_BYTES, MAX_ROWS


class PartnerImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"),
                           widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "UTF-8, separated by commas or semicolons, up to %(size)s and %(rows)s rows."
        ) % {"size": filesizeformat(MAX_BYTES),
             "rows": number_format(MAX_ROWS, force_grouping=True)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; an import takes at most %(max)s. Split it into "
                  "smaller files."),
                params={"size": filesizeformat(upload.size), "max": filesizeformat(MAX_BYTES)},
                code="too_large")
        return upload
