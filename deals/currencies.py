"""ISO 4217 currency codes, as the Unicode CLDR lists them (through Babel): what a
registration's amount or an exchange rate may be in."""

from __future__ import annotations

from babel.numbers import list_currencies
from django.utils.translation import gettext_lazy as _

from prm.errors import InvalidInput

CODES = frozenset(list_currencies())
NOT_A_CURRENCY = _("Use a three-letter ISO 4217 currency code such as EUR or USD.")


def clean_currency(value: str | None) -> str:
    """The code in capitals, or InvalidInput on the ``currency`` field."""
    code = (value or "").strip().upper()
    if code not in CODES:
        raise InvalidInput(NOT_A_CURRENCY, field="currency")
    return code
