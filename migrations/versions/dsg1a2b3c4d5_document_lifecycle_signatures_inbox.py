"""the outgoing document's life: lifecycle, history, inbox, signing credentials; users' titles

Revision ID: dsg1a2b3c4d5
Revises: sec14a1b2c3d
Create Date: 2026-11-29 17:10:00

"""
from alembic import op
import sqlalchemy as sa

from models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'dsg1a2b3c4d5'
down_revision = 'sec14a1b2c3d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=200), nullable=True))
    op.create_table(
        'document_lifecycles',
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('signer_id', sa.Integer(), nullable=True),
        sa.Column('issuer_id', sa.Integer(), nullable=True),
        sa.Column('symbol', sa.String(length=40), nullable=True),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('unsigned_key', sa.String(length=200), nullable=True),
        sa.Column('unsigned_sha256', sa.String(length=64), nullable=True),
        sa.Column('signed_key', sa.String(length=200), nullable=True),
        sa.Column('signed_sha256', sa.String(length=64), nullable=True),
        sa.Column('sign_method', sa.String(length=20), nullable=True),
        sa.Column('signed_at', UTCDateTime(), nullable=True),
        sa.Column('issued_key', sa.String(length=200), nullable=True),
        sa.Column('issued_sha256', sa.String(length=64), nullable=True),
        sa.Column('number', sa.String(length=60), nullable=True),
        sa.Column('issued_on', sa.Date(), nullable=True),
        sa.Column('issued_at', UTCDateTime(), nullable=True),
        sa.Column('register_entry_id', sa.Integer(), nullable=True),
        sa.Column('external_recipients', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_lifecycles_document_id_documents')),
        sa.ForeignKeyConstraint(['signer_id'], ['users.id'], name=op.f('fk_document_lifecycles_signer_id_users')),
        sa.ForeignKeyConstraint(['issuer_id'], ['units.id'], name=op.f('fk_document_lifecycles_issuer_id_units')),
        sa.ForeignKeyConstraint(['register_entry_id'], ['register_entries.id'],
                                name=op.f('fk_document_lifecycles_register_entry_id_register_entries')),
        sa.PrimaryKeyConstraint('document_id', name=op.f('pk_document_lifecycles')),
    )
    op.create_index(op.f('ix_document_lifecycles_status'), 'document_lifecycles', ['status'])
    op.create_index(op.f('ix_document_lifecycles_signer_id'), 'document_lifecycles', ['signer_id'])
    op.create_table(
        'document_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('event', sa.String(length=30), nullable=False),
        sa.Column('from_status', sa.String(length=20), nullable=True),
        sa.Column('to_status', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['document_lifecycles.document_id'],
                                name=op.f('fk_document_events_document_id_document_lifecycles')),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_document_events_actor_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_events')),
    )
    op.create_index(op.f('ix_document_events_document_id'), 'document_events', ['document_id'])
    op.create_table(
        'inbox_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('delivered_at', UTCDateTime(), nullable=False),
        sa.Column('read_at', UTCDateTime(), nullable=True),
        sa.Column('read_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['document_id'], ['document_lifecycles.document_id'],
                                name=op.f('fk_inbox_items_document_id_document_lifecycles')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_inbox_items_unit_id_units')),
        sa.ForeignKeyConstraint(['read_by_id'], ['users.id'], name=op.f('fk_inbox_items_read_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_items')),
        sa.UniqueConstraint('document_id', 'unit_id', name='uq_inbox_items_document_unit'),
    )
    op.create_index(op.f('ix_inbox_items_document_id'), 'inbox_items', ['document_id'])
    op.create_index(op.f('ix_inbox_items_unit_id'), 'inbox_items', ['unit_id'])
    op.create_table(
        'signing_credentials',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('pkcs12', sa.LargeBinary(), nullable=False),
        sa.Column('image', sa.LargeBinary(), nullable=True),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('issuer', sa.String(length=300), nullable=False),
        sa.Column('serial', sa.String(length=80), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('not_before', UTCDateTime(), nullable=True),
        sa.Column('not_after', UTCDateTime(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_signing_credentials_user_id_users')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_signing_credentials_unit_id_units')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_signing_credentials_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_credentials')),
    )
    op.create_index(op.f('ix_signing_credentials_user_id'), 'signing_credentials', ['user_id'])
    op.create_index(op.f('ix_signing_credentials_unit_id'), 'signing_credentials', ['unit_id'])


def downgrade():
    op.drop_table('signing_credentials')
    op.drop_table('inbox_items')
    op.drop_table('document_events')
    op.drop_table('document_lifecycles')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('title')
