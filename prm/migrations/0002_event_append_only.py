from django.db import migrations

APPEND_ONLY = """
CREATE FUNCTION prm_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'prm_event is append-only: events are never deleted';
    END IF;
    IF (NEW.id, NEW.tenant_id, NEW.created_at, NEW.actor_id, NEW.verb, NEW.subject_type,
        NEW.subject_id, NEW.data)
       IS DISTINCT FROM
       (OLD.id, OLD.tenant_id, OLD.created_at, OLD.actor_id, OLD.verb, OLD.subject_type,
        OLD.subject_id, OLD.data) THEN
        RAISE EXCEPTION 'prm_event is append-only: only delivery bookkeeping may change';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER prm_event_append_only BEFORE UPDATE OR DELETE ON prm_event
    FOR EACH ROW EXECUTE FUNCTION prm_event_append_only();
"""


class Migration(migrations.Migration):
    """The event log is the audit trail: the database refuses edits and deletes.

    Only ``delivered_at`` and ``delivery_attempts`` (the outbox's bookkeeping) may change.
    A user's deletion would set ``actor_id`` to NULL, so people are deactivated, never
    deleted, once they have acted.
    """

    dependencies = [("prm", "0001_initial")]

    operations = [
        migrations.RunSQL(
            APPEND_ONLY,
            "DROP TRIGGER prm_event_append_only ON prm_event;"
            "DROP FUNCTION prm_event_append_only();",
        ),
    ]
