-- The operation log's Merkle tree (issue 17): tree head, RFC 6962 proofs,
-- C2SP checkpoint notes, each checked here by an independent verifier
-- written in PL/pgSQL from RFC 9162 (sections 2.1.3.2 and 2.1.4.2) over
-- leaves recomputed from the export's canonical lines.
\set su :USER
CREATE FUNCTION juki_test.node(l bytea, r bytea) RETURNS bytea LANGUAGE sql
	AS $$ SELECT sha256('\x01'::bytea || l || r) $$;
CREATE FUNCTION juki_test.verify_inclusion(idx bigint, size bigint, leaf bytea, proof bytea[], root bytea)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE fn bigint := idx; sn bigint := size - 1; r bytea := leaf; p bytea;
BEGIN
	IF idx >= size THEN RETURN false; END IF;
	FOREACH p IN ARRAY coalesce(proof, '{}') LOOP
		IF sn = 0 THEN RETURN false; END IF;
		IF fn & 1 = 1 OR fn = sn THEN
			r := juki_test.node(p, r);
			IF fn & 1 = 0 THEN
				WHILE fn & 1 = 0 AND fn <> 0 LOOP fn := fn >> 1; sn := sn >> 1; END LOOP;
			END IF;
		ELSE
			r := juki_test.node(r, p);
		END IF;
		fn := fn >> 1; sn := sn >> 1;
	END LOOP;
	RETURN sn = 0 AND r = root;
END $$;
CREATE FUNCTION juki_test.verify_consistency(m bigint, n bigint, old_root bytea, new_root bytea, proof bytea[])
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE fn bigint; sn bigint; fr bytea; sr bytea; c bytea; path bytea[] := coalesce(proof, '{}'); i int;
BEGIN
	IF m = n THEN RETURN cardinality(path) = 0 AND old_root = new_root; END IF;
	IF m = 0 THEN RETURN cardinality(path) = 0; END IF;
	IF cardinality(path) = 0 THEN RETURN false; END IF;
	IF m & (m - 1) = 0 THEN path := old_root || path; END IF;
	fn := m - 1; sn := n - 1;
	WHILE fn & 1 = 1 LOOP fn := fn >> 1; sn := sn >> 1; END LOOP;
	fr := path[1]; sr := path[1];
	FOR i IN 2 .. cardinality(path) LOOP
		c := path[i];
		IF sn = 0 THEN RETURN false; END IF;
		IF fn & 1 = 1 OR fn = sn THEN
			fr := juki_test.node(c, fr); sr := juki_test.node(c, sr);
			IF fn & 1 = 0 THEN
				WHILE fn & 1 = 0 AND fn <> 0 LOOP fn := fn >> 1; sn := sn >> 1; END LOOP;
			END IF;
		ELSE
			sr := juki_test.node(sr, c);
		END IF;
		fn := fn >> 1; sn := sn >> 1;
	END LOOP;
	RETURN fr = old_root AND sr = new_root AND sn = 0;
END $$;
-- MTH (RFC 6962 2.1) over leaves[lo, hi), recursively
CREATE FUNCTION juki_test.mth(leaves bytea[], lo int, hi int) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE k int := 1;
BEGIN
	IF hi - lo = 0 THEN RETURN sha256(''::bytea); END IF;
	IF hi - lo = 1 THEN RETURN leaves[lo + 1]; END IF;
	WHILE k * 2 < hi - lo LOOP k := k * 2; END LOOP;
	RETURN juki_test.node(juki_test.mth(leaves, lo, lo + k), juki_test.mth(leaves, lo + k, hi));
END $$;
CREATE TABLE juki_test.leaves (seq bigint PRIMARY KEY, leaf bytea);
GRANT SELECT, INSERT ON juki_test.leaves TO PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA juki_test TO PUBLIC;

-- a checkpoint (it signs a note of the tree head too), then the leaves
-- from the export's canonical lines: SHA-256(0x00 || canonical entry)
\c - regress_auditor
SELECT juki.checkpoint() IS NOT NULL AS signed;
\c - regress_manager
INSERT INTO juki_test.leaves
SELECT n - 2, sha256('\x00'::bytea || convert_to(substr(line, 66), 'UTF8'))
  FROM juki.export_log(0) WITH ORDINALITY AS x(line, n)
 WHERE line ~ '^[0-9a-f]{64} \{';
SELECT min(seq) = 0 AND max(seq) = count(*) - 1 AS dense FROM juki_test.leaves;
SELECT max(seq) + 1 AS n FROM juki_test.leaves \gset

\c - regress_auditor
-- the tree holds every entry (and grows with each logged call)
SELECT tree_size > :n AS grown, length(root_hash) AS root_len,
       checkpoint ~ E'^juki/[0-9a-f]{16}\\n[0-9]+\\n[A-Za-z0-9+/]{43}=\\n\\n\u2014 juki/[0-9a-f]{16} [A-Za-z0-9+/]+=*\\n$' AS note_form
  FROM juki.tree_head();
-- the root of the first n entries is the MTH of the recomputed leaves
SELECT old_root = juki_test.mth((SELECT array_agg(leaf ORDER BY seq) FROM juki_test.leaves), 0, :n) AS root_matches
  FROM juki.consistency_proof(:n, :n);
