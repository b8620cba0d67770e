"""${message}"""

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
import workledger.db.types

revision: str = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
