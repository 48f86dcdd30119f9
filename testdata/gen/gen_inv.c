/*
 * gen_inv.c — model-invocation log records in every body shape.
 *
 * Design note: one writer per body shape (request and response), picked from
 * the operation and model family, each following the provider's documented
 * request/response format on Bedrock ("Inference request parameters and
 * response fields for foundation models" and the Converse API reference).
 * Streaming: InvokeModelWithResponseStream logs the output as an array of the
 * decoded stream chunks; the last chunk carries amazon-bedrock-invocationMetrics
 * (inputTokenCount, outputTokenCount, invocationLatency, firstByteLatency).
 * ConverseStream is logged like Converse (the assembled message). Guardrails:
 * Converse gets stopReason guardrail_intervened and trace.guardrail
 * (inputAssessment, outputAssessments, modelOutput); InvokeModel gets
 * amazon-bedrock-guardrailAction and amazon-bedrock-trace. Top-level key order
 * varies between records, as in real exports.
 * Schema: https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html
 */
#include "config.h"

#include "testdata/gen/gen_inv.h"

#include <stdio.h>
#include <string.h>

static const char *const blocked_msg = "Sorry, I can't help with that request.";

/* --------------------------------------------------------- choosing */

static const char *const claude[] = {"anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-3-haiku-20240307-v1:0",
				     "anthropic.claude-3-5-haiku-20241022-v1:0"};
static const char *const conv_models[] = {"anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0",
					  "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0", "meta.llama3-1-8b-instruct-v1:0",
					  "mistral.mistral-small-2402-v1:0"};

void gen_inv_choose(gen_rng *r, gen_app app, const gen_account *a, const char *region, gen_inv *e)
{
	static _Thread_local char profile[160];
	e->fam = GEN_FAM_CONVERSE;
	switch (app) {
	case GEN_APP_CHATBOT:
		e->operation = gen_rng_chance(r, 0.45) ? "ConverseStream" : "Converse";
		e->model_id = gen_rng_chance(r, 0.7) ? claude[1] : claude[2];
		break;
	case GEN_APP_SUMMARIZER:
		if (gen_rng_chance(r, 0.7)) {
			e->fam = GEN_FAM_ANTHROPIC;
			e->operation = gen_rng_chance(r, 0.3) ? "InvokeModelWithResponseStream" : "InvokeModel";
			if (gen_rng_chance(r, 0.3)) {
				snprintf(profile, sizeof profile,
					 "arn:aws:bedrock:%s:%s:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0",
					 region, a->id);
				e->model_id = profile;
			} else {
				e->model_id = GEN_PICK(r, claude);
			}
		} else {
			e->fam = GEN_FAM_TITAN;
			e->operation = gen_rng_chance(r, 0.25) ? "InvokeModelWithResponseStream" : "InvokeModel";
			e->model_id = gen_rng_chance(r, 0.5) ? "amazon.titan-text-premier-v1:0" : "amazon.titan-text-express-v1";
		}
		break;
	case GEN_APP_DEVASSIST:
		e->operation = gen_rng_chance(r, 0.3) ? "ConverseStream" : "Converse";
		e->model_id = claude[0];
		break;
	case GEN_APP_REPORTING: {
		static const gen_family fams[] = {GEN_FAM_LLAMA, GEN_FAM_MISTRAL, GEN_FAM_COHERE, GEN_FAM_AI21};
		e->fam = fams[gen_rng_below(r, 4)];
		e->operation = gen_rng_chance(r, 0.2) && e->fam == GEN_FAM_LLAMA ? "InvokeModelWithResponseStream" : "InvokeModel";
		switch (e->fam) {
		case GEN_FAM_LLAMA:
			e->model_id = gen_rng_chance(r, 0.5) ? "meta.llama3-1-70b-instruct-v1:0" : "meta.llama3-8b-instruct-v1:0";
			break;
		case GEN_FAM_MISTRAL:
			e->model_id = gen_rng_chance(r, 0.5) ? "mistral.mistral-large-2402-v1:0" : "mistral.mixtral-8x7b-instruct-v0:1";
			break;
		case GEN_FAM_COHERE: e->model_id = "cohere.command-r-plus-v1:0"; break;
		default: e->model_id = "ai21.jamba-1-5-large-v1:0"; break;
		}
		break;
	}
	default:
		if (gen_rng_chance(r, 0.6)) {
			e->operation = "Converse";
			e->model_id = GEN_PICK(r, conv_models);
		} else {
			static const gen_family fams[] = {GEN_FAM_ANTHROPIC, GEN_FAM_TITAN, GEN_FAM_LLAMA, GEN_FAM_MISTRAL,
							  GEN_FAM_COHERE, GEN_FAM_AI21};
			static const char *const ids[] = {"anthropic.claude-3-haiku-20240307-v1:0", "amazon.titan-text-express-v1",
							  "meta.llama3-1-8b-instruct-v1:0", "mistral.mistral-7b-instruct-v0:2",
							  "cohere.command-r-v1:0", "ai21.jamba-1-5-mini-v1:0"};
			size_t k = gen_rng_below(r, 6);
			e->fam = fams[k];
			e->model_id = ids[k];
			e->operation = "InvokeModel";
		}
		break;
	}
}