-- every entry's inclusion proof verifies in the trees of size n and n - 3
SELECT count(*) FILTER (WHERE juki_test.verify_inclusion(l.seq, :n, l.leaf, p.proof, p.root_hash)) = :n AS all_included,
       bool_and(p.leaf_hash = l.leaf) AS leaves_match
  FROM juki_test.leaves l, juki.inclusion_proof(l.seq, :n) p;
SELECT bool_and(juki_test.verify_inclusion(l.seq, :n - 3, l.leaf, p.proof, p.root_hash)) AS included_older
  FROM juki_test.leaves l, juki.inclusion_proof(l.seq, :n - 3) p WHERE l.seq < :n - 3;
-- a wrong leaf or a proof for another size does not verify
SELECT juki_test.verify_inclusion(1, :n, (SELECT leaf FROM juki_test.leaves WHERE seq = 2), proof, root_hash) AS wrong_leaf
  FROM juki.inclusion_proof(1, :n);
SELECT juki_test.verify_inclusion(1, :n, (SELECT leaf FROM juki_test.leaves WHERE seq = 1), a.proof, b.root_hash) AS wrong_size
  FROM juki.inclusion_proof(1, :n - 1) a, juki.inclusion_proof(1, :n) b;
-- consistency from every size 1 .. n to n, and to the current size
SELECT bool_and(juki_test.verify_consistency(m, :n, c.old_root, c.new_root, c.proof)) AS consistent
  FROM generate_series(0, :n) m, juki.consistency_proof(m, :n) c;
SELECT juki_test.verify_consistency(3, to_size, old_root, new_root, proof) AS consistent_now
  FROM juki.consistency_proof(3);
-- a consistency proof with a root changed does not verify
SELECT juki_test.verify_consistency(5, :n, sha256(old_root), new_root, proof) AS forged_old_root
  FROM juki.consistency_proof(5, :n);
-- the newest note's root is the tree's root at its size
SELECT split_part(h.checkpoint, E'\n', 3) = encode(c.old_root, 'base64') AS note_root,
       split_part(h.checkpoint, E'\n', 2)::bigint = h.checkpoint_size AS note_size
  FROM juki.tree_head() h, LATERAL juki.consistency_proof(h.checkpoint_size, h.checkpoint_size) c;
-- the stored checkpoint row carries the same size, root and note
SELECT count(*) FILTER (WHERE note IS NOT NULL AND tree_size = seq + 1
                         AND split_part(note, E'\n', 3) = encode(tree_root, 'base64')) = count(*) AS rows_agree
  FROM juki.audit_checkpoint WHERE note IS NOT NULL;
-- bad sizes: 22023 invalid_tree_size (or null_argument), logged
SELECT regexp_replace(juki_test.try('SELECT * FROM juki.inclusion_proof(NULL)'), 'size \d{3,}', 'size N', 'g') AS try;
SELECT regexp_replace(juki_test.try('SELECT * FROM juki.inclusion_proof(5, 5)'), 'size \d{3,}', 'size N', 'g') AS try;
SELECT regexp_replace(juki_test.try('SELECT * FROM juki.inclusion_proof(-1)'), 'size \d{3,}', 'size N', 'g') AS try;
SELECT regexp_replace(juki_test.try('SELECT * FROM juki.inclusion_proof(0, 0)'), 'size \d{3,}', 'size N', 'g') AS try;
SELECT regexp_replace(juki_test.try('SELECT * FROM juki.inclusion_proof(0, 9223372036854775807)'), 'size \d{3,}', 'size N', 'g') AS try;
SELECT regexp_replace(juki_test.try('SELECT * FROM juki.consistency_proof(6, 5)'), 'size \d{3,}', 'size N', 'g') AS try;
SELECT regexp_replace(juki_test.try('SELECT * FROM juki.consistency_proof(NULL)'), 'size \d{3,}', 'size N', 'g') AS try;
SELECT regexp_replace(juki_test.try('SELECT * FROM juki.consistency_proof(0, 9223372036854775807)'), 'size \d{3,}', 'size N', 'g') AS try;
\c - :su
-- only the auditor and the chief: a superuser is refused, on record
SELECT juki_test.try('SELECT * FROM juki.tree_head()');
SELECT regexp_replace(juki_test.try('SELECT * FROM juki.inclusion_proof(0)'), 'size \d{3,}', 'size N', 'g') AS try;
SELECT regexp_replace(juki_test.try('SELECT * FROM juki.consistency_proof(0)'), 'size \d{3,}', 'size N', 'g') AS try;
-- the tiles are guarded like the log
SELECT juki_test.try('UPDATE juki.log_tile SET width = width');
SELECT juki_test.try('DELETE FROM juki.log_tile');
SELECT juki_test.wait_writer();
\c - regress_auditor
SELECT action, outcome, reason, regexp_replace(detail->>'message', 'size \d{3,}', 'size N', 'g') AS message, detail->>'required' AS required FROM juki.operation_log
 WHERE action IN ('tree_head', 'inclusion_proof', 'consistency_proof') AND outcome <> 'granted'
 ORDER BY seq;
SELECT action, count(*) > 0 AS logged FROM juki.operation_log
 WHERE action IN ('tree_head', 'inclusion_proof', 'consistency_proof') AND outcome = 'granted'
 GROUP BY action ORDER BY action;
-- verify_log rebuilds the tree with the chain: tiles and notes agree
SELECT ok, problem FROM juki.verify_log();
