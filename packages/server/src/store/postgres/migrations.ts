/**
 * Numbered PostgreSQL schema migrations, applied in order under an advisory lock (several nodes
 * may start at once), each in its own transaction and recorded in schema_migrations. Never edit a
 * released migration: add the next one. The tables mirror the SQLite schema (store/sqlite/migrations.ts)
 * so both stores pass the same contract suite.
 */
export const PG_MIGRATIONS: readonly { readonly version: number; readonly sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE accounts (
        username TEXT PRIMARY KEY,
        auth_hash BYTEA NOT NULL,
        auth_salt BYTEA NOT NULL,
        -- JSON kept as text: the exact bytes come back, like in SQLite.
        auth_params TEXT NOT NULL,
        kdf TEXT NOT NULL,
        account_public_key TEXT NOT NULL,
        encrypted_account_key TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE invite_tokens (
        token_hash BYTEA PRIMARY KEY,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        used_by TEXT,
        used_at BIGINT
      );
      CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES accounts(username),
        name TEXT NOT NULL,
        signature_key TEXT,
        credential_signature TEXT,
        created_at BIGINT NOT NULL,
        activated_at BIGINT,
        revoked_at BIGINT,
        last_seen_at BIGINT
      );
      CREATE INDEX devices_by_user ON devices(username);
      CREATE TABLE sessions (
        token_hash BYTEA PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(device_id),
        username TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX sessions_by_expiry ON sessions(expires_at);
      CREATE TABLE key_packages (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(device_id),
        key_package TEXT NOT NULL,
        last_resort BOOLEAN NOT NULL
      );
      CREATE INDEX key_packages_by_device ON key_packages(device_id, last_resort, id);
      -- The group row is the lock that orders a group: every append takes it FOR UPDATE, so seqs
      -- are allocated one after another, without gaps, whichever node appends.
      CREATE TABLE groups (
        group_id TEXT PRIMARY KEY,
        epoch BIGINT NOT NULL,
        last_seq BIGINT NOT NULL,
        created_at BIGINT NOT NULL
      );
      -- Each message is stored once; devices read it through their membership cursors.
      CREATE TABLE group_log (
        group_id TEXT NOT NULL REFERENCES groups(group_id),
        seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        sender_username TEXT,
        sender_device TEXT,
        msg_id TEXT,
        epoch BIGINT NOT NULL,
        ts BIGINT NOT NULL,
        expires_at BIGINT,
        subject_username TEXT,
        target TEXT,
        recipients TEXT[],
        body BYTEA,
        body_hash BYTEA,
        redacted_seq BIGINT,
        PRIMARY KEY (group_id, seq)
      );
      CREATE UNIQUE INDEX group_log_msg_id ON group_log(group_id, msg_id) WHERE kind IN ('app', 'commit');
      CREATE INDEX group_log_expiry ON group_log(expires_at) WHERE expires_at IS NOT NULL;
      CREATE INDEX group_log_ts ON group_log(ts);
      -- status: member | removed (by a commit) | revoked (device revoked; still in the MLS tree
      -- until a commit removes it, so a later remove of it is valid).
      CREATE TABLE memberships (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        group_id TEXT NOT NULL REFERENCES groups(group_id),
        device_id TEXT NOT NULL,
        username TEXT NOT NULL,
        from_seq BIGINT NOT NULL,
        to_seq BIGINT,
        acked_seq BIGINT NOT NULL,
        status TEXT NOT NULL
      );
      CREATE UNIQUE INDEX memberships_current ON memberships(group_id, device_id) WHERE status = 'member';
      CREATE INDEX memberships_by_device ON memberships(device_id);
      CREATE INDEX memberships_by_group ON memberships(group_id);
      CREATE INDEX memberships_by_user ON memberships(username, status);
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE device_links (
        link_id TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES accounts(username),
        creator_device TEXT NOT NULL,
        joiner_device TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX device_links_expiry ON device_links(expires_at);
      CREATE TABLE device_link_messages (
        link_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        sender TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (link_id, seq)
      );
    `,
  },
  {
    version: 3,
    sql: `
      CREATE TABLE rooms (
        room_id TEXT PRIMARY KEY,
        access_key_hash BYTEA NOT NULL,
        host_token_hash BYTEA NOT NULL,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        lobby BOOLEAN NOT NULL DEFAULT FALSE
      );
      CREATE INDEX rooms_expiry ON rooms(expires_at);
    `,
  },
];
