"""Cache keys carry the tenant, so rate limits and cached values never cross tenants."""

from prm.tenancy import get_current_tenant


def tenant_cache_key(key: str, key_prefix: str, version: int) -> str:
    tenant = get_current_tenant()
    scope = f"t{tenant.pk}" if tenant is not None else "global"
    return f"{key_prefix}:{version}:{scope}:{key}"
