-- llmtrail sql --dialect trino: 4 rules compiled, 1 not expressible.
-- Result shape of every rule: rule_id, rule_title, level, event_time, uid,
-- request_id, principal, source_ip, group_key, detail.
--
-- Correlation inputs (rows only through their correlations):
--   7d0a5c1e-0000-4000-8000-0000000000a1
--
-- Not expressible (rule: reason):
--   7d0a5c1e-0000-4000-8000-0000000000b2: re uses (?!, which the trino regex engine does not read as PCRE2 does
-- Tables. Athena (engine 3): create the two tables of log files once, with partition
-- projection over the standard layout (replace BUCKET, ACCOUNT, the regions and the range;
-- Athena bills by bytes scanned: keep a time range in every query, see docs/scale-out.md):
--
-- CREATE EXTERNAL TABLE lt_cloudtrail_files (line string)
--   PARTITIONED BY (account string, region string, day string)
--   ROW FORMAT DELIMITED STORED AS TEXTFILE
--   LOCATION 's3://BUCKET/AWSLogs/'
--   TBLPROPERTIES ('projection.enabled'='true',
--     'projection.account.type'='enum', 'projection.account.values'='ACCOUNT',
--     'projection.region.type'='enum', 'projection.region.values'='us-east-1,us-west-2',
--     'projection.day.type'='date', 'projection.day.format'='yyyy/MM/dd',
--     'projection.day.range'='2024/01/01,NOW', 'projection.day.interval'='1',
--     'projection.day.interval.unit'='DAYS',
--     'storage.location.template'='s3://BUCKET/AWSLogs/${account}/CloudTrail/${region}/${day}/');
-- CREATE EXTERNAL TABLE lt_invocation_files (line string)
--   PARTITIONED BY (account string, region string, hour string)
--   ROW FORMAT DELIMITED STORED AS TEXTFILE
--   LOCATION 's3://BUCKET/AWSLogs/'
--   TBLPROPERTIES ('projection.enabled'='true',
--     'projection.account.type'='enum', 'projection.account.values'='ACCOUNT',
--     'projection.region.type'='enum', 'projection.region.values'='us-east-1,us-west-2',
--     'projection.hour.type'='date', 'projection.hour.format'='yyyy/MM/dd/HH',
--     'projection.hour.range'='2024/01/01/00,NOW', 'projection.hour.interval'='1',
--     'projection.hour.interval.unit'='HOURS',
--     'storage.location.template'='s3://BUCKET/AWSLogs/${account}/BedrockModelInvocationLogs/${region}/${hour}/');
--
-- Trino (Hive connector with hive.recursive-directories=true; one table per account):
-- CREATE TABLE lt_cloudtrail_files (line varchar)
--   WITH (format = 'TEXTFILE', external_location = 's3://BUCKET/AWSLogs/ACCOUNT/CloudTrail/');
-- CREATE TABLE lt_invocation_files (line varchar)
--   WITH (format = 'TEXTFILE', external_location = 's3://BUCKET/AWSLogs/ACCOUNT/BedrockModelInvocationLogs/');
--
-- The views below read them: one row per record, the record as JSON text in doc. A field's
-- values are read inline from doc with json_query in lax mode (Trino 419+, Athena engine 3).
CREATE OR REPLACE VIEW lt_cloudtrail AS
SELECT doc, json_extract_scalar(doc, '$.eventID') AS uid,
  json_extract_scalar(doc, '$.eventTime') AS event_time,
  json_extract_scalar(doc, '$.requestID') AS request_id,
  json_extract_scalar(doc, '$.userIdentity.arn') AS principal,
  json_extract_scalar(doc, '$.sourceIPAddress') AS source_ip,
  CASE WHEN json_extract_scalar(doc, '$.additionalEventData.callWithBearerToken') = 'true'
       THEN 'bedrock-api-key' END AS credential
FROM (SELECT json_format(r) AS doc
      FROM lt_cloudtrail_files CROSS JOIN UNNEST(TRY_CAST(json_extract(line, '$.Records') AS ARRAY(JSON))) AS x(r)
      WHERE "$path" NOT LIKE '%/CloudTrail-Digest/%') AS c;
CREATE OR REPLACE VIEW lt_invocation AS
SELECT doc, json_extract_scalar(doc, '$.requestId') AS uid,
  json_extract_scalar(doc, '$.timestamp') AS event_time,
  json_extract_scalar(doc, '$.requestId') AS request_id,
  json_extract_scalar(doc, '$.identity.arn') AS principal,
  CAST(NULL AS VARCHAR) AS source_ip,
  nullif(array_join(filter(flatten(ARRAY[
    flatten(transform(coalesce(TRY_CAST(json_extract(ib, '$.messages') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), m ->
      CASE WHEN lower(coalesce(json_extract_scalar(m, '$.role'), '')) IN ('system', 'developer') THEN CAST(ARRAY[] AS ARRAY(VARCHAR))
           ELSE flatten(ARRAY[CASE WHEN json_format(json_extract(m, '$.content')) LIKE '"%' THEN ARRAY[json_extract_scalar(m, '$.content')] ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END,
             transform(coalesce(TRY_CAST(json_extract(m, '$.content') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$.text')),
             flatten(transform(coalesce(TRY_CAST(json_extract(m, '$.content') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> transform(coalesce(TRY_CAST(json_extract(b, '$.content') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), c -> json_extract_scalar(c, '$.text')))),
             flatten(transform(coalesce(TRY_CAST(json_extract(m, '$.content') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> transform(coalesce(TRY_CAST(json_extract(b, '$.toolResult.content') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), c -> json_extract_scalar(c, '$.text'))))]) END)),
    CASE WHEN json_format(json_extract(ib, '$.message')) LIKE '"%' THEN ARRAY[json_extract_scalar(ib, '$.message')] ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END, CASE WHEN json_format(json_extract(ib, '$.prompt')) LIKE '"%' THEN ARRAY[json_extract_scalar(ib, '$.prompt')] ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END,
    CASE WHEN json_format(json_extract(ib, '$.inputText')) LIKE '"%' THEN ARRAY[json_extract_scalar(ib, '$.inputText')] ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END, transform(coalesce(TRY_CAST(json_extract(ib, '$.texts') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$')),
    CASE WHEN json_format(json_extract(ib, '$.textToImageParams.text')) LIKE '"%' THEN ARRAY[json_extract_scalar(ib, '$.textToImageParams.text')] ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END, transform(coalesce(TRY_CAST(json_extract(ib, '$.text_prompts') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$.text'))]), x -> x IS NOT NULL), chr(10)), '') AS prompt,
  nullif(array_join(filter(flatten(ARRAY[CASE WHEN json_format(json_extract(ib, '$.system')) LIKE '"%' THEN ARRAY[json_extract_scalar(ib, '$.system')] ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END, transform(coalesce(TRY_CAST(json_extract(ib, '$.system') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$.text')),
    flatten(transform(coalesce(TRY_CAST(json_extract(ib, '$.messages') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), m ->
      CASE WHEN lower(coalesce(json_extract_scalar(m, '$.role'), '')) IN ('system', 'developer')
           THEN flatten(ARRAY[CASE WHEN json_format(json_extract(m, '$.content')) LIKE '"%' THEN ARRAY[json_extract_scalar(m, '$.content')] ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END, transform(coalesce(TRY_CAST(json_extract(m, '$.content') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$.text'))])
           ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END)),
    CASE WHEN json_format(json_extract(ib, '$.preamble')) LIKE '"%' THEN ARRAY[json_extract_scalar(ib, '$.preamble')] ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END]), x -> x IS NOT NULL), chr(10)), '') AS system,
  nullif(array_join(filter(flatten(ARRAY[transform(coalesce(TRY_CAST(json_extract(ob, '$.content') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$.text')),
    transform(coalesce(TRY_CAST(json_extract(ob, '$.output.message.content') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$.text')),
    CASE WHEN json_format(json_extract(ob, '$.completion')) LIKE '"%' THEN ARRAY[json_extract_scalar(ob, '$.completion')] ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END, CASE WHEN json_format(json_extract(ob, '$.generation')) LIKE '"%' THEN ARRAY[json_extract_scalar(ob, '$.generation')] ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END, CASE WHEN json_format(json_extract(ob, '$.text')) LIKE '"%' THEN ARRAY[json_extract_scalar(ob, '$.text')] ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END,
    transform(coalesce(TRY_CAST(json_extract(ob, '$.results') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$.outputText')), transform(coalesce(TRY_CAST(json_extract(ob, '$.outputs') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$.text')),
    transform(coalesce(TRY_CAST(json_extract(ob, '$.generations') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$.text')), transform(coalesce(TRY_CAST(json_extract(ob, '$.completions') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$.data.text')),
    transform(coalesce(TRY_CAST(json_extract(ob, '$.choices') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$.message.content')), transform(coalesce(TRY_CAST(json_extract(ob, '$.choices') AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))), b -> json_extract_scalar(b, '$.text'))]), x -> x IS NOT NULL), chr(10)), '') AS response
FROM (SELECT line AS doc, json_extract(line, '$.input.inputBodyJson') AS ib,
             json_extract(line, '$.output.outputBodyJson') AS ob
      FROM lt_invocation_files WHERE "$path" NOT LIKE '%/data/%') AS i;

-- 2
CREATE OR REPLACE VIEW lt_rule_2 AS
SELECT '7d0a5c1e-0000-4000-8000-0000000000a2' AS rule_id, 'Logging configuration deleted by ''anyone'' in any region' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  CAST(NULL AS VARCHAR) AS group_key, CAST(NULL AS VARCHAR) AS detail
FROM lt_cloudtrail
WHERE (COALESCE((((any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $."eventName"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), v -> (lower(v) = 'deletemodelinvocationloggingconfiguration')))) AND ((any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $."awsRegion"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), v -> (regexp_like(v, '^(us|eu)-[a-z]+-\d$'))))) AND ((any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $."resources"."ARN"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), v -> (lower(v) LIKE '%%:log-group/%' ESCAPE '\'))))), FALSE));

-- 3
CREATE OR REPLACE VIEW lt_rule_3 AS
SELECT '7d0a5c1e-0000-4000-8000-0000000000b1' AS rule_id, 'Prompt asks to ignore previous instructions' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  CAST(NULL AS VARCHAR) AS group_key, CAST(NULL AS VARCHAR) AS detail
FROM lt_invocation
WHERE (COALESCE((COALESCE((((any_match(ARRAY[prompt], v -> (regexp_like(v, '(?i)ignore\s+(all\s+)?previous\s+instructions')))))), FALSE) AND COALESCE((((any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $."input"."inputTokenCount"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), v -> (TRY_CAST(v AS DOUBLE) >= 10))))), FALSE)), FALSE));

-- 4
CREATE OR REPLACE VIEW lt_rule_4 AS
WITH i AS (
  SELECT 0 AS ref, 1 AS ord, 1 AS src, uid, event_time, request_id, principal, source_ip,
    CAST(to_unixtime(try(from_iso8601_timestamp(event_time))) * 1000000 AS BIGINT) AS t,
    concat('userIdentity.arn=', coalesce(element_at(filter(transform(CAST(json_parse(json_query(doc, 'lax $."userIdentity"."arn"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), 1), '')) AS grp,
    CAST(NULL AS VARCHAR) AS v
  FROM lt_cloudtrail WHERE (COALESCE((COALESCE((((any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $."eventSource"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), v -> (lower(v) = 'bedrock.amazonaws.com')))) AND ((any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $."eventName"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), v -> (lower(v) LIKE 'invokemodel%' ESCAPE '\') OR (lower(v) LIKE 'converse%' ESCAPE '\')))) AND ((any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $."userIdentity"."accessKeyId"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), v -> (lower(v) LIKE 'akia%' ESCAPE '\'))))), FALSE) AND COALESCE((NOT COALESCE((((any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $."userAgent"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), v -> (lower(v) LIKE '%console.amazonaws.com%' ESCAPE '\'))))), FALSE)), FALSE) AND COALESCE((NOT COALESCE(((json_extract(doc, '$."errorCode"') IS NOT NULL)), FALSE)), FALSE)), FALSE))),
j AS (SELECT *, row_number() OVER (PARTITION BY grp ORDER BY t, src, uid, ord) AS p,
  count(*) OVER (PARTITION BY grp ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND 600000001 PRECEDING) + 1 AS lp, CAST(NULL AS BIGINT) AS fp,
  CAST(NULL AS DOUBLE) AS cs, CAST(NULL AS DOUBLE) AS csl
  FROM i WHERE t IS NOT NULL),
g AS (SELECT grp, array_agg(CAST(ROW(p, t, ref, TRY_CAST(v AS DOUBLE), v, lp, fp, cs, csl) AS ROW(p BIGINT, t BIGINT, ref INTEGER, n DOUBLE, v VARCHAR, lp BIGINT, fp BIGINT, cs DOUBLE, csl DOUBLE)) ORDER BY p) AS evs
  FROM j GROUP BY grp),
f AS (SELECT grp, (reduce(evs, CAST(ROW(ARRAY[], CAST(ARRAY[NULL] AS ARRAY(BIGINT)), CAST(ARRAY[NULL] AS ARRAY(BIGINT)), NULL, 1, 0, 0, 0, ARRAY[]) AS ROW(w ARRAY(ROW(p BIGINT, t BIGINT, ref INTEGER, n DOUBLE, v VARCHAR, lp BIGINT, fp BIGINT, cs DOUBLE, csl DOUBLE)), m ARRAY(BIGINT), mf ARRAY(BIGINT), wend BIGINT, r BIGINT, wn BIGINT, ws DOUBLE, k INTEGER, out ARRAY(ROW(k INTEGER, a DOUBLE, lo BIGINT, hi BIGINT)))), (s, y) ->
  CASE WHEN (TRUE AND CAST((y.p - greatest(s.r, y.lp) + 1) AS DOUBLE) >= CAST(50 AS DOUBLE)) THEN CAST(ROW(ARRAY[], CAST(ARRAY[NULL] AS ARRAY(BIGINT)), CAST(ARRAY[NULL] AS ARRAY(BIGINT)), NULL, y.p + 1, 0, y.cs, s.k + 1, concat(s.out, ARRAY[CAST(ROW(s.k + 1, CAST((y.p - greatest(s.r, y.lp) + 1) AS DOUBLE), greatest(s.r, y.lp), y.p) AS ROW(k INTEGER, a DOUBLE, lo BIGINT, hi BIGINT))])) AS ROW(w ARRAY(ROW(p BIGINT, t BIGINT, ref INTEGER, n DOUBLE, v VARCHAR, lp BIGINT, fp BIGINT, cs DOUBLE, csl DOUBLE)), m ARRAY(BIGINT), mf ARRAY(BIGINT), wend BIGINT, r BIGINT, wn BIGINT, ws DOUBLE, k INTEGER, out ARRAY(ROW(k INTEGER, a DOUBLE, lo BIGINT, hi BIGINT))))
  ELSE s END,
  s -> s)).out AS out FROM g),
o AS (SELECT f.grp, u.k AS fk, u.a AS fa, u.lo, u.hi FROM f CROSS JOIN UNNEST(f.out) AS u(k, a, lo, hi)),
h AS (SELECT o.grp AS grp, o.fk AS fk, o.fa AS fa, j.event_time AS et, j.uid AS uid,
  j.request_id AS rq, j.principal AS pr, j.source_ip AS ip
  FROM o JOIN j ON j.grp = o.grp AND j.p BETWEEN o.lo AND o.hi)
SELECT DISTINCT '7d0a5c1e-0000-4000-8000-0000000000a3' AS rule_id, 'Many invocations from one principal' AS rule_title, '' AS level, et AS event_time, uid,
  rq AS request_id, pr AS principal, ip AS source_ip, grp AS group_key,
  concat('firing ', CAST(fk AS VARCHAR), ': event_count ', CAST(fa AS VARCHAR)) AS detail
FROM h;

-- Reconciliation (analyzers/audit/reconcile.c): CloudTrail Bedrock runtime calls <-> invocation
-- records, by request id, then weakly (principal, model, 5000000 us), windows per account/region.
CREATE OR REPLACE VIEW lt_rc AS
WITH ct AS (SELECT doc, uid, event_time, request_id, principal, source_ip,
    CAST(to_unixtime(try(from_iso8601_timestamp(event_time))) * 1000000 AS BIGINT) AS t,
    coalesce(nullif(json_extract_scalar(doc, '$.recipientAccountId'), ''),
             nullif(json_extract_scalar(doc, '$.userIdentity.accountId'), '')) AS acct,
    nullif(json_extract_scalar(doc, '$.awsRegion'), '') AS reg
  FROM lt_cloudtrail WHERE uid <> ''),
cov AS (SELECT acct, reg, min(t) AS lo, max(t) AS hi FROM ct WHERE t IS NOT NULL GROUP BY acct, reg),
ctl AS (SELECT acct, t, uid, json_extract_scalar(doc, '$.eventName') AS action FROM ct WHERE t IS NOT NULL
  AND json_extract_scalar(doc, '$.eventName') IN ('DeleteModelInvocationLoggingConfiguration', 'PutModelInvocationLoggingConfiguration')),
e0 AS (
  SELECT 0 AS side, uid, event_time, request_id, principal, source_ip, t, acct, reg, nullif(request_id, '') AS rq,
    coalesce(nullif(json_extract_scalar(doc, '$.userIdentity.arn'), ''),
             nullif(json_extract_scalar(doc, '$.userIdentity.sessionContext.sessionIssuer.arn'), ''),
             CASE WHEN json_extract_scalar(doc, '$.userIdentity.type') = 'AWSService'
                  THEN nullif(json_extract_scalar(doc, '$.userIdentity.invokedBy'), '') END) AS pr,
    coalesce(nullif(json_extract_scalar(doc, '$.requestParameters.modelId'), ''),
             nullif(json_extract_scalar(doc, '$.requestParameters.modelIdentifier'), ''),
             nullif(json_extract_scalar(doc, '$.requestParameters.modelArn'), ''),
             nullif(json_extract_scalar(doc, '$.requestParameters.baseModelIdentifier'), '')) AS mid,
    nullif(json_extract_scalar(doc, '$.errorCode'), '') IS NOT NULL AS err
  FROM ct WHERE t IS NOT NULL AND json_extract_scalar(doc, '$.eventSource') = 'bedrock.amazonaws.com'
    AND json_extract_scalar(doc, '$.eventName') IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream')
  UNION ALL
  SELECT 1, uid, event_time, request_id, principal, source_ip, t,
    nullif(json_extract_scalar(doc, '$.accountId'), ''), nullif(json_extract_scalar(doc, '$.region'), ''),
    nullif(request_id, ''), nullif(principal, ''), nullif(json_extract_scalar(doc, '$.modelId'), ''), FALSE
  FROM (SELECT *, CAST(to_unixtime(try(from_iso8601_timestamp(event_time))) * 1000000 AS BIGINT) AS t FROM lt_invocation)
  WHERE t IS NOT NULL AND uid <> ''),
e AS (SELECT side, uid, event_time, request_id, principal, source_ip, t, acct, reg, rq, pr, err,
    nullif(regexp_replace(CASE WHEN mid LIKE 'arn:%' AND strpos(mid, ':foundation-model/') > 0
                               THEN substr(mid, strpos(mid, ':foundation-model/') + 18)
                               WHEN mid LIKE 'arn:%' AND strpos(mid, ':inference-profile/') > 0
                               THEN substr(mid, strpos(mid, ':inference-profile/') + 19) ELSE mid END,
                          '^[a-z-]{2,12}\.(.*\..*)$', '$1'), '') AS model FROM e0),
n AS (SELECT *, row_number() OVER (ORDER BY side, t, uid) AS id,
    rq IS NOT NULL AND EXISTS (SELECT 1 FROM e AS o WHERE o.side <> e.side AND o.rq = e.rq) AS strong FROM e),
cand AS (SELECT c.id AS cid, c.pr, c.t AS ct, c.uid AS cuid, r.id AS rid, abs(r.t - c.t) AS d, r.t AS rt, r.uid AS ruid
  FROM n AS c JOIN n AS r ON c.pr IS NOT DISTINCT FROM r.pr AND r.t BETWEEN c.t - 5000000 AND c.t + 5000000
  WHERE c.side = 0 AND r.side = 1 AND NOT c.strong AND NOT r.strong
    AND (c.model IS NULL OR r.model IS NULL OR c.model = r.model
         OR (length(c.model) > length(r.model) AND substr(c.model, length(c.model) - length(r.model)) = '/' || r.model)
         OR (length(r.model) > length(c.model) AND substr(r.model, length(r.model) - length(c.model)) = '/' || c.model))),
calls AS (SELECT pr, array_agg(cid ORDER BY ct, cuid) AS cids, array_agg(rids ORDER BY ct, cuid) AS rl
  FROM (SELECT cid, pr, ct, cuid, array_agg(rid ORDER BY d, rt, ruid) AS rids FROM cand GROUP BY cid, pr, ct, cuid)
  GROUP BY pr),
weak AS (SELECT z.cid, z.rid FROM calls
  CROSS JOIN UNNEST(cids, reduce(rl, CAST(ARRAY[] AS ARRAY(BIGINT)),
    (s, y) -> concat(s, ARRAY[element_at(filter(y, x -> NOT coalesce(contains(s, x), FALSE)), 1)]), s -> s))
    AS z(cid, rid)),
ctt AS (SELECT acct, reg, t FROM ct WHERE t IS NOT NULL),
gp0 AS (SELECT acct, reg, pt AS gf, t AS gt
  FROM (SELECT acct, reg, t, lag(t) OVER (PARTITION BY acct, reg ORDER BY t) AS pt FROM ctt) AS g0
  WHERE t - pt >= 3600000000),
gph AS (SELECT g.acct, g.reg, g.gf, g.gt, hx.h + dx.d * 86400000000 AS o FROM gp0 AS g
  CROSS JOIN UNNEST(CASE WHEN g.gt - g.gf < 86400000000 AND (g.gf - ((g.gf % 3600000000) + 3600000000) % 3600000000) + 3600000000 <= g.gt - 3600000000
    THEN sequence((g.gf - ((g.gf % 3600000000) + 3600000000) % 3600000000) + 3600000000, g.gt - 3600000000, 3600000000) ELSE CAST(ARRAY[] AS ARRAY(BIGINT)) END) AS hx(h)
  CROSS JOIN UNNEST(sequence(-40, 40)) AS dx(d)),
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
  concat(coalesce(acct, ''), '/', coalesce(reg, ''), ' ', to_iso8601(from_unixtime(lo / 1000000)), '..', to_iso8601(from_unixtime(hi / 1000000))) AS group_key,
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
