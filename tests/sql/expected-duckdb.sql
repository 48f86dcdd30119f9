-- llmtrail sql --dialect duckdb: 4 rules compiled, 1 not expressible.
-- Result shape of every rule: rule_id, rule_title, level, event_time, uid,
-- request_id, principal, source_ip, group_key, detail.
--
-- Correlation inputs (rows only through their correlations):
--   7d0a5c1e-0000-4000-8000-0000000000a1
--
-- Not expressible (rule: reason):
--   7d0a5c1e-0000-4000-8000-0000000000b2: re uses (?!, which the duckdb regex engine does not read as PCRE2 does
DROP TYPE IF EXISTS lt_st;
DROP TYPE IF EXISTS lt_ev;
CREATE TYPE lt_ev AS STRUCT(p BIGINT, t BIGINT, ref INTEGER, n DOUBLE, v VARCHAR,
  lp BIGINT, fp BIGINT, cs DOUBLE, csl DOUBLE);
CREATE TYPE lt_st AS STRUCT(w lt_ev[], m BIGINT[], mf BIGINT[], wend BIGINT, r BIGINT, wn BIGINT, ws DOUBLE, k INTEGER,
  out STRUCT(k INTEGER, a DOUBLE, lo BIGINT, hi BIGINT)[]);
CREATE OR REPLACE MACRO lt_scalars(l) AS list_transform(
  list_filter(l, x -> json_type(x) NOT IN ('OBJECT', 'ARRAY')), x -> json_extract_string(x, '$'));
CREATE OR REPLACE MACRO lt_elems(x) AS
  CASE WHEN json_type(x) = 'ARRAY' THEN list_prepend(x, json_extract(x, '$[*]')) ELSE [x] END;
CREATE OR REPLACE MACRO lt_top(top, doc, k, p) AS
  lt_elems(CASE WHEN top IS NULL THEN json_extract(doc, p) ELSE top[k] END);
CREATE OR REPLACE MACRO lt_step(l, p) AS flatten(list_transform(l, j -> lt_elems(json_extract(j, p))));
CREATE OR REPLACE MACRO lt_strs(j, p) AS
  CASE WHEN json_type(j, p) = 'VARCHAR' THEN [json_extract_string(j, p)] ELSE CAST([] AS VARCHAR[]) END;
CREATE OR REPLACE MACRO lt_join(l) AS nullif(array_to_string(list_filter(l, x -> x IS NOT NULL), chr(10)), '');
CREATE OR REPLACE TEMP TABLE lt_ct_raw AS
WITH f AS (SELECT json FROM read_json_objects('/EVIDENCE/**/*.json*', format = 'auto', compression = 'auto_detect', filename = true)
           WHERE filename LIKE '%/CloudTrail/%')
SELECT unnest(json_extract(json, '$.Records[*]')) AS doc FROM f;
CREATE OR REPLACE TEMP TABLE lt_cloudtrail AS
SELECT doc, TRY(json_transform(doc, '"MAP(VARCHAR, JSON)"')) AS top,
  json_extract_string(doc, '$.eventID') AS uid,
  json_extract_string(doc, '$.eventTime') AS event_time,
  json_extract_string(doc, '$.requestID') AS request_id,
  json_extract_string(doc, '$.userIdentity.arn') AS principal,
  json_extract_string(doc, '$.sourceIPAddress') AS source_ip,
  CASE WHEN json_extract_string(doc, '$.additionalEventData.callWithBearerToken') = 'true'
       THEN 'bedrock-api-key' END AS credential
FROM lt_ct_raw;
DROP TABLE lt_ct_raw;
CREATE OR REPLACE TEMP TABLE lt_inv_raw AS
SELECT json AS doc FROM read_json_objects('/EVIDENCE/**/*.json*', format = 'newline_delimited', compression = 'auto_detect', filename = true)
WHERE filename LIKE '%/BedrockModelInvocationLogs/%' AND filename NOT LIKE '%/data/%';
CREATE OR REPLACE TEMP TABLE lt_invocation AS
WITH b AS (SELECT doc, json_extract(doc, '$.input.inputBodyJson') AS ib,
                  json_extract(doc, '$.output.outputBodyJson') AS ob FROM lt_inv_raw)
SELECT doc, TRY(json_transform(doc, '"MAP(VARCHAR, JSON)"')) AS top,
  json_extract_string(doc, '$.requestId') AS uid,
  json_extract_string(doc, '$.timestamp') AS event_time,
  json_extract_string(doc, '$.requestId') AS request_id,
  json_extract_string(doc, '$.identity.arn') AS principal,
  CAST(NULL AS VARCHAR) AS source_ip,
  lt_join(flatten([
    flatten(list_transform(coalesce(json_extract(ib, '$.messages[*]'), CAST([] AS JSON[])), m ->
      CASE WHEN lower(coalesce(json_extract_string(m, '$.role'), '')) IN ('system', 'developer')
           THEN CAST([] AS VARCHAR[])
           ELSE flatten([lt_strs(m, '$.content'), json_extract_string(m, '$.content[*].text'),
                         json_extract_string(m, '$.content[*].content[*].text'),
                         json_extract_string(m, '$.content[*].toolResult.content[*].text')]) END)),
    lt_strs(ib, '$.message'), lt_strs(ib, '$.prompt'), lt_strs(ib, '$.inputText'),
    json_extract_string(ib, '$.texts[*]'), lt_strs(ib, '$.textToImageParams.text'),
    json_extract_string(ib, '$.text_prompts[*].text')])) AS prompt,
  lt_join(flatten([lt_strs(ib, '$.system'), json_extract_string(ib, '$.system[*].text'),
    flatten(list_transform(coalesce(json_extract(ib, '$.messages[*]'), CAST([] AS JSON[])), m ->
      CASE WHEN lower(coalesce(json_extract_string(m, '$.role'), '')) IN ('system', 'developer')
           THEN flatten([lt_strs(m, '$.content'), json_extract_string(m, '$.content[*].text')])
           ELSE CAST([] AS VARCHAR[]) END)),
    lt_strs(ib, '$.preamble')])) AS system,
  lt_join(flatten([json_extract_string(ob, '$.content[*].text'),
    json_extract_string(ob, '$.output.message.content[*].text'),
    lt_strs(ob, '$.completion'), lt_strs(ob, '$.generation'), lt_strs(ob, '$.text'),
    json_extract_string(ob, '$.results[*].outputText'), json_extract_string(ob, '$.outputs[*].text'),
    json_extract_string(ob, '$.generations[*].text'), json_extract_string(ob, '$.completions[*].data.text'),
    json_extract_string(ob, '$.choices[*].message.content'), json_extract_string(ob, '$.choices[*].text')]))
    AS response
FROM b;
DROP TABLE lt_inv_raw;

-- 2
CREATE OR REPLACE VIEW lt_rule_2 AS
SELECT '7d0a5c1e-0000-4000-8000-0000000000a2' AS rule_id, 'Logging configuration deleted by ''anyone'' in any region' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  CAST(NULL AS VARCHAR) AS group_key, CAST(NULL AS VARCHAR) AS detail
FROM lt_cloudtrail
WHERE (COALESCE((((len(list_filter(lt_scalars(lt_top(top, doc, 'eventName', '$."eventName"')), v -> (lower(v) = 'deletemodelinvocationloggingconfiguration'))) > 0)) AND ((len(list_filter(lt_scalars(lt_top(top, doc, 'awsRegion', '$."awsRegion"')), v -> (regexp_matches(v, '^(us|eu)-[a-z]+-\d$')))) > 0)) AND ((len(list_filter(lt_scalars(lt_step(lt_top(top, doc, 'resources', '$."resources"'), '$."ARN"')), v -> (lower(v) LIKE '%%:log-group/%' ESCAPE '\'))) > 0))), FALSE));

-- 3
CREATE OR REPLACE VIEW lt_rule_3 AS
SELECT '7d0a5c1e-0000-4000-8000-0000000000b1' AS rule_id, 'Prompt asks to ignore previous instructions' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  CAST(NULL AS VARCHAR) AS group_key, CAST(NULL AS VARCHAR) AS detail
FROM lt_invocation
WHERE (COALESCE((COALESCE((((len(list_filter([prompt], v -> (regexp_matches(v, '(?i)ignore\s+(all\s+)?previous\s+instructions')))) > 0))), FALSE) AND COALESCE((((len(list_filter(lt_scalars(lt_step(lt_top(top, doc, 'input', '$."input"'), '$."inputTokenCount"')), v -> (TRY_CAST(v AS DOUBLE) >= 10))) > 0))), FALSE)), FALSE));

-- 4
CREATE OR REPLACE VIEW lt_rule_4 AS
WITH i AS (
  SELECT 0 AS ref, 1 AS ord, 1 AS src, uid, event_time, request_id, principal, source_ip,
    epoch_us(TRY_CAST(event_time AS TIMESTAMPTZ)) AS t,
    concat('userIdentity.arn=', coalesce((lt_scalars(lt_step(lt_top(top, doc, 'userIdentity', '$."userIdentity"'), '$."arn"')))[1], '')) AS grp,
    CAST(NULL AS VARCHAR) AS v
  FROM lt_cloudtrail WHERE (COALESCE((COALESCE((((len(list_filter(lt_scalars(lt_top(top, doc, 'eventSource', '$."eventSource"')), v -> (lower(v) = 'bedrock.amazonaws.com'))) > 0)) AND ((len(list_filter(lt_scalars(lt_top(top, doc, 'eventName', '$."eventName"')), v -> (lower(v) LIKE 'invokemodel%' ESCAPE '\') OR (lower(v) LIKE 'converse%' ESCAPE '\'))) > 0)) AND ((len(list_filter(lt_scalars(lt_step(lt_top(top, doc, 'userIdentity', '$."userIdentity"'), '$."accessKeyId"')), v -> (lower(v) LIKE 'akia%' ESCAPE '\'))) > 0))), FALSE) AND COALESCE((NOT COALESCE((((len(list_filter(lt_scalars(lt_top(top, doc, 'userAgent', '$."userAgent"')), v -> (lower(v) LIKE '%console.amazonaws.com%' ESCAPE '\'))) > 0))), FALSE)), FALSE) AND COALESCE((NOT COALESCE(((json_extract(doc, '$."errorCode"') IS NOT NULL)), FALSE)), FALSE)), FALSE))),
j AS (SELECT *, row_number() OVER (PARTITION BY grp ORDER BY t, src, uid, ord) AS p,
  count(*) OVER (PARTITION BY grp ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND 600000001 PRECEDING) + 1 AS lp, CAST(NULL AS BIGINT) AS fp,
  CAST(NULL AS DOUBLE) AS cs, CAST(NULL AS DOUBLE) AS csl
  FROM i WHERE t IS NOT NULL),
g AS (SELECT grp, list(CAST({'p': p, 't': t, 'ref': ref, 'n': TRY_CAST(v AS DOUBLE), 'v': v, 'lp': lp, 'fp': fp, 'cs': cs, 'csl': csl} AS lt_ev) ORDER BY p) AS evs
  FROM j GROUP BY grp),
f AS (SELECT grp, (list_reduce(evs, (s, y) ->
  CASE WHEN (TRUE AND CAST((y.p - greatest(s.r, y.lp) + 1) AS DOUBLE) >= CAST(50 AS DOUBLE)) THEN CAST({'w': [], 'm': CAST([NULL] AS BIGINT[]), 'mf': CAST([NULL] AS BIGINT[]), 'wend': NULL, 'r': y.p + 1, 'wn': 0, 'ws': y.cs, 'k': s.k + 1, 'out': list_concat(s.out, [CAST({'k': s.k + 1, 'a': CAST((y.p - greatest(s.r, y.lp) + 1) AS DOUBLE), 'lo': greatest(s.r, y.lp), 'hi': y.p} AS STRUCT(k INTEGER, a DOUBLE, lo BIGINT, hi BIGINT))])} AS lt_st)
  ELSE s END,
  CAST({'w': [], 'm': CAST([NULL] AS BIGINT[]), 'mf': CAST([NULL] AS BIGINT[]), 'wend': NULL, 'r': 1, 'wn': 0, 'ws': 0, 'k': 0, 'out': []} AS lt_st))).out AS out FROM g),
o AS (SELECT grp, fo.k AS fk, fo.a AS fa, fo.lo AS lo, fo.hi AS hi
  FROM (SELECT grp, unnest(out) AS fo FROM f) AS o0),
h AS (SELECT o.grp AS grp, o.fk AS fk, o.fa AS fa, j.event_time AS et, j.uid AS uid,
  j.request_id AS rq, j.principal AS pr, j.source_ip AS ip
  FROM o JOIN j ON j.grp = o.grp AND j.p BETWEEN o.lo AND o.hi)
SELECT DISTINCT '7d0a5c1e-0000-4000-8000-0000000000a3' AS rule_id, 'Many invocations from one principal' AS rule_title, '' AS level, et AS event_time, uid,
  rq AS request_id, pr AS principal, ip AS source_ip, grp AS group_key,
  concat('firing ', CAST(fk AS VARCHAR), ': event_count ', CAST(fa AS VARCHAR)) AS detail
FROM h;

-- Reconciliation (analyzers/audit/reconcile.c): CloudTrail Bedrock runtime calls <-> invocation
-- records, by request id, then weakly (principal, model, 5000000 us), windows per account/region.
CREATE OR REPLACE MACRO lt_model_key(id) AS nullif(regexp_replace(
  CASE WHEN id LIKE 'arn:%' AND strpos(id, ':foundation-model/') > 0 THEN substr(id, strpos(id, ':foundation-model/') + 18)
       WHEN id LIKE 'arn:%' AND strpos(id, ':inference-profile/') > 0 THEN substr(id, strpos(id, ':inference-profile/') + 19)
       ELSE id END, '^[a-z-]{2,12}\.(.*\..*)$', '\1', 's'), '');
CREATE OR REPLACE MACRO lt_model_ok(a, b) AS a IS NULL OR b IS NULL OR a = b
  OR (length(a) > length(b) AND suffix(a, '/' || b)) OR (length(b) > length(a) AND suffix(b, '/' || a));
CREATE OR REPLACE TEMP TABLE lt_rc AS
WITH ct AS (SELECT doc, uid, event_time, request_id, principal, source_ip,
    epoch_us(TRY_CAST(event_time AS TIMESTAMPTZ)) AS t,
    coalesce(nullif(json_extract_string(doc, '$.recipientAccountId'), ''),
             nullif(json_extract_string(doc, '$.userIdentity.accountId'), '')) AS acct,
    nullif(json_extract_string(doc, '$.awsRegion'), '') AS reg
  FROM lt_cloudtrail WHERE uid <> ''),
cov AS (SELECT acct, reg, min(t) AS lo, max(t) AS hi FROM ct WHERE t IS NOT NULL GROUP BY ALL),
ctl AS (SELECT acct, t, uid, json_extract_string(doc, '$.eventName') AS action FROM ct WHERE t IS NOT NULL
  AND json_extract_string(doc, '$.eventName') IN ('DeleteModelInvocationLoggingConfiguration', 'PutModelInvocationLoggingConfiguration')),
e AS (
  SELECT 0 AS side, uid, event_time, request_id, principal, source_ip, t, acct, reg, nullif(request_id, '') AS rq,
    coalesce(nullif(json_extract_string(doc, '$.userIdentity.arn'), ''),
             nullif(json_extract_string(doc, '$.userIdentity.sessionContext.sessionIssuer.arn'), ''),
             CASE WHEN json_extract_string(doc, '$.userIdentity.type') = 'AWSService'
                  THEN nullif(json_extract_string(doc, '$.userIdentity.invokedBy'), '') END) AS pr,
    lt_model_key(coalesce(nullif(json_extract_string(doc, '$.requestParameters.modelId'), ''),
                          nullif(json_extract_string(doc, '$.requestParameters.modelIdentifier'), ''),
                          nullif(json_extract_string(doc, '$.requestParameters.modelArn'), ''),
                          nullif(json_extract_string(doc, '$.requestParameters.baseModelIdentifier'), ''))) AS model,
    nullif(json_extract_string(doc, '$.errorCode'), '') IS NOT NULL AS err
  FROM ct WHERE t IS NOT NULL AND json_extract_string(doc, '$.eventSource') = 'bedrock.amazonaws.com'
    AND json_extract_string(doc, '$.eventName') IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream')
  UNION ALL
  SELECT 1, uid, event_time, request_id, principal, source_ip, t,
    nullif(json_extract_string(doc, '$.accountId'), ''), nullif(json_extract_string(doc, '$.region'), ''),
    nullif(request_id, ''), nullif(principal, ''), lt_model_key(nullif(json_extract_string(doc, '$.modelId'), '')), FALSE
  FROM (SELECT *, epoch_us(TRY_CAST(event_time AS TIMESTAMPTZ)) AS t FROM lt_invocation)
  WHERE t IS NOT NULL AND uid <> ''),
n AS (SELECT *, row_number() OVER (ORDER BY side, t, uid) AS id,
    rq IS NOT NULL AND rq IN (SELECT rq FROM e AS o WHERE o.side = 1 - e.side) AS strong FROM e),
cand AS (SELECT c.id AS cid, c.pr, c.t AS ct, c.uid AS cuid, r.id AS rid, abs(r.t - c.t) AS d, r.t AS rt, r.uid AS ruid
  FROM n AS c JOIN n AS r ON c.pr IS NOT DISTINCT FROM r.pr AND r.t BETWEEN c.t - 5000000 AND c.t + 5000000
  WHERE c.side = 0 AND r.side = 1 AND NOT c.strong AND NOT r.strong AND lt_model_ok(c.model, r.model)),
calls AS (SELECT pr, list({'c': cid, 'r': rids} ORDER BY ct, cuid) AS l
  FROM (SELECT cid, pr, ct, cuid, list(rid ORDER BY d, rt, ruid) AS rids FROM cand GROUP BY ALL) GROUP BY pr),
weak AS (SELECT unnest(l).c AS cid,
    unnest(list_reduce(l, (s, y) -> {'c': 0, 'r': list_append(s.r, list_filter(y.r, x -> NOT list_contains(s.r, x))[1])},
                       {'c': 0, 'r': CAST([] AS BIGINT[])}).r) AS rid FROM calls),
ctt AS (SELECT acct, reg, t FROM ct WHERE t IS NOT NULL),
gp0 AS (SELECT acct, reg, pt AS gf, t AS gt
  FROM (SELECT acct, reg, t, lag(t) OVER (PARTITION BY acct, reg ORDER BY t) AS pt FROM ctt) AS g0
  WHERE t - pt >= 3600000000),
gph AS (SELECT g.acct, g.reg, g.gf, g.gt, hx.h + dx.d * 86400000000 AS o FROM gp0 AS g
  CROSS JOIN UNNEST(CASE WHEN g.gt - g.gf < 86400000000 AND (g.gf - ((g.gf % 3600000000) + 3600000000) % 3600000000) + 3600000000 <= g.gt - 3600000000
    THEN generate_series((g.gf - ((g.gf % 3600000000) + 3600000000) % 3600000000) + 3600000000, g.gt - 3600000000, 3600000000) ELSE CAST([] AS BIGINT[]) END) AS hx(h)
  CROSS JOIN UNNEST(generate_series(-40, 40)) AS dx(d)),
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
u AS (SELECT n.* FROM n WHERE NOT strong AND id NOT IN (SELECT id FROM wk) AND id NOT IN (SELECT id FROM ins)
    AND EXISTS (SELECT 1 FROM n AS a WHERE a.side = 0) AND EXISTS (SELECT 1 FROM n AS b WHERE b.side = 1)
    AND CASE WHEN side = 0 THEN NOT err
        ELSE EXISTS (SELECT 1 FROM cov WHERE cov.acct IS NOT DISTINCT FROM n.acct AND cov.reg IS NOT DISTINCT FROM n.reg
                     AND n.t BETWEEN cov.lo AND cov.hi) END),
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
  concat(coalesce(acct, ''), '/', coalesce(reg, ''), ' ', strftime(make_timestamp(lo), '%Y-%m-%dT%H:%M:%SZ'), '..', strftime(make_timestamp(hi), '%Y-%m-%dT%H:%M:%SZ')) AS group_key,
  concat(CAST(cnt AS VARCHAR), CASE WHEN side = 0 THEN ' CloudTrail Bedrock runtime calls have no invocation-log record'
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
