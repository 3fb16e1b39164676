"""writes that may race are decided by the database: a submission's row version (every write of it is
made only if the row is still as it was read); one resident in residence per ID number

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN with a constant default: no table rebuild on SQLite, no rewrite on PostgreSQL.
    op.add_column('submission', sa.Column('row_version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.create_index('uq_resident_active_id_number', ['id_number_hash'], unique=True,
                              sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))


def downgrade():
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.drop_index('uq_resident_active_id_number', sqlite_where=sa.text("status = 'active'"),
                            postgresql_where=sa.text("status = 'active'"))
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('row_version')
