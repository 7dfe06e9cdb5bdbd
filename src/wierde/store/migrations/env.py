"""Alembic environment: migrations run against the URL the caller put in the config, online only."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from wierde.store.models import Base

config = context.config
connectable = config.attributes.get("connection")

if connectable is None:
    engine = engine_from_config(config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connectable, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
