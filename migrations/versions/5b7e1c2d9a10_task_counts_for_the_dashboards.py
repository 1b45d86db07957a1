"""task counts per lead unit and status, and open tasks by deadline, for the dashboards

Revision ID: 5b7e1c2d9a10
Revises: 221a610006af
Create Date: 2026-11-22 10:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e1c2d9a10'
down_revision = '221a610006af'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'task_counts',
        sa.Column('lead_unit_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('on_time', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['lead_unit_id'], ['units.id'], name=op.f('fk_task_counts_lead_unit_id_units')),
        sa.PrimaryKeyConstraint('lead_unit_id', 'status', name=op.f('pk_task_counts')),
    )
    # The counts of the tasks already there (live: not in a draft dispatch).
    op.execute(
        "INSERT INTO task_counts (lead_unit_id, status, n, on_time) "
        "SELECT lead_unit_id, status, count(*), sum(CASE WHEN on_time THEN 1 ELSE 0 END) FROM tasks "
        "WHERE dispatch_id NOT IN (SELECT id FROM dispatches WHERE status = 'draft') "
        "GROUP BY lead_unit_id, status"
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_open_deadline', ['deadline', 'id'], unique=False,
                              postgresql_where=sa.text("status IN ('assigned', 'in_progress', 'overdue')"),
                              sqlite_where=sa.text("status IN ('assigned', 'in_progress', 'overdue')"))


def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_open_deadline',
                            postgresql_where=sa.text("status IN ('assigned', 'in_progress', 'overdue')"),
                            sqlite_where=sa.text("status IN ('assigned', 'in_progress', 'overdue')"))
    op.drop_table('task_counts')
