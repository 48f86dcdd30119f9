-- llmtrail sql --dialect spark: 4 rules compiled, 1 not expressible.
-- Result shape of every rule: rule_id, rule_title, level, event_time, uid,
-- request_id, principal, source_ip, group_key, detail.
--
-- Correlation inputs (rows only through their correlations):
--   7d0a5c1e-0000-4000-8000-0000000000a1
--
-- Not expressible (rule: reason):
--   7d0a5c1e-0000-4000-8000-0000000000b2: re uses (?!, which the spark regex engine does not read as PCRE2 does
-- Tables: the log files as lines of text (replace BUCKET and ACCOUNT; one table per account,
-- or widen the path). lt_vals(doc, path) is a function you register (docs/scale-out.md;
-- tools/spark_lt_vals.py: register(spark)): the field's scalar values as array<string>,
-- every key read as a member or an array of them.
CREATE TABLE IF NOT EXISTS lt_cloudtrail_files USING text
  OPTIONS (path 's3://BUCKET/AWSLogs/ACCOUNT/CloudTrail/', recursiveFileLookup 'true');
CREATE TABLE IF NOT EXISTS lt_invocation_files USING text
  OPTIONS (path 's3://BUCKET/AWSLogs/ACCOUNT/BedrockModelInvocationLogs/', recursiveFileLookup 'true');
CREATE OR REPLACE TEMPORARY VIEW lt_cloudtrail AS
SELECT doc, get_json_object(doc, '$.eventID') AS uid,
  get_json_object(doc, '$.eventTime') AS event_time,
  get_json_object(doc, '$.requestID') AS request_id,
  get_json_object(doc, '$.userIdentity.arn') AS principal,
  get_json_object(doc, '$.sourceIPAddress') AS source_ip,
  CASE WHEN get_json_object(doc, '$.additionalEventData.callWithBearerToken') = 'true'
       THEN 'bedrock-api-key' END AS credential
FROM (SELECT explode(from_json(get_json_object(value, '$.Records'), 'ARRAY<STRING>')) AS doc
      FROM lt_cloudtrail_files WHERE input_file_name() NOT LIKE '%/CloudTrail-Digest/%') AS c;
CREATE OR REPLACE TEMPORARY VIEW lt_invocation AS
SELECT doc, get_json_object(doc, '$.requestId') AS uid,
  get_json_object(doc, '$.timestamp') AS event_time,
  get_json_object(doc, '$.requestId') AS request_id,
  get_json_object(doc, '$.identity.arn') AS principal,
  CAST(NULL AS STRING) AS source_ip,
  nullif(array_join(filter(flatten(array(
    flatten(transform(coalesce(from_json(get_json_object(ib, '$.messages'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), m ->
      CASE WHEN lower(coalesce(get_json_object(m, '$.role'), '')) IN ('system', 'developer') THEN CAST(array() AS ARRAY<STRING>)
           ELSE flatten(array(CASE WHEN get_json_object(m, '$.content') IS NOT NULL AND NOT get_json_object(m, '$.content') RLIKE '^\\s*[\\[{]' THEN array(get_json_object(m, '$.content')) ELSE CAST(array() AS ARRAY<STRING>) END,
             transform(coalesce(from_json(get_json_object(m, '$.content'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.text')),
             flatten(transform(coalesce(from_json(get_json_object(m, '$.content'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> transform(coalesce(from_json(get_json_object(b, '$.content'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), c -> get_json_object(c, '$.text')))),
             flatten(transform(coalesce(from_json(get_json_object(m, '$.content'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> transform(coalesce(from_json(get_json_object(b, '$.toolResult.content'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), c -> get_json_object(c, '$.text')))))) END)),
    CASE WHEN get_json_object(ib, '$.message') IS NOT NULL AND NOT get_json_object(ib, '$.message') RLIKE '^\\s*[\\[{]' THEN array(get_json_object(ib, '$.message')) ELSE CAST(array() AS ARRAY<STRING>) END, CASE WHEN get_json_object(ib, '$.prompt') IS NOT NULL AND NOT get_json_object(ib, '$.prompt') RLIKE '^\\s*[\\[{]' THEN array(get_json_object(ib, '$.prompt')) ELSE CAST(array() AS ARRAY<STRING>) END,
    CASE WHEN get_json_object(ib, '$.inputText') IS NOT NULL AND NOT get_json_object(ib, '$.inputText') RLIKE '^\\s*[\\[{]' THEN array(get_json_object(ib, '$.inputText')) ELSE CAST(array() AS ARRAY<STRING>) END, coalesce(from_json(get_json_object(ib, '$.texts'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)),
    CASE WHEN get_json_object(ib, '$.textToImageParams.text') IS NOT NULL AND NOT get_json_object(ib, '$.textToImageParams.text') RLIKE '^\\s*[\\[{]' THEN array(get_json_object(ib, '$.textToImageParams.text')) ELSE CAST(array() AS ARRAY<STRING>) END, transform(coalesce(from_json(get_json_object(ib, '$.text_prompts'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.text')))), x -> x IS NOT NULL), chr(10)), '') AS prompt,
  nullif(array_join(filter(flatten(array(CASE WHEN get_json_object(ib, '$.system') IS NOT NULL AND NOT get_json_object(ib, '$.system') RLIKE '^\\s*[\\[{]' THEN array(get_json_object(ib, '$.system')) ELSE CAST(array() AS ARRAY<STRING>) END, transform(coalesce(from_json(get_json_object(ib, '$.system'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.text')),
    flatten(transform(coalesce(from_json(get_json_object(ib, '$.messages'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), m ->
      CASE WHEN lower(coalesce(get_json_object(m, '$.role'), '')) IN ('system', 'developer')
           THEN flatten(array(CASE WHEN get_json_object(m, '$.content') IS NOT NULL AND NOT get_json_object(m, '$.content') RLIKE '^\\s*[\\[{]' THEN array(get_json_object(m, '$.content')) ELSE CAST(array() AS ARRAY<STRING>) END, transform(coalesce(from_json(get_json_object(m, '$.content'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.text'))))
           ELSE CAST(array() AS ARRAY<STRING>) END)),
    CASE WHEN get_json_object(ib, '$.preamble') IS NOT NULL AND NOT get_json_object(ib, '$.preamble') RLIKE '^\\s*[\\[{]' THEN array(get_json_object(ib, '$.preamble')) ELSE CAST(array() AS ARRAY<STRING>) END)), x -> x IS NOT NULL), chr(10)), '') AS system,
  nullif(array_join(filter(flatten(array(transform(coalesce(from_json(get_json_object(ob, '$.content'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.text')),
    transform(coalesce(from_json(get_json_object(ob, '$.output.message.content'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.text')),
    CASE WHEN get_json_object(ob, '$.completion') IS NOT NULL AND NOT get_json_object(ob, '$.completion') RLIKE '^\\s*[\\[{]' THEN array(get_json_object(ob, '$.completion')) ELSE CAST(array() AS ARRAY<STRING>) END, CASE WHEN get_json_object(ob, '$.generation') IS NOT NULL AND NOT get_json_object(ob, '$.generation') RLIKE '^\\s*[\\[{]' THEN array(get_json_object(ob, '$.generation')) ELSE CAST(array() AS ARRAY<STRING>) END, CASE WHEN get_json_object(ob, '$.text') IS NOT NULL AND NOT get_json_object(ob, '$.text') RLIKE '^\\s*[\\[{]' THEN array(get_json_object(ob, '$.text')) ELSE CAST(array() AS ARRAY<STRING>) END,
    transform(coalesce(from_json(get_json_object(ob, '$.results'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.outputText')), transform(coalesce(from_json(get_json_object(ob, '$.outputs'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.text')),
    transform(coalesce(from_json(get_json_object(ob, '$.generations'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.text')), transform(coalesce(from_json(get_json_object(ob, '$.completions'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.data.text')),
    transform(coalesce(from_json(get_json_object(ob, '$.choices'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.message.content')), transform(coalesce(from_json(get_json_object(ob, '$.choices'), 'ARRAY<STRING>'), CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.text')))), x -> x IS NOT NULL), chr(10)), '') AS response
FROM (SELECT value AS doc, get_json_object(value, '$.input.inputBodyJson') AS ib,
             get_json_object(value, '$.output.outputBodyJson') AS ob
      FROM lt_invocation_files WHERE input_file_name() NOT LIKE '%/data/%') AS i;

-- 2
CREATE OR REPLACE VIEW lt_rule_2 AS
SELECT '7d0a5c1e-0000-4000-8000-0000000000a2' AS rule_id, 'Logging configuration deleted by ''anyone'' in any region' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  CAST(NULL AS STRING) AS group_key, CAST(NULL AS STRING) AS detail
FROM lt_cloudtrail
WHERE (COALESCE((((exists(lt_vals(doc, '$."eventName"'), v -> (lower(v) = 'deletemodelinvocationloggingconfiguration')))) AND ((exists(lt_vals(doc, '$."awsRegion"'), v -> (v RLIKE '^(us|eu)-[a-z]+-\\d$')))) AND ((exists(lt_vals(doc, '$."resources"."ARN"'), v -> (lower(v) LIKE '%%:log-group/%' ESCAPE '\\'))))), FALSE));

-- 3
CREATE OR REPLACE VIEW lt_rule_3 AS
SELECT '7d0a5c1e-0000-4000-8000-0000000000b1' AS rule_id, 'Prompt asks to ignore previous instructions' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  CAST(NULL AS STRING) AS group_key, CAST(NULL AS STRING) AS detail
FROM lt_invocation
WHERE (COALESCE((COALESCE((((exists(array(prompt), v -> (v RLIKE '(?i)ignore\\s+(all\\s+)?previous\\s+instructions'))))), FALSE) AND COALESCE((((exists(lt_vals(doc, '$."input"."inputTokenCount"'), v -> (TRY_CAST(v AS DOUBLE) >= 10))))), FALSE)), FALSE));

-- 4
CREATE OR REPLACE VIEW lt_rule_4 AS
WITH i AS (
  SELECT 0 AS ref, 1 AS ord, 1 AS src, uid, event_time, request_id, principal, source_ip,
    unix_micros(to_timestamp(event_time)) AS t,
    concat('userIdentity.arn=', coalesce(try_element_at(lt_vals(doc, '$."userIdentity"."arn"'), 1), '')) AS grp,
    CAST(NULL AS STRING) AS v
  FROM lt_cloudtrail WHERE (COALESCE((COALESCE((((exists(lt_vals(doc, '$."eventSource"'), v -> (lower(v) = 'bedrock.amazonaws.com')))) AND ((exists(lt_vals(doc, '$."eventName"'), v -> (lower(v) LIKE 'invokemodel%' ESCAPE '\\') OR (lower(v) LIKE 'converse%' ESCAPE '\\')))) AND ((exists(lt_vals(doc, '$."userIdentity"."accessKeyId"'), v -> (lower(v) LIKE 'akia%' ESCAPE '\\'))))), FALSE) AND COALESCE((NOT COALESCE((((exists(lt_vals(doc, '$."userAgent"'), v -> (lower(v) LIKE '%console.amazonaws.com%' ESCAPE '\\'))))), FALSE)), FALSE) AND COALESCE((NOT COALESCE(((get_json_object(doc, '$."errorCode"') IS NOT NULL)), FALSE)), FALSE)), FALSE))),
j AS (SELECT *, row_number() OVER (PARTITION BY grp ORDER BY t, src, uid, ord) AS p,
  count(*) OVER (PARTITION BY grp ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND 600000001 PRECEDING) + 1 AS lp, CAST(NULL AS BIGINT) AS fp,
  CAST(NULL AS DOUBLE) AS cs, CAST(NULL AS DOUBLE) AS csl
  FROM i WHERE t IS NOT NULL),
g AS (SELECT grp, array_sort(collect_list(CAST(named_struct('p', p, 't', t, 'ref', ref, 'n', TRY_CAST(v AS DOUBLE), 'v', v, 'lp', lp, 'fp', fp, 'cs', cs, 'csl', csl) AS STRUCT<p: BIGINT, t: BIGINT, ref: INT, n: DOUBLE, v: STRING, lp: BIGINT, fp: BIGINT, cs: DOUBLE, csl: DOUBLE>))) AS evs
  FROM j GROUP BY grp),
f AS (SELECT grp, (aggregate(evs, CAST(named_struct('w', array(), 'm', CAST(array(NULL) AS ARRAY<BIGINT>), 'mf', CAST(array(NULL) AS ARRAY<BIGINT>), 'wend', NULL, 'r', 1, 'wn', 0, 'ws', 0, 'k', 0, 'out', array()) AS STRUCT<w: ARRAY<STRUCT<p: BIGINT, t: BIGINT, ref: INT, n: DOUBLE, v: STRING, lp: BIGINT, fp: BIGINT, cs: DOUBLE, csl: DOUBLE>>, m: ARRAY<BIGINT>, mf: ARRAY<BIGINT>, wend: BIGINT, r: BIGINT, wn: BIGINT, ws: DOUBLE, k: INT, out: ARRAY<STRUCT<k: INT, a: DOUBLE, lo: BIGINT, hi: BIGINT>>>), (s, y) ->
  CASE WHEN (TRUE AND CAST((y.p - greatest(s.r, y.lp) + 1) AS DOUBLE) >= CAST(50 AS DOUBLE)) THEN CAST(named_struct('w', array(), 'm', CAST(array(NULL) AS ARRAY<BIGINT>), 'mf', CAST(array(NULL) AS ARRAY<BIGINT>), 'wend', NULL, 'r', y.p + 1, 'wn', 0, 'ws', y.cs, 'k', s.k + 1, 'out', concat(s.out, array(CAST(named_struct('k', s.k + 1, 'a', CAST((y.p - greatest(s.r, y.lp) + 1) AS DOUBLE), 'lo', greatest(s.r, y.lp), 'hi', y.p) AS STRUCT<k: INT, a: DOUBLE, lo: BIGINT, hi: BIGINT>)))) AS STRUCT<w: ARRAY<STRUCT<p: BIGINT, t: BIGINT, ref: INT, n: DOUBLE, v: STRING, lp: BIGINT, fp: BIGINT, cs: DOUBLE, csl: DOUBLE>>, m: ARRAY<BIGINT>, mf: ARRAY<BIGINT>, wend: BIGINT, r: BIGINT, wn: BIGINT, ws: DOUBLE, k: INT, out: ARRAY<STRUCT<k: INT, a: DOUBLE, lo: BIGINT, hi: BIGINT>>>)
  ELSE s END,
  s -> s)).out AS out FROM g),
o AS (SELECT grp, fo.k AS fk, fo.a AS fa, fo.lo AS lo, fo.hi AS hi
  FROM (SELECT grp, explode(out) AS fo FROM f) AS o0),
h AS (SELECT o.grp AS grp, o.fk AS fk, o.fa AS fa, j.event_time AS et, j.uid AS uid,
  j.request_id AS rq, j.principal AS pr, j.source_ip AS ip
  FROM o JOIN j ON j.grp = o.grp AND j.p BETWEEN o.lo AND o.hi)
SELECT DISTINCT '7d0a5c1e-0000-4000-8000-0000000000a3' AS rule_id, 'Many invocations from one principal' AS rule_title, '' AS level, et AS event_time, uid,
  rq AS request_id, pr AS principal, ip AS source_ip, grp AS group_key,
  concat('firing ', CAST(fk AS STRING), ': event_count ', CAST(fa AS STRING)) AS detail
FROM h;

-- Reconciliation (analyzers/audit/reconcile.c): CloudTrail Bedrock runtime calls <-> invocation
-- records, by request id, then weakly (principal, model, 5000000 us), windows per account/region.
CREATE OR REPLACE VIEW lt_rc AS
WITH ct AS (SELECT doc, uid, event_time, request_id, principal, source_ip,
    unix_micros(to_timestamp(event_time)) AS t,
    coalesce(nullif(get_json_object(doc, '$.recipientAccountId'), ''),
             nullif(get_json_object(doc, '$.userIdentity.accountId'), '')) AS acct,
    nullif(get_json_object(doc, '$.awsRegion'), '') AS reg
  FROM lt_cloudtrail WHERE uid <> ''),
cov AS (SELECT acct, reg, min(t) AS lo, max(t) AS hi FROM ct WHERE t IS NOT NULL GROUP BY acct, reg),
ctl AS (SELECT acct, t, uid, get_json_object(doc, '$.eventName') AS action FROM ct WHERE t IS NOT NULL
  AND get_json_object(doc, '$.eventName') IN ('DeleteModelInvocationLoggingConfiguration', 'PutModelInvocationLoggingConfiguration')),
e0 AS (
  SELECT 0 AS side, uid, event_time, request_id, principal, source_ip, t, acct, reg, nullif(request_id, '') AS rq,
    coalesce(nullif(get_json_object(doc, '$.userIdentity.arn'), ''),
             nullif(get_json_object(doc, '$.userIdentity.sessionContext.sessionIssuer.arn'), ''),
             CASE WHEN get_json_object(doc, '$.userIdentity.type') = 'AWSService'
                  THEN nullif(get_json_object(doc, '$.userIdentity.invokedBy'), '') END) AS pr,
    coalesce(nullif(get_json_object(doc, '$.requestParameters.modelId'), ''),
             nullif(get_json_object(doc, '$.requestParameters.modelIdentifier'), ''),
             nullif(get_json_object(doc, '$.requestParameters.modelArn'), ''),
             nullif(get_json_object(doc, '$.requestParameters.baseModelIdentifier'), '')) AS mid,
    nullif(get_json_object(doc, '$.errorCode'), '') IS NOT NULL AS err
  FROM ct WHERE t IS NOT NULL AND get_json_object(doc, '$.eventSource') = 'bedrock.amazonaws.com'
    AND get_json_object(doc, '$.eventName') IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream')
  UNION ALL
  SELECT 1, uid, event_time, request_id, principal, source_ip, t,
    nullif(get_json_object(doc, '$.accountId'), ''), nullif(get_json_object(doc, '$.region'), ''),
    nullif(request_id, ''), nullif(principal, ''), nullif(get_json_object(doc, '$.modelId'), ''), FALSE
  FROM (SELECT *, unix_micros(to_timestamp(event_time)) AS t FROM lt_invocation) AS i
  WHERE t IS NOT NULL AND uid <> ''),
e AS (SELECT side, uid, event_time, request_id, principal, source_ip, t, acct, reg, rq, pr, err,
    nullif(regexp_replace(CASE WHEN mid LIKE 'arn:%' AND instr(mid, ':foundation-model/') > 0
                               THEN substr(mid, instr(mid, ':foundation-model/') + 18)
                               WHEN mid LIKE 'arn:%' AND instr(mid, ':inference-profile/') > 0
                               THEN substr(mid, instr(mid, ':inference-profile/') + 19) ELSE mid END,
                          '^[a-z-]{2,12}\\.(.*\\..*)$', '$1'), '') AS model FROM e0),
n AS (SELECT e.*, row_number() OVER (ORDER BY e.side, e.t, e.uid) AS id, o.rq IS NOT NULL AS strong
  FROM e LEFT JOIN (SELECT DISTINCT side, rq FROM e WHERE rq IS NOT NULL) AS o ON o.side = 1 - e.side AND o.rq = e.rq),
cand AS (SELECT c.id AS cid, c.pr, c.t AS ct, c.uid AS cuid, r.id AS rid, abs(r.t - c.t) AS d, r.t AS rt, r.uid AS ruid
  FROM n AS c JOIN n AS r ON c.pr <=> r.pr AND r.t BETWEEN c.t - 5000000 AND c.t + 5000000
  WHERE c.side = 0 AND r.side = 1 AND NOT c.strong AND NOT r.strong
    AND (c.model IS NULL OR r.model IS NULL OR c.model = r.model
         OR (length(c.model) > length(r.model) AND substr(c.model, length(c.model) - length(r.model)) = concat('/', r.model))
         OR (length(r.model) > length(c.model) AND substr(r.model, length(r.model) - length(c.model)) = concat('/', c.model)))),
calls AS (SELECT pr, array_sort(collect_list(struct(ct, cuid, cid, rids))) AS l
  FROM (SELECT cid, pr, ct, cuid, transform(array_sort(collect_list(struct(d, rt, ruid, rid))), z -> z.rid) AS rids
        FROM cand GROUP BY cid, pr, ct, cuid) AS cc
  GROUP BY pr),
walk AS (SELECT transform(l, z -> z.cid) AS cids,
    aggregate(transform(l, z -> z.rids), CAST(array() AS ARRAY<BIGINT>),
      (s, y) -> concat(s, array(try_element_at(filter(y, x -> NOT coalesce(array_contains(s, x), FALSE)), 1))),
      s -> s) AS picked FROM calls),
weak AS (SELECT z.cid, z.rid FROM (SELECT explode(zip_with(cids, picked, (a, b) -> named_struct('cid', a, 'rid', b))) AS z
  FROM walk) AS zz),
ctt AS (SELECT acct, reg, t FROM ct WHERE t IS NOT NULL),
gp0 AS (SELECT acct, reg, pt AS gf, t AS gt
  FROM (SELECT acct, reg, t, lag(t) OVER (PARTITION BY acct, reg ORDER BY t) AS pt FROM ctt) AS g0
  WHERE t - pt >= 3600000000),
gph AS (SELECT g.acct, g.reg, g.gf, g.gt, hx.h + dx.d * 86400000000 AS o FROM gp0 AS g
  LATERAL VIEW explode(CASE WHEN g.gt - g.gf < 86400000000 AND (g.gf - ((g.gf % 3600000000) + 3600000000) % 3600000000) + 3600000000 <= g.gt - 3600000000
    THEN sequence((g.gf - ((g.gf % 3600000000) + 3600000000) % 3600000000) + 3600000000, g.gt - 3600000000, 3600000000) ELSE CAST(array() AS ARRAY<BIGINT>) END) hx AS h
  LATERAL VIEW explode(sequence(-40, 40)) dx AS d),
gsh AS (SELECT gph.acct, gph.reg, gph.gf, gph.gt, count(*) AS total, count(sh.hb) AS active
  FROM gph JOIN cov ON coalesce(cov.acct, '') = coalesce(gph.acct, '') AND coalesce(cov.reg, '') = coalesce(gph.reg, '')
  LEFT JOIN (SELECT DISTINCT acct, reg, (t - ((t % 3600000000) + 3600000000) % 3600000000) AS hb FROM ctt) AS sh
    ON coalesce(sh.acct, '') = coalesce(gph.acct, '') AND coalesce(sh.reg, '') = coalesce(gph.reg, '') AND sh.hb = gph.o
  WHERE NOT (gph.o >= gph.gf AND gph.o < gph.gt) AND gph.o >= (cov.lo - ((cov.lo % 3600000000) + 3600000000) % 3600000000)
    AND gph.o <= cov.hi
  GROUP BY gph.acct, gph.reg, gph.gf, gph.gt),
gcnt AS (SELECT g.acct, g.reg, g.gf, g.gt, sum(CASE WHEN c.t <= g.gf THEN 1 ELSE 0 END) AS nb,
    sum(CASE WHEN c.t >= g.gt THEN 1 ELSE 0 END) AS na
  FROM gp0 AS g JOIN ctt AS c ON coalesce(c.acct, '') = coalesce(g.acct, '') AND coalesce(c.reg, '') = coalesce(g.reg, '')
    AND c.t > g.gf - 3600000000 AND c.t < g.gt + 3600000000
  GROUP BY g.acct, g.reg, g.gf, g.gt),
gap AS (SELECT g.acct, g.reg, g.gf, g.gt FROM gp0 AS g
  JOIN gcnt ON coalesce(gcnt.acct, '') = coalesce(g.acct, '') AND coalesce(gcnt.reg, '') = coalesce(g.reg, '') AND gcnt.gf = g.gf AND gcnt.gt = g.gt
  LEFT JOIN gsh ON coalesce(gsh.acct, '') = coalesce(g.acct, '') AND coalesce(gsh.reg, '') = coalesce(g.reg, '') AND gsh.gf = g.gf AND gsh.gt = g.gt
  WHERE g.gt - g.gf >= 86400000000
    OR ((gsh.total IS NULL OR CAST(gsh.active AS DOUBLE) / gsh.total >= 0.6)
        AND CAST(least(gcnt.nb, gcnt.na) AS DOUBLE) * CAST(g.gt - g.gf AS DOUBLE) / 3600000000
            >= 10.0)),
ins AS (SELECT i.id FROM n AS i JOIN gap ON coalesce(gap.acct, '') = coalesce(i.acct, '') AND coalesce(gap.reg, '') = coalesce(i.reg, '') AND i.t > gap.gf AND i.t < gap.gt
  WHERE i.side = 1),
wk AS (SELECT cid AS id FROM weak WHERE rid IS NOT NULL UNION ALL SELECT rid FROM weak WHERE rid IS NOT NULL),
k AS (SELECT sum(CASE WHEN side = 0 THEN 1 ELSE 0 END) AS ncalls, sum(CASE WHEN side = 1 THEN 1 ELSE 0 END) AS nrecs FROM n),
u AS (SELECT n.* FROM n CROSS JOIN k LEFT JOIN cov ON cov.acct <=> n.acct AND cov.reg <=> n.reg
  WHERE NOT n.strong AND n.id NOT IN (SELECT id FROM wk) AND n.id NOT IN (SELECT id FROM ins)
    AND k.ncalls > 0 AND k.nrecs > 0
    AND CASE WHEN n.side = 0 THEN NOT n.err ELSE coalesce(n.t BETWEEN cov.lo AND cov.hi, FALSE) END),
w AS (SELECT *, sum(CASE WHEN prev IS NULL OR t - prev > 1800000000 THEN 1 ELSE 0 END)
      OVER (PARTITION BY side, acct, reg ORDER BY t, uid ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS win
  FROM (SELECT *, lag(t) OVER (PARTITION BY side, acct, reg ORDER BY t, uid) AS prev FROM u) AS up),
x AS (SELECT *, count(*) OVER (PARTITION BY side, acct, reg, win) AS cnt,
    min(t) OVER (PARTITION BY side, acct, reg, win) AS lo, max(t) OVER (PARTITION BY side, acct, reg, win) AS hi FROM w),
wn AS (SELECT DISTINCT acct, reg, win, lo, hi FROM x WHERE side = 0),
off AS (SELECT acct, reg, win, action FROM (SELECT wn.acct, wn.reg, wn.win, c.action,
    row_number() OVER (PARTITION BY wn.acct, wn.reg, wn.win ORDER BY c.t DESC, c.uid DESC) AS rn
  FROM wn JOIN ctl AS c ON c.acct IS NOT DISTINCT FROM wn.acct AND c.t BETWEEN wn.lo - 86400000000 AND wn.lo) AS o1 WHERE rn = 1),
puton AS (SELECT acct, reg, win, action FROM (SELECT wn.acct, wn.reg, wn.win, c.action,
    row_number() OVER (PARTITION BY wn.acct, wn.reg, wn.win ORDER BY c.t, c.uid) AS rn
  FROM wn JOIN ctl AS c ON c.acct IS NOT DISTINCT FROM wn.acct AND c.t BETWEEN wn.hi AND wn.hi + 86400000000) AS o2 WHERE rn = 1),
seen AS (SELECT wn.acct, wn.reg, wn.win, sum(CASE WHEN r.t < wn.lo THEN 1 ELSE 0 END) AS before, count(r.t) AS recs
  FROM wn LEFT JOIN n AS r ON r.side = 1 AND r.acct IS NOT DISTINCT FROM wn.acct AND r.reg IS NOT DISTINCT FROM wn.reg
  GROUP BY wn.acct, wn.reg, wn.win),
cz AS (SELECT wn.acct, wn.reg, wn.win,
    CASE WHEN off.action = 'DeleteModelInvocationLoggingConfiguration' THEN 'deleted'
         WHEN coalesce(seen.before, 0) = 0 AND (coalesce(seen.recs, 0) = 0
              OR puton.action = 'PutModelInvocationLoggingConfiguration') THEN 'before' ELSE '' END AS cause
  FROM wn LEFT JOIN off ON off.acct IS NOT DISTINCT FROM wn.acct AND off.reg IS NOT DISTINCT FROM wn.reg AND off.win = wn.win
  LEFT JOIN puton ON puton.acct IS NOT DISTINCT FROM wn.acct AND puton.reg IS NOT DISTINCT FROM wn.reg AND puton.win = wn.win
  LEFT JOIN seen ON seen.acct IS NOT DISTINCT FROM wn.acct AND seen.reg IS NOT DISTINCT FROM wn.reg AND seen.win = wn.win),
xc AS (SELECT x.*, coalesce(cz.cause, '') AS cause FROM x LEFT JOIN cz ON x.side = 0
  AND cz.acct IS NOT DISTINCT FROM x.acct AND cz.reg IS NOT DISTINCT FROM x.reg AND cz.win = x.win)
SELECT side, cnt, cause, uid, event_time, request_id, principal, source_ip,
  concat(coalesce(acct, ''), '/', coalesce(reg, ''), ' ', CAST(timestamp_micros(lo) AS STRING), '..', CAST(timestamp_micros(hi) AS STRING)) AS group_key,
  concat(CAST(cnt AS STRING), CASE WHEN side = 0 THEN ' CloudTrail Bedrock runtime calls have no invocation-log record'
                   ELSE ' invocation-log records have no CloudTrail call' END) AS detail
FROM xc;

CREATE OR REPLACE VIEW lt_reconcile_1 AS
SELECT 'llmtrail-reconcile-invocation-logging-gap' AS rule_id, 'Bedrock calls in CloudTrail without invocation-log records (logging off or deleted)' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  group_key, detail
FROM lt_rc
WHERE side = 0 AND cnt >= 3 AND cause = '';

CREATE OR REPLACE VIEW lt_reconcile_2 AS
SELECT 'llmtrail-reconcile-invocation-log-missing' AS rule_id, 'Bedrock call in CloudTrail without invocation-log record' AS rule_title, 'low' AS level, event_time, uid, request_id, principal, source_ip,
  group_key, detail
FROM lt_rc
WHERE side = 0 AND cnt < 3;

CREATE OR REPLACE VIEW lt_reconcile_3 AS
SELECT 'llmtrail-reconcile-cloudtrail-missing' AS rule_id, 'Invocation-log records without CloudTrail call' AS rule_title, 'medium' AS level, event_time, uid, request_id, principal, source_ip,
  group_key, detail
FROM lt_rc
WHERE side = 1;

CREATE OR REPLACE VIEW lt_reconcile_4 AS
SELECT 'llmtrail-reconcile-calls-while-logging-deleted' AS rule_id, 'Bedrock calls in CloudTrail while invocation logging was deleted' AS rule_title, 'low' AS level, event_time, uid, request_id, principal, source_ip,
  group_key, detail
FROM lt_rc
WHERE side = 0 AND cnt >= 3 AND cause = 'deleted';

CREATE OR REPLACE VIEW lt_reconcile_5 AS
SELECT 'llmtrail-reconcile-calls-before-logging-seen' AS rule_id, 'Bedrock calls in CloudTrail where invocation logging was not seen on yet' AS rule_title, 'low' AS level, event_time, uid, request_id, principal, source_ip,
  group_key, detail
FROM lt_rc
WHERE side = 0 AND cnt >= 3 AND cause = 'before';

-- All result rows.
SELECT * FROM lt_rule_2
UNION ALL SELECT * FROM lt_rule_3
UNION ALL SELECT * FROM lt_rule_4
UNION ALL SELECT * FROM lt_reconcile_1
UNION ALL SELECT * FROM lt_reconcile_2
UNION ALL SELECT * FROM lt_reconcile_3
UNION ALL SELECT * FROM lt_reconcile_4
UNION ALL SELECT * FROM lt_reconcile_5
ORDER BY event_time, rule_id, uid;
