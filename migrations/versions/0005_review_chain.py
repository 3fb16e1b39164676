"""review_chain, and the review state of a submission (chain, step, the role acting there, claim,
base versions, flags, comments); the default chains of the pilot

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

DEFAULT_STEPS = [{"label": "初审", "reviewer": "street_or_owner"}, {"label": "复审", "reviewer": "district"}]


def upgrade():
    chain = op.create_table('review_chain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('area_code', sa.String(length=15), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_review_chain_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_chain'))
    )
    op.create_index('uq_review_chain_active', 'review_chain', ['kind', sa.text("coalesce(area_code, '')")], unique=True,
                    sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('step', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('step_role', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('base', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('flags', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('comments', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_submission_chain_id_review_chain'), 'review_chain', ['chain_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_submission_claimed_by_id_user'), 'user', ['claimed_by_id'], ['id'])
        batch_op.create_index('ix_submission_queue', ['step_role', 'id'], unique=False,
                              sqlite_where=sa.text('step_role IS NOT NULL'), postgresql_where=sa.text('step_role IS NOT NULL'))
        batch_op.create_index('ix_submission_queue_area', ['step_role', 'area_id', 'kind', 'status'], unique=False,
                              sqlite_where=sa.text('step_role IS NOT NULL'), postgresql_where=sa.text('step_role IS NOT NULL'))
    now = sa.func.now()
    for kind in ("shop", "binding"):
        op.execute(chain.insert().values(kind=kind, area_code=None, version=1, steps=DEFAULT_STEPS, active=True,
                                         created_at=now))
    # Submissions made before review existed: bindings took effect at once; shops wait for the first review.
    op.execute("UPDATE submission SET status = 'approved' WHERE status = 'applied'")
    op.execute("UPDATE submission SET step_role = 'street_reviewer', chain_id = "
               "(SELECT id FROM review_chain WHERE review_chain.kind = submission.kind AND area_code IS NULL) "
               "WHERE status = 'submitted'")


def downgrade():
    op.execute("UPDATE submission SET status = 'applied' WHERE status = 'approved' AND kind = 'binding'")
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_queue_area', sqlite_where=sa.text('step_role IS NOT NULL'),
                            postgresql_where=sa.text('step_role IS NOT NULL'))
        batch_op.drop_index('ix_submission_queue', sqlite_where=sa.text('step_role IS NOT NULL'),
                            postgresql_where=sa.text('step_role IS NOT NULL'))
        batch_op.drop_constraint(batch_op.f('fk_submission_claimed_by_id_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_submission_chain_id_review_chain'), type_='foreignkey')
        for column in ('decided_at', 'reason', 'comments', 'flags', 'base', 'claimed_until', 'claimed_by_id',
                       'step_role', 'step', 'chain_id'):
            batch_op.drop_column(column)
    op.drop_index('uq_review_chain_active', table_name='review_chain', sqlite_where=sa.text('active'),
                  postgresql_where=sa.text('active'))
    op.drop_table('review_chain')
