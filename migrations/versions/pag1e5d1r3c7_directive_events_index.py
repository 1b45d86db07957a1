"""the office's notification bell: directives by time

Revision ID: pag1e5d1r3c7
Revises: col1a5b7c9d2
Create Date: 2026-11-29 19:40:00

- ``ix_task_events_directives`` (at, id) WHERE event = 'directive': the office's bell reads the
  directives of the last 30 days newest first (``workflow.services.notifications``). Without it the
  database walked every history row of those days (``ix_task_events_at_id``: each task's creation
  and every report) looking for the few directives — milliseconds of PostgreSQL CPU on every page
  of an office user. Partial: the many other history rows are not written into it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'pag1e5d1r3c7'
down_revision = 'col1a5b7c9d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_task_events_directives', 'task_events', ['at', 'id'],
                    postgresql_where=sa.text("event = 'directive'"), sqlite_where=sa.text("event = 'directive'"))


def downgrade():
    op.drop_index('ix_task_events_directives', table_name='task_events')
