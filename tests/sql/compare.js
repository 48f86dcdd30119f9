// compare.js — runs an `llmtrail sql --dialect duckdb` script on DuckDB and
// compares, rule by rule, the (rule, event uid) pairs it returns with the
// native scan's (timeline.csv of `llmtrail analyze`: the `rule_ids` column lists
// the rules that hit each event). Only events the DuckDB views read take part
// (CloudTrail and invocation-log files of the standard layout: the native
// side is restricted to rows from those members), and only rules the script
// compiled. Prints TAP; with a third argument writes the per-rule table
// (markdown) there: equal / differs because ... / not expressible because ...
//
// usage: node compare.js SCRIPT.sql TIMELINE.csv [TABLE.md]
// DUCKDB_NODE_DIR names the folder whose node_modules holds @duckdb/node-api.
// For evidence larger than memory (the 1 GB benchmark corpus needs ~55 GB
// held in memory): DUCKDB_DATABASE names a database file to use instead of
// :memory:, DUCKDB_MEMORY_LIMIT caps DuckDB's buffer pool (e.g. 12GB) and
// DUCKDB_TEMP_DIRECTORY is where it spills what does not fit.
'use strict';
const fs = require('fs');
const path = require('path');
const dir = process.env.DUCKDB_NODE_DIR || __dirname;
const { DuckDBInstance } = require(path.join(dir, 'node_modules', '@duckdb', 'node-api'));

function sqlString(s) { return s.replace(/''/g, "'"); }

// Rules compiled (from the views) and not expressible (from the header).
function scriptRules(text) {
  const compiled = new Map();
  for (const m of text.matchAll(/^SELECT (?:DISTINCT )?'((?:[^']|'')*)' AS rule_id, '((?:[^']|'')*)' AS rule_title/gm))
    compiled.set(sqlString(m[1]), sqlString(m[2]));
  const skipped = new Map();
  let inList = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('-- Not expressible')) { inList = true; continue; }
    if (line.startsWith('-- Correlation inputs')) { inList = false; continue; }
    if (!line.startsWith('--   ')) { if (inList && !line.startsWith('--')) break; continue; }
    const body = line.slice(5);
    const i = body.indexOf(': ');
    if (i > 0) skipped.set(body.slice(0, i), body.slice(i + 2));
  }
  return { compiled, skipped };
}

// RFC 4180 CSV, streamed: onRow(fields) for each record. The native
// timeline.csv of the 1 GB corpus is 723 MB, more than one JavaScript string
// may hold (V8: 2^29 - 24 characters), so it is read in chunks and the parser
// keeps its state (field, record, inside quotes) across them.
async function eachCsvRow(file, onRow) {
  let row = [], f = '', q = false, quoteSeen = false;
  for await (const chunk of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (quoteSeen) {            // a quote inside quotes: doubled, or the closing one
        quoteSeen = false;
        if (c === '"') { f += '"'; continue; }
        q = false;
      }
      if (q) {
        if (c === '"') quoteSeen = true;
        else f += c;
      } else if (c === '"') q = true;
      else if (c === ',') { row.push(f); f = ''; }
      else if (c === '\n') { row.push(f); onRow(row); row = []; f = ''; }
      else if (c !== '\r') f += c;
    }
  }
  if (f !== '' || row.length) { row.push(f); onRow(row); }
}

const readByViews = m => /\/(CloudTrail|BedrockModelInvocationLogs)\//.test('/' + m) && !/\/data\//.test(m);

async function nativePairs(csvPath, compiled) {
  let head = null, cu, cm, cr;
  const pairs = new Map();
  await eachCsvRow(csvPath, r => {
    if (head === null) {
      head = r;
      [cu, cm, cr] = [head.indexOf('uid'), head.indexOf('member'), head.indexOf('rule_ids')];
      return;
    }
    if (r.length < head.length || !readByViews(r[cm]) || r[cr] === '') return;
    for (const id of r[cr].split(';')) {
      if (compiled.has(id)) {
        if (!pairs.has(id)) pairs.set(id, new Set());
        pairs.get(id).add(r[cu]);
      }
    }
  });
  return pairs;
}

