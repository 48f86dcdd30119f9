// query.js — runs SQL statements on DuckDB (in-memory) from a folder and
// prints the last statement's rows as JSON lines: the runner of the
// docs/outputs.md "Querying with SQL" recipes (tests/sql/recipes.sh).
//
// usage: node query.js DIR SQL   (the statements run with DIR as the working folder)
// DUCKDB_NODE_DIR names the folder whose node_modules holds @duckdb/node-api.
'use strict';
const path = require('path');
const dir = process.env.DUCKDB_NODE_DIR || __dirname;
const { DuckDBInstance } = require(path.join(dir, 'node_modules', '@duckdb', 'node-api'));

(async () => {
  const [cwd, sql] = process.argv.slice(2);
  process.chdir(cwd);
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const stmts = await con.extractStatements(sql);
  let last = null;
  for (let i = 0; i < stmts.count; i++) last = await (await stmts.prepare(i)).runAndReadAll();
  for (const r of last.getRowObjects())
    console.log(JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? Number(v) : v)));
})().catch(e => { console.error(String(e)); process.exit(1); });
