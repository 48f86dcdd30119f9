-- llmtrail sql --dialect duckdb: 2 rules compiled, 3 not expressible.
-- Result shape of every rule: rule_id, rule_title, level, event_time, uid,
-- request_id, principal, source_ip, group_key, detail.
--
-- Not expressible (rule: reason):
--   7d0a5c1e-0000-4000-8000-0000000000a1: reports only through a correlation, which is not compiled
--   7d0a5c1e-0000-4000-8000-0000000000a3: correlation (event_count): not yet compiled to SQL
--   7d0a5c1e-0000-4000-8000-0000000000b2: re uses (?!, which the duckdb regex engine does not read as PCRE2 does
CREATE OR REPLACE MACRO lt_scalars(l) AS list_transform(
  list_filter(l, x -> json_type(x) NOT IN ('OBJECT', 'ARRAY')), x -> json_extract_string(x, '$'));
CREATE OR REPLACE MACRO lt_strs(j, p) AS
  CASE WHEN json_type(j, p) = 'VARCHAR' THEN [json_extract_string(j, p)] ELSE CAST([] AS VARCHAR[]) END;
CREATE OR REPLACE MACRO lt_join(l) AS nullif(array_to_string(list_filter(l, x -> x IS NOT NULL), chr(10)), '');
CREATE OR REPLACE TEMP TABLE lt_cloudtrail AS
WITH f AS (SELECT json FROM read_json_objects('/EVIDENCE/**/*.json*', format = 'auto', compression = 'auto_detect', filename = true)
           WHERE filename LIKE '%/CloudTrail/%'),
     r AS (SELECT unnest(json_extract(json, '$.Records[*]')) AS doc FROM f)
SELECT doc,
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
SELECT doc,
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

-- 1
CREATE OR REPLACE VIEW lt_rule_1 AS
SELECT '7d0a5c1e-0000-4000-8000-0000000000a2' AS rule_id, 'Logging configuration deleted by ''anyone'' in any region' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  CAST(NULL AS VARCHAR) AS group_key, CAST(NULL AS VARCHAR) AS detail
FROM lt_cloudtrail
WHERE (COALESCE((((len(list_filter(lt_scalars(flatten([[json_extract(doc, '$."eventName"')], json_extract(doc, '$."eventName"[*]')])), v -> (lower(v) = 'deletemodelinvocationloggingconfiguration'))) > 0)) AND ((len(list_filter(lt_scalars(flatten([[json_extract(doc, '$."awsRegion"')], json_extract(doc, '$."awsRegion"[*]')])), v -> (regexp_matches(v, '^(us|eu)-[a-z]+-\d$')))) > 0)) AND ((len(list_filter(lt_scalars(flatten([[json_extract(doc, '$."resources"."ARN"')], json_extract(doc, '$."resources"[*]."ARN"'), json_extract(doc, '$."resources"."ARN"[*]'), json_extract(doc, '$."resources"[*]."ARN"[*]')])), v -> (lower(v) LIKE '%%:log-group/%' ESCAPE '\'))) > 0))), FALSE));

-- 2
CREATE OR REPLACE VIEW lt_rule_2 AS
SELECT '7d0a5c1e-0000-4000-8000-0000000000b1' AS rule_id, 'Prompt asks to ignore previous instructions' AS rule_title, 'high' AS level, event_time, uid, request_id, principal, source_ip,
  CAST(NULL AS VARCHAR) AS group_key, CAST(NULL AS VARCHAR) AS detail
FROM lt_invocation
WHERE (COALESCE((COALESCE((((len(list_filter([prompt], v -> (regexp_matches(v, '(?i)ignore\s+(all\s+)?previous\s+instructions')))) > 0))), FALSE) AND COALESCE((((len(list_filter(lt_scalars(flatten([[json_extract(doc, '$."input"."inputTokenCount"')], json_extract(doc, '$."input"[*]."inputTokenCount"'), json_extract(doc, '$."input"."inputTokenCount"[*]'), json_extract(doc, '$."input"[*]."inputTokenCount"[*]')])), v -> (TRY_CAST(v AS DOUBLE) >= 10))) > 0))), FALSE)), FALSE));

-- All result rows.
SELECT * FROM lt_rule_1
UNION ALL SELECT * FROM lt_rule_2
ORDER BY event_time, rule_id, uid;