// Settings from the environment, as DuckDB configuration options.
function duckdbOptions(env) {
  const o = {};
  if (env.DUCKDB_MEMORY_LIMIT) o.memory_limit = env.DUCKDB_MEMORY_LIMIT;
  if (env.DUCKDB_TEMP_DIRECTORY) o.temp_directory = env.DUCKDB_TEMP_DIRECTORY;
  if (o.memory_limit) o.preserve_insertion_order = 'false';
  return o;
}

async function sqlPairs(text) {
  const db = await DuckDBInstance.create(process.env.DUCKDB_DATABASE || ':memory:',
                                         duckdbOptions(process.env));
  const con = await db.connect();
  const stmts = await con.extractStatements(text);
  let last = null;
  for (let i = 0; i < stmts.count; i++) last = await (await stmts.prepare(i)).runAndReadAll();
  const pairs = new Map();
  for (const r of last.getRowObjects()) {
    if (!pairs.has(r.rule_id)) pairs.set(r.rule_id, new Set());
    pairs.get(r.rule_id).add(r.uid);
  }
  const n = (await (await con.runAndReadAll(
    'SELECT (SELECT count(*) FROM lt_cloudtrail) + (SELECT count(*) FROM lt_invocation) AS n')).getRowObjects())[0].n;
  return { pairs, events: Number(n), rows: last.getRowObjects().length };
}

function diff(a, b) { return [...a].filter(x => !b.has(x)); }

(async () => {
  const [script, timeline, tableOut] = process.argv.slice(2);
  const text = fs.readFileSync(script, 'utf8');
  const { compiled, skipped } = scriptRules(text);
  const t0 = Date.now();
  const sql = await sqlPairs(text);
  const secs = (Date.now() - t0) / 1000;
  const nat = await nativePairs(timeline, compiled);
  const lines = [];
  let n = 0, bad = 0;
  const table = ['| rule | title | result |', '|---|---|---|'];
  console.log(`# DuckDB: ${sql.events} events read, ${sql.rows} result rows in ${secs.toFixed(1)} s`);
  for (const [id, title] of compiled) {
    const s = sql.pairs.get(id) || new Set(), v = nat.get(id) || new Set();
    const onlySql = diff(s, v), onlyNat = diff(v, s);
    n++;
    const esc = x => x.replace(/\|/g, '\\|');
    if (onlySql.length === 0 && onlyNat.length === 0) {
      lines.push(`ok ${n} - ${id} (${title}): ${s.size} events, equal`);
      table.push(`| ${esc(id)} | ${esc(title)} | equal (${s.size} events) |`);
    } else {
      bad++;
      lines.push(`not ok ${n} - ${id} (${title}): ${s.size} by SQL, ${v.size} natively; ` +
        `only SQL: ${onlySql.slice(0, 5).join(' ')}; only native: ${onlyNat.slice(0, 5).join(' ')}`);
      table.push(`| ${esc(id)} | ${esc(title)} | differs: ${onlySql.length} only by SQL, ${onlyNat.length} only natively |`);
    }
  }
  for (const [id, why] of skipped)
    table.push(`| ${id.replace(/\|/g, '\\|')} | | not expressible: ${why.replace(/\|/g, '\\|')} |`);
  console.log(`1..${n}`);
  for (const l of lines) console.log(l);
  console.log(`# ${n - bad} of ${n} compiled rules equal; ${skipped.size} not expressible`);
  if (tableOut) fs.writeFileSync(tableOut, table.join('\n') + '\n');
})().catch(e => { console.log('1..1'); console.log(`not ok 1 - DuckDB run failed: ${e.message}`); process.exit(1); });
