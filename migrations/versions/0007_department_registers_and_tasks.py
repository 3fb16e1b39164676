"""department registers (kinds with their column mapping, uploads, rows and what comparing found);
verification tasks answered by the phone's outbox (answer id and hash), reminded and escalated, and
open without a door plate (a street office checks them)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 09:36:02.359760

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('register_kind',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_kind')),
    sa.UniqueConstraint('name', name=op.f('uq_register_kind_name'))
    )
    op.create_table('register',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('encoding', sa.String(length=16), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_register_area_id_area')),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_register_job_id_job')),
    sa.ForeignKeyConstraint(['kind_id'], ['register_kind.id'], name=op.f('fk_register_kind_id_register_kind')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_register_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register'))
    )
    with op.batch_alter_table('register', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_kind_id'), ['kind_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_register_uploaded_by_id'), ['uploaded_by_id'], unique=False)

    op.create_table('register_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('credit_code', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('contact', sa.String(length=64), nullable=False),
    sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
    sa.Column('phone_masked', sa.String(length=32), nullable=True),
    sa.Column('errors', sa.JSON(), nullable=True),
    sa.Column('klass', sa.String(length=16), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.Column('name_score', sa.Float(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('address_code', sa.String(length=21), nullable=True),
    sa.Column('found_code', sa.String(length=21), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['district_id'], ['area.id'], name=op.f('fk_register_row_district_id_area')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_register_row_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['register_id'], ['register.id'], name=op.f('fk_register_row_register_id_register')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_register_row_task_id_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_row'))
    )
    with op.batch_alter_table('register_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_row_register_id'), ['register_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_register_row_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('answer_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('answer_hash', sa.String(length=64), nullable=True))
        batch_op.alter_column('door_plate_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('object_code',
               existing_type=sa.VARCHAR(length=21),
               nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_task_answer_id'), ['answer_id'])



def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_task_answer_id'), type_='unique')
        batch_op.alter_column('object_code',
               existing_type=sa.VARCHAR(length=21),
               nullable=False)
        batch_op.alter_column('door_plate_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('answer_hash')
        batch_op.drop_column('answer_id')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('reminded_at')

    with op.batch_alter_table('register_row', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_row_task_id'))
        batch_op.drop_index(batch_op.f('ix_register_row_register_id'))

    op.drop_table('register_row')
    with op.batch_alter_table('register', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_uploaded_by_id'))
        batch_op.drop_index(batch_op.f('ix_register_kind_id'))

    op.drop_table('register')
    op.drop_table('register_kind')
