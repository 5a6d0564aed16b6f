-- Configuration: every GUC of DESIGN §9 exists with its default and a safe
-- context, and the juki prefix is reserved.
\set su :USER
SELECT name, boot_val AS default, unit, context, vartype
  FROM pg_settings WHERE name LIKE 'juki.%' ORDER BY name;
-- none can be changed by an ordinary user
SELECT count(*) AS user_settable FROM pg_settings WHERE name LIKE 'juki.%' AND context = 'user';
-- a misspelt juki.* setting is refused instead of silently creating a placeholder
SELECT juki_test.try('SET juki.idle_timout = 10');
SELECT juki_test.try($$SELECT set_config('juki.no_such_setting', 'x', false)$$);
-- postmaster and sighup settings cannot be changed in a session
SELECT juki_test.try('SET juki.idle_timeout = 1000');
SELECT juki_test.try($$SET juki.database = 'other'$$);
SELECT juki_test.try('SET juki.log_retention = 3');
-- ALTER SYSTEM on juki.* is refused whatever the value (DESIGN §8): juki's settings
-- live in postgresql.conf, which only the OS administrator edits; the check
-- hooks still refuse bad values there at reload (see test/t/001_preload.pl)
ALTER SYSTEM SET juki.timezone = 'Mars/Olympus_Mons';
ALTER SYSTEM SET juki.log_retention = 6;
ALTER SYSTEM SET juki.audit_wait_timeout = 0;
-- a role that is not superuser cannot change the superuser-level one
\c - regress_anyone
SELECT juki_test.try('SET juki.check_resident_code_digit = on');
\c - :su
-- preload detected: the status function works
SELECT preloaded, database, timezone FROM juki.status();
