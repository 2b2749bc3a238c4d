"""The content library: writes (services), reads (selectors) and its 404 helpers.

Items are links or uploaded files (kept in the default storage under the tenant's id and
served only through ``content_open``, which checks visibility). Partner people see an
item when their partner's type is among the item's types (none = every type) and their
tier's rank is at least the item's minimum; the vendor's people see everything.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, F, Func, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from deals.models import DealStage
from partners.models import Partner, PartnerType
from playbooks.models import ContentItem, ContentStage
from prm.errors import InvalidInput
from prm.events import record_event
from prm.models import Event, Membership, Role
from prm.tenancy import require_tenant

# extension → (content type, how the file must start)
FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",
             (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             (b"PK\x03\x04",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_TAGS = 20
SUBJECT_TYPE = ContentItem._meta.label_lower
VIEWED, DOWNLOADED = "content.viewed", "content.downloaded"


def max_upload_bytes() -> int:
    return getattr(settings, "PRM_CONTENT_MAX_BYTES", DEFAULT_MAX_BYTES)


def file_extension(name: str) -> str:
    return posixpath.splitext(name or "")[1].lower().lstrip(".")


def content_type_of(name: str) -> str:
    return FILE_TYPES.get(file_extension(name), ("application/octet-stream", ()))[0]


# --- validation -----------------------------------------------------------------------

def _clean_file(upload: UploadedFile) -> None:
    extension = file_extension(upload.name)
    if extension not in FILE_TYPES:
        raise InvalidInput(_("Upload a PDF, Word, PowerPoint, Excel, PNG or JPEG file."),
                           field="file")
    if upload.size > max_upload_bytes():
        raise InvalidInput(_("The file is too large (at most %(limit)d MB).")
                           % {"limit": max_upload_bytes() // (1024 * 1024) or 1}, field="file")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(FILE_TYPES[extension][1]):
        raise InvalidInput(_("The file's content does not match its extension."), field="file")


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise InvalidInput(_("Enter a link starting with https:// or http://."),
                               field="url") from None
    return url


def _clean_tags(tags: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for tag in tags or ():
        tag = " ".join(str(tag).split())[:40]
        if tag and tag.casefold() not in seen:
            seen[tag.casefold()] = tag
    if len(seen) > MAX_TAGS:
        raise InvalidInput(_("Use at most %d tags.") % MAX_TAGS, field="tags")
    return sorted(seen.values(), key=str.casefold)


def _clean_types(partner_types: Iterable[str]) -> list[str]:
    types = sorted(set(partner_types or ()))
    unknown = set(types) - set(PartnerType.values)
    if unknown:
        raise InvalidInput(_("Unknown partner type: %s") % ", ".join(sorted(unknown)),
                           field="partner_types")
    return types


def _clean_rank(rank) -> int | None:
    if rank in (None, ""):
        return None
    if not isinstance(rank, int) or rank < 1:
        raise InvalidInput(_("The minimum tier rank is 1 or more."), field="min_tier_rank")
    return rank


def _storage_name(upload: UploadedFile) -> str:
    """Under the model's ``content/%Y/%m/``, in a folder of the tenant's own."""
    return f"t{require_tenant().pk}/{posixpath.basename(upload.name)}"


def _delete_file_after_commit(name: str) -> None:
    if name:
        storage = ContentItem._meta.get_field("file").storage
        transaction.on_commit(lambda: storage.delete(name))


# --- services -------------------------------------------------------------------------

@transaction.atomic
def content_create(*, actor, title: str, description: str = "", url: str = "",
                   file: UploadedFile | None = None, tags: Iterable[str] = (),
                   partner_types: Iterable[str] = (), min_tier_rank: int | None = None,
                   stages: Iterable[DealStage] = ()) -> ContentItem:
    """Add a link or a file to the library."""
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("Enter a title."), field="title")
    url = _clean_url(url)
    if bool(url) == bool(file):
        raise InvalidInput(_("Give either a link or a file."), field="url" if not file
                           else "file")
    if file:
        _clean_file(file)
    item = ContentItem(title=title, description=(description or "").strip(), url=url,
                       tags=_clean_tags(tags), partner_types=_clean_types(partner_types),
                       min_tier_rank=_clean_rank(min_tier_rank))
    if file:
        item.file.save(_storage_name(file), file, save=False)
    item.save()
    _set_stages(item, stages)
    record_event(actor=actor, verb="content.created", subject=item,
                 data={"title": item.title, "kind": "file" if file else "link"})
    return item


UPDATABLE = ("title", "description", "url", "tags", "partner_types", "min_tier_rank")


@transaction.atomic
def content_update(*, actor, item: ContentItem, file: UploadedFile | None = None,
                   remove_file: bool = False, stages: Iterable[DealStage] | None = None,
                   **fields) -> ContentItem:
    """Change an item; a new file replaces the old one, ``remove_file`` turns it into a
    link (then a link is required)."""
    item = ContentItem.objects.select_for_update().get(pk=item.pk)
    cleaners = {"title": lambda v: (v or "").strip(), "description": lambda v: (v or "").strip(),
                "url": _clean_url, "tags": _clean_tags, "partner_types": _clean_types,
                "min_tier_rank": _clean_rank}
    data = {k: cleaners[k](v) for k, v in fields.items() if k in UPDATABLE}
    if "title" in data and not data["title"]:
        raise InvalidInput(_("Enter a title."), field="title")
    diff = {k: {"from": getattr(item, k), "to": v} for k, v in data.items()
            if getattr(item, k) != v}
    old_file = item.file.name
    if file:
        _clean_file(file)
        diff["file"] = {"from": posixpath.basename(old_file), "to": file.name}
        data["url"] = ""
    elif remove_file and old_file:
        diff["file"] = {"from": posixpath.basename(old_file), "to": ""}
    has_file = bool(file) or (bool(old_file) and not remove_file)
    url = data.get("url", item.url)
    if has_file == bool(url):
        raise InvalidInput(_("Give either a link or a file."),
                           field="file" if has_file else "url")
    for key, value in data.items():
        setattr(item, key, value)
    if file:
        item.file.save(_storage_name(file), file, save=False)
    elif remove_file:
        item.file = ""
    if stages is not None:
        before = set(ContentStage.objects.filter(content=item).values_list("deal_stage_id",
                                                                            flat=True))
        after = {stage.pk for stage in stages}
        if before != after:
            diff["stages"] = {"from": sorted(before), "to": sorted(after)}
            _set_stages(item, stages, replace=True)
    if not diff:
        return item
    item.save()
    if "file" in diff:
        _delete_file_after_commit(old_file)
    record_event(actor=actor, verb="content.updated", subject=item, data=_jsonable(diff))
    return item


@transaction.atomic
def content_delete(*, actor, item: ContentItem) -> None:
    """Remove an item from the library (its file goes once the removal commits)."""
    record_event(actor=actor, verb="content.deleted", subject=item,
                 data={"title": item.title})
    name = item.file.name
    item.delete()
    _delete_file_after_commit(name)


@transaction.atomic
def content_open(*, actor, member: Membership, item: ContentItem) -> None:
    """Record that ``member`` opened ``item`` (and downloaded it, for a file)."""
    data = {"partner_id": member.partner_id, "title": item.title}
    record_event(actor=actor, verb=VIEWED, subject=item, data=data)
    if item.file:
        record_event(actor=actor, verb=DOWNLOADED, subject=item, data=data)


def _set_stages(item: ContentItem, stages: Iterable[DealStage], *, replace: bool = False) -> None:
    if replace:
        ContentStage.objects.filter(content=item).delete()
    ContentStage.objects.bulk_create(
        [ContentStage(content=item, deal_stage=stage) for stage in {s.pk: s for s in stages}
         .values()])


def _jsonable(diff: dict) -> dict:
    return {key: {side: value if isinstance(value, str | int | list | type(None)) else str(value)
                  for side, value in change.items()} for key, change in diff.items()}


# --- selectors ------------------------------------------------------------------------

def content_visible(*, member: Membership) -> QuerySet[ContentItem]:
    """Every item for the vendor's people; for partner people, the items open to their
    partner's type and tier."""
    items = ContentItem.objects.all()
    if not member.is_partner:
        return items
    partner = (Partner.objects.filter(pk=member.partner_id)
               .values_list("partner_type", "tier__rank").first())
    if partner is None:
        return items.none()
    partner_type, rank = partner
    items = items.filter(Q(partner_types=[]) | Q(partner_types__contains=[partner_type]))
    return items.filter(Q(min_tier_rank__isnull=True) | Q(min_tier_rank__lte=rank or 0))


