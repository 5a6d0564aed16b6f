/*-------------------------------------------------------------------------
 * guard_files.c
 *		Server-side files (issue 13, class 4).  A path is judged by where it
 *		really leads — relative paths from the data directory, "..", ".",
 *		symlinks (a dangling one by where it would create the file),
 *		/proc/self/cwd and /proc/self/fd — never by how it is spelt.
 *
 * Written (COPY ... TO a file): nothing inside the data directory, the WAL
 * directory or a tablespace; nothing among the server's configuration —
 * the files config_file, hba_file and ident_file name and their
 * directories, every file and directory they include (followed the way the
 * server reads them, missing include_if_exists targets too); nothing of
 * juki's signing key or checkpoint directory, of the server's libraries or
 * extension scripts, or in the server account's home directory (shell
 * start-up files and ssh keys run or admit code as that account).  A path
 * that cannot be resolved is refused.
 * Read (COPY ... FROM a file, file_fdw's filename): nothing inside the
 * data directory, the WAL directory or a tablespace, nor juki's signing
 * key.  file_fdw's program option is refused as COPY ... PROGRAM is.
 * lo_export and adminpack are refused outright (guard_ident.c): their
 * paths are not known before they run.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/guc.h"

#include "core/settings.h"
#include "core/context.h"
#include "guard_context.h"
#include "guard_files.h"
#include "guard_ident.h"

typedef struct Place
{
	char	   *path;			/* real path */
	bool		is_dir;			/* everything below it, or just this file */
	const char *what;
} Place;

/*
 * Where path leads, as the server would open it: a real path, or NULL if it
 * cannot be resolved.  A file that does not exist yet is its real directory
 * and its name; a dangling symlink is followed to where it would create it.
 */
