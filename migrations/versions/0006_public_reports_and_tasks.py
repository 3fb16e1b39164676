"""public reports (receipt and the reporter's protected personal data; a submission without a
collector), verification tasks, and the default chains of the reports' kinds

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# As app.review.chains installs them (org_change takes the kinds' common default).
CHAINS = {"residence": [{"label": "社区核查", "reviewer": "police"}, {"label": "初审", "reviewer": "street"}],
          "org_change": [{"label": "初审", "reviewer": "street_or_owner"}, {"label": "复审", "reviewer": "district"}],
          "plate_problem": [{"label": "核实", "reviewer": "street"}]}


def upgrade():
    op.create_table('public_report',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=10), nullable=False),
    sa.Column('receipt_token', sa.String(length=24), nullable=False),
    sa.Column('id_number_enc', sa.LargeBinary(), nullable=True),
    sa.Column('id_number_hash', sa.String(length=64), nullable=True),
    sa.Column('id_number_masked', sa.String(length=18), nullable=True),
    sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
    sa.Column('phone_masked', sa.String(length=16), nullable=True),
    sa.Column('room_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_public_report_submission_id_submission')),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_public_report')),
    sa.UniqueConstraint('receipt_token', name=op.f('uq_public_report_receipt_token')),
    sa.UniqueConstraint('reference', name=op.f('uq_public_report_reference'))
    )
    with op.batch_alter_table('public_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_report_id_number_hash'), ['id_number_hash'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('door_plate_id', sa.Integer(), nullable=False),
    sa.Column('object_code', sa.String(length=21), nullable=False),
    sa.Column('address_text', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('photo_sha256', sa.String(length=64), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_task_area_id_area')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_task_closed_by_id_user')),
    sa.ForeignKeyConstraint(['door_plate_id'], ['door_plate.id'], name=op.f('fk_task_door_plate_id_door_plate')),
    sa.ForeignKeyConstraint(['photo_sha256'], ['photo.sha256'], name=op.f('fk_task_photo_sha256_photo')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_task_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_door_plate_id'), ['door_plate_id'], unique=False)
        batch_op.create_index('ix_task_open', ['area_id', 'status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_submission_id'), ['submission_id'], unique=False)

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.alter_column('collector_id',
               existing_type=sa.INTEGER(),
               nullable=True)

    chain = sa.table('review_chain', sa.column('kind', sa.String), sa.column('area_code', sa.String),
                     sa.column('version', sa.Integer), sa.column('steps', sa.JSON), sa.column('active', sa.Boolean),
                     sa.column('created_at', sa.DateTime(timezone=True)))
    for kind, steps in CHAINS.items():
        op.execute(chain.insert().values(kind=kind, area_code=None, version=1, steps=steps, active=True,
                                         created_at=sa.func.now()))


def downgrade():
    kinds = "('residence', 'org_change', 'plate_problem')"
    op.execute("DELETE FROM task")
    op.execute("DELETE FROM public_report")
    op.execute(f"DELETE FROM submission_photo WHERE submission_id IN (SELECT id FROM submission WHERE kind IN {kinds})")
    op.execute(f"DELETE FROM submission WHERE kind IN {kinds}")
    op.execute(f"DELETE FROM review_chain WHERE kind IN {kinds}")
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.alter_column('collector_id',
               existing_type=sa.INTEGER(),
               nullable=False)

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_submission_id'))
        batch_op.drop_index('ix_task_open')
        batch_op.drop_index(batch_op.f('ix_task_door_plate_id'))

    op.drop_table('task')
    with op.batch_alter_table('public_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_report_id_number_hash'))

    op.drop_table('public_report')
