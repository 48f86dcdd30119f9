-- llmtrail sql --dialect spark: 2 rules compiled, 3 not expressible.
-- Result shape of every rule: rule_id, rule_title, level, event_time, uid,
-- request_id, principal, source_ip, group_key, detail.
--
-- Not expressible (rule: reason):
--   7d0a5c1e-0000-4000-8000-0000000000b2: re uses (?!, which the spark regex engine does not read as PCRE2 does
--   7d0a5c1e-0000-4000-8000-0000000000a3: correlation (event_count): compiled for DuckDB only so far
--   7d0a5c1e-0000-4000-8000-0000000000a1: reports only through a correlation, which is not compiled
-- Tables: lt_cloudtrail and lt_invocation with columns doc (JSON string), uid, event_time,
-- request_id, principal, source_ip (+ prompt, system, response for invocations); see
-- docs/scale-out.md. lt_vals(doc, path) is a SQL UDF returning array<string>.

-- 1
CREATE OR REPLACE VIEW lt_rule_1 AS
SELECT '7d0a5c1e-0000-4000-8000-0000000000a2' AS rule_id, 'Logging configuration deleted by ''anyone'' in any region' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  CAST(NULL AS STRING) AS group_key, CAST(NULL AS STRING) AS detail
FROM lt_cloudtrail
WHERE (COALESCE((((exists(lt_vals(doc, '$."eventName"'), v -> (lower(v) = 'deletemodelinvocationloggingconfiguration')))) AND ((exists(lt_vals(doc, '$."awsRegion"'), v -> (v RLIKE '^(us|eu)-[a-z]+-\\d$')))) AND ((exists(lt_vals(doc, '$."resources"."ARN"'), v -> (lower(v) LIKE '%%:log-group/%' ESCAPE '\\'))))), FALSE));

-- 2
CREATE OR REPLACE VIEW lt_rule_2 AS
SELECT '7d0a5c1e-0000-4000-8000-0000000000b1' AS rule_id, 'Prompt asks to ignore previous instructions' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  CAST(NULL AS STRING) AS group_key, CAST(NULL AS STRING) AS detail
FROM lt_invocation
WHERE (COALESCE((COALESCE((((exists(array(prompt), v -> (v RLIKE '(?i)ignore\\s+(all\\s+)?previous\\s+instructions'))))), FALSE) AND COALESCE((((exists(lt_vals(doc, '$."input"."inputTokenCount"'), v -> (TRY_CAST(v AS DOUBLE) >= 10))))), FALSE)), FALSE));

-- Reconciliation (analyzers/audit/reconcile.c): not written for Spark yet (docs/scale-out.md).

-- All result rows.
SELECT * FROM lt_rule_1
UNION ALL SELECT * FROM lt_rule_2
ORDER BY event_time, rule_id, uid;