void gen_inv_measure(gen_rng *r, gen_inv *e)
{
	const gen_convo *c = e->c;
	size_t in = c->system.len + c->user.len + c->tool_result.len + c->tool_input.len;
	e->in_tokens = (int)(in / 4) + 12 + (int)gen_rng_below(r, 8);
	e->out_tokens = (int)(c->answer.len / 4) + 3 + (int)gen_rng_below(r, 5);
	e->latency_ms = 250 + e->out_tokens * (8 + (int)gen_rng_below(r, 18)) + (int)gen_rng_below(r, 400);
	if (e->err_code || e->guard == GEN_GUARD_INPUT)
		e->out_tokens = 0;
}

/* ------------------------------------------------------------ helpers */

static void kjs(gen_sb *o, const char *k, const char *v)
{
	gen_sb_key(o, k);
	gen_sb_jstr(o, v);
}

static void kint(gen_sb *o, const char *k, long v)
{
	gen_sb_key(o, k);
	gen_sb_printf(o, "%ld", v);
}

static int is_stream(const gen_inv *e)
{
	return strcmp(e->operation, "InvokeModelWithResponseStream") == 0;
}

static int is_converse(const gen_inv *e)
{
	return strncmp(e->operation, "Converse", 8) == 0;
}

/* Splits text into stream deltas of a few words; calls emit for each. */
typedef void (*delta_fn)(gen_sb *o, const char *s, size_t n, int index, void *ctx);

static int split_deltas(const char *s, size_t len, gen_sb *o, delta_fn emit, void *ctx)
{
	size_t start = 0;
	int index = 0;
	while (start < len) {
		size_t end = start;
		int words = 0;
		while (end < len && words < 4) {
			if (s[end] == ' ' || s[end] == '\n')
				words++;
			end++;
		}
		/* Never split inside a UTF-8 sequence. */
		while (end < len && ((unsigned char)s[end] & 0xC0) == 0x80)
			end++;
		emit(o, s + start, end - start, index++, ctx);
		start = end;
	}
	return index;
}

static void metrics_chunk(gen_sb *o, const gen_inv *e)
{
	gen_sb_put(o, "\"amazon-bedrock-invocationMetrics\":{");
	kint(o, "inputTokenCount", e->in_tokens);
	gen_sb_putc(o, ',');
	kint(o, "outputTokenCount", e->out_tokens);
	gen_sb_putc(o, ',');
	kint(o, "invocationLatency", e->latency_ms);
	gen_sb_putc(o, ',');
	kint(o, "firstByteLatency", e->latency_ms / 5 + 90);
	gen_sb_putc(o, '}');
}

/* ------------------------------------------------------- input bodies */

