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
CREATE TYPE lt_ev AS STRUCT(p BIGINT, t BIGINT, ref INTEGER, n DOUBLE, v VARCHAR, uid VARCHAR,
  et VARCHAR, rq VARCHAR, pr VARCHAR, ip VARCHAR);
CREATE TYPE lt_st AS STRUCT(x lt_ev, w lt_ev[], m BIGINT[], wend BIGINT, k INTEGER,
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
CREATE OR REPLACE TEMP TABLE lt_cloudtrail AS
WITH f AS (SELECT json FROM read_json_objects('/EVIDENCE/**/*.json*', format = 'auto', compression = 'auto_detect', filename = true)
           WHERE filename LIKE '%/CloudTrail/%'),
     r AS (SELECT unnest(json_extract(json, '$.Records[*]')) AS doc FROM f)
SELECT doc, TRY(json_transform(doc, '"MAP(VARCHAR, JSON)"')) AS top,
  json_extract_string(doc, '$.eventID') AS uid,
  json_extract_string(doc, '$.eventTime') AS event_time,
  json_extract_string(doc, '$.requestID') AS request_id,
  json_extract_string(doc, '$.userIdentity.arn') AS principal,
  json_extract_string(doc, '$.sourceIPAddress') AS source_ip,
  CASE WHEN json_extract_string(doc, '$.additionalEventData.callWithBearerToken') = 'true'
       THEN 'bedrock-api-key' END AS credential
FROM r;
CREATE OR REPLACE TEMP TABLE lt_invocation AS
WITH f AS (SELECT json AS doc FROM read_json_objects('/EVIDENCE/**/*.json*', format = 'newline_delimited', compression = 'auto_detect', filename = true)
           WHERE filename LIKE '%/BedrockModelInvocationLogs/%' AND filename NOT LIKE '%/data/%'),
     b AS (SELECT doc, json_extract(doc, '$.input.inputBodyJson') AS ib,
                  json_extract(doc, '$.output.outputBodyJson') AS ob FROM f)
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
j AS (SELECT *, row_number() OVER (PARTITION BY grp ORDER BY t, src, uid, ord) AS p FROM i WHERE t IS NOT NULL),
g AS (SELECT grp, list(CAST({'x': {'p': p, 't': t, 'ref': ref, 'n': TRY_CAST(v AS DOUBLE), 'v': v, 'uid': uid, 'et': event_time, 'rq': request_id, 'pr': principal, 'ip': source_ip}, 'w': [], 'm': [], 'wend': NULL, 'k': 0, 'out': []} AS lt_st) ORDER BY p) AS evs
  FROM j GROUP BY grp),
f AS (SELECT grp, evs, list_reduce(evs, (s, y) ->
  list_transform([list_append(list_filter(s.w, e -> e.t >= y.x.t - 600000000), y.x)], w1 ->
  list_transform([s.m], m1 ->
  list_transform([len(w1)], a ->
  CASE WHEN (TRUE AND CAST(a AS DOUBLE) >= CAST(50 AS DOUBLE)) THEN CAST({'x': NULL, 'w': [], 'm': CAST([NULL] AS BIGINT[]), 'wend': NULL, 'k': s.k + 1, 'out': list_concat(s.out, [{'k': s.k + 1, 'a': CAST(a AS DOUBLE), 'lo': w1[1].p, 'hi': y.x.p}])} AS lt_st)
  ELSE CAST({'x': NULL, 'w': w1, 'm': m1, 'wend': NULL, 'k': s.k, 'out': s.out} AS lt_st) END)[1])[1])[1],
  CAST({'x': NULL, 'w': [], 'm': CAST([NULL] AS BIGINT[]), 'wend': NULL, 'k': 0, 'out': []} AS lt_st)).out AS out FROM g),
o AS (SELECT grp, evs, unnest(out) AS o FROM f),
h AS (SELECT grp, o, unnest(list_slice(evs, o.lo, o.hi)).x AS e FROM o)
SELECT DISTINCT '7d0a5c1e-0000-4000-8000-0000000000a3' AS rule_id, 'Many invocations from one principal' AS rule_title, '' AS level, e.et AS event_time, e.uid AS uid,
  e.rq AS request_id, e.pr AS principal, e.ip AS source_ip, grp AS group_key,
  concat('firing ', o.k, ': event_count ', o.a) AS detail
FROM h;

-- All result rows.
SELECT * FROM lt_rule_2
UNION ALL SELECT * FROM lt_rule_3
UNION ALL SELECT * FROM lt_rule_4
ORDER BY event_time, rule_id, uid;
