-- The operation log (操作履歴): the writer opened a chain with a genesis
-- entry and a start entry; entries chain without gaps; reads of the log are
-- themselves logged; the chain verifies.  Only real members of juki_auditor
-- (or the chief) read it.
\set su :USER
CREATE ROLE regress_auditor LOGIN;
GRANT juki_auditor TO regress_auditor;
CREATE ROLE regress_manager LOGIN;
GRANT juki_access_manager TO regress_manager;

\c - regress_auditor
-- genesis: seq 0, prev_hash 32 zero bytes, names the server and database
SELECT seq, action, outcome, reason, prev_hash = '\x'::bytea || decode(repeat('00', 32), 'hex') AS zero_prev,
       length(hash) AS hash_bytes, detail ? 'system_identifier' AS names_server,
       detail->>'database' AS database
  FROM juki.operation_log WHERE seq = 0;
-- the writer's start: not after a crash
SELECT seq, action, outcome, reason, detail FROM juki.operation_log WHERE seq = 1;
-- every entry continues the chain, seq has no gap, every hash is 32 bytes
SELECT bool_and(l.prev_hash = p.hash) AS chained, bool_and(length(l.hash) = 32) AS sha256
  FROM juki.operation_log l JOIN juki.operation_log p ON p.seq = l.seq - 1;
SELECT max(seq) - min(seq) + 1 = count(*) AS no_gaps, min(seq) AS first FROM juki.operation_log;
-- each statement reading the log left exactly one log_read entry, naming
-- the relations and the statement
SELECT count(*) FROM juki.operation_log l, juki.audit_checkpoint c WHERE false;
SELECT action, outcome, reason, db_role, detail->'relations' AS relations, detail->>'query' AS query,
       backend_pid = pg_backend_pid() AS this_backend,
       client_addr IS NOT DISTINCT FROM host(inet_client_addr()) AS this_client
  FROM juki.operation_log WHERE action = 'log_read' ORDER BY seq DESC LIMIT 2;
-- timestamps follow seq (records reach the writer in the order they were stamped)
SELECT bool_and(l.ts >= p.ts) AS ts_ordered
  FROM juki.operation_log l JOIN juki.operation_log p ON p.seq = l.seq - 1;
SELECT ok, first_bad_seq, problem FROM juki.verify_log();
\c - :su

-- the writer reports itself
SELECT writer_pid IS NOT NULL AS writer_running, accepting, max_backlog, standby
  FROM juki.status();
