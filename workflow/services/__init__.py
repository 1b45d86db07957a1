"""The service layer: the only code that changes state and commits.

Each public function is one change of state: it validates, fires the state
machine event, writes the history, and commits once (rolling back on any
error). Views, the API and the CLI call these and never commit themselves.
"""
from contextlib import contextmanager

from sqlalchemy.orm.exc import StaleDataError

from workflow.errors import StaleVersion
from workflow.extensions import db


@contextmanager
def unit_of_work():
    """Commit on success; roll back and re-raise on any error.

    A concurrent writer detected by the version column becomes ``StaleVersion``.
    """
    try:
        yield db.session
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleVersion("Nhiệm vụ vừa được người khác cập nhật; hãy tải lại rồi thử lại.") from None
    except BaseException:
        db.session.rollback()
        raise
