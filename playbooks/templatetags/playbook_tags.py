"""Template helpers of playbooks: safe Markdown, talk tracks, and the deal page's panel.

    {% load playbook_tags %}
    {{ stage.exit_criteria|playbook_markdown }}
    {% deal_stage_panel deal %}   {# the panel, for a deal the page's member may see #}
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from playbooks.markdown import render_markdown
from playbooks.playbook_selectors import deal_stage_panel_context

register = template.Library()


@register.filter
def playbook_markdown(text: str) -> SafeString:
    """Markdown to sanitised HTML; talk-track variables stay visible by name."""
    return render_markdown(text or "")


@register.inclusion_tag("playbooks/partials/deal_stage_panel.html", takes_context=True)
def deal_stage_panel(context, deal) -> dict:
    """The playbook panel of ``deal`` (looked up with ``get_deal_for_member`` by the view)."""
    request = context.get("request")
    member = context.get("membership") or getattr(request, "membership", None)
    return {"request": request, "csrf_token": context.get("csrf_token"), "deal": deal,
            "membership": member, **deal_stage_panel_context(member, deal)}
