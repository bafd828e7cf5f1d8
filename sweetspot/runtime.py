"""The runtime: everything built once per process from settings and passed in, never made at import."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from alignment.database import Memo, UnitOfWork, create_autocommit_engine, create_engine, session_factory
from alignment.settings import AlignmentSettings
from lti_tool.keys import KeyRing
from lti_tool.settings import LtiSettings
from sweetspot.instance import DataDirectory, generate_secret_key
from sweetspot.settings import SQLITE_DATABASE_FILE, Settings
from xapi_listener.settings import XapiSettings

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)
LTI_KEYS_DIRECTORY = "lti_keys"
CONNECTION_KEY_FILE = "connection_key"


@dataclass
class Runtime:
    """Settings of every package, the data directory, the database and the secrets of one process."""

    settings: Settings
    alignment: AlignmentSettings
    lti: LtiSettings
    xapi: XapiSettings
    data_dir: DataDirectory
    engine: Engine
    sessions: sessionmaker[Session]
    secret_key: bytes = field(repr=False)
    keys: KeyRing = field(repr=False)
    connection_key: bytes = field(repr=False)
    autocommit_engine: Engine | None = None
    """For writes that are one SQL statement (the listener's INSERT of new statements); None on SQLite."""
    memo: Memo = field(default_factory=Memo, repr=False)
    """What the domain works out from the catalogue, kept between units of work (see `alignment.database.Memo`)."""

    @property
    def connection_cipher(self) -> Fernet:
        """Encrypts and decrypts the secrets of upstream LRS connections."""
        return Fernet(self.connection_key)

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        """A new unit of work on this runtime's database (read-only ones never wait for a writer)."""
        return UnitOfWork(self.sessions, read_only, self.memo)

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()
        if self.autocommit_engine is not None:
            self.autocommit_engine.dispose()


def bootstrap(
    settings: Settings | None = None,
    *,
    alignment: AlignmentSettings | None = None,
    lti: LtiSettings | None = None,
    xapi: XapiSettings | None = None,
) -> Runtime:
    """Build the runtime; on first run this creates the data directory and generates the secrets."""
    settings = settings or Settings()
    alignment = alignment or AlignmentSettings()
    lti = lti or LtiSettings()
    xapi = xapi or XapiSettings()
    data_dir = DataDirectory(settings.data_dir)
    data_dir.prepare()
    if not settings.database_url:
        data_dir.private_file(SQLITE_DATABASE_FILE)
    secret_key = (
        settings.secret_key.get_secret_value().encode()
        if settings.secret_key
        else data_dir.secret(SECRET_KEY_FILE, generate_secret_key)
    )
    keys = KeyRing(data_dir.path / LTI_KEYS_DIRECTORY, lti.signing_key_bits, timedelta(days=lti.key_grace_days))
    keys.ensure()
    connection_key = (
        settings.connection_key.get_secret_value().encode()
        if settings.connection_key
        else data_dir.secret(CONNECTION_KEY_FILE, Fernet.generate_key)
    )
    engine = create_engine(settings.resolved_database_url, alignment)
    return Runtime(
        settings=settings,
        alignment=alignment,
        lti=lti,
        xapi=xapi,
        data_dir=data_dir,
        engine=engine,
        sessions=session_factory(engine),
        secret_key=secret_key,
        keys=keys,
        connection_key=connection_key,
        autocommit_engine=create_autocommit_engine(settings.resolved_database_url, alignment),
    )
