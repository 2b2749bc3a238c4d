import pytest

from prm.domains import InvalidDomain, domain_from_email, is_free_email_domain, normalise_domain


@pytest.mark.parametrize(("raw", "expected"), [
    ("acme.com", "acme.com"),
    ("ACME.com", "acme.com"),
    ("https://www.acme.com/about?x=1", "acme.com"),
    ("http://Acme.com:8080", "acme.com"),
    ("www.acme.com.", "acme.com"),
    ("  acme.co.uk  ", "acme.co.uk"),
    ("ann@Acme.com", "acme.com"),
    ("ann.smith@sales.acme.com", "sales.acme.com"),
    ("bücher.de", "xn--bcher-kva.de"),
    ("https://www.Bücher.DE/", "xn--bcher-kva.de"),
    ("xn--bcher-kva.de", "xn--bcher-kva.de"),
    ("münchen.example", "xn--mnchen-3ya.example"),
])
def test_normalises(raw, expected):
    assert normalise_domain(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "localhost", "http://", "acme", "a..com",
                                 "-acme.com", "acme-.com", "ac me.com", "192.168.0.1",
                                 "x" * 64 + ".com", "http://[::1]/"])
def test_refuses(raw):
    with pytest.raises(InvalidDomain):
        normalise_domain(raw)


def test_free_providers():
    assert is_free_email_domain("gmail.com")
    assert is_free_email_domain("web.de")
    assert not is_free_email_domain("acme.com")
    assert domain_from_email("ann@GMAIL.com") is None
    assert domain_from_email("ann@acme.com") == "acme.com"
    assert domain_from_email("no address") is None
