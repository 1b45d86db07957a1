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
def unit_of_work(*, keep_loaded: bool = False):
    """Commit on success; roll back and re-raise on any error.

    A concurrent writer detected by the version column becomes ``StaleVersion``.
    With ``keep_loaded`` the objects keep the values just committed instead of being expired,
    so a caller that loaded what it answers with inside the transaction reads nothing more.
    """
    session = db.session()
    try:
        yield db.session
        if keep_loaded:
            session.expire_on_commit = False
        try:
            db.session.commit()
        finally:
            session.expire_on_commit = True
    except StaleDataError:
        db.session.rollback()
        raise StaleVersion("Nhiệm vụ vừa được người khác cập nhật; hãy tải lại rồi thử lại.") from None
    except BaseException:
        db.session.rollback()
        raise
