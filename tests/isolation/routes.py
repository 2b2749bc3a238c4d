"""Discovers every URL pattern of the tenant portal, so new routes are covered by themselves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

TENANT_URLCONF = "prm.urls"
_ROUTE_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def _words() -> dict[str, list[str]]:
    """Parameters that are words, not ids, and every word each takes: a route is tried
    with each of them, so an id probe is never turned away for an unknown word."""
    from deals.views_registration import ACTIONS
    from playbooks.models import LOCALES

    return {"action": sorted(ACTIONS), "locale": [code for code, _label in LOCALES]}


@dataclass(frozen=True)
class Route:
    template: str          # e.g. "/api/v1/invitations/{pk}/revoke/"
    params: tuple[str, ...]
    name: str | None

    @property
    def id_params(self) -> tuple[str, ...]:
        return tuple(p for p in self.params if p not in _words())

    def fill(self, value: object, **ids: object) -> list[str]:
        """The route with ``value`` in every id parameter (or ``ids`` where given), once
        for each word of each word parameter."""
        words = _words()
        paths = [{}]
        for param in self.params:
            if param in words:
                paths = [{**path, param: word} for path in paths for word in words[param]]
            else:
                paths = [{**path, param: ids.get(param, value)} for path in paths]
        return [self.template.format(**path) for path in paths]

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/v1/")


def _pattern_text(pattern) -> tuple[str, list[str]]:
    if isinstance(pattern, RoutePattern):
        text = str(pattern._route)
        params = [m.group("name") for m in _ROUTE_PARAM.finditer(text)]
        return _ROUTE_PARAM.sub(lambda m: "{" + m.group("name") + "}", text), params
    assert isinstance(pattern, RegexPattern)
    text = pattern._regex.lstrip("^").rstrip("$").replace("\\.", ".")
    params = [m.group("name") for m in _REGEX_GROUP.finditer(text)]
    text = _REGEX_GROUP.sub(lambda m: "{" + m.group("name") + "}", text)
    return text.replace("/?", "/"), params


def _walk(patterns, prefix: str, params: list[str]) -> Iterator[Route]:
    for pattern in patterns:
        text, own = _pattern_text(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + text, params + own)
        elif isinstance(pattern, URLPattern):
            all_params = params + own
            if "format" in all_params:
                continue  # DRF's ".json" suffix twins of routes already listed
            yield Route("/" + prefix + text, tuple(all_params), pattern.name)


def tenant_routes() -> list[Route]:
    routes = {route.template: route for route in _walk(get_resolver(TENANT_URLCONF).url_patterns,
                                                       "", [])}
    return sorted(routes.values(), key=lambda r: r.template)
