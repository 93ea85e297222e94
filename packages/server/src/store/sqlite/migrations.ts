/**
 * Numbered schema migrations, applied in order, each in its own transaction and recorded in
 * schema_migrations. Never edit a released migration: add the next one.
 */
export const MIGRATIONS: readonly { readonly version: number; readonly sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE accounts (
        username TEXT PRIMARY KEY,
        auth_hash BLOB NOT NULL,
        auth_salt BLOB NOT NULL,
        auth_params TEXT NOT NULL,
        kdf TEXT NOT NULL,
        account_public_key TEXT NOT NULL,
        encrypted_account_key TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE invite_tokens (
        token_hash BLOB PRIMARY KEY,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        used_by TEXT,
        used_at INTEGER
      ) STRICT;
      CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES accounts(username),
        name TEXT NOT NULL,
        signature_key TEXT,
        credential_signature TEXT,
        created_at INTEGER NOT NULL,
        activated_at INTEGER,
        revoked_at INTEGER,
        last_seen_at INTEGER
      ) STRICT;
      CREATE INDEX devices_by_user ON devices(username);
      CREATE TABLE sessions (
        token_hash BLOB PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(device_id),
        username TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sessions_by_expiry ON sessions(expires_at);
      CREATE TABLE key_packages (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(device_id),
        key_package TEXT NOT NULL,
        last_resort INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX key_packages_by_device ON key_packages(device_id, last_resort, id);
      CREATE TABLE groups (
        group_id TEXT PRIMARY KEY,
        epoch INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      -- Each message is stored once; devices read it through their membership cursors.
      CREATE TABLE group_log (
        group_id TEXT NOT NULL REFERENCES groups(group_id),
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        sender_username TEXT,
        sender_device TEXT,
        msg_id TEXT,
        epoch INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        expires_at INTEGER,
        subject_username TEXT,
        target TEXT,
        recipients TEXT,
        body BLOB,
        body_hash BLOB,
        redacted_seq INTEGER,
        PRIMARY KEY (group_id, seq)
      ) STRICT;
      CREATE UNIQUE INDEX group_log_msg_id ON group_log(group_id, msg_id) WHERE kind IN ('app', 'commit');
      CREATE INDEX group_log_expiry ON group_log(expires_at) WHERE expires_at IS NOT NULL;
      CREATE INDEX group_log_ts ON group_log(ts);
      -- status: member | removed (by a commit) | revoked (device revoked; still in the MLS tree
      -- until a commit removes it, so a later remove of it is valid).
      CREATE TABLE memberships (
        id INTEGER PRIMARY KEY,
        group_id TEXT NOT NULL REFERENCES groups(group_id),
        device_id TEXT NOT NULL,
        username TEXT NOT NULL,
        from_seq INTEGER NOT NULL,
        to_seq INTEGER,
        acked_seq INTEGER NOT NULL,
        status TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX memberships_current ON memberships(group_id, device_id) WHERE status = 'member';
      CREATE INDEX memberships_by_device ON memberships(device_id);
      CREATE INDEX memberships_by_group ON memberships(group_id);
      CREATE INDEX memberships_by_user ON memberships(username, status);
    `,
  },
  {
    version: 2,
    sql: `
      -- [LINK-*] Device links live minutes; their messages are sealed by the two devices.
      CREATE TABLE device_links (
        link_id TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES accounts(username),
        creator_device TEXT NOT NULL,
        joiner_device TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX device_links_expiry ON device_links(expires_at);
      CREATE TABLE device_link_messages (
        link_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        sender TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (link_id, seq)
      ) STRICT;
    `,
  },
  {
    version: 3,
    sql: `
      -- [ROOM-2] Rooms: only hashes of the access key and host token; participants live in memory.
      CREATE TABLE rooms (
        room_id TEXT PRIMARY KEY,
        access_key_hash BLOB NOT NULL,
        host_token_hash BLOB NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        lobby INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX rooms_expiry ON rooms(expires_at);
    `,
  },
  {
    version: 4,
    sql: `
      -- The log is keyed by a small group number instead of the 22-character group id: its rows
      -- and index entries shrink, so a batch of sends dirties and splits fewer B-tree pages (about
      -- 40 % less CPU and WAL written per stored message; docs/benchmarks.md).
      ALTER TABLE groups ADD COLUMN gno INTEGER;
      UPDATE groups SET gno = rowid;
      CREATE UNIQUE INDEX groups_gno ON groups(gno);
      CREATE TABLE group_log_v4 (
        gno INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        sender_username TEXT,
        sender_device TEXT,
        msg_id TEXT,
        epoch INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        expires_at INTEGER,
        subject_username TEXT,
        target TEXT,
        recipients TEXT,
        body BLOB,
        body_hash BLOB,
        redacted_seq INTEGER,
        PRIMARY KEY (gno, seq)
      ) STRICT;
      INSERT INTO group_log_v4 (gno, seq, kind, sender_username, sender_device, msg_id, epoch, ts, expires_at, subject_username, target,
          recipients, body, body_hash, redacted_seq)
        SELECT g.gno, l.seq, l.kind, l.sender_username, l.sender_device, l.msg_id, l.epoch, l.ts, l.expires_at, l.subject_username, l.target,
          l.recipients, l.body, l.body_hash, l.redacted_seq
        FROM group_log l JOIN groups g ON g.group_id = l.group_id;
      DROP TABLE group_log;
      ALTER TABLE group_log_v4 RENAME TO group_log;
      CREATE UNIQUE INDEX group_log_msg_id ON group_log(gno, msg_id) WHERE kind IN ('app', 'commit');
      CREATE INDEX group_log_expiry ON group_log(expires_at) WHERE expires_at IS NOT NULL;
      CREATE INDEX group_log_ts ON group_log(ts);
    `,
  },
  {
    version: 5,
    sql: `
      -- The msgId index leads with the id: ids made at about the same time sort together ([ID-4],
      -- messageId() in @charla/protocol), so a batch of sends adds its entries to a few pages at
      -- the index's end instead of one page per group. The ts index goes: retention finds each
      -- group's cut by seq (collectGarbage), and every stored message paid for it.
      DROP INDEX group_log_msg_id;
      CREATE UNIQUE INDEX group_log_msg_id ON group_log(msg_id, gno) WHERE kind IN ('app', 'commit');
      DROP INDEX group_log_ts;
    `,
  },
  {
    version: 6,
    sql: `
      -- The log's rows go in arrival order (rid), and its (gno, seq) index is a table of its own,
      -- written in bulk (log.ts, indexTail). A B-tree keyed by group has one insertion point per
      -- group: as the primary key, every commit rewrote one index page for each group it touched,
      -- about a 4 KB WAL frame per message at low batch sizes, which the checkpoint copied again.
      -- Rows with rid above log_index_state.indexed_upto are not in log_index yet.
      CREATE TABLE group_log_v6 (
        rid INTEGER PRIMARY KEY,
        gno INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        sender_username TEXT,
        sender_device TEXT,
        msg_id TEXT,
        epoch INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        expires_at INTEGER,
        subject_username TEXT,
        target TEXT,
        recipients TEXT,
        body BLOB,
        body_hash BLOB,
        redacted_seq INTEGER
      ) STRICT;
      INSERT INTO group_log_v6 (gno, seq, kind, sender_username, sender_device, msg_id, epoch, ts, expires_at, subject_username, target,
          recipients, body, body_hash, redacted_seq)
        SELECT gno, seq, kind, sender_username, sender_device, msg_id, epoch, ts, expires_at, subject_username, target,
          recipients, body, body_hash, redacted_seq
        FROM group_log ORDER BY gno, seq;
      DROP TABLE group_log;
      ALTER TABLE group_log_v6 RENAME TO group_log;
      CREATE UNIQUE INDEX group_log_msg_id ON group_log(msg_id, gno) WHERE kind IN ('app', 'commit');
      CREATE INDEX group_log_expiry ON group_log(expires_at) WHERE expires_at IS NOT NULL;
      CREATE TABLE log_index (
        gno INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        rid INTEGER NOT NULL,
        PRIMARY KEY (gno, seq)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO log_index (gno, seq, rid) SELECT gno, seq, rid FROM group_log ORDER BY gno, seq;
      CREATE TABLE log_index_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        indexed_upto INTEGER NOT NULL
      ) STRICT;
      INSERT INTO log_index_state (id, indexed_upto) VALUES (1, (SELECT COALESCE(MAX(rid), 0) FROM group_log));
    `,
  },
];
