// parse.mjs — parses an `llmtrail sql` script with dt-sql-parser's grammar for
// its dialect (Athena engine 3 is Trino: the Trino grammar; Spark: SparkSQL)
// and prints one TAP line: ok with the number of statements parsed, or not
// ok with the first syntax errors (line:column and the parser's message).
//
// usage: node --import ./register.mjs parse.mjs N DIALECT SCRIPT.sql
// DT_SQL_PARSER_DIR names the folder whose node_modules holds dt-sql-parser.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [n, dialect, file] = process.argv.slice(2);
const dir = process.env.DT_SQL_PARSER_DIR || '.';
const d = await import(pathToFileURL(path.join(dir, 'node_modules', 'dt-sql-parser', 'dist', 'index.js')).href);
const Parser = { athena: d.TrinoSQL, trino: d.TrinoSQL, spark: d.SparkSQL }[dialect];
if (!Parser) {
  console.log(`not ok ${n} - ${dialect}: no grammar for this dialect`);
  process.exit(1);
}
const p = new Parser();
const text = fs.readFileSync(file, 'utf8');
const errors = p.validate(text);
if (errors.length > 0) {
  console.log(`not ok ${n} - ${dialect}: ${errors.length} syntax errors in ${path.basename(file)}`);
  for (const e of errors.slice(0, 5))
    console.log(`# ${e.startLine}:${e.startColumn} ${e.message.slice(0, 200)}`);
  process.exit(1);
}
const stmts = p.splitSQLByStatement(text) || [];
console.log(`ok ${n} - ${dialect}: ${stmts.length} statements of ${path.basename(file)} parsed`);
