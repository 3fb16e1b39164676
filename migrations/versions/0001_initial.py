"""address base, actuals, accounts, audit, jobs

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 20:54:01.923916

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=15).with_variant(sa.String(length=15, collation='C'), 'postgresql'), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['area.id'], name=op.f('fk_area_parent_id_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area')),
    sa.UniqueConstraint('code', name=op.f('uq_area_code'))
    )
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_area_parent_id'), ['parent_id'], unique=False)

    op.create_table('object_code_serial',
    sa.Column('division', sa.String(length=6), nullable=False),
    sa.Column('classification', sa.String(length=6), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('division', 'classification', name=op.f('pk_object_code_serial'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_key_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_prefix'), ['prefix'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_key_user_id'), ['user_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_log_actor_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_object', ['object_type', 'object_id'], unique=False)

    op.create_table('compound',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('developer', sa.String(length=128), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_compound_area_id_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compound'))
    )
    with op.batch_alter_table('compound', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compound_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_compound_name'), ['name'], unique=False)

    op.create_table('job',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('result_path', sa.String(length=255), nullable=True),
    sa.Column('result_name', sa.String(length=255), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_job_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_status'), ['status'], unique=False)

    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_code', sa.String(length=21), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('credit_code_flags', sa.JSON(), nullable=True),
    sa.Column('legal_representative', sa.String(length=64), nullable=True),
    sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
    sa.Column('phone_masked', sa.String(length=16), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_organisation_area_id_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_organisation_credit_code')),
    sa.UniqueConstraint('object_code', name=op.f('uq_organisation_object_code'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_name'), ['name'], unique=False)

    op.create_table('road',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_road_area_id_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_road'))
    )
    with op.batch_alter_table('road', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_road_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_road_name'), ['name'], unique=False)
        batch_op.create_index('uq_road_active_name', ['area_id', 'name'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('user_area',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_user_area_area_id_area')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_area_user_id_user')),
    sa.PrimaryKeyConstraint('user_id', 'area_id', name=op.f('pk_user_area'))
    )
    op.create_table('user_object',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('object_code', sa.String(length=21), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_object_user_id_user')),
    sa.PrimaryKeyConstraint('user_id', 'object_code', name=op.f('pk_user_object'))
    )
    op.create_table('door_plate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_code', sa.String(length=21), nullable=False),
    sa.Column('road_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('grid_code', sa.String(length=20).with_variant(sa.String(length=20, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_door_plate_area_id_area')),
    sa.ForeignKeyConstraint(['road_id'], ['road.id'], name=op.f('fk_door_plate_road_id_road')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_door_plate')),
    sa.UniqueConstraint('object_code', name=op.f('uq_door_plate_object_code'))
    )
    with op.batch_alter_table('door_plate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_door_plate_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_door_plate_grid_code'), ['grid_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_door_plate_road_id'), ['road_id'], unique=False)
        batch_op.create_index('uq_door_plate_active_number', ['road_id', 'number'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('building',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_code', sa.String(length=21), nullable=False),
    sa.Column('door_plate_id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=16), nullable=True),
    sa.Column('name', sa.String(length=64), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('floors', sa.Integer(), nullable=False),
    sa.Column('use', sa.String(length=16), nullable=False),
    sa.Column('footprint', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('grid_code', sa.String(length=20).with_variant(sa.String(length=20, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_building_area_id_area')),
    sa.ForeignKeyConstraint(['compound_id'], ['compound.id'], name=op.f('fk_building_compound_id_compound')),
    sa.ForeignKeyConstraint(['door_plate_id'], ['door_plate.id'], name=op.f('fk_building_door_plate_id_door_plate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building')),
    sa.UniqueConstraint('object_code', name=op.f('uq_building_object_code'))
    )
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_building_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_building_compound_id'), ['compound_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_building_door_plate_id'), ['door_plate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_building_grid_code'), ['grid_code'], unique=False)
        batch_op.create_index('uq_building_active_number', ['door_plate_id', 'number'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_code', sa.String(length=21), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_unit_building_id_building')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('object_code', name=op.f('uq_unit_object_code'))
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_building_id'), ['building_id'], unique=False)
        batch_op.create_index('uq_unit_active_number', ['building_id', 'number'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('room',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_code', sa.String(length=21), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('floor', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('use', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_room_building_id_building')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_room_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room')),
    sa.UniqueConstraint('object_code', name=op.f('uq_room_object_code'))
    )
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_room_unit_id'), ['unit_id'], unique=False)
    # Rooms without a unit must be unique too, and NULLs never collide in a unique index.
    op.create_index('uq_room_active_number', 'room', ['building_id', sa.text('coalesce(unit_id, 0)'), 'number'],
                    unique=True, sqlite_where=sa.text("status = 'active'"),
                    postgresql_where=sa.text("status = 'active'"))

    op.create_table('binding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('door_plate_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(room_id IS NULL) <> (door_plate_id IS NULL)', name=op.f('ck_binding_one_target')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_binding_created_by_id_user')),
    sa.ForeignKeyConstraint(['door_plate_id'], ['door_plate.id'], name=op.f('fk_binding_door_plate_id_door_plate')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_binding_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_binding_room_id_room')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_binding'))
    )
    with op.batch_alter_table('binding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_binding_door_plate_id'), ['door_plate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_binding_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_binding_room_id'), ['room_id'], unique=False)
        batch_op.create_index('uq_binding_one_active', ['organisation_id'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.create_table('housing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('use', sa.String(length=16), nullable=False),
    sa.Column('ownership', sa.String(length=16), nullable=False),
    sa.Column('rented', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_housing_room_id_room')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_housing')),
    sa.UniqueConstraint('room_id', name=op.f('uq_housing_room_id'))
    )
    op.create_table('resident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('id_number_enc', sa.LargeBinary(), nullable=False),
    sa.Column('id_number_hash', sa.String(length=64), nullable=False),
    sa.Column('id_number_masked', sa.String(length=18), nullable=False),
    sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
    sa.Column('phone_masked', sa.String(length=16), nullable=True),
    sa.Column('sex', sa.String(length=8), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('moved_in', sa.Date(), nullable=True),
    sa.Column('moved_out', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_resident_room_id_room')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resident'))
    )
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_id_number_hash'), ['id_number_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_room_id'), ['room_id'], unique=False)



def downgrade():
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_room_id'))
        batch_op.drop_index(batch_op.f('ix_resident_id_number_hash'))

    op.drop_table('resident')
    op.drop_table('housing')
    with op.batch_alter_table('binding', schema=None) as batch_op:
        batch_op.drop_index('uq_binding_one_active', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
        batch_op.drop_index(batch_op.f('ix_binding_room_id'))
        batch_op.drop_index(batch_op.f('ix_binding_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_binding_door_plate_id'))

    op.drop_table('binding')
    op.drop_index('uq_room_active_number', table_name='room')
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_unit_id'))
        batch_op.drop_index(batch_op.f('ix_room_building_id'))

    op.drop_table('room')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index('uq_unit_active_number', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_unit_building_id'))

    op.drop_table('unit')
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.drop_index('uq_building_active_number', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_building_grid_code'))
        batch_op.drop_index(batch_op.f('ix_building_door_plate_id'))
        batch_op.drop_index(batch_op.f('ix_building_compound_id'))
        batch_op.drop_index(batch_op.f('ix_building_area_id'))

    op.drop_table('building')
    with op.batch_alter_table('door_plate', schema=None) as batch_op:
        batch_op.drop_index('uq_door_plate_active_number', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_door_plate_road_id'))
        batch_op.drop_index(batch_op.f('ix_door_plate_grid_code'))
        batch_op.drop_index(batch_op.f('ix_door_plate_area_id'))

    op.drop_table('door_plate')
    op.drop_table('user_object')
    op.drop_table('user_area')
    with op.batch_alter_table('road', schema=None) as batch_op:
        batch_op.drop_index('uq_road_active_name', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_road_name'))
        batch_op.drop_index(batch_op.f('ix_road_area_id'))

    op.drop_table('road')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_name'))
        batch_op.drop_index(batch_op.f('ix_organisation_area_id'))

    op.drop_table('organisation')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_status'))
        batch_op.drop_index(batch_op.f('ix_job_created_by_id'))

    op.drop_table('job')
    with op.batch_alter_table('compound', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compound_name'))
        batch_op.drop_index(batch_op.f('ix_compound_area_id'))

    op.drop_table('compound')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_object')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_user_id'))
        batch_op.drop_index(batch_op.f('ix_api_key_prefix'))

    op.drop_table('api_key')
    op.drop_table('user')
    op.drop_table('object_code_serial')
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_parent_id'))
        batch_op.drop_index(batch_op.f('ix_area_level'))

    op.drop_table('area')
