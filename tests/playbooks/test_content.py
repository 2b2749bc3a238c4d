"""The content library: admins add links and files (page and API) with events; partner
people see what their type and tier allow; opening is counted; bad input and outsiders
change nothing; the library page's query count does not grow with the items."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext

from partners.models import Partner, Tier
from playbooks import content
from playbooks.models import ContentItem, ContentStage
from prm.models import Event
from prm.tenancy import tenant_scope
from tests.factories import DealStageFactory, TierFactory

PDF = b"%PDF-1.4\n% a small test document\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def _pdf(name="deck.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def _state(tenant):
    with tenant_scope(tenant):
        return (
            list(ContentItem.objects.order_by("pk").values_list(
                "pk", "title", "description", "url", "file", "tags", "partner_types",
                "min_tier_rank")),
            list(ContentStage.objects.order_by("pk").values_list("content", "deal_stage")),
            Event.objects.count(),
        )


def _events(tenant, item_id=None, prefix="content."):
    with tenant_scope(tenant):
        events = Event.objects.filter(verb__startswith=prefix, subject_type="playbooks.contentitem")
        if item_id is not None:
            events = events.filter(subject_id=str(item_id))
        return list(events.order_by("pk").values_list("verb", "actor__email", "data"))


def _titles(response) -> list[str]:
    return [item.title for item in response.context["page"]]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Uploads go to a folder of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@dataclass
class Library:
    cast: object
    silver: Tier
    gold: Tier
    stages: list
    everyone: ContentItem    # a link for every partner
    resellers: ContentItem   # a link for resellers only
    gold_only: ContentItem   # a file from the Gold tier on
    referrals: ContentItem   # a file for referral partners only


@pytest.fixture
def library(mfa_admin, media) -> Library:
    """Northwind is a Gold reseller, Contoso a Silver referral partner."""
    cast = mfa_admin
    silver = TierFactory(tenant=cast.acme, name="Silver", rank=1)
    gold = TierFactory(tenant=cast.acme, name="Gold", rank=2)
    stages = [DealStageFactory(tenant=cast.acme, name=name, rank=rank)
              for rank, name in enumerate(["Qualify", "Discover"], start=1)]
    actor = cast.admin.user
    with tenant_scope(cast.acme):
        Partner.objects.filter(pk=cast.northwind.pk).update(partner_type="reseller", tier=gold)
        Partner.objects.filter(pk=cast.contoso.pk).update(partner_type="referral", tier=silver)
        everyone = content.content_create(actor=actor, title="Price list",
                                          url="https://acme.example/prices",
                                          tags=["pricing"], stages=stages[:1])
        resellers = content.content_create(actor=actor, title="Reseller battle card",
                                           url="https://acme.example/battle",
                                           partner_types=["reseller"], tags=["battle card"])
        gold_only = content.content_create(actor=actor, title="Gold case study",
                                           file=_pdf("case-study.pdf"), min_tier_rank=2)
        referrals = content.content_create(actor=actor, title="Referral kit",
                                           file=_pdf("referral-kit.pdf"),
                                           partner_types=["referral"])
    return Library(cast, silver, gold, stages, everyone, resellers, gold_only, referrals)


# --- admins write, with events ------------------------------------------------------------

def test_admin_adds_a_link_through_the_page(library):
    cast = library.cast
    client = cast.client(cast.admin)
    assert client.get("/content/new/").status_code == 200
    response = client.post("/content/new/", {
        "title": "  Competitive overview  ", "description": "How we win.",
        "url": "https://acme.example/overview", "tags": "pricing, Battle card, pricing",
        "partner_types": ["reseller", "msp"], "min_tier_rank": "2",
        "stages": [library.stages[1].pk]})
    assert response.status_code == 302
    assert response["Location"] == "/content/"
    with tenant_scope(cast.acme):
        item = ContentItem.objects.get(title="Competitive overview")
        stages = list(ContentStage.objects.filter(content=item)
                      .values_list("deal_stage", flat=True))
    assert (item.description, item.url, item.file.name) == (
        "How we win.", "https://acme.example/overview", "")
    assert item.tags == ["Battle card", "pricing"]
    assert item.partner_types == ["msp", "reseller"]
    assert item.min_tier_rank == 2
    assert stages == [library.stages[1].pk]
    assert _events(cast.acme, item.pk) == [
        ("content.created", "ada@acme.test", {"title": "Competitive overview", "kind": "link"})]


def test_admin_uploads_a_file_through_the_page(library, media):
    cast = library.cast
    response = cast.client(cast.admin).post("/content/new/", {
        "title": "Security whitepaper", "file": _pdf("whitepaper.pdf"), "tags": ""})
    assert response.status_code == 302
    with tenant_scope(cast.acme):
        item = ContentItem.objects.get(title="Security whitepaper")
    assert item.url == ""
    assert item.file.name.startswith("content/")
    assert item.file.name.endswith(f"/t{cast.acme.pk}/whitepaper.pdf")
    assert (media / item.file.name).read_bytes() == PDF
    assert _events(cast.acme, item.pk) == [
        ("content.created", "ada@acme.test", {"title": "Security whitepaper", "kind": "file"})]


def test_admin_uploads_a_file_through_the_api(library, media):
    cast = library.cast
    response = cast.client(cast.admin).post("/api/v1/content/", {
        "title": "Logo pack", "description": "For co-branded slides.",
        "file": SimpleUploadedFile("logo.png", PNG, content_type="image/png"),
        "tags": ["brand", "Logos"], "partner_types": ["technology"], "min_tier_rank": "1",
        "stages": [library.stages[0].pk, library.stages[1].pk]})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: v for k, v in body.items() if k not in ("id", "created_at")} == {
        "title": "Logo pack", "description": "For co-branded slides.", "kind": "file",
        "url": "", "file_name": "logo.png", "tags": ["brand", "Logos"],
        "partner_types": ["technology"], "min_tier_rank": 1,
        "stages": [library.stages[0].pk, library.stages[1].pk]}
    with tenant_scope(cast.acme):
        item = ContentItem.objects.get(pk=body["id"])
    assert (media / item.file.name).read_bytes() == PNG
    assert _events(cast.acme, item.pk) == [
        ("content.created", "ada@acme.test", {"title": "Logo pack", "kind": "file"})]


def test_admin_adds_a_link_through_the_api(library):
    cast = library.cast
    response = cast.client(cast.admin).post(
        "/api/v1/content/", {"title": "Webinar", "url": "https://acme.example/webinar"},
        content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["url"], body["file_name"], body["tags"], body["partner_types"],
            body["min_tier_rank"], body["stages"]) == (
        "link", "https://acme.example/webinar", "", [], [], None, [])
    assert _events(cast.acme, body["id"]) == [
        ("content.created", "ada@acme.test", {"title": "Webinar", "kind": "link"})]


def test_admin_edits_and_removes_through_the_page(library, media,
                                                  django_capture_on_commit_callbacks):
    cast = library.cast
    client = cast.client(cast.admin)
    item = library.everyone
    form = client.get(f"/content/{item.pk}/edit/")
    assert form.status_code == 200
    assert form.context["form"].initial["tags"] == "pricing"
    response = client.post(f"/content/{item.pk}/edit/", {
        "title": "Price list 2026", "description": "", "url": "https://acme.example/prices",
        "tags": "pricing", "partner_types": ["reseller"], "min_tier_rank": "",
        "stages": [library.stages[0].pk]})
    assert response.status_code == 302
    assert response["Location"] == "/content/"
    with tenant_scope(cast.acme):
        item.refresh_from_db()
    assert (item.title, item.partner_types) == ("Price list 2026", ["reseller"])
    # A file item is removed with its file, once the removal commits.
    path = media / library.gold_only.file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        removed = client.post(f"/content/{library.gold_only.pk}/delete/")
    assert removed.status_code == 302
    assert removed["Location"] == "/content/"
    assert not path.exists()
    with tenant_scope(cast.acme):
        assert not ContentItem.objects.filter(pk=library.gold_only.pk).exists()
    assert [e[:2] for e in _events(cast.acme, item.pk)] == [
        ("content.created", "ada@acme.test"), ("content.updated", "ada@acme.test")]
    assert _events(cast.acme, item.pk)[1][2] == {
        "title": {"from": "Price list", "to": "Price list 2026"},
        "partner_types": {"from": [], "to": ["reseller"]}}
    assert _events(cast.acme, library.gold_only.pk)[1:] == [
        ("content.deleted", "ada@acme.test", {"title": "Gold case study"})]


def test_saving_the_page_unchanged_records_nothing(library):
    cast = library.cast
    item = library.resellers
    before = _state(cast.acme)
    response = cast.client(cast.admin).post(f"/content/{item.pk}/edit/", {
        "title": "Reseller battle card", "url": "https://acme.example/battle",
        "tags": "battle card", "partner_types": ["reseller"]})
    assert response.status_code == 302
    assert _state(cast.acme) == before


def test_admin_edits_and_deletes_through_the_api(library, media):
    cast = library.cast
    client = cast.client(cast.admin)
    url = f"/api/v1/content/{library.resellers.pk}/"
    edited = client.patch(url, {"title": "Battle card", "min_tier_rank": 2,
                                "stages": [library.stages[1].pk]},
                          content_type="application/json")
    assert edited.status_code == 200, edited.json()
    assert (edited.json()["title"], edited.json()["min_tier_rank"],
            edited.json()["stages"]) == ("Battle card", 2, [library.stages[1].pk])
    # A file replaces the link.
    replaced = client.patch(url, encode_multipart(BOUNDARY, {"file": _pdf("battle.pdf")}),
                            content_type=MULTIPART_CONTENT)
    assert replaced.status_code == 200, replaced.json()
    assert (replaced.json()["kind"], replaced.json()["url"],
            replaced.json()["file_name"]) == ("file", "", "battle.pdf")
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    events = _events(cast.acme, library.resellers.pk)
    assert [verb for verb, _actor, _data in events] == [
        "content.created", "content.updated", "content.updated", "content.deleted"]
    assert events[1][2] == {"title": {"from": "Reseller battle card", "to": "Battle card"},
                            "min_tier_rank": {"from": None, "to": 2},
                            "stages": {"from": [], "to": [library.stages[1].pk]}}
    assert events[2][2] == {"file": {"from": "", "to": "battle.pdf"}}
    assert events[3][2] == {"title": "Battle card"}


def test_a_new_file_replaces_the_old_one(library, media, django_capture_on_commit_callbacks):
    cast = library.cast
    client = cast.client(cast.admin)
    item = library.gold_only
    old = media / item.file.name
    form = client.get(f"/content/{item.pk}/edit/")
    assert "remove_file" in form.context["form"].fields
    assert "case-study.pdf" in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/content/{item.pk}/edit/", {
            "title": "Gold case study", "min_tier_rank": "2",
            "file": _pdf("case-study-2026.pdf", PDF + b"% v2\n")})
    assert response.status_code == 302
    with tenant_scope(cast.acme):
        item.refresh_from_db()
    assert item.file.name.endswith(f"/t{cast.acme.pk}/case-study-2026.pdf")
    assert (media / item.file.name).read_bytes() == PDF + b"% v2\n"
    assert not old.exists()
    assert _events(cast.acme, item.pk)[1:] == [
        ("content.updated", "ada@acme.test",
         {"file": {"from": "case-study.pdf", "to": "case-study-2026.pdf"}})]


def test_removing_the_file_needs_a_link(library):
    cast = library.cast
    client = cast.client(cast.admin)
    url = f"/api/v1/content/{library.referrals.pk}/"
    before = _state(cast.acme)
    refused = client.patch(url, {"remove_file": True}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["url"] == ["Give either a link or a file."]
    assert _state(cast.acme) == before
    turned = client.patch(url, {"remove_file": True, "url": "https://acme.example/kit"},
                          content_type="application/json")
    assert turned.status_code == 200, turned.json()
    assert (turned.json()["kind"], turned.json()["url"]) == ("link", "https://acme.example/kit")


# --- who sees what ------------------------------------------------------------------------

ALL = ["Gold case study", "Price list", "Referral kit", "Reseller battle card"]


def test_partners_see_what_their_type_and_tier_allow(library):
    cast = library.cast
    seen = {
        cast.partner_admin: ["Gold case study", "Price list", "Reseller battle card"],
        cast.partner_user: ["Price list", "Referral kit"],
        cast.manager: ALL,
        cast.admin: ALL,
    }
    for member, titles in seen.items():
        client = cast.client(member)
        page = client.get("/content/")
        assert page.status_code == 200
        assert _titles(page) == titles, member
        body = page.content.decode()
        for title in set(ALL) - set(titles):
            assert title not in body, (member, title)
        listing = client.get("/api/v1/content/")
        assert listing.status_code == 200
        assert [item["title"] for item in listing.json()["results"]] == titles, member
        assert listing.json()["count"] == len(titles)


def test_hidden_items_are_404_for_partners(library):
    cast = library.cast
    hidden = {cast.partner_admin: [library.referrals],
              cast.partner_user: [library.resellers, library.gold_only]}
    for member, items in hidden.items():
        client = cast.client(member)
        for item in items:
            for path in (f"/api/v1/content/{item.pk}/", f"/api/v1/content/{item.pk}/open/",
                         f"/content/{item.pk}/open/"):
                assert client.get(path).status_code == 404, (member, path)
    assert _events(cast.acme, prefix="content.viewed") == []
    # What they may see answers.
    client = cast.client(cast.partner_user)
    detail = client.get(f"/api/v1/content/{library.referrals.pk}/")
    assert detail.status_code == 200
    assert detail.json()["file_name"] == "referral-kit.pdf"


def test_a_partner_without_a_tier_misses_tiered_items(library):
    cast = library.cast
    with tenant_scope(cast.acme):
        Partner.objects.filter(pk=cast.northwind.pk).update(tier=None)
    client = cast.client(cast.partner_admin)
    assert _titles(client.get("/content/")) == ["Price list", "Reseller battle card"]
    assert client.get(f"/content/{library.gold_only.pk}/open/").status_code == 404


def test_search_and_tag_filter_the_library(library):
    cast = library.cast
    client = cast.client(cast.partner_admin)
    assert _titles(client.get("/content/", {"tag": "battle card"})) == ["Reseller battle card"]
    assert _titles(client.get("/content/", {"q": "case"})) == ["Gold case study"]
    api = client.get("/api/v1/content/", {"tag": "pricing"}).json()
    assert [item["title"] for item in api["results"]] == ["Price list"]
    # Tags of items the partner cannot see are not offered.
    choices = [value for value, _label in client.get("/content/").context["form"]
               .fields["tag"].choices]
    assert choices == ["", "battle card", "pricing"]


# --- opening is counted -------------------------------------------------------------------

def test_opening_counts_views_and_downloads(library):
    cast = library.cast
    partner = cast.client(cast.partner_admin)
    link = partner.get(f"/content/{library.everyone.pk}/open/")
    assert link.status_code == 302
    assert link["Location"] == "https://acme.example/prices"
    api_link = partner.get(f"/api/v1/content/{library.everyone.pk}/open/")
    assert api_link.status_code == 302
    assert api_link["Location"] == "https://acme.example/prices"
    for path in (f"/content/{library.gold_only.pk}/open/",
                 f"/api/v1/content/{library.gold_only.pk}/open/"):
        download = partner.get(path)
        assert download.status_code == 200, path
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"] == 'attachment; filename="case-study.pdf"'
        assert b"".join(download.streaming_content) == PDF  # which also closes the file
    partner_id = cast.northwind.pk
    link_data = {"partner_id": partner_id, "title": "Price list"}
    file_data = {"partner_id": partner_id, "title": "Gold case study"}
    assert _events(cast.acme, library.everyone.pk, prefix="content.viewed") == [
        ("content.viewed", "pat@northwind.test", link_data)] * 2
    assert _events(cast.acme, library.gold_only.pk, prefix="content.") == [
        ("content.created", "ada@acme.test", {"title": "Gold case study", "kind": "file"}),
        *[("content.viewed", "pat@northwind.test", file_data),
          ("content.downloaded", "pat@northwind.test", file_data)] * 2]
    page = cast.client(cast.admin).get("/content/")
    counts = {item.title: item.counts for item in page.context["page"]}
    assert counts == {"Gold case study": {"views": 2, "downloads": 2},
                      "Price list": {"views": 2, "downloads": 0},
                      "Referral kit": {"views": 0, "downloads": 0},
                      "Reseller battle card": {"views": 0, "downloads": 0}}
    body = page.content.decode()
    assert "2 views · 2 downloads" in body
    assert "0 views · 0 downloads" in body


def test_a_file_gone_from_storage_is_404_and_not_counted(library, media):
    cast = library.cast
    (media / library.referrals.file.name).unlink()
    client = cast.client(cast.partner_user)
    for path in (f"/content/{library.referrals.pk}/open/",
                 f"/api/v1/content/{library.referrals.pk}/open/"):
        assert client.get(path).status_code == 404, path
    assert _events(cast.acme, library.referrals.pk, prefix="content.viewed") == []
    assert _events(cast.acme, library.referrals.pk, prefix="content.downloaded") == []


def test_counts_are_for_admins_only(library):
    cast = library.cast
    cast.client(cast.partner_admin).get(f"/content/{library.everyone.pk}/open/")
    for member in (cast.manager, cast.partner_admin):
        page = cast.client(member).get("/content/")
        assert "1 view" not in page.content.decode(), member
        assert not page.context["is_admin"]
    assert "1 view" in cast.client(cast.admin).get("/content/").content.decode()


# --- bad input ----------------------------------------------------------------------------

def test_bad_input_to_the_api_is_400_and_creates_nothing(library):
    cast = library.cast
    client = cast.client(cast.admin)
    before = _state(cast.acme)

    def post(**body):
        response = client.post("/api/v1/content/", body)
        assert response.status_code == 400, body
        return response.json()

    assert post(title="Nothing")["url"] == ["Give either a link or a file."]
    assert "url" in post(title="Bad", url="javascript:alert(1)")
    assert post(title="FTP", url="ftp://acme.example/file")["url"] == [
        "Enter a link starting with https:// or http://."]
    assert "0" in post(title="Typed", url="https://acme.example/a",
                       partner_types=["wholesaler"])["partner_types"]
    assert "title" in post(title="", url="https://acme.example/a")
    assert post(title="  ", url="https://acme.example/a")["title"] == [
        "This field may not be blank."]
    assert post(title="Both", url="https://acme.example/a", file=_pdf())["file"] == [
        "Give either a link or a file."]
    assert post(title="Text", file=SimpleUploadedFile("notes.txt", b"hello"))["file"] == [
        "Upload a PDF, Word, PowerPoint, Excel, PNG or JPEG file."]
    assert post(title="Fake", file=SimpleUploadedFile("fake.pdf", b"MZ not a pdf"))["file"] == [
        "The file's content does not match its extension."]
    assert "min_tier_rank" in post(title="Rank", url="https://acme.example/a", min_tier_rank="0")
    assert "stages" in post(title="Stage", url="https://acme.example/a", stages=["999999"])
    assert _state(cast.acme) == before


def test_bad_changes_through_the_api_are_400_and_change_nothing(library):
    cast = library.cast
    client = cast.client(cast.admin)
    url = f"/api/v1/content/{library.everyone.pk}/"
    before = _state(cast.acme)
    for body, field in [({"title": ""}, "title"), ({"url": "ftp://acme.example/x"}, "url"),
                        ({"url": ""}, "url"), ({"partner_types": ["wholesaler"]},
                                               "partner_types"),
                        ({"min_tier_rank": 0}, "min_tier_rank"), ({"stages": [999999]}, "stages")]:
        response = client.patch(url, body, content_type="application/json")
        assert response.status_code == 400, body
        assert field in response.json(), body
    assert _state(cast.acme) == before


def test_the_upload_limit_is_enforced(library, settings):
    cast = library.cast
    settings.PRM_CONTENT_MAX_BYTES = 1024 * 1024
    before = _state(cast.acme)
    big = _pdf("big.pdf", PDF + b"0" * (1024 * 1024))
    response = cast.client(cast.admin).post("/api/v1/content/", {"title": "Big", "file": big})
    assert response.status_code == 400
    assert response.json()["file"] == ["The file is too large (at most 1 MB)."]
    assert _state(cast.acme) == before


def test_bad_input_on_the_page_shows_errors_and_creates_nothing(library):
    cast = library.cast
    client = cast.client(cast.admin)
    before = _state(cast.acme)
    nothing = client.post("/content/new/", {"title": "Nothing"})
    assert nothing.status_code == 200
    assert nothing.context["form"].errors == {"url": ["Give either a link or a file."]}
    ftp = client.post("/content/new/", {"title": "FTP", "url": "ftp://acme.example/file"})
    assert ftp.context["form"].errors == {
        "url": ["Enter a link starting with https:// or http://."]}
    assert "Enter a link starting with https:// or http://." in ftp.content.decode()
    typed = client.post("/content/new/", {"title": "", "url": "https://acme.example/a",
                                          "partner_types": ["wholesaler"]})
    assert set(typed.context["form"].errors) == {"title", "partner_types"}
    fake = client.post("/content/new/", {"title": "Fake",
                                         "file": SimpleUploadedFile("fake.pdf", b"MZ")})
    assert fake.context["form"].errors == {
        "file": ["The file's content does not match its extension."]}
    edit = client.post(f"/content/{library.everyone.pk}/edit/", {"title": "Price list",
                                                                 "url": ""})
    assert edit.status_code == 200
    assert edit.context["form"].errors == {"url": ["Give either a link or a file."]}
    assert _state(cast.acme) == before


# --- refusals and outsiders ---------------------------------------------------------------

def test_only_admins_write_and_outsiders_change_nothing(library):
    cast = library.cast
    item = library.everyone
    before = _state(cast.acme)
    for member in (cast.manager, cast.partner_admin, cast.partner_user):
        client = cast.client(member)
        assert client.get("/content/new/").status_code == 404, member
        assert client.post("/content/new/", {"title": "Mine", "url": "https://x.example"}
                           ).status_code == 404, member
        assert client.get(f"/content/{item.pk}/edit/").status_code == 404, member
        assert client.post(f"/content/{item.pk}/edit/", {"title": "Mine"}).status_code == 404
        assert client.post(f"/content/{item.pk}/delete/").status_code == 404, member
        assert client.post("/api/v1/content/", {"title": "Mine", "url": "https://x.example"},
                           content_type="application/json").status_code == 404, member
        assert client.patch(f"/api/v1/content/{item.pk}/", {"title": "Mine"},
                            content_type="application/json").status_code == 404, member
        assert client.delete(f"/api/v1/content/{item.pk}/").status_code == 404, member
    assert _state(cast.acme) == before


def test_another_tenants_admin_finds_nothing(library):
    cast = library.cast
    before = _state(cast.acme)
    client = cast.client(cast.other_admin, cast.globex)
    page = client.get("/content/")
    assert page.status_code == 200
    assert _titles(page) == []
    assert client.get("/api/v1/content/").json()["results"] == []
    for item in (library.everyone, library.gold_only):
        for path in (f"/api/v1/content/{item.pk}/", f"/api/v1/content/{item.pk}/open/",
                     f"/content/{item.pk}/open/", f"/content/{item.pk}/edit/"):
            assert client.get(path).status_code == 404, path
        assert client.post(f"/content/{item.pk}/edit/", {
            "title": "Mine", "url": "https://globex.example"}).status_code == 404
        assert client.post(f"/content/{item.pk}/delete/").status_code == 404
        assert client.patch(f"/api/v1/content/{item.pk}/", {"title": "Mine"},
                            content_type="application/json").status_code == 404
        assert client.delete(f"/api/v1/content/{item.pk}/").status_code == 404
    # On A's host, B's admin is nobody.
    stranger = cast.client(cast.other_admin, cast.acme)
    assert stranger.get(f"/api/v1/content/{library.everyone.pk}/").status_code == 401
    assert _state(cast.acme) == before
    with tenant_scope(cast.globex):
        assert ContentItem.objects.count() == 0


# --- query count --------------------------------------------------------------------------

def test_library_query_count_does_not_grow_with_items(library):
    cast = library.cast

    def add(number):
        with tenant_scope(cast.acme):
            for n in range(number):
                item = content.content_create(
                    actor=cast.admin.user, title=f"Item {n:03}", description="A qualified deal.",
                    url=f"https://acme.example/{n}", tags=[f"tag {n}", "common"],
                    partner_types=["reseller"] if n % 2 else [], min_tier_rank=n % 3 or None,
                    stages=library.stages)
                content.content_open(actor=cast.manager.user, member=cast.manager, item=item)

    def count(member):
        client = cast.client(member)
        client.get("/content/")  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/content/")
        assert response.status_code == 200
        return response, [q["sql"] for q in queries.captured_queries]

    add(2)
    few = {member: count(member) for member in (cast.admin, cast.partner_admin)}
    add(40)
    many = {member: count(member) for member in (cast.admin, cast.partner_admin)}
    assert len(many[cast.admin][0].context["page"].object_list) == 30
    assert len(many[cast.partner_admin][0].context["page"].object_list) == 30
    # tenant, savepoint, tenant check, set_config; session, user, membership; then for
    # admins: MFA check, the tags, the count, the page of items, their stages, the tiers,
    # the view counts; for partners: their partner's type and tier, the tags, the type and
    # tier again, the count, the page of items, their stages; for both the glossary terms
    # linked in descriptions; set_config reset, release.
    sizes = {member.user.email: (len(few[member][1]), len(many[member][1])) for member in few}
    assert sizes == {"ada@acme.test": (17, 17), "pat@northwind.test": (16, 16)}, "\n".join(
        sql[:150] for sql in many[cast.admin][1] + ["---"] + many[cast.partner_admin][1])



def test_the_library_answers_htmx_with_the_results_alone(library):
    """The live search swaps in the results; Northwind (Gold) finds its case study."""
    cast = library.cast
    response = cast.client(cast.partner_admin).get("/content/", {"q": "case"},
                                                    HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.templates[0].name == "playbooks/partials/content_results.html"
    body = response.content.decode()
    assert "<html" not in body
    assert "Gold case study" in body
    assert "Price list" not in body
