from django.conf import settings


def portal(request):
    membership = getattr(request, "membership", None)
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "role": membership.role if membership else None,
        "LANGUAGES": settings.LANGUAGES,
    }
