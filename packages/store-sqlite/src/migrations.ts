/** One schema change. Shipped migrations are never edited: add a new one instead. */
export interface Migration {
  /** Strictly increasing; recorded in `schema_migrations` once applied. */
  id: number;
  name: string;
  sql: string;
}

/**
 * The schema, as an ordered, append-only list. Each migration runs in its own transaction
 * together with its row in `schema_migrations`, so a crash leaves it either applied or not.
 */
export const migrations: readonly Migration[] = [
  {
    id: 1,
    name: 'initial schema: sessions, log, inbox, permissions, turns, transcript',
    sql: `
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        title TEXT,
        options TEXT NOT NULL,
        status TEXT NOT NULL,
        sdk_session_id TEXT,
        sdk_started INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_active_at INTEGER NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0,
        turn_count INTEGER NOT NULL DEFAULT 0,
        message_count INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_input_tokens INTEGER NOT NULL DEFAULT 0,
        cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0
      );
      CREATE INDEX sessions_by_tenant ON sessions (tenant_id, created_at, id);
      CREATE INDEX sessions_by_last_active ON sessions (last_active_at, id);
      CREATE INDEX sessions_open ON sessions (created_at, id) WHERE status <> 'closed';

      CREATE TABLE log_entries (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
      ) WITHOUT ROWID;

      CREATE TABLE inbox_messages (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        client_message_id TEXT,
        content TEXT NOT NULL,
        policy TEXT NOT NULL,
        status TEXT NOT NULL,
        seq INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        ended_at INTEGER,
        reason TEXT
      );
      CREATE UNIQUE INDEX inbox_by_client_message_id ON inbox_messages (session_id, client_message_id)
        WHERE client_message_id IS NOT NULL;
      CREATE INDEX inbox_by_session_status ON inbox_messages (session_id, status, seq);

      CREATE TABLE permissions (
        request_id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        message_id TEXT,
        tool_name TEXT NOT NULL,
        input TEXT NOT NULL,
        status TEXT NOT NULL,
        message TEXT,
        created_at INTEGER NOT NULL,
        resolved_at INTEGER
      );
      CREATE INDEX permissions_by_session ON permissions (session_id, status, created_at);

      CREATE TABLE turns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        tenant_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        cost_usd REAL NOT NULL,
        duration_ms INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_input_tokens INTEGER NOT NULL,
        cache_creation_input_tokens INTEGER NOT NULL,
        ended_at INTEGER NOT NULL
      );
      CREATE INDEX turns_by_session ON turns (session_id, id);
      CREATE INDEX turns_by_tenant ON turns (tenant_id, ended_at);

      CREATE TABLE transcript_entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL,
        subpath TEXT NOT NULL,
        uuid TEXT,
        data TEXT NOT NULL
      );
      CREATE UNIQUE INDEX transcript_by_uuid ON transcript_entries (session_id, subpath, uuid)
        WHERE uuid IS NOT NULL;
      CREATE INDEX transcript_by_key ON transcript_entries (session_id, subpath, id);
    `,
  },
  {
    id: 2,
    name: 'tenant usage ledger that outlives sessions; every SDK session id a session used',
    sql: `
      -- Daily budgets must still count a session's spend after the session is deleted, so
      -- cost goes to an append-only ledger with no foreign key to sessions.
      CREATE TABLE tenant_usage (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        cost_usd REAL NOT NULL,
        ended_at INTEGER NOT NULL
      );
      CREATE INDEX tenant_usage_by_tenant ON tenant_usage (tenant_id, ended_at);
      INSERT INTO tenant_usage (tenant_id, session_id, cost_usd, ended_at)
        SELECT tenant_id, session_id, cost_usd, ended_at FROM turns ORDER BY id;

      -- A reset switches the session to a new SDK session id; deleting the session must also
      -- delete the transcripts stored under the earlier ones.
      CREATE TABLE session_sdk_ids (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        sdk_session_id TEXT NOT NULL,
        PRIMARY KEY (session_id, sdk_session_id)
      ) WITHOUT ROWID;
      INSERT INTO session_sdk_ids (session_id, sdk_session_id)
        SELECT id, sdk_session_id FROM sessions WHERE sdk_session_id IS NOT NULL;
    `,
  },
];