static void converse_input(gen_sb *o, const gen_inv *e)
{
	const gen_convo *c = e->c;
	gen_sb_put(o, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":");
	gen_sb_jstrn(o, c->user.data ? c->user.data : "", c->user.len);
	gen_sb_put(o, "}]}");
	if (c->tool_name) {
		gen_sb_put(o, ",{\"role\":\"assistant\",\"content\":[{\"toolUse\":{\"toolUseId\":\"tooluse_");
		gen_sb_putn(o, e->request_id, 8);
		gen_sb_put(o, "\",");
		kjs(o, "name", c->tool_name);
		gen_sb_put(o, ",\"input\":");
		gen_sb_put(o, c->tool_input.len ? c->tool_input.data : "{}");
		gen_sb_put(o, "}}]},{\"role\":\"user\",\"content\":[{\"toolResult\":{\"toolUseId\":\"tooluse_");
		gen_sb_putn(o, e->request_id, 8);
		gen_sb_put(o, "\",\"content\":[{\"text\":");
		gen_sb_jstrn(o, c->tool_result.data ? c->tool_result.data : "", c->tool_result.len);
		gen_sb_put(o, "}],\"status\":\"success\"}}]}");
	}
	gen_sb_putc(o, ']');
	if (c->system.len) {
		gen_sb_put(o, ",\"system\":[{\"text\":");
		gen_sb_jstrn(o, c->system.data, c->system.len);
		gen_sb_put(o, "}]");
	}
	gen_sb_put(o, ",\"inferenceConfig\":{\"maxTokens\":1024,\"temperature\":0.3,\"topP\":0.9}");
	if (c->tool_name) {
		gen_sb_put(o, ",\"toolConfig\":{\"tools\":[{\"toolSpec\":{");
		kjs(o, "name", c->tool_name);
		gen_sb_put(o, ",\"description\":\"Looks up internal data for the assistant.\",\"inputSchema\":{\"json\":{\"type\":\"object\"}}}}]}");
	}
	if (e->guard != GEN_GUARD_NONE) {
		gen_sb_put(o, ",\"guardrailConfig\":{");
		kjs(o, "guardrailIdentifier", e->acct->guardrail_id);
		gen_sb_put(o, ",\"guardrailVersion\":\"3\",\"trace\":\"enabled\"}");
	}
	gen_sb_putc(o, '}');
}

