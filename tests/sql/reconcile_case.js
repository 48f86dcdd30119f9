// reconcile_case.js — writes a small export in the standard S3 layout whose
// CloudTrail Bedrock runtime calls and invocation records exercise every
// branch of the reconciliation (analyzers/audit/reconcile.c), from a seed:
// matches by request id (some CloudTrail ids upper-case), weak matches
// (principal + compatible model within the tolerance: model ids as ARNs,
// inference profiles with a geography prefix, plain ids; offsets on both
// sides of 5 s; several records competing for one call), calls with an
// errorCode and no record, calls with no record alone and in bursts,
// records with no call inside and outside the span CloudTrail covers, two
// accounts and two regions, a principal known only from its session issuer;
// the causes of unlogged calls (a logging deletion, logging not on yet); and
// records inside CloudTrail's own gaps, which do not count as without a call.
// duckdb_equal.sh scans it natively and with the DuckDB script and compares.
//
// usage: node reconcile_case.js OUTDIR [SEED]
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const out = process.argv[2];
let seed = Number(process.argv[3] || 11) >>> 0;
if (!out) { console.error('usage: node reconcile_case.js OUTDIR [SEED]'); process.exit(2); }
function rnd() { // mulberry32
  seed = (seed + 0x6D2B79F5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = a => a[Math.floor(rnd() * a.length)];
const hex = n => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const T0 = Date.UTC(2026, 3, 1); // 2026-04-01T00:00:00Z, ms
const iso = ms => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

const accounts = ['111111111111', '222222222222'];
const regions = ['us-east-1', 'eu-west-1'];
const principals = a => [
  { arn: `arn:aws:sts::${a}:assumed-role/app-role/app`, type: 'AssumedRole' },
  { arn: `arn:aws:iam::${a}:user/alice`, type: 'IAMUser' },
  { arn: `arn:aws:sts::${a}:assumed-role/batch-role/job`, type: 'AssumedRole' },
  { issuer: `arn:aws:iam::${a}:role/issuer-only`, type: 'AssumedRole' }, // no userIdentity.arn
];
const models = ['anthropic.claude-3-5-sonnet-20240620-v1:0', 'amazon.titan-text-express-v1', 'meta.llama3-8b-instruct-v1:0'];
// How a model id may be written on either side; all name the same model key.
const spell = (m, a, r) => pick([m, `arn:aws:bedrock:${r}::foundation-model/${m}`,
  `us.${m}`, `arn:aws:bedrock:${r}:${a}:inference-profile/us.${m}`]);

const ct = [], inv = [];
const usedSecond = new Set();
function callTime(lo, hi) { // distinct whole seconds: calls never tie in time
  for (;;) {
    const s = Math.floor((lo + rnd() * (hi - lo)) / 1000) * 1000;
    if (!usedSecond.has(s)) { usedSecond.add(s); return s; }
  }
}
function ctRecord(a, r, ms, p, name, source, extra) {
  const ui = { type: p.type, accountId: a, accessKeyId: 'ASIA' + hex(16).toUpperCase() };
  if (p.arn) ui.arn = p.arn;
  if (p.issuer) ui.sessionContext = { sessionIssuer: { type: 'Role', arn: p.issuer, accountId: a } };
  return Object.assign({
    eventVersion: '1.09', userIdentity: ui, eventTime: iso(ms), eventSource: source, eventName: name,
    awsRegion: r, sourceIPAddress: '198.51.100.' + (1 + Math.floor(rnd() * 200)), userAgent: 'Boto3/1.34.84',
    requestParameters: null, responseElements: null, requestID: uuid(), eventID: uuid(),
    readOnly: true, eventType: 'AwsApiCall', managementEvent: source !== 'bedrock.amazonaws.com',
    recipientAccountId: a, eventCategory: 'Management',
  }, extra || {});
}
function invRecord(a, r, ms, p, model, rq) {
  return {
    schemaType: 'ModelInvocationLog', schemaVersion: '1.0', timestamp: new Date(ms).toISOString(),
    accountId: a, identity: { arn: p.arn || p.issuer }, region: r, requestId: rq, operation: 'InvokeModel',
    modelId: model,
    input: { inputContentType: 'application/json', inputTokenCount: 12,
      inputBodyJson: { messages: [{ role: 'user', content: 'Summarise the weekly report.' }] } },
    output: { outputContentType: 'application/json', outputTokenCount: 9,
      outputBodyJson: { content: [{ type: 'text', text: 'The week was quiet.' }] } },
  };
}

const H = 3600 * 1000;
for (const a of accounts) for (const r of regions) {
  const ps = principals(a);
  // CloudTrail covers 00:00-20:00 of the day, except one series: 06:00-12:00.
  const short = a === accounts[1] && r === regions[1];
  const [lo, hi] = short ? [6 * H, 12 * H] : [0, 20 * H];
  for (let ms = T0 + lo; ms <= T0 + hi; ms += 20 * 60 * 1000)
    ct.push(ctRecord(a, r, ms, ps[1], 'GetCallerIdentity', 'sts.amazonaws.com'));
  for (let i = 0; i < 70; i++) {
    const p = pick(ps), m = pick(models);
    const t = callTime(T0 + lo, T0 + hi);
    const c = ctRecord(a, r, t, p, pick(['InvokeModel', 'Converse', 'InvokeModelWithResponseStream', 'ConverseStream']),
      'bedrock.amazonaws.com', { requestParameters: { modelId: spell(m, a, r) } });
    const x = rnd();
    if (x < 0.45) { // logged under the same request id (CloudTrail's sometimes upper-case), up
      // to 20 s later: only the request id can match those past the weak tolerance
      inv.push(invRecord(a, r, t + Math.floor(rnd() * 20000), p, spell(m, a, r), c.requestID));
      if (rnd() < 0.3) c.requestID = c.requestID.toUpperCase();
    } else if (x < 0.65) { // logged under another id: a weak match when within 5 s
      inv.push(invRecord(a, r, t + Math.floor((rnd() * 2 - 1) * 7000), p, spell(m, a, r), uuid()));
      if (rnd() < 0.3) // a second candidate for the same call, or a model that does not fit
        inv.push(invRecord(a, r, t + Math.floor((rnd() * 2 - 1) * 5000), p,
          rnd() < 0.5 ? spell(m, a, r) : spell(pick(models), a, r), uuid()));
    } else if (x < 0.75) { // refused: never logged, not a finding
      c.errorCode = pick(['ThrottlingException', 'AccessDenied']);
      c.errorMessage = 'refused';
    } // else: not logged at all
    ct.push(c);
  }
  // A burst of calls without records (a window of several).
  const b = callTime(T0 + lo + H, T0 + hi - H);
  for (let i = 0; i < 4; i++)
    ct.push(ctRecord(a, r, callTime(b, b + 10 * 60 * 1000), ps[0], 'InvokeModel', 'bedrock.amazonaws.com',
      { requestParameters: { modelId: models[0] } }));
  // Records without call: inside and outside the span CloudTrail covers.
  for (let i = 0; i < 12; i++)
    inv.push(invRecord(a, r, T0 + Math.floor(rnd() * 23 * H), pick(ps), spell(pick(models), a, r), uuid()));
}

// The cause of a window of calls without records (reconcile.c
// judge_ct_windows()), in a third account, each region one case: us-east-1
// has no invocation logging at all (before logging was seen: low);
// eu-west-1 puts it on an hour after a burst (before: low); ap-south-1 has
// records after a burst but no put (a gap: high); us-west-2 deletes it two
// hours before a burst (deleted: low), then puts it back two hours before
// another (a gap: high). CloudTrail covers each the whole 00:00-20:00.
const A3 = '333333333333', P3 = principals(A3);
function burst(r, at) {
  for (let i = 0; i < 4; i++)
    ct.push(ctRecord(A3, r, callTime(at, at + 10 * 60 * 1000), P3[0], 'InvokeModel', 'bedrock.amazonaws.com',
      { requestParameters: { modelId: models[0] } }));
}
function logging(r, at, name) { ct.push(ctRecord(A3, r, at, P3[1], name, 'bedrock.amazonaws.com')); }
function records(r, from, to) {
  for (let ms = from; ms < to; ms += 30 * 60 * 1000) inv.push(invRecord(A3, r, ms, P3[2], models[1], uuid()));
}
for (const r of ['us-east-1', 'eu-west-1', 'ap-south-1', 'us-west-2'])
  for (let ms = T0; ms <= T0 + 20 * H; ms += 20 * 60 * 1000)
    ct.push(ctRecord(A3, r, ms, P3[1], 'GetCallerIdentity', 'sts.amazonaws.com'));
burst('us-east-1', T0 + 5 * H);
burst('eu-west-1', T0 + 3 * H);
logging('eu-west-1', T0 + 4 * H, 'PutModelInvocationLoggingConfiguration');
records('eu-west-1', T0 + 5 * H, T0 + 15 * H);
burst('ap-south-1', T0 + 3 * H);
records('ap-south-1', T0 + 10 * H, T0 + 15 * H);
records('us-west-2', T0 + 1 * H, T0 + 5 * H);
logging('us-west-2', T0 + 6 * H, 'DeleteModelInvocationLoggingConfiguration');
burst('us-west-2', T0 + 8 * H);
logging('us-west-2', T0 + 10 * H, 'PutModelInvocationLoggingConfiguration');
burst('us-west-2', T0 + 12 * H);

// CloudTrail's own gaps (reconcile.c judge_gaps()), in a fourth account over
// three days, invocation records without calls inside each: us-east-1 logs
// every 5 min but is silent 06:00-09:00 on the second day (a gap: the same
// hours were busy on the other days; its records are not "without call");
// eu-west-1 logs only 08:00-18:00 (its nights are no gap: never busy then);
// ap-south-1 logs every 90 min (too sparse to expect anything in an hour);
// us-west-2 is silent the whole second day (a day-long gap).
const A4 = '444444444444', P4 = principals(A4), D = 24 * H;
function steady(r, every, keep) {
  for (let ms = T0; ms < T0 + 3 * D; ms += every)
    if (keep(ms - T0)) ct.push(ctRecord(A4, r, ms, P4[1], 'GetCallerIdentity', 'sts.amazonaws.com'));
}
function unmatched(r, at) { inv.push(invRecord(A4, r, at, P4[2], models[1], uuid())); }
steady('us-east-1', 5 * 60 * 1000, t => !(t >= D + 6 * H && t < D + 9 * H));
steady('eu-west-1', 5 * 60 * 1000, t => t % D >= 8 * H && t % D <= 18 * H);
steady('ap-south-1', 90 * 60 * 1000, () => true);
steady('us-west-2', 20 * 60 * 1000, t => t < D || t >= 2 * D);
for (const r of ['us-east-1', 'eu-west-1', 'ap-south-1', 'us-west-2'])
  for (const at of [D + 7 * H, D + 7 * H + 1234567, D + 3 * H + 7000, 2 * H + 60000, D + 20 * H + 5000])
    unmatched(r, T0 + at);

// Files: CloudTrail per account/region/hour, invocation logs per account/region/hour.
const root = path.join(out, 'reconcile-bucket', 'AWSLogs');
function put(rel, text) {
  const f = path.join(root, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, zlib.gzipSync(Buffer.from(text)));
}
const hourOf = ms => new Date(ms).toISOString().slice(11, 13);
const groups = (recs, time) => {
  const g = new Map();
  for (const x of recs) {
    const k = `${x.recipientAccountId || x.accountId}|${x.awsRegion || x.region}|${hourOf(time(x))}`;
    if (!g.has(k)) g.set(k, []);
    g.get(k).push(x);
  }
  return g;
};
for (const [k, recs] of groups(ct, x => Date.parse(x.eventTime))) {
  const [a, r, h] = k.split('|');
  recs.sort((x, y) => Date.parse(x.eventTime) - Date.parse(y.eventTime));
  put(`${a}/CloudTrail/${r}/2026/04/01/${a}_CloudTrail_${r}_20260401T${h}00Z_${hex(16)}.json.gz`,
    JSON.stringify({ Records: recs }));
}
for (const [k, recs] of groups(inv, x => Date.parse(x.timestamp))) {
  const [a, r, h] = k.split('|');
  recs.sort((x, y) => Date.parse(x.timestamp) - Date.parse(y.timestamp));
  put(`${a}/BedrockModelInvocationLogs/${r}/2026/04/01/${h}/20260401T${h}0000000Z_${hex(16)}.json.gz`,
    recs.map(x => JSON.stringify(x)).join('\n') + '\n');
}
console.log(`${ct.length} CloudTrail records, ${inv.length} invocation records`);
