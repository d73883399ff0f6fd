"""Alembic environment: the URL and the tables come from the app itself."""

from alembic import context

import actions.models  # noqa: F401 - registers the tables
import console.models  # noqa: F401
import dossiers.models  # noqa: F401
import handoff.models  # noqa: F401
import knowledge.drafts
import knowledge.models
import knowledge.unanswered  # noqa: F401
from database import Base, get_engine

url = context.config.attributes.get("database_url")
with get_engine(url).begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
