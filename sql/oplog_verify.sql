-- Verification, checkpoints, export and retention, in SQL.
\set su :USER
\c - regress_auditor
SELECT max(seq) AS mark FROM juki.operation_log \gset
SELECT ok, first_bad_seq, problem, entries_checked > 0 AS checked FROM juki.verify_log();
-- an on-demand checkpoint: one signed line
SELECT juki.checkpoint() ~ '^juki-checkpoint/1 origin=[0-9a-f]{64} seq=[0-9]+ hash=[0-9a-f]{64} ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z key=[0-9a-f]{16} sig=[0-9a-f]{128}$' AS well_formed;
SELECT juki.checkpoint() AS cp \gset
-- given from outside with the public key, it verifies
\set pubkey `cat keys/signing.pub`
SELECT ok, problem FROM juki.verify_log(ARRAY[:'cp'], ARRAY[:'pubkey']);
-- a forged checkpoint: another hash under the old signature
SELECT ok, regexp_replace(problem, 'seq \d+', 'seq N') AS problem FROM juki.verify_log(
  ARRAY[regexp_replace(:'cp', 'hash=([0-9a-f])', 'hash=' || CASE WHEN substring(:'cp' FROM 'hash=(.)') = 'a' THEN 'b' ELSE 'a' END)],
  ARRAY[:'pubkey']);
-- a checkpoint signed by a key that is not given: RFC 8032 test key 1
SELECT ok, problem ~ 'unknown key' AS unknown_key FROM juki.verify_log(ARRAY[:'cp'],
  ARRAY[E'-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n']);
-- bad input: 22023 with a hint, and logged
SELECT juki_test.try($$SELECT * FROM juki.verify_log(ARRAY['not a checkpoint'])$$);
SELECT juki_test.try($$SELECT * FROM juki.verify_log(ARRAY[NULL::text])$$);
SELECT juki_test.try($$SELECT * FROM juki.verify_log(NULL, ARRAY['-----BEGIN PUBLIC KEY-----'])$$);
SELECT juki_test.try($$SELECT * FROM juki.verify_log(NULL, ARRAY[E'-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKp4Jd8T7Qu0mzPj0hEAIdEsuvF9ZjCQ6Q5Yc1HH1vJk7NJ0zV1Eq7Y1p3bYF3r0Q2jdy2Qm2Yb0uVw4q3o9XyQ==\n-----END PUBLIC KEY-----\n'])$$);
\c - :su

-- roles: superuser alone is not enough
SELECT juki_test.try('SELECT * FROM juki.verify_log()');
SELECT juki_test.try('SELECT * FROM juki.export_log(0)');
SELECT juki_test.try('SELECT juki.purge_expired_log()');
SELECT juki_test.try('SELECT juki.checkpoint()');

-- export: header, one line per entry, the covering checkpoint, the trailer
\c - regress_manager
CREATE TEMP TABLE export AS SELECT row_number() OVER () AS n, line FROM juki.export_log(0) AS line;
SELECT (SELECT line FROM export WHERE n = 1) ~ '^\{"exported_at":"[^"]+","format":"juki-export/1","from_seq":0,"origin":"[0-9a-f]{64}","prev_hash":"0{64}","probe":"\\\\","to_seq":[0-9]+\}$' AS header_ok;
SELECT count(*) FILTER (WHERE line ~ '^[0-9a-f]{64} \{"action":') AS entry_lines,
       count(*) FILTER (WHERE line LIKE 'juki-checkpoint/1 %') AS checkpoint_lines,
       count(*) FILTER (WHERE line ~ '^juki-export-end lines=[0-9]+ sha256=[0-9a-f]{64}$') AS trailer_lines
  FROM export;
-- the entry lines run from seq 0 to the checkpoint without a gap
SELECT min((substr(line, 66)::jsonb->>'seq')::bigint) AS first_seq,
       max((substr(line, 66)::jsonb->>'seq')::bigint) - min((substr(line, 66)::jsonb->>'seq')::bigint) + 1
         = count(*) AS contiguous
  FROM export WHERE line ~ '^[0-9a-f]{64} ';
-- the export always ends at a signed checkpoint: the last entry is the checkpoint's seq
SELECT (SELECT max((substr(line, 66)::jsonb->>'seq')::bigint) FROM export WHERE line ~ '^[0-9a-f]{64} ')
     = (SELECT substring(line FROM ' seq=([0-9]+) ')::bigint FROM export WHERE line LIKE 'juki-checkpoint/1 %')
       AS ends_at_checkpoint;
-- the trailer's digest covers every line before it
SELECT encode(sha256(convert_to(string_agg(line || E'\n', '' ORDER BY n), 'UTF8')), 'hex')
     = (SELECT substring(line FROM 'sha256=(.*)$') FROM export WHERE line LIKE 'juki-export-end%') AS digest_ok
  FROM export WHERE line NOT LIKE 'juki-export-end%';
-- bad ranges
SELECT regexp_replace(juki_test.try('SELECT * FROM juki.export_log(5, 2)'), 'seq \d+\.\.\d+', 'seq 0..N');
SELECT juki_test.try('SELECT * FROM juki.export_log(-1)');
SELECT juki_test.try('SELECT * FROM juki.export_log(NULL)');
SELECT regexp_replace(juki_test.try('SELECT * FROM juki.export_log(0, 999999999)'), 'seq \d+\.\.\d+', 'seq 0..N');
-- retention: nothing is older than seven years, so nothing is purged
SELECT juki.purge_expired_log();
\c - :su

\c - regress_auditor
-- the receipt
SELECT from_seq, to_seq = checkpoint_seq AS to_checkpoint, length(digest) AS digest_bytes,
       exported_by FROM juki.audit_export ORDER BY id;
-- every decision above, granted or not, is on record
SELECT seq - :mark AS n, action, outcome, reason,
       regexp_replace(coalesce(detail->>'message', detail->>'problem', detail->>'required'),
                      '(seq|key) [0-9a-f]+(\.\.[0-9]+)?', '\1 N', 'g') AS detail
  FROM juki.operation_log
 WHERE seq > :mark AND action NOT IN ('log_read') ORDER BY seq;
SELECT ok, first_bad_seq, problem FROM juki.verify_log();
\c - :su
-- the writer wrote the checkpoints to juki.checkpoint_directory too, named
-- after this chain's origin (the directory may hold other chains' files);
-- read on the server, so that installcheck works against any server
SELECT count(*) >= 2 AS checkpoint_files
  FROM pg_ls_dir(current_setting('juki.checkpoint_directory')) AS f
 WHERE f LIKE 'juki-' || substring(:'cp' FROM 'origin=([0-9a-f]{16})') || '-%.checkpoint';
