/* schema.sql.h — the case-index schema, version 4 (docs/case-schema.md).
 * Included only by store/case.c. case_schema_create builds the version 2
 * schema in an empty file; case_migrations[i] takes the schema from version
 * CASE_SCHEMA_FIRST + i to the next one (2 -> 3: the conflicts table; 3 -> 4: stored detections). Version 1 (one SQLite
 * row per event) is not migrated: its cases are re-indexed (case.c says so). */
#ifndef LLMTRAIL_STORE_SCHEMA_SQL_H
#define LLMTRAIL_STORE_SCHEMA_SQL_H

/* The oldest schema this build opens. */
#define CASE_SCHEMA_FIRST 2

static const char case_schema_create[] =
	"CREATE TABLE runs("
	" id INTEGER PRIMARY KEY,"
	" command TEXT NOT NULL,"
	" args TEXT NOT NULL,"
	" version TEXT NOT NULL,"
	" started TEXT NOT NULL,"
	" finished TEXT,"
	" status TEXT NOT NULL DEFAULT 'running');"
	"CREATE TABLE evidence("
	" id INTEGER PRIMARY KEY,"
	" path TEXT NOT NULL UNIQUE,"
	" kind TEXT NOT NULL,"
	" size INTEGER,"
	" sha256 TEXT,"
	" run_id INTEGER NOT NULL REFERENCES runs(id));"
	"CREATE TABLE members("
	" id INTEGER PRIMARY KEY,"
	" evidence_id INTEGER NOT NULL REFERENCES evidence(id),"
	" path TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" size INTEGER NOT NULL,"
	" sha256 TEXT NOT NULL,"
	" content_size INTEGER,"
	" content_sha256 TEXT,"
	" format TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" same_as INTEGER REFERENCES members(id),"
	" events INTEGER NOT NULL DEFAULT 0,"
	" duplicates INTEGER NOT NULL DEFAULT 0,"
	" problems INTEGER NOT NULL DEFAULT 0,"
	" run_id INTEGER NOT NULL REFERENCES runs(id),"
	" UNIQUE(evidence_id, path));"
	"CREATE INDEX members_sha256 ON members(sha256);"
	"CREATE INDEX members_name ON members(name);"
	"CREATE TABLE chunks("
	" id INTEGER PRIMARY KEY,"
	" member_id INTEGER NOT NULL REFERENCES members(id),"
	" seq INTEGER NOT NULL,"
	" offset INTEGER NOT NULL,"
	" length INTEGER NOT NULL,"
	" codec TEXT NOT NULL,"
	" data BLOB NOT NULL,"
	" UNIQUE(member_id, seq));"
	"CREATE TABLE strs("
	" id INTEGER PRIMARY KEY,"
	" s TEXT NOT NULL UNIQUE);"
	"CREATE TABLE blocks("
	" id INTEGER PRIMARY KEY,"
	" member_id INTEGER NOT NULL REFERENCES members(id),"
	" source INTEGER NOT NULL,"
	" t_min INTEGER NOT NULL,"
	" t_max INTEGER NOT NULL,"
	" n INTEGER NOT NULL,"
	" data BLOB NOT NULL);"
	"CREATE INDEX blocks_time ON blocks(t_min, t_max, source, member_id, n);"
	"CREATE TABLE body_refs("
	" id INTEGER PRIMARY KEY,"
	" member_id INTEGER NOT NULL REFERENCES members(id),"
	" line INTEGER NOT NULL,"
	" uid TEXT NOT NULL,"
	" input_ref TEXT,"
	" output_ref TEXT,"
	" missing INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE dedup("
	" source INTEGER PRIMARY KEY,"
	" duplicates INTEGER NOT NULL,"
	" last_block INTEGER NOT NULL);"
	"CREATE TABLE problems("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"
	" file TEXT NOT NULL,"
	" member TEXT NOT NULL,"
	" line INTEGER NOT NULL,"
	" offset INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" member_id INTEGER REFERENCES members(id),"
	" body_ref_id INTEGER REFERENCES body_refs(id),"
	" run_id INTEGER NOT NULL REFERENCES runs(id),"
	" UNIQUE(kind, file, member, line, reason));";

/* 2 -> 3: copies of an event with the same id and different content
 * (store/evdup.h); emptying dedup makes the next `index` judge every copy. */
static const char case_migration_3[] =
	"CREATE TABLE conflicts("
	" id INTEGER PRIMARY KEY,"
	" source INTEGER NOT NULL,"
	" uid TEXT NOT NULL,"
	" time_us INTEGER NOT NULL,"
	" member_id INTEGER NOT NULL REFERENCES members(id),"
	" line INTEGER NOT NULL,"
	" offset INTEGER NOT NULL,"
	" first_member_id INTEGER NOT NULL REFERENCES members(id),"
	" first_line INTEGER NOT NULL,"
	" first_offset INTEGER NOT NULL,"
	" level TEXT NOT NULL,"
	" fields TEXT NOT NULL);"
	"CREATE INDEX conflicts_row ON conflicts(member_id, line, offset);"
	"DELETE FROM dedup;";

/* 3 -> 4: what rule matching found in each block's events while they were
 * indexed (store/detblock.h), under the digest of the rules that found it. */
static const char case_migration_4[] =
	"CREATE TABLE detections("
	" block_id INTEGER PRIMARY KEY REFERENCES blocks(id),"
	" digest TEXT NOT NULL,"
	" data BLOB NOT NULL);";

static const char *const case_migrations[] = {case_migration_3, case_migration_4};
#define CASE_NMIGRATIONS 2

#endif
