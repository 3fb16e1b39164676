"""plate, plate_print: QR plates (one active per address node) and their printing history

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('object_code', sa.String(length=21), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('prints', sa.Integer(), nullable=False),
    sa.Column('last_printed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ended_by_id'], ['user.id'], name=op.f('fk_plate_ended_by_id_user')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_plate_issued_by_id_user')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['plate.id'], name=op.f('fk_plate_replaced_by_id_plate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plate')),
    sa.UniqueConstraint('token', name=op.f('uq_plate_token'))
    )
    with op.batch_alter_table('plate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plate_object_code'), ['object_code'], unique=False)
        batch_op.create_index('uq_plate_active_object', ['object_code'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('plate_print',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plate_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=True),
    sa.Column('output', sa.String(length=8), nullable=False),
    sa.Column('printed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('printed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['plate_id'], ['plate.id'], name=op.f('fk_plate_print_plate_id_plate')),
    sa.ForeignKeyConstraint(['printed_by_id'], ['user.id'], name=op.f('fk_plate_print_printed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plate_print'))
    )
    with op.batch_alter_table('plate_print', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plate_print_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plate_print_plate_id'), ['plate_id'], unique=False)



def downgrade():
    with op.batch_alter_table('plate_print', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plate_print_plate_id'))
        batch_op.drop_index(batch_op.f('ix_plate_print_job_id'))

    op.drop_table('plate_print')
    with op.batch_alter_table('plate', schema=None) as batch_op:
        batch_op.drop_index('uq_plate_active_object', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_plate_object_code'))

    op.drop_table('plate')
