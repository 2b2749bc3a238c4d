"""Company domains: one normal form, shared by partners, applications and deals.

``normalise_domain`` accepts what people paste — ``https://www.Acme.com:443/about``,
``ann@acme.com``, ``acme.com.``, ``bücher.de`` — and returns the registrable host in
lower-case ASCII (``acme.com``, ``xn--bcher-kva.de``). It raises ``InvalidDomain`` with a
message fit for a form when there is no usable domain in the input.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import idna
from django.utils.translation import gettext as _

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

# Free and consumer mailbox providers: an address there says nothing about the company.
FREE_EMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.de", "yahoo.fr",
    "ymail.com", "hotmail.com", "hotmail.co.uk", "hotmail.de", "hotmail.fr", "outlook.com",
    "outlook.de", "live.com", "live.de", "msn.com", "aol.com", "icloud.com", "me.com",
    "mac.com", "proton.me", "protonmail.com", "pm.me", "gmx.de", "gmx.net", "gmx.com",
    "gmx.at", "gmx.ch", "web.de", "t-online.de", "freenet.de", "posteo.de", "mailbox.org",
    "yandex.com", "yandex.ru", "mail.ru", "zoho.com", "fastmail.com", "hey.com",
    "tutanota.com", "tuta.io", "qq.com", "163.com", "126.com", "naver.com", "orange.fr",
    "free.fr", "laposte.net", "libero.it", "virgilio.it", "seznam.cz", "wp.pl", "o2.pl",
    "bluewin.ch", "btinternet.com", "comcast.net", "verizon.net", "att.net",
})


class InvalidDomain(ValueError):
    pass


def normalise_domain(value: str) -> str:
    """The company domain in ``value`` (URL, host, or e-mail address), normalised."""
    text = (value or "").strip()
    if not text:
        raise InvalidDomain(_("Enter a domain, website or e-mail address."))
    if "@" in text and "://" not in text:
        text = text.rsplit("@", 1)[1]
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        raise InvalidDomain(_("This is not a valid domain.")) from None
    host = host.strip().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if not host or "." not in host:
        raise InvalidDomain(_("A domain needs a name and an ending, like example.com."))
    try:
        host = idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise InvalidDomain(_("This is not a valid domain.")) from None
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidDomain(_("This is not a valid domain."))
    if labels[-1].isdigit():
        raise InvalidDomain(_("Enter a domain name, not an IP address."))
    return host


def is_free_email_domain(domain: str) -> bool:
    """True for consumer mailbox providers (gmail.com, web.de, ...)."""
    return domain in FREE_EMAIL_DOMAINS


def domain_from_email(email: str) -> str | None:
    """The company domain of an address, or None for free providers and junk."""
    try:
        domain = normalise_domain(email)
    except InvalidDomain:
        return None
    return None if is_free_email_domain(domain) else domain
