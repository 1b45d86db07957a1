"""index-friendly task lists: a unit's coordinated tasks; title words (PostgreSQL)

Revision ID: perf1a2b3c4d5
Revises: dsg1a2b3c4d5
Create Date: 2026-11-29 17:30:00

- ``ix_task_coordinating_units_unit`` (unit_id, task_id): the tasks a unit coordinates, the second
  half of a department's "led or coordinated" list (the primary key starts with task_id).
- ``ix_tasks_deadline_id`` (deadline, id) and ``ix_tasks_status_deadline_id`` (status, deadline, id):
  the lists' default order (deadline, then id), over every task or within a status, so a page is
  read in order and the walk stops at its end instead of sorting every matching task.
- ``ix_tasks_title_words`` (PostgreSQL only): a GIN index of the folded title's words, so a search
  ("thu nghiem 12") reads the matching tasks instead of every title (``workflow.queries.title_has_words``).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'perf1a2b3c4d5'
down_revision = 'dsg1a2b3c4d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_task_coordinating_units_unit', 'task_coordinating_units', ['unit_id', 'task_id'])
    op.create_index('ix_tasks_deadline_id', 'tasks', ['deadline', 'id'])
    op.create_index('ix_tasks_status_deadline_id', 'tasks', ['status', 'deadline', 'id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE INDEX ix_tasks_title_words ON tasks USING gin (string_to_array(btrim(title_folded), ' '))")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX ix_tasks_title_words")
    op.drop_index('ix_tasks_status_deadline_id', table_name='tasks')
    op.drop_index('ix_tasks_deadline_id', table_name='tasks')
    op.drop_index('ix_task_coordinating_units_unit', table_name='task_coordinating_units')