def content_list(*, member: Membership, q: str = "", tag: str = "") -> QuerySet[ContentItem]:
    """The library as ``member`` sees it, filtered; deal stages prefetched."""
    items = content_visible(member=member)
    if q:
        items = items.filter(Q(title__icontains=q) | Q(description__icontains=q)
                             | Q(tags__icontains=q))
    if tag:
        items = items.filter(tags__contains=[tag])
    return items.prefetch_related("stages").order_by("title", "pk")


def content_tags(*, member: Membership) -> list[str]:
    """The tags of the items ``member`` sees (one query)."""
    tags = (content_visible(member=member).order_by()
            .annotate(tag=Func(F("tags"), function="jsonb_array_elements_text"))
            .values_list("tag", flat=True).distinct())
    return sorted(tags, key=str.casefold)


def content_counts(*, item_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Views and downloads per item, counted from the event log in one query."""
    ids = [str(pk) for pk in item_ids]
    counts: dict[int, dict[str, int]] = {int(pk): {"views": 0, "downloads": 0} for pk in ids}
    if not ids:
        return counts
    rows = (Event.objects
            .filter(subject_type=SUBJECT_TYPE, subject_id__in=ids, verb__in=[VIEWED, DOWNLOADED])
            .values_list("subject_id", "verb").annotate(n=Count("pk")).order_by())
    for subject_id, verb, n in rows:
        counts[int(subject_id)]["views" if verb == VIEWED else "downloads"] = n
    return counts


# --- access ---------------------------------------------------------------------------

def get_content_for_member(member: Membership, item_id: int) -> ContentItem:
    """An item ``member`` may see; 404 for missing and not-visible alike."""
    item = content_visible(member=member).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item


def get_content_rw_for_member(member: Membership, item_id: int) -> ContentItem:
    """The library is edited by tenant admins only."""
    if member.role != Role.TENANT_ADMIN:
        raise Http404
    item = ContentItem.objects.filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item
