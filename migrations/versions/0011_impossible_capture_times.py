"""capture times that cannot be true are forgotten: before the service existed (2020-01-01) or later
than a day after this migration runs. The phone's clock was wrong, or the body forged; one of year
10000 (sent as 9999-12-31T23:59:59-14:00, stored in UTC) could not even be read back on PostgreSQL,
and every page listing its submission failed. The submission keeps its received time; the API now
refuses such times.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 23:00:00

"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

SERVICE_START = datetime(2020, 1, 1, tzinfo=timezone.utc)


def upgrade():
    when = sa.DateTime(timezone=True)
    op.get_bind().execute(
        sa.text("UPDATE submission SET captured_at = NULL WHERE captured_at < :earliest OR captured_at > :latest")
        .bindparams(sa.bindparam("earliest", SERVICE_START, type_=when),
                    sa.bindparam("latest", datetime.now(timezone.utc) + timedelta(days=1), type_=when)))


def downgrade():
    pass  # what was forgotten is not known any more
