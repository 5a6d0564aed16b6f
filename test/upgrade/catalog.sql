-- A normalised listing of everything extension juki defines, one line per
-- fact, in a stable order: what test/t/050_upgrade.pl compares between a
-- database upgraded from 1.0 and a fresh install of the newest version.
-- Object identities are printed by name, never by oid; sequence values, row
-- data and statistics are not compared (they are the town's, not juki's),
-- except the seed rows of the configuration tables.  One fact per line:
-- line breaks inside a definition are written as \n.
\pset format unaligned
\pset tuples_only on
\pset fieldsep ' | '
WITH nsp AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'juki'),
ext AS (SELECT oid, extconfig, extcondition FROM pg_catalog.pg_extension WHERE extname = 'juki'),
rels AS (SELECT c.* FROM pg_catalog.pg_class c, nsp WHERE c.relnamespace = nsp.oid),
procs AS (SELECT p.* FROM pg_catalog.pg_proc p, nsp WHERE p.pronamespace = nsp.oid),
types AS (SELECT t.* FROM pg_catalog.pg_type t, nsp WHERE t.typnamespace = nsp.oid)
SELECT kind, name, pg_catalog.replace(pg_catalog.replace(def, E'\\', E'\\\\'), E'\n', E'\\n') FROM (
	SELECT 'schema' AS kind, 'juki' AS name,
		pg_catalog.format('owner-is-bootstrap=%s acl=%s comment=%s',
			n.nspowner = 10, n.nspacl, pg_catalog.obj_description(n.oid, 'pg_namespace')) AS def
	  FROM pg_catalog.pg_namespace n, nsp WHERE n.oid = nsp.oid
	UNION ALL
	SELECT 'relation', c.relname,
		pg_catalog.format('kind=%s persistence=%s options=%s acl=%s rls=%s/%s replident=%s comment=%s',
			c.relkind, c.relpersistence, c.reloptions, c.relacl, c.relrowsecurity,
			c.relforcerowsecurity, c.relreplident, pg_catalog.obj_description(c.oid, 'pg_class'))
	  FROM rels c WHERE c.relkind <> 'i'
	UNION ALL
	-- columns by their position among live columns (an upgrade adds at the end)
	SELECT 'column', c.relname || '.' ||
			pg_catalog.lpad((pg_catalog.row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum))::text, 3, '0')
			|| '.' || a.attname,
		pg_catalog.format('%s notnull=%s default=%s identity=%s generated=%s collation=%s acl=%s stattarget=%s storage=%s comment=%s',
			pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
			pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
			a.attcollation::regcollation, a.attacl, a.attstattarget, a.attstorage,
			pg_catalog.col_description(c.oid, a.attnum))
	  FROM rels c
	  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
	 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
	UNION ALL
	SELECT 'index', i.relname,
		pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(i.oid), ' USING ', ' USING ')
		|| ' comment=' || coalesce(pg_catalog.obj_description(i.oid, 'pg_class'), '')
	  FROM rels i WHERE i.relkind = 'i'
	UNION ALL
	SELECT 'constraint', coalesce(c.relname, t.typname) || '.' || k.conname,
		k.contype::text || ' ' || pg_catalog.pg_get_constraintdef(k.oid)
		|| ' deferrable=' || k.condeferrable || ' validated=' || k.convalidated
	  FROM pg_catalog.pg_constraint k
	  LEFT JOIN rels c ON c.oid = k.conrelid
	  LEFT JOIN types t ON t.oid = k.contypid
	 WHERE c.oid IS NOT NULL OR t.oid IS NOT NULL
	UNION ALL
	SELECT 'view', c.relname, pg_catalog.pg_get_viewdef(c.oid)
	  FROM rels c WHERE c.relkind IN ('v', 'm')
	UNION ALL
	SELECT 'sequence', c.relname,
		pg_catalog.format('type=%s start=%s inc=%s min=%s max=%s cache=%s cycle=%s owned-by=%s',
			s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
			s.seqcycle, (SELECT r.relname || '.' || a.attname
						   FROM pg_catalog.pg_depend dep
						   JOIN pg_catalog.pg_class r ON r.oid = dep.refobjid
						   JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum = dep.refobjsubid
						  WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.objid = c.oid
							AND dep.deptype IN ('a', 'i')))
	  FROM rels c JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
	UNION ALL
	SELECT 'trigger', c.relname || '.' || g.tgname, pg_catalog.pg_get_triggerdef(g.oid)
	  FROM pg_catalog.pg_trigger g JOIN rels c ON c.oid = g.tgrelid WHERE NOT g.tgisinternal
	UNION ALL
	SELECT 'rule', c.relname || '.' || r.rulename, pg_catalog.pg_get_ruledef(r.oid)
	  FROM pg_catalog.pg_rewrite r JOIN rels c ON c.oid = r.ev_class WHERE r.rulename <> '_RETURN'
	UNION ALL
	SELECT 'policy', c.relname || '.' || p.polname,
		pg_catalog.format('%s %s roles=%s using=%s check=%s', p.polcmd, p.polpermissive, p.polroles::regrole[],
			pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
	  FROM pg_catalog.pg_policy p JOIN rels c ON c.oid = p.polrelid
	UNION ALL
	-- functions: the whole definition (arguments, result, language, body,
	-- volatility, strictness, security, settings, parallel), grants, comment
	SELECT 'function', p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
		CASE WHEN p.prokind = 'a' THEN
			pg_catalog.format('aggregate sfunc=%s stype=%s finalfunc=%s', a.aggtransfn, a.aggtranstype::regtype, a.aggfinalfn)
		ELSE pg_catalog.pg_get_functiondef(p.oid) END
		|| E'\nacl=' || coalesce(p.proacl::text, 'default')
		|| ' leakproof=' || p.proleakproof || ' cost=' || p.procost || ' rows=' || p.prorows
		|| ' comment=' || coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), '')
	  FROM procs p LEFT JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
	UNION ALL
	SELECT 'type', t.typname,
		pg_catalog.format('type=%s base=%s notnull=%s default=%s acl=%s comment=%s enum=%s',
			t.typtype, t.typbasetype::regtype, t.typnotnull, t.typdefault, t.typacl,
			pg_catalog.obj_description(t.oid, 'pg_type'),
			(SELECT pg_catalog.string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
			   FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid))
	  FROM types t WHERE t.typtype IN ('d', 'e', 'c', 'b', 'r') AND t.typname NOT LIKE '\_%'
		AND (t.typtype <> 'c' OR EXISTS (SELECT 1 FROM rels c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
	UNION ALL
	-- what belongs to the extension, whatever schema it lives in
	SELECT 'member', pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ''
	  FROM pg_catalog.pg_depend d, ext WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass
		AND d.refobjid = ext.oid AND d.deptype = 'e'
	UNION ALL
	-- tables whose rows pg_dump keeps, and which rows
	SELECT 'config-dump', cfg.rel::regclass::text, coalesce(cfg.cond, '')
	  FROM ext, LATERAL ROWS FROM (pg_catalog.unnest(ext.extconfig), pg_catalog.unnest(ext.extcondition)) AS cfg(rel, cond)
	UNION ALL
	SELECT 'role', r.rolname,
		pg_catalog.format('super=%s inherit=%s createrole=%s createdb=%s login=%s replication=%s bypassrls=%s connlimit=%s comment=%s',
			r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
			r.rolreplication, r.rolbypassrls, r.rolconnlimit,
			pg_catalog.shobj_description(r.oid, 'pg_authid'))
	  FROM pg_catalog.pg_roles r WHERE r.rolname LIKE 'juki\_%'
	UNION ALL
	SELECT 'role-membership', m.roleid::regrole || ' > ' || m.member::regrole, 'admin=' || m.admin_option
	  FROM pg_catalog.pg_auth_members m
	 WHERE m.roleid::regrole::text LIKE 'juki\_%' AND m.member::regrole::text LIKE 'juki\_%'
) facts
ORDER BY kind, name, def;