static void anthropic_input(gen_sb *o, const gen_inv *e)
{
	const gen_convo *c = e->c;
	gen_sb_put(o, "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":1024,");
	if (c->system.len) {
		gen_sb_key(o, "system");
		gen_sb_jstrn(o, c->system.data, c->system.len);
		gen_sb_putc(o, ',');
	}
	if (c->user.len % 2) {
		gen_sb_put(o, "\"messages\":[{\"role\":\"user\",\"content\":");
		gen_sb_jstrn(o, c->user.data, c->user.len);
	} else {
		gen_sb_put(o, "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":");
		gen_sb_jstrn(o, c->user.data ? c->user.data : "", c->user.len);
		gen_sb_put(o, "}]");
	}
	gen_sb_put(o, "}],\"temperature\":0.2}");
}

static void plain_prompt(gen_sb *tmp, const gen_convo *c)
{
	if (c->system.len) {
		gen_sb_putn(tmp, c->system.data, c->system.len);
		gen_sb_put(tmp, "\n\n");
	}
	gen_sb_putn(tmp, c->user.data ? c->user.data : "", c->user.len);
}

static void family_input(gen_sb *o, const gen_inv *e)
{
	const gen_convo *c = e->c;
	gen_sb tmp;
	gen_sb_init(&tmp);
	switch (e->fam) {
	case GEN_FAM_TITAN:
		plain_prompt(&tmp, c);
		gen_sb_put(o, "{\"inputText\":");
		gen_sb_jstrn(o, tmp.data, tmp.len);
		gen_sb_put(o, ",\"textGenerationConfig\":{\"maxTokenCount\":1024,\"temperature\":0.5,\"topP\":0.9,\"stopSequences\":[]}}");
		break;
	case GEN_FAM_LLAMA:
		gen_sb_put(&tmp, "<|begin_of_text|>");
		if (c->system.len) {
			gen_sb_put(&tmp, "<|start_header_id|>system<|end_header_id|>\n\n");
			gen_sb_putn(&tmp, c->system.data, c->system.len);
			gen_sb_put(&tmp, "<|eot_id|>");
		}
		gen_sb_put(&tmp, "<|start_header_id|>user<|end_header_id|>\n\n");
		gen_sb_putn(&tmp, c->user.data ? c->user.data : "", c->user.len);
		gen_sb_put(&tmp, "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
		gen_sb_put(o, "{\"prompt\":");
		gen_sb_jstrn(o, tmp.data, tmp.len);
		gen_sb_put(o, ",\"max_gen_len\":1024,\"temperature\":0.5,\"top_p\":0.9}");
		break;
	case GEN_FAM_MISTRAL:
		gen_sb_put(&tmp, "<s>[INST] ");
		plain_prompt(&tmp, c);
		gen_sb_put(&tmp, " [/INST]");
		gen_sb_put(o, "{\"prompt\":");
		gen_sb_jstrn(o, tmp.data, tmp.len);
		gen_sb_put(o, ",\"max_tokens\":1024,\"temperature\":0.5,\"top_p\":0.9,\"top_k\":50}");
		break;
	case GEN_FAM_COHERE:
		gen_sb_put(o, "{\"message\":");
		gen_sb_jstrn(o, c->user.data ? c->user.data : "", c->user.len);
		gen_sb_put(o, ",\"chat_history\":[]");
		if (c->system.len) {
			gen_sb_put(o, ",\"preamble\":");
			gen_sb_jstrn(o, c->system.data, c->system.len);
		}
		gen_sb_put(o, ",\"max_tokens\":1024,\"temperature\":0.3}");
		break;
	case GEN_FAM_AI21:
		gen_sb_put(o, "{\"messages\":[");
		if (c->system.len) {
			gen_sb_put(o, "{\"role\":\"system\",\"content\":");
			gen_sb_jstrn(o, c->system.data, c->system.len);
			gen_sb_put(o, "},");
		}
		gen_sb_put(o, "{\"role\":\"user\",\"content\":");
		gen_sb_jstrn(o, c->user.data ? c->user.data : "", c->user.len);
		gen_sb_put(o, "}],\"max_tokens\":1024,\"temperature\":0.4,\"top_p\":1}");
		break;
	default:
		anthropic_input(o, e);
		break;
	}
	gen_sb_free(&tmp);
}

void gen_inv_input_body(gen_sb *o, const gen_inv *e)
{
	if (is_converse(e))
		converse_input(o, e);
	else
		family_input(o, e);
}

/* ------------------------------------------------------ output bodies */

static const char *answer_text(const gen_inv *e, size_t *n)
{
	*n = e->c->answer.len;
	return e->c->answer.data ? e->c->answer.data : "";
}

static void guardrail_assessment(gen_sb *o, const gen_inv *e, int input)
{
	gen_sb_put(o, "{");
	gen_sb_jstr(o, e->acct->guardrail_id);
	if (input)
		gen_sb_put(o, ":{\"contentPolicy\":{\"filters\":[{\"type\":\"PROMPT_ATTACK\",\"confidence\":\"HIGH\",\"filterStrength\":\"HIGH\",\"action\":\"BLOCKED\",\"detected\":true}]},");
	else
		gen_sb_put(o, ":{\"sensitiveInformationPolicy\":{\"piiEntities\":[{\"type\":\"CREDIT_DEBIT_CARD_NUMBER\",\"match\":\"****\",\"action\":\"BLOCKED\",\"detected\":true}]},");
	gen_sb_printf(o, "\"invocationMetrics\":{\"guardrailProcessingLatency\":%d,\"usage\":{\"topicPolicyUnits\":0,\"contentPolicyUnits\":1,\"wordPolicyUnits\":0,\"sensitiveInformationPolicyUnits\":%d,\"sensitiveInformationPolicyFreeUnits\":0,\"contextualGroundingPolicyUnits\":0}}}}",
		      180 + (int)(e->request_id[0] % 50), input ? 0 : 1);
}

static void converse_output(gen_sb *o, const gen_inv *e)
{
	size_t n;
	const char *ans = answer_text(e, &n);
	int blocked = e->guard == GEN_GUARD_INPUT || e->guard == GEN_GUARD_OUTPUT;
	gen_sb_put(o, "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":");
	if (blocked)
		gen_sb_jstr(o, blocked_msg);
	else
		gen_sb_jstrn(o, ans, n);
	gen_sb_put(o, "}]}},\"stopReason\":");
	gen_sb_put(o, blocked ? "\"guardrail_intervened\"" : "\"end_turn\"");
	gen_sb_printf(o, ",\"metrics\":{\"latencyMs\":%d},\"usage\":{\"inputTokens\":%d,\"outputTokens\":%d,\"totalTokens\":%d}",
		      e->latency_ms, e->in_tokens, e->out_tokens, e->in_tokens + e->out_tokens);
	if (e->guard != GEN_GUARD_NONE) {
		gen_sb_put(o, ",\"trace\":{\"guardrail\":{");
		if (e->guard == GEN_GUARD_OUTPUT) {
			gen_sb_put(o, "\"modelOutput\":[");
			gen_sb tmp;
			gen_sb_init(&tmp);
			gen_sb_put(&tmp, "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":");
			gen_sb_jstrn(&tmp, ans, n);
			gen_sb_put(&tmp, "}]}}}");
			gen_sb_jstrn(o, tmp.data, tmp.len);
			gen_sb_free(&tmp);
			gen_sb_put(o, "],");
		}
		gen_sb_put(o, "\"inputAssessment\":");
		if (e->guard == GEN_GUARD_INPUT)
			guardrail_assessment(o, e, 1);
		else
			gen_sb_printf(o, "{\"%s\":{\"invocationMetrics\":{\"guardrailProcessingLatency\":150}}}", e->acct->guardrail_id);
		if (e->guard == GEN_GUARD_OUTPUT) {
			gen_sb_put(o, ",\"outputAssessments\":{");
			gen_sb_jstr(o, e->acct->guardrail_id);
			gen_sb_put(o, ":[");
			gen_sb tmp;
			gen_sb_init(&tmp);
			guardrail_assessment(&tmp, e, 0);
			/* The per-guardrail object without its wrapper key. */
			const char *inner = strchr(tmp.data, ':');
			gen_sb_putn(o, inner + 1, tmp.len - (size_t)(inner + 1 - tmp.data) - 1);
			gen_sb_free(&tmp);
			gen_sb_put(o, "]}");
		}
		gen_sb_put(o, "}}");
	}
	gen_sb_putc(o, '}');
}

static void anthropic_delta(gen_sb *o, const char *s, size_t n, int index, void *ctx)
{
	(void)index;
	(void)ctx;
	gen_sb_put(o, ",{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":");
	gen_sb_jstrn(o, s, n);
	gen_sb_put(o, "}}");
}

static void anthropic_output(gen_sb *o, gen_rng *r, const gen_inv *e, const char *ans, size_t n)
{
	char id[25];
	gen_chars(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", id, 24);
	const char *model = strstr(e->model_id, "claude-3-5-sonnet") ? "claude-3-5-sonnet-20240620" : "claude-3-haiku-20240307";
	if (is_stream(e)) {
		gen_sb_printf(o, "[{\"type\":\"message_start\",\"message\":{\"id\":\"msg_bdrk_%s\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"%s\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":%d,\"output_tokens\":1}}},{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
			      id, model, e->in_tokens);
		split_deltas(ans, n, o, anthropic_delta, NULL);
		gen_sb_printf(o, ",{\"type\":\"content_block_stop\",\"index\":0},{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":%d}},{\"type\":\"message_stop\",",
			      e->out_tokens);
		metrics_chunk(o, e);
		gen_sb_put(o, "}]");
		return;
	}
	gen_sb_printf(o, "{\"id\":\"msg_bdrk_%s\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"%s\",\"content\":[{\"type\":\"text\",\"text\":",
		      id, model);
	if (e->guard == GEN_GUARD_INPUT || e->guard == GEN_GUARD_OUTPUT)
		gen_sb_jstr(o, blocked_msg);
	else
		gen_sb_jstrn(o, ans, n);
	gen_sb_printf(o, "}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":%d,\"output_tokens\":%d}",
		      e->in_tokens, e->out_tokens);
	if (e->guard != GEN_GUARD_NONE) {
		int hit = e->guard != GEN_GUARD_PASS;
		gen_sb_printf(o, ",\"amazon-bedrock-guardrailAction\":\"%s\"", hit ? "INTERVENED" : "NONE");
		if (hit) {
			gen_sb_put(o, ",\"amazon-bedrock-trace\":{\"guardrail\":{");
			gen_sb_put(o, e->guard == GEN_GUARD_INPUT ? "\"input\":" : "\"outputs\":[");
			guardrail_assessment(o, e, e->guard == GEN_GUARD_INPUT);
			gen_sb_put(o, e->guard == GEN_GUARD_INPUT ? "}}" : "]}}");
		}
	}
	gen_sb_putc(o, '}');
}

typedef struct stream_ctx {
	const gen_inv *e;
	int total;
	const char *key;
} stream_ctx;

static void titan_delta(gen_sb *o, const char *s, size_t n, int index, void *ctx)
{
	const stream_ctx *sc = ctx;
	gen_sb_put(o, index ? ",{\"outputText\":" : "{\"outputText\":");
	gen_sb_jstrn(o, s, n);
	gen_sb_printf(o, ",\"index\":0,\"totalOutputTextTokenCount\":null,\"completionReason\":null,\"inputTextTokenCount\":%d}",
		      index == 0 ? sc->e->in_tokens : 0);
}

static void llama_delta(gen_sb *o, const char *s, size_t n, int index, void *ctx)
{
	const stream_ctx *sc = ctx;
	gen_sb_put(o, index ? ",{\"generation\":" : "{\"generation\":");
	gen_sb_jstrn(o, s, n);
	if (index == 0)
		gen_sb_printf(o, ",\"prompt_token_count\":%d,\"generation_token_count\":1,\"stop_reason\":null}", sc->e->in_tokens);
	else
		gen_sb_printf(o, ",\"prompt_token_count\":null,\"generation_token_count\":%d,\"stop_reason\":null}", index + 1);
}

static void family_output(gen_sb *o, gen_rng *r, const gen_inv *e)
{
	size_t n;
	const char *ans = answer_text(e, &n);
	char id[37];
	gen_uuid(r, id);
	stream_ctx sc = {e, 0, NULL};
	switch (e->fam) {
	case GEN_FAM_TITAN:
		if (is_stream(e)) {
			gen_sb_putc(o, '[');
			split_deltas(ans, n, o, titan_delta, &sc);
			gen_sb_printf(o, ",{\"outputText\":\"\",\"index\":0,\"totalOutputTextTokenCount\":%d,\"completionReason\":\"FINISH\",\"inputTextTokenCount\":null,",
				      e->out_tokens);
			metrics_chunk(o, e);
			gen_sb_put(o, "}]");
			return;
		}
		gen_sb_printf(o, "{\"inputTextTokenCount\":%d,\"results\":[{\"tokenCount\":%d,\"outputText\":", e->in_tokens, e->out_tokens);
		gen_sb_jstrn(o, ans, n);
		gen_sb_put(o, ",\"completionReason\":\"FINISH\"}]}");
		return;
	case GEN_FAM_LLAMA:
		if (is_stream(e)) {
			gen_sb_putc(o, '[');
			split_deltas(ans, n, o, llama_delta, &sc);
			gen_sb_printf(o, ",{\"generation\":\"\",\"prompt_token_count\":null,\"generation_token_count\":%d,\"stop_reason\":\"stop\",",
				      e->out_tokens);
			metrics_chunk(o, e);
			gen_sb_put(o, "}]");
			return;
		}
		gen_sb_put(o, "{\"generation\":");
		gen_sb_jstrn(o, ans, n);
		gen_sb_printf(o, ",\"prompt_token_count\":%d,\"generation_token_count\":%d,\"stop_reason\":\"stop\"}", e->in_tokens, e->out_tokens);
		return;
	case GEN_FAM_MISTRAL:
		gen_sb_put(o, "{\"outputs\":[{\"text\":");
		gen_sb_jstrn(o, ans, n);
		gen_sb_put(o, ",\"stop_reason\":\"stop\"}]}");
		return;
	case GEN_FAM_COHERE: {
		char gid[37];
		gen_uuid(r, gid);
		gen_sb_printf(o, "{\"response_id\":\"%s\",\"text\":", id);
		gen_sb_jstrn(o, ans, n);
		gen_sb_printf(o, ",\"generation_id\":\"%s\",\"chat_history\":[{\"role\":\"USER\",\"message\":", gid);
		gen_sb_jstrn(o, e->c->user.data ? e->c->user.data : "", e->c->user.len);
		gen_sb_put(o, "},{\"role\":\"CHATBOT\",\"message\":");
		gen_sb_jstrn(o, ans, n);
		gen_sb_put(o, "}],\"finish_reason\":\"COMPLETE\"}");
		return;
	}
	case GEN_FAM_AI21:
		gen_sb_printf(o, "{\"id\":\"chatcmpl-%s\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":", id);
		gen_sb_jstrn(o, ans, n);
		gen_sb_printf(o, ",\"tool_calls\":null},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d},\"meta\":{\"requestDurationMillis\":%d},\"model\":\"jamba-1.5-large\"}",
			      e->in_tokens, e->out_tokens, e->in_tokens + e->out_tokens, e->latency_ms);
		return;
	default:
		anthropic_output(o, r, e, ans, n);
		return;
	}
}

void gen_inv_output_body(gen_sb *o, gen_rng *r, const gen_inv *e)
{
	if (is_converse(e))
		converse_output(o, e);
	else
		family_output(o, r, e);
}

/* -------------------------------------------------------------- record */

static void write_input(gen_sb *o, const gen_inv *e)
{
	gen_sb_put(o, "\"input\":{\"inputContentType\":\"application/json\",");
	if (e->input_s3[0]) {
		kjs(o, "inputBodyS3Path", e->input_s3);
	} else {
		gen_sb_key(o, "inputBodyJson");
		gen_inv_input_body(o, e);
	}
	gen_sb_putc(o, ',');
	kint(o, "inputTokenCount", e->in_tokens);
	if (strstr(e->model_id, "claude-3-5") && is_converse(e)) {
		gen_sb_putc(o, ',');
		kint(o, "cacheReadInputTokenCount", 0);
		gen_sb_putc(o, ',');
		kint(o, "cacheWriteInputTokenCount", 0);
	}
	gen_sb_putc(o, '}');
}

static void write_output(gen_sb *o, gen_rng *r, const gen_inv *e)
{
	gen_sb_put(o, "\"output\":{\"outputContentType\":\"application/json\",");
	if (e->output_s3[0]) {
		kjs(o, "outputBodyS3Path", e->output_s3);
	} else {
		gen_sb_key(o, "outputBodyJson");
		gen_inv_output_body(o, r, e);
	}
	gen_sb_putc(o, ',');
	kint(o, "outputTokenCount", e->out_tokens);
	gen_sb_putc(o, '}');
}

static void write_header(gen_sb *o, const gen_inv *e, const char *ts)
{
	gen_sb_put(o, "\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\",");
	kjs(o, "timestamp", ts);
	gen_sb_putc(o, ',');
	kjs(o, "accountId", e->acct->id);
	gen_sb_put(o, ",\"identity\":{");
	kjs(o, "arn", e->identity_arn);
	gen_sb_put(o, "},");
	kjs(o, "region", e->region);
	gen_sb_putc(o, ',');
	kjs(o, "requestId", e->request_id);
	gen_sb_putc(o, ',');
	kjs(o, "operation", e->operation);
	gen_sb_putc(o, ',');
	kjs(o, "modelId", e->model_id);
}

void gen_inv_write(gen_sb *o, gen_rng *r, const gen_inv *e)
{
	char ts[32];
	gen_time_iso(e->t, ts);
	gen_sb_putc(o, '{');
	if (e->key_order == 1) {
		/* body first, then the envelope */
		write_input(o, e);
		if (!e->err_code) {
			gen_sb_putc(o, ',');
			write_output(o, r, e);
		}
		gen_sb_putc(o, ',');
		write_header(o, e, ts);
	} else {
		write_header(o, e, ts);
		gen_sb_putc(o, ',');
		if (e->key_order == 2 && !e->err_code) {
			write_output(o, r, e);
			gen_sb_putc(o, ',');
			write_input(o, e);
		} else {
			write_input(o, e);
			if (!e->err_code) {
				gen_sb_putc(o, ',');
				write_output(o, r, e);
			}
		}
	}
	if (e->err_code) {
		gen_sb_putc(o, ',');
		kjs(o, "errorCode", e->err_code);
	}
	gen_sb_putc(o, '}');
}
