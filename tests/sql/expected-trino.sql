-- llmtrail sql --dialect trino: 2 rules compiled, 3 not expressible.
-- Result shape of every rule: rule_id, rule_title, level, event_time, uid,
-- request_id, principal, source_ip, group_key, detail.
--
-- Not expressible (rule: reason):
--   7d0a5c1e-0000-4000-8000-0000000000b2: re uses (?!, which the trino regex engine does not read as PCRE2 does
--   7d0a5c1e-0000-4000-8000-0000000000a3: correlation (event_count): compiled for DuckDB only so far
--   7d0a5c1e-0000-4000-8000-0000000000a1: reports only through a correlation, which is not compiled
-- Tables (Athena DDL; for Trino use the Hive connector with the same columns).
-- Replace s3://BUCKET/AWSLogs/ACCOUNT with the export location.
-- CREATE EXTERNAL TABLE lt_cloudtrail_raw (doc string)
--   PARTITIONED BY (region string, day string)
--   ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
--   LOCATION 's3://BUCKET/AWSLogs/ACCOUNT/CloudTrail/'
--   TBLPROPERTIES ('projection.enabled'='true', 'projection.day.type'='date',
--     'projection.day.format'='yyyy/MM/dd', 'projection.day.range'='2024/01/01,NOW',
--     'projection.region.type'='enum', 'projection.region.values'='us-east-1,us-west-2',
--     'storage.location.template'='s3://BUCKET/AWSLogs/ACCOUNT/CloudTrail/${region}/${day}');
-- (see docs/scale-out.md for the invocation-log table and the lt_cloudtrail / lt_invocation views)
-- A field's values are read inline from doc with json_query in lax mode (Trino 419+,
-- Athena engine 3): no function needs defining.

-- 1
CREATE OR REPLACE VIEW lt_rule_1 AS
SELECT '7d0a5c1e-0000-4000-8000-0000000000a2' AS rule_id, 'Logging configuration deleted by ''anyone'' in any region' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  CAST(NULL AS VARCHAR) AS group_key, CAST(NULL AS VARCHAR) AS detail
FROM lt_cloudtrail
WHERE (COALESCE((((any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $."eventName"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), v -> (lower(v) = 'deletemodelinvocationloggingconfiguration')))) AND ((any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $."awsRegion"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), v -> (regexp_like(v, '^(us|eu)-[a-z]+-\d$'))))) AND ((any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $."resources"."ARN"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), v -> (lower(v) LIKE '%%:log-group/%' ESCAPE '\'))))), FALSE));

-- 2
CREATE OR REPLACE VIEW lt_rule_2 AS
SELECT '7d0a5c1e-0000-4000-8000-0000000000b1' AS rule_id, 'Prompt asks to ignore previous instructions' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  CAST(NULL AS VARCHAR) AS group_key, CAST(NULL AS VARCHAR) AS detail
FROM lt_invocation
WHERE (COALESCE((COALESCE((((any_match(ARRAY[prompt], v -> (regexp_like(v, '(?i)ignore\s+(all\s+)?previous\s+instructions')))))), FALSE) AND COALESCE((((any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $."input"."inputTokenCount"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), x -> x IS NOT NULL), v -> (TRY_CAST(v AS DOUBLE) >= 10))))), FALSE)), FALSE));

-- All result rows.
SELECT * FROM lt_rule_1
UNION ALL SELECT * FROM lt_rule_2
ORDER BY event_time, rule_id, uid;
