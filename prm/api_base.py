"""Base API classes: scoping, idempotent POSTs, one mapping of domain errors to HTTP."""

from __future__ import annotations

import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework import exceptions, status, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from prm.errors import DomainError
from prm.models import ApiKey, IdempotencyRecord

IDEMPOTENCY_HEADER = "Idempotency-Key"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request."
    default_code = "idempotency_key_reused"


class _Replay(Exception):
    def __init__(self, record: IdempotencyRecord):
        self.record = record


def exception_handler(exc, context):
    """DRF's handler plus ``DomainError`` → its status with a JSON message."""
    if isinstance(exc, DomainError):
        body = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        body["code"] = exc.code
        return Response(body, status=exc.status_code)
    return drf_exception_handler(exc, context)


class TenantAPIMixin:
    """Every API class of ours: tenant-scoped permission and ``Idempotency-Key`` on POST.

    A repeated POST with the same key and body returns the first response and writes
    nothing; the same key with another body is 422. Keys are per tenant and per caller.
    """

    _idempotency: tuple[str, str, str] | None = None

    def initial(self, request, *args, **kwargs):
        key = request.headers.get(IDEMPOTENCY_HEADER)
        body = request._request.body if request.method == "POST" and key else b""
        super().initial(request, *args, **kwargs)
        self._idempotency = None
        if not key or request.method != "POST":
            return
        if len(key) > 255:
            raise exceptions.ValidationError({IDEMPOTENCY_HEADER: ["At most 255 characters."]})
        caller = (f"apikey:{request.auth.pk}" if isinstance(request.auth, ApiKey)
                  else f"user:{request.user.pk}")
        digest = hashlib.sha256(request.path.encode() + b"\0" + body).hexdigest()
        record = IdempotencyRecord.objects.filter(caller=caller, key=key).first()
        if record is not None:
            if record.request_hash != digest:
                raise IdempotencyKeyReused()
            raise _Replay(record)
        self._idempotency = (caller, key, digest)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return self._replay(exc.record)
        return super().handle_exception(exc)

    def _replay(self, record: IdempotencyRecord) -> Response:
        response = Response(record.response_body, status=record.status_code)
        response["Idempotent-Replayed"] = "true"
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        if self._idempotency and response.status_code < 500:
            caller, key, digest = self._idempotency
            self._idempotency = None
            body = (json.loads(JSONRenderer().render(response.data))
                    if response.data is not None else None)
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        caller=caller, key=key, method=request.method, path=request.path[:512],
                        request_hash=digest, status_code=response.status_code,
                        response_body=body,
                    )
            except IntegrityError:
                # A concurrent twin committed first: drop our writes, answer with its response.
                record = IdempotencyRecord.objects.get(caller=caller, key=key)
                transaction.set_rollback(True)
                response = self._replay(record)
        return super().finalize_response(request, response, *args, **kwargs)


class TenantAPIView(TenantAPIMixin, APIView):
    pass


class TenantViewSet(TenantAPIMixin, viewsets.GenericViewSet):
    """Querysets come from tenant managers (which raise without a tenant); subclasses
    narrow them to the caller with selectors and only add filters."""

    lookup_value_converter = "int"
