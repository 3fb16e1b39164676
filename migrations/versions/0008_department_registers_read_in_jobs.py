"""department registers read in jobs: the stored file's format and column mapping, why a file was
refused, the report the job built; what became of each suspicious row (its own task, an open one
joined, held back by a cap and why, sent or dismissed by a person) and where its task lies; indexes
for a register's rows page by page, its task rows, the held rows of a jurisdiction and a day's
register tasks

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 22:34:15.836319

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('register', schema=None) as batch_op:
        batch_op.add_column(sa.Column('format', sa.String(length=8), nullable=False, server_default='xlsx'))
        batch_op.add_column(sa.Column('columns', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('problem', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('report', sa.JSON(), nullable=True))

    with op.batch_alter_table('register_row', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatch', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('held_reason', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('task_area_id', sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_register_row_register_id'))
        batch_op.create_index('ix_register_row_dispatch_area', ['dispatch', 'task_area_id'], unique=False)
        batch_op.create_index('ix_register_row_register_dispatch', ['register_id', 'dispatch'], unique=False)
        batch_op.create_index('ix_register_row_register_row_number', ['register_id', 'row_number'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_register_row_task_area_id_area'), 'area', ['task_area_id'], ['id'])

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_kind_created', ['kind', 'created_at'], unique=False)

    # Registers compared before: every row with a task had its own or an open one (told apart no more).
    op.execute("UPDATE register_row SET dispatch = 'opened' WHERE task_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_kind_created')

    with op.batch_alter_table('register_row', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_register_row_task_area_id_area'), type_='foreignkey')
        batch_op.drop_index('ix_register_row_register_row_number')
        batch_op.drop_index('ix_register_row_register_dispatch')
        batch_op.drop_index('ix_register_row_dispatch_area')
        batch_op.create_index(batch_op.f('ix_register_row_register_id'), ['register_id'], unique=False)
        batch_op.drop_column('task_area_id')
        batch_op.drop_column('held_reason')
        batch_op.drop_column('dispatch')

    with op.batch_alter_table('register', schema=None) as batch_op:
        batch_op.drop_column('report')
        batch_op.drop_column('problem')
        batch_op.drop_column('columns')
        batch_op.drop_column('format')
