from django.db import migrations

SQL = """
CREATE FUNCTION deals_deal_registered_at_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.registered_at IS DISTINCT FROM OLD.registered_at THEN
        RAISE EXCEPTION 'deals_deal.registered_at is immutable: first in wins depends on it';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER deals_deal_registered_at_immutable BEFORE UPDATE ON deals_deal
    FOR EACH ROW EXECUTE FUNCTION deals_deal_registered_at_immutable();
"""


class Migration(migrations.Migration):
    """First-in-wins rests on ``registered_at``; the database refuses to change it."""

    dependencies = [("deals", "0001_initial")]

    operations = [
        migrations.RunSQL(SQL, "DROP TRIGGER deals_deal_registered_at_immutable ON deals_deal;"
                               "DROP FUNCTION deals_deal_registered_at_immutable();"),
    ]
