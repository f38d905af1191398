"""Two employees cannot share one email: the email's blind index becomes UNIQUE.

Erased employees hold no email (NULL), so they never collide. If employees already share an
email the upgrade stops, names them by id and HR id (never by email) and changes nothing:
give each their own email (or clear one) with PUT /api/v1/employees/{id}, then upgrade again.

Revision ID: 0910
Revises: 0900
"""

import sqlalchemy as sa
from alembic import op

revision = "0910"
down_revision = "0900"
branch_labels = None
depends_on = None

SHARED = sa.text(
    "SELECT id, external_id, email_bidx FROM employees WHERE email_bidx IN ("
    " SELECT email_bidx FROM employees WHERE email_bidx IS NOT NULL"
    " GROUP BY email_bidx HAVING COUNT(*) > 1) ORDER BY email_bidx, id"
)


class SharedEmails(RuntimeError):
    """Employees share an email, so the UNIQUE index cannot be built."""


def upgrade() -> None:
    _refuse_shared_emails()
    with op.batch_alter_table("employees") as batch_op:
        batch_op.drop_index("ix_employees_email_bidx")
        batch_op.create_index("ix_employees_email_bidx", ["email_bidx"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("employees") as batch_op:
        batch_op.drop_index("ix_employees_email_bidx")
        batch_op.create_index("ix_employees_email_bidx", ["email_bidx"], unique=False)


def _refuse_shared_emails() -> None:
    groups: dict[str, list[str]] = {}
    for employee_id, external_id, key in op.get_bind().execute(SHARED):
        groups.setdefault(key, []).append(f"{employee_id} (HR id {external_id or 'none'})")
    if groups:
        lines = "\n".join(f"- {' and '.join(people)}" for people in groups.values())
        raise SharedEmails(
            f"{len(groups)} email address(es) are shared by more than one employee, and from "
            "revision 0910 each employee needs their own. Nothing was changed. Give each of these "
            "employees their own email, or clear it (PUT /api/v1/employees/{HR id} with "
            '{"email": null}; for one without an HR id, set its email_enc and email_bidx to NULL), '
            "then run `plaudit db upgrade` again:\n" + lines
        )