static char *
resolve(const char *path)
{
	char		buf[MAXPGPATH];
	int			hops;

	if (is_absolute_path(path))
		strlcpy(buf, path, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s/%s", DataDir, path);
	for (hops = 0; hops < 32; hops++)
	{
		char		real[PATH_MAX];
		char		dir[MAXPGPATH];
		char	   *base;
		struct stat st;

		if (realpath(buf, real) != NULL)
			return pstrdup(real);
		if (lstat(buf, &st) == 0 && S_ISLNK(st.st_mode))
		{
			char		target[MAXPGPATH];
			ssize_t		n = readlink(buf, target, sizeof(target) - 1);

			if (n < 0)
				return NULL;
			target[n] = '\0';
			if (is_absolute_path(target))
				strlcpy(buf, target, sizeof(buf));
			else
			{
				strlcpy(dir, buf, sizeof(dir));
				get_parent_directory(dir);
				snprintf(buf, sizeof(buf), "%s/%s", dir, target);
			}
			continue;
		}
		strlcpy(dir, buf, sizeof(dir));
		base = strrchr(dir, '/');
		if (base == NULL || base[1] == '\0' || strcmp(base + 1, ".") == 0 ||
			strcmp(base + 1, "..") == 0)
			return NULL;
		*base++ = '\0';
		if (realpath(dir[0] ? dir : "/", real) == NULL)
			return NULL;
		return psprintf("%s/%s", strcmp(real, "/") == 0 ? "" : real, base);
	}
	return NULL;
}

static void
add_place(List **places, const char *path, bool is_dir, const char *what)
{
	Place	   *p;
	char	   *real;

	if (path == NULL || path[0] == '\0')
		return;
	real = resolve(path);
	if (real == NULL)
		return;
	p = palloc(sizeof(Place));
	p->path = real;
	p->is_dir = is_dir;
	p->what = what;
	*places = lappend(*places, p);
}

static void
add_parent(List **places, const char *file, const char *what)
{
	char		dir[MAXPGPATH];

	if (file == NULL || file[0] == '\0')
		return;
	strlcpy(dir, file, sizeof(dir));
	get_parent_directory(dir);
	add_place(places, dir, true, what);
}

/* location relative to the file that names it, as the server reads it */
static char *
config_location(const char *location, const char *calling_file)
{
	char		dir[MAXPGPATH];

	if (is_absolute_path(location))
		return pstrdup(location);
	strlcpy(dir, calling_file, sizeof(dir));
	get_parent_directory(dir);
	return psprintf("%s/%s", dir, location);
}

/* The value of an include directive: 'quoted' ('' is a quote) or a bare word. */
static char *
directive_value(const char *p)
{
	StringInfoData v;

	while (*p == ' ' || *p == '\t' || *p == '=')
		p++;
	initStringInfo(&v);
	if (*p == '\'')
	{
		for (p++; *p; p++)
		{
			if (*p == '\'' && p[1] == '\'')
				appendStringInfoChar(&v, *p++);
			else if (*p == '\'')
				break;
			else if (*p == '\\' && p[1])
				appendStringInfoChar(&v, *++p);
			else
				appendStringInfoChar(&v, *p);
		}
	}
	else
		while (*p && *p != ' ' && *p != '\t' && *p != '#' && *p != '\n' && *p != '\r')
			appendStringInfoChar(&v, *p++);
	return v.len > 0 ? v.data : NULL;
}

static void scan_config(List **places, const char *file, int depth);

/* include_dir: the directory, and each *.conf in it as the server reads them */
static void
scan_config_dir(List **places, const char *dirpath, int depth)
{
	DIR		   *d;
	struct dirent *de;

	add_place(places, dirpath, true, "the server's configuration");
	d = AllocateDir(dirpath);
	if (d == NULL)
		return;
	while ((de = ReadDirExtended(d, dirpath, DEBUG1)) != NULL)
	{
		size_t		len = strlen(de->d_name);

		if (len > 5 && de->d_name[0] != '.' && strcmp(de->d_name + len - 5, ".conf") == 0)
			scan_config(places, psprintf("%s/%s", dirpath, de->d_name), depth + 1);
	}
	FreeDir(d);
}

/* A configuration file and, recursively, everything it includes. */
static void
scan_config(List **places, const char *file, int depth)
{
	FILE	   *f;
	char		line[4 * MAXPGPATH];

	add_place(places, file, false, "the server's configuration");
	if (depth > 10 || (f = AllocateFile(file, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *p = line;
		char	   *value;
		bool		dir = false;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "include_dir", 11) == 0)
		{
			dir = true;
			p += 11;
		}
		else if (strncmp(p, "include_if_exists", 17) == 0)
			p += 17;
		else if (strncmp(p, "include", 7) == 0)
			p += 7;
		else
			continue;
		if (*p != ' ' && *p != '\t' && *p != '=' && *p != '\'')
			continue;			/* a setting whose name starts with "include" */
		value = directive_value(p);
		if (value == NULL)
			continue;
		value = config_location(value, file);
		if (dir)
			scan_config_dir(places, value, depth);
		else
			scan_config(places, value, depth + 1);
	}
	FreeFile(f);
}

static List *
protected_places(bool write)
{
	List	   *places = NIL;
	char		path[MAXPGPATH];
	DIR		   *d;
	struct dirent *de;

	add_place(&places, DataDir, true, "the data directory");
	snprintf(path, sizeof(path), "%s/pg_wal", DataDir);
	add_place(&places, path, true, "the WAL directory");
	snprintf(path, sizeof(path), "%s/pg_tblspc", DataDir);
	if ((d = AllocateDir(path)) != NULL)
	{
		while ((de = ReadDirExtended(d, path, DEBUG1)) != NULL)
			if (de->d_name[0] != '.')
				add_place(&places, psprintf("%s/%s", path, de->d_name), true, "a tablespace");
		FreeDir(d);
	}
	add_place(&places, juki_signing_key_file, false, "juki's signing key");
	if (!write)
		return places;

	scan_config(&places, ConfigFileName, 0);
	add_parent(&places, ConfigFileName, "the server's configuration");
	add_place(&places, HbaFileName, false, "the server's configuration");
	add_parent(&places, HbaFileName, "the server's configuration");
	add_place(&places, IdentFileName, false, "the server's configuration");
	add_parent(&places, IdentFileName, "the server's configuration");
	add_place(&places, juki_checkpoint_directory, true, "juki's checkpoint directory");
	get_pkglib_path(my_exec_path, path);
	add_place(&places, path, true, "the server's libraries");
	get_share_path(my_exec_path, path);
	add_place(&places, psprintf("%s/extension", path), true, "the server's extension scripts");
	{
		struct passwd *pw = getpwuid(geteuid());

		if (pw && pw->pw_dir && strcmp(pw->pw_dir, "/") != 0)
			add_place(&places, pw->pw_dir, true, "the server account's home directory");
	}
	return places;
}

/* Refuse (and log) reading or writing path if it leads somewhere protected. */
void
juki_check_server_file(const char *command, const char *path, bool write)
{
	char	   *real;
	ListCell   *lc;

	if (!juki_preloaded || juki_is_audit_writer)
		return;
	real = resolve(path);
	if (real == NULL)
	{
		/* an unreadable path fails to open anyway; an unwritable one must not be guessed */
		if (write)
			juki_refuse_direct(command, psprintf("file %s (its real path cannot be resolved)", path),
							   true);
		return;
	}
	foreach(lc, protected_places(write))
	{
		Place	   *p = lfirst(lc);

		if (p->is_dir ? (strcmp(p->path, real) == 0 || path_is_prefix_of_path(p->path, real))
			: strcmp(p->path, real) == 0)
			juki_refuse_direct(command, psprintf("file %s in %s", path, p->what), true);
	}
}

/* file_fdw options: a program is refused, a file judged as COPY FROM's. */
void
juki_check_foreign_table_options(const char *command, Oid serverid, List *options)
{
	ListCell   *lc;

	if (!juki_preloaded || juki_is_audit_writer ||
		!juki_fdw_is_file_fdw(GetForeignServer(serverid)->fdwid))
		return;
	foreach(lc, options)
	{
		DefElem    *d = lfirst_node(DefElem, lc);

		if (d->defaction == DEFELEM_DROP)
			continue;
		if (strcmp(d->defname, "program") == 0)
			juki_refuse_direct(command, "program of a file_fdw table", true);
		if (strcmp(d->defname, "filename") == 0)
			juki_check_server_file(command, defGetString(d), false);
	}
}

/* At query time too: the options may predate juki. */
void
juki_check_foreign_table(const char *command, Oid relid)
{
	ForeignTable *ft = GetForeignTable(relid);

	juki_check_foreign_table_options(command, ft->serverid, ft->options);
}
