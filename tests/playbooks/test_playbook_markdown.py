"""Markdown in playbook texts is sanitised; talk-track variables are filled and escaped."""

from __future__ import annotations

import pytest

from playbooks.markdown import render_markdown, render_talk_track, unknown_variables


@pytest.mark.parametrize(("text", "forbidden"), [
    ("<script>alert(1)</script>Hello", ["<script", "alert(1)"]),
    ('<img src="x" onerror="alert(1)">', ["onerror", "<img"]),
    ("[click](javascript:alert(1))", ["javascript:"]),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', ["javascript", "JaVaScRiPt"]),
    ('<a href="https://example.com" onclick="steal()">x</a>', ["onclick", "steal"]),
    ("<iframe src=https://evil.example></iframe>", ["<iframe"]),
    ('<span class="evil" style="position:fixed">x</span>', ["evil", "style"]),
    ("<style>body{display:none}</style>", ["<style", "display:none"]),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", ["data:"]),
])
def test_markdown_removes_what_could_run_or_restyle(text, forbidden):
    html = render_markdown(text)
    for needle in forbidden:
        assert needle not in html


def test_markdown_keeps_formatting_and_marks_links():
    html = render_markdown("# Goal\n\n- **bold** and *it*\n- [site](https://example.com)")
    assert "<h3>Goal</h3>" in html  # headings start below the page's own
    assert "<strong>bold</strong>" in html
    assert "<em>it</em>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer">site</a>' in html


def test_talk_track_fills_whitelisted_variables_with_escaped_values():
    values = {"customer.name": "<script>x</script>", "partner.name": 'Tom & "Jerry"',
              "contact.name": ""}
    html = render_talk_track(
        "Hi {{ contact.name }}, {{partner.name}} for **{{ customer.name }}**. "
        "{{ customer.secret }} {% now 'Y' %}", values)
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script" not in html
    assert "Tom &amp; \"Jerry\"" in html or "Tom &amp; &quot;Jerry&quot;" in html
    assert '<span class="talk-var-missing">{{ contact.name }}</span>' in html
    # Unknown variables and template tags are only text: nothing is ever rendered as a template.
    assert "{{ customer.secret }}" in html
    assert "{% now 'Y' %}" in html


def test_a_value_in_a_link_address_cannot_become_a_script():
    html = render_talk_track("[open]({{customer.name}})",
                             {"customer.name": "javascript:alert(1)"})
    assert "javascript" not in html
    safe = render_talk_track("[open](https://crm.example/{{customer.name}})",
                             {"customer.name": '"><script>x</script>'})
    assert "<script" not in safe
    assert 'href="https://crm.example/' in safe


def test_without_a_deal_variables_show_by_name():
    html = render_markdown("Hello {{ customer.name }}")
    assert html == '<p>Hello <span class="talk-var">{{ customer.name }}</span></p>'


def test_unknown_variables_are_listed():
    assert unknown_variables("{{ customer.name }} {{ user.password }} {{x}}") == [
        "user.password", "x"]
