/*
 * bedrock.c — invocation log records to events; text derived from bodies.
 *
 * Body shapes are many and models keep coming, so derivation is not a switch
 * on the model family: it looks for every known key of every family at once
 * (Converse "messages[].content[]", Anthropic "content[]", Titan "results[]",
 * Llama "generation", Mistral "outputs[]", Cohere "generations[]"/"text",
 * AI21 "completions[]", chat "choices[]"...). Keys of different families do
 * not collide, and a new family that reuses one of these shapes just works.
 * A stream (the output body is an array of chunks) concatenates the deltas of
 * every family into one response part and rebuilds streamed tool calls from
 * their start block and partial-JSON deltas.
 *
 * Limits: each derived field is capped at BEDROCK_MAX_TEXT (truncated at a
 * UTF-8 boundary, reported as LT_EITEM); content nesting (tool results inside
 * tool results) is followed to MAX_NEST levels. Accumulation uses bounded
 * bufs that are copied into the arena once, at the end.
 * Shapes: https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters.html
 */
#include "ingest/bedrock.h"

#include "common/b64.h"

#include <string.h>

#include "common/buf.h"
#include "common/ltime.h"

#define MAX_NEST 16

typedef struct acc {
	buf b;
	unsigned parts;
} acc;

typedef struct derive {
	arena *a;
	lt_status status;
	acc prompt, system, response, blocked, tools, stream;
	buf tool_input; /* partial JSON of the streamed tool call being built */
	ev_str tool_name, tool_id;
	const json_value *tool_start_input;
	bool tool_open;
	int64_t latency_ms;
	ev_str guardrail;
	bool intervened, is_stream;
} derive;

/* ---- small helpers ------------------------------------------------------ */

static const json_value *jget(const json_value *o, const char *key)
{
	if (o == NULL || o->type != JSON_OBJECT)
		return NULL;
	return json_get(o, key);
}

static const json_value *jpath(const json_value *o, const char *path)
{
	if (o == NULL || o->type != JSON_OBJECT)
		return NULL;
	return json_get_path(o, path);
}

static bool is_array(const json_value *v)
{
	return v != NULL && v->type == JSON_ARRAY;
}

static bool str_ieq(ev_str s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s.p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return false;
	}
	return true;
}

static void note(derive *d, lt_status st)
{
	d->status = lt_status_worst(d->status, st == LT_EFATAL ? LT_EITEM : st);
}

/* Length of the longest prefix of p[0..n) that does not end inside a UTF-8 sequence. */
static size_t utf8_floor(const char *p, size_t n)
{
	size_t i = n;
	while (i > 0 && n - i < 4 && ((unsigned char)p[i - 1] & 0xC0) == 0x80)
		i--;
	if (i > 0 && ((unsigned char)p[i - 1] & 0x80) != 0) {
		unsigned char lead = (unsigned char)p[i - 1];
		size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
		if (n - (i - 1) < need)
			return i - 1;
	}
	return n;
}

static void acc_put(derive *d, acc *x, const char *p, size_t n, bool sep)
{
	if (n == 0 || p == NULL)
		return;
	if (sep && x->parts > 0 && buf_putc(&x->b, '\n') != LT_OK) {
		note(d, LT_EITEM);
		return;
	}
	lt_status st = buf_append(&x->b, p, n);
	if (st == LT_EITEM) { /* over the cap: keep what fits */
		size_t room = x->b.cap > x->b.len ? x->b.cap - x->b.len : 0;
		if (room > 0 && buf_append(&x->b, p, utf8_floor(p, room)) != LT_OK)
			note(d, LT_EITEM);
	}
	if (st != LT_OK)
		note(d, st);
	x->parts++;
}

static void add(derive *d, acc *x, ev_str s)
{
	acc_put(d, x, s.p, s.n, true);
}

static void cat(derive *d, acc *x, ev_str s)
{
	acc_put(d, x, s.p, s.n, false);
}

static void add_json(derive *d, acc *x, const json_value *v)
{
	if (v == NULL)
		return;
	buf tmp;
	buf_init(&tmp, BEDROCK_MAX_TEXT);
	lt_status st = json_write(&tmp, v, 0);
	if (st != LT_OK)
		note(d, st);
	else
		acc_put(d, x, tmp.data, tmp.len, true);
	buf_free(&tmp);
}

/* Each string of v (a string or an array of strings). */
static void add_strings(derive *d, acc *x, const json_value *v)
{
	if (v == NULL)
		return;
	if (v->type == JSON_STRING)
		add(d, x, ev_str_json(v));
	if (v->type == JSON_ARRAY)
		for (size_t i = 0; i < v->len; i++)
			add(d, x, ev_str_json(&v->u.items[i]));
}

/* Each element's member key (a string) of an array v. */
static void add_each(derive *d, acc *x, const json_value *v, const char *key)
{
	if (!is_array(v))
		return;
	for (size_t i = 0; i < v->len; i++)
		add(d, x, ev_str_json(jpath(&v->u.items[i], key)));
}

/* ---- base64 (documents sent as bytes) ----------------------------------- */

/* Decodes base64 text into out; false if it is not base64 or holds a NUL. */
static bool b64_text(ev_str in, buf *out)
{
	unsigned acc_bits = 0, nbits = 0;
	for (size_t i = 0; i < in.n; i++) {
		unsigned char c = (unsigned char)in.p[i];
		if (c == '=' || c == '\n' || c == '\r')
			continue;
		int v = lt_b64_value(c);
		if (v < 0)
			return false;
		acc_bits = (acc_bits << 6) | (unsigned)v;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			char byte = (char)((acc_bits >> nbits) & 0xFFu);
			if (byte == '\0' || buf_putc(out, byte) != LT_OK)
				return false;
		}
	}
	return true;
}

static bool text_format(ev_str fmt)
{
	static const char *const formats[] = {"txt", "md", "csv", "html", "json", "xml", "text/plain",
					      "text/markdown", "text/csv", "text/html"};
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (str_ieq(fmt, formats[i]))
			return true;
	return false;
}

static void add_b64_text(derive *d, acc *x, ev_str data)
{
	buf tmp;
	buf_init(&tmp, BEDROCK_MAX_TEXT);
	if (b64_text(data, &tmp))
		acc_put(d, x, tmp.data, tmp.len, true);
	buf_free(&tmp);
}

/* ---- input bodies ------------------------------------------------------- */

static void in_content(derive *d, const json_value *c, acc *to, unsigned depth);

/* Converse {format, name, source:{bytes|text|content}} and Anthropic
 * {type:"document", source:{type:text|content|base64, data|content, media_type}}. */
static void in_document(derive *d, const json_value *doc, acc *to, unsigned depth)
{
	const json_value *src = jget(doc, "source");
	add(d, to, ev_str_json(jget(src, "text")));
	in_content(d, jget(src, "content"), to, depth + 1);
	ev_str type = ev_str_json(jget(src, "type"));
	if (str_ieq(type, "text"))
		add(d, to, ev_str_json(jget(src, "data")));
	if (str_ieq(type, "base64") && text_format(ev_str_json(jget(src, "media_type"))))
		add_b64_text(d, to, ev_str_json(jget(src, "data")));
	if (text_format(ev_str_json(jget(doc, "format"))))
		add_b64_text(d, to, ev_str_json(jget(src, "bytes")));
}

static void in_block(derive *d, const json_value *b, acc *to, unsigned depth)
{
	if (b->type == JSON_STRING) {
		add(d, to, ev_str_json(b));
		return;
	}
	if (b->type != JSON_OBJECT)
		return;
	ev_str type = ev_str_json(jget(b, "type"));
	add(d, to, ev_str_json(jget(b, "text")));
	if (str_ieq(type, "tool_result"))
		in_content(d, jget(b, "content"), to, depth + 1);
	if (str_ieq(type, "document"))
		in_document(d, b, to, depth);
	const json_value *v;
	if ((v = jget(b, "toolResult")) != NULL)
		in_content(d, jget(v, "content"), to, depth + 1);
	if ((v = jget(b, "json")) != NULL)
		add_json(d, to, v);
	if ((v = jget(b, "document")) != NULL)
		in_document(d, v, to, depth);
	if ((v = jget(b, "guardContent")) != NULL)
		add(d, to, ev_str_json(jpath(v, "text.text")));
}

static void in_content(derive *d, const json_value *c, acc *to, unsigned depth)
{
	if (c == NULL || depth > MAX_NEST)
		return;
	if (c->type == JSON_ARRAY) {
		for (size_t i = 0; i < c->len; i++)
			in_block(d, &c->u.items[i], to, depth);
		return;
	}
	in_block(d, c, to, depth);
}

static void in_messages(derive *d, const json_value *msgs)
{
	if (!is_array(msgs))
		return;
	for (size_t i = 0; i < msgs->len; i++) {
		const json_value *m = &msgs->u.items[i];
		ev_str role = ev_str_json(jget(m, "role"));
		const json_value *content = jget(m, "content");
		if (content == NULL)
			content = jget(m, "message"); /* Cohere chat_history */
		if (str_ieq(role, "system") || str_ieq(role, "developer"))
			in_content(d, content, &d->system, 0);
		else if (!str_ieq(role, "assistant") && !str_ieq(role, "chatbot") &&
			 !str_ieq(role, "model"))
			in_content(d, content, &d->prompt, 0);
	}
}

static void in_documents(derive *d, const json_value *docs)
{
	if (!is_array(docs))
		return;
	for (size_t i = 0; i < docs->len; i++) {
		const json_value *doc = &docs->u.items[i];
		add(d, &d->prompt, ev_str_json(doc));
		add(d, &d->prompt, ev_str_json(jget(doc, "snippet")));
		add(d, &d->prompt, ev_str_json(jget(doc, "text")));
	}
}

static void in_body(derive *d, const json_value *body)
{
	in_content(d, jget(body, "system"), &d->system, 0);
	add(d, &d->system, ev_str_json(jget(body, "preamble")));
	in_messages(d, jget(body, "chat_history"));
	in_messages(d, jget(body, "messages"));
	add_strings(d, &d->prompt, jget(body, "message"));
	add_strings(d, &d->prompt, jget(body, "prompt"));
	add_strings(d, &d->prompt, jget(body, "inputText"));
	add_strings(d, &d->prompt, jget(body, "texts"));
	in_documents(d, jget(body, "documents"));
	add_json(d, &d->prompt, jget(body, "tool_results"));
	add(d, &d->prompt, ev_str_json(jpath(body, "textToImageParams.text")));
	add_each(d, &d->prompt, jget(body, "text_prompts"), "text");
}

/* ---- tool calls ---------------------------------------------------------- */

static lt_status write_input(derive *d, buf *line, const json_value *input, const buf *partial)
{
	if (input != NULL)
		return json_write(line, input, 0);
	if (partial == NULL || partial->len == 0)
		return buf_puts(line, "null");
	json_value *v = NULL;
	lt_error e;
	if (json_parse(d->a, partial->data, partial->len, NULL, &v, NULL, &e) == LT_OK)
		return json_write(line, v, 0);
	return json_write_string(line, partial->data, partial->len);
}

static void tool_emit(derive *d, ev_str name, ev_str id, const json_value *input, const buf *partial)
{
	buf line;
	buf_init(&line, BEDROCK_MAX_TEXT);
	lt_status st = buf_puts(&line, "{\"name\":");
	if (st == LT_OK)
		st = json_write_string(&line, name.p != NULL ? name.p : "", name.n);
	if (st == LT_OK && id.n > 0) {
		st = buf_puts(&line, ",\"id\":");
		if (st == LT_OK)
			st = json_write_string(&line, id.p, id.n);
	}
	if (st == LT_OK)
		st = buf_puts(&line, ",\"input\":");
	if (st == LT_OK)
		st = write_input(d, &line, input, partial);
	if (st == LT_OK)
		st = buf_putc(&line, '}');
	if (st == LT_OK)
		acc_put(d, &d->tools, line.data, line.len, true);
	else
		note(d, st);
	buf_free(&line);
}

/* Function-call arguments arrive as a JSON string holding JSON. */
static void tool_emit_args(derive *d, ev_str name, ev_str id, const json_value *args)
{
	if (args != NULL && args->type == JSON_STRING) {
		buf tmp;
		buf_init(&tmp, BEDROCK_MAX_TEXT);
		if (buf_append(&tmp, args->u.s, args->len) == LT_OK)
			tool_emit(d, name, id, NULL, &tmp);
		else
			note(d, LT_EITEM);
		buf_free(&tmp);
		return;
	}
	tool_emit(d, name, id, args, NULL);
}

static void tool_end(derive *d)
{
	if (!d->tool_open)
		return;
	const json_value *start = d->tool_start_input;
	bool use_start = d->tool_input.len == 0 && start != NULL &&
			 !(start->type == JSON_OBJECT && start->len == 0);
	tool_emit(d, d->tool_name, d->tool_id, use_start ? start : NULL, &d->tool_input);
	d->tool_open = false;
	buf_reset(&d->tool_input);
}

static void tool_begin(derive *d, ev_str name, ev_str id, const json_value *input)
{
	tool_end(d);
	d->tool_open = true;
	d->tool_name = name;
	d->tool_id = id;
	d->tool_start_input = input;
}

static void tool_delta(derive *d, ev_str s)
{
	if (s.n == 0)
		return;
	if (!d->tool_open)
		tool_begin(d, EV_STR_NULL, EV_STR_NULL, NULL);
	if (buf_append(&d->tool_input, s.p, s.n) != LT_OK)
		note(d, LT_EITEM);
}

/* ---- output bodies ------------------------------------------------------ */

static void set_latency(derive *d, const json_value *v)
{
	int64_t ms;
	double f;
	if (v == NULL)
		return;
	if (json_to_int64(v, &ms) == LT_OK && ms >= 0) {
		d->latency_ms = ms;
	} else if (json_to_double(v, &f) == LT_OK && f >= 0 && f < 9.0e15) {
		d->latency_ms = (int64_t)(f + 0.5);
	}
}

static void out_meta(derive *d, const json_value *o)
{
	if (json_str_eq(jget(o, "stopReason"), "guardrail_intervened"))
		d->intervened = true;
	ev_str ga = ev_str_json(jget(o, "amazon-bedrock-guardrailAction"));
	if (ga.n > 0) {
		d->guardrail = ga;
		if (str_ieq(ga, "intervened"))
			d->intervened = true;
	}
	set_latency(d, jpath(o, "metrics.latencyMs"));
	const json_value *im = jget(o, "amazon-bedrock-invocationMetrics");
	set_latency(d, jget(im, "invocationLatency"));
	add_strings(d, &d->blocked, jpath(o, "trace.guardrail.modelOutput"));
	const json_value *bt = jget(o, "amazon-bedrock-trace");
	add_strings(d, &d->blocked, jpath(bt, "guardrail.modelOutput"));
}

static void out_block(derive *d, const json_value *b)
{
	const json_value *v;
	ev_str type = ev_str_json(jget(b, "type"));
	add(d, &d->response, ev_str_json(b));
	add(d, &d->response, ev_str_json(jget(b, "text")));
	if (str_ieq(type, "thinking"))
		add(d, &d->response, ev_str_json(jget(b, "thinking")));
	add(d, &d->response, ev_str_json(jpath(b, "reasoningContent.reasoningText.text")));
	if ((v = jget(b, "toolUse")) != NULL)
		tool_emit(d, ev_str_json(jget(v, "name")), ev_str_json(jget(v, "toolUseId")),
			  jget(v, "input"), NULL);
	if (str_ieq(type, "tool_use"))
		tool_emit(d, ev_str_json(jget(b, "name")), ev_str_json(jget(b, "id")),
			  jget(b, "input"), NULL);
}

static void out_blocks(derive *d, const json_value *content)
{
	if (content == NULL)
		return;
	if (content->type != JSON_ARRAY) {
		out_block(d, content);
		return;
	}
	for (size_t i = 0; i < content->len; i++)
		out_block(d, &content->u.items[i]);
}

static void out_choices(derive *d, const json_value *choices)
{
	if (!is_array(choices))
		return;
	for (size_t i = 0; i < choices->len; i++) {
		const json_value *c = &choices->u.items[i];
		const json_value *msg = jget(c, "message");
		out_blocks(d, jget(msg, "content"));
		add(d, &d->response, ev_str_json(jget(c, "text")));
		cat(d, &d->stream, ev_str_json(jpath(c, "delta.content")));
		const json_value *calls = jget(msg, "tool_calls");
		for (size_t k = 0; is_array(calls) && k < calls->len; k++) {
			const json_value *call = &calls->u.items[k];
			tool_emit_args(d, ev_str_json(jpath(call, "function.name")),
				       ev_str_json(jget(call, "id")), jpath(call, "function.arguments"));
		}
	}
}

static void out_cohere_tools(derive *d, const json_value *calls)
{
	for (size_t k = 0; is_array(calls) && k < calls->len; k++) {
		const json_value *call = &calls->u.items[k];
		tool_emit(d, ev_str_json(jget(call, "name")), EV_STR_NULL, jget(call, "parameters"),
			  NULL);
	}
}

static void out_object(derive *d, const json_value *o)
{
	out_blocks(d, jpath(o, "output.message.content"));
	out_blocks(d, jget(o, "content"));
	add(d, &d->response, ev_str_json(jget(o, "completion")));
	add(d, &d->response, ev_str_json(jget(o, "generation")));
	add(d, &d->response, ev_str_json(jget(o, "text")));
	add_each(d, &d->response, jget(o, "results"), "outputText");
	add_each(d, &d->response, jget(o, "outputs"), "text");
	add_each(d, &d->response, jget(o, "generations"), "text");
	add_each(d, &d->response, jget(o, "completions"), "data.text");
	out_choices(d, jget(o, "choices"));
	out_cohere_tools(d, jget(o, "tool_calls"));
	out_meta(d, o);
}

/* Anthropic typed stream events. */
static void chunk_anthropic(derive *d, const json_value *c, ev_str type)
{
	if (str_ieq(type, "content_block_start")) {
		const json_value *cb = jget(c, "content_block");
		if (json_str_eq(jget(cb, "type"), "tool_use"))
			tool_begin(d, ev_str_json(jget(cb, "name")), ev_str_json(jget(cb, "id")),
				   jget(cb, "input"));
		cat(d, &d->stream, ev_str_json(jget(cb, "text")));
	} else if (str_ieq(type, "content_block_delta")) {
		const json_value *delta = jget(c, "delta");
		cat(d, &d->stream, ev_str_json(jget(delta, "text")));
		cat(d, &d->stream, ev_str_json(jget(delta, "thinking")));
		tool_delta(d, ev_str_json(jget(delta, "partial_json")));
	} else if (str_ieq(type, "content_block_stop")) {
		tool_end(d);
	}
}

/* Converse-stream (and Nova) events. */
static void chunk_converse(derive *d, const json_value *c)
{
	const json_value *tu = jpath(c, "contentBlockStart.start.toolUse");
	if (tu != NULL)
		tool_begin(d, ev_str_json(jget(tu, "name")), ev_str_json(jget(tu, "toolUseId")), NULL);
	const json_value *delta = jpath(c, "contentBlockDelta.delta");
	cat(d, &d->stream, ev_str_json(jget(delta, "text")));
	cat(d, &d->stream, ev_str_json(jpath(delta, "reasoningContent.text")));
	tool_delta(d, ev_str_json(jpath(delta, "toolUse.input")));
	if (jget(c, "contentBlockStop") != NULL)
		tool_end(d);
	const json_value *stop = jget(c, "messageStop");
	if (stop != NULL)
		out_meta(d, stop);
	const json_value *meta = jget(c, "metadata");
	if (meta != NULL)
		out_meta(d, meta);
}

static void each_cat(derive *d, const json_value *arr, const char *key)
{
	if (!is_array(arr))
		return;
	for (size_t i = 0; i < arr->len; i++)
		cat(d, &d->stream, ev_str_json(jpath(&arr->u.items[i], key)));
}

static void out_chunk(derive *d, const json_value *c)
{
	if (c->type != JSON_OBJECT)
		return;
	ev_str type = ev_str_json(jget(c, "type"));
	if (type.n > 0)
		chunk_anthropic(d, c, type);
	chunk_converse(d, c);
	cat(d, &d->stream, ev_str_json(jget(c, "outputText")));
	cat(d, &d->stream, ev_str_json(jget(c, "generation")));
	cat(d, &d->stream, ev_str_json(jget(c, "completion")));
	each_cat(d, jget(c, "outputs"), "text");
	each_cat(d, jget(c, "generations"), "text");
	const json_value *fin = jget(c, "is_finished");
	bool finished = fin != NULL && fin->type == JSON_TRUE;
	if (!finished && !json_str_eq(jget(c, "event_type"), "stream-end"))
		cat(d, &d->stream, ev_str_json(jget(c, "text")));
	const json_value *choices = jget(c, "choices");
	each_cat(d, choices, "delta.content");
	each_cat(d, choices, "text");
	out_meta(d, c);
}

static void out_body(derive *d, const json_value *body)
{
	if (body->type == JSON_ARRAY) {
		d->is_stream = true;
		for (size_t i = 0; i < body->len; i++)
			out_chunk(d, &body->u.items[i]);
		tool_end(d);
	} else {
		out_object(d, body);
		tool_end(d);
	}
	if (d->stream.b.len > 0)
		acc_put(d, &d->response, d->stream.b.data, d->stream.b.len, true);
	if (d->blocked.b.len > 0)
		acc_put(d, &d->response, d->blocked.b.data, d->blocked.b.len, true);
}

/* ---- entry points -------------------------------------------------------- */

/* A body given as a JSON string: the JSON it holds, or NULL (the text itself is the body). */
static const json_value *unwrap(derive *d, const json_value *body)
{
	if (body == NULL || body->type != JSON_STRING)
		return body;
	json_value *v = NULL;
	lt_error e;
	if (body->len > 0 && json_parse(d->a, body->u.s, body->len, NULL, &v, NULL, &e) == LT_OK &&
	    (v->type == JSON_OBJECT || v->type == JSON_ARRAY))
		return v;
	return NULL;
}

static ev_str finish(derive *d, acc *x)
{
	if (x->b.len == 0)
		return EV_STR_NULL;
	char *p = arena_strndup(d->a, x->b.data, x->b.len);
	if (p == NULL) {
		note(d, LT_EITEM);
		return EV_STR_NULL;
	}
	return ev_str_from(p, x->b.len);
}

static void derive_init(derive *d, arena *a)
{
	memset(d, 0, sizeof *d);
	d->a = a;
	d->latency_ms = -1;
	acc *all[] = {&d->prompt, &d->system, &d->response, &d->blocked, &d->tools, &d->stream};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		buf_init(&all[i]->b, BEDROCK_MAX_TEXT);
	buf_init(&d->tool_input, BEDROCK_MAX_TEXT);
}

static void derive_free(derive *d)
{
	acc *all[] = {&d->prompt, &d->system, &d->response, &d->blocked, &d->tools, &d->stream};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		buf_free(&all[i]->b);
	buf_free(&d->tool_input);
}

lt_status bedrock_derive(event *ev, const json_value *input_body, const json_value *output_body,
                         arena *a)
{
	derive d;
	derive_init(&d, a);
	if (input_body != NULL) {
		const json_value *in = unwrap(&d, input_body);
		if (in != NULL)
			in_body(&d, in);
		else
			add(&d, &d.prompt, ev_str_json(input_body));
		ev->prompt = finish(&d, &d.prompt);
		ev->system = finish(&d, &d.system);
	}
	if (output_body != NULL) {
		const json_value *out = unwrap(&d, output_body);
		if (out != NULL)
			out_body(&d, out);
		else
			add(&d, &d.response, ev_str_json(output_body));
		ev->response = finish(&d, &d.response);
		ev->tool_calls = finish(&d, &d.tools);
		if (d.latency_ms >= 0)
			ev->latency_ms = d.latency_ms;
		if (d.is_stream)
			ev->flags |= EV_F_STREAM;
		if (d.intervened) {
			ev->flags |= EV_F_GUARDRAIL;
			ev->guardrail_action = ev_str_from("INTERVENED", 10);
		} else if (d.guardrail.n > 0) {
			ev->guardrail_action = d.guardrail;
		}
	}
	derive_free(&d);
	return d.status;
}

static bool has_prefix(ev_str s, const char *p)
{
	size_t n = strlen(p);
	return s.n >= n && memcmp(s.p, p, n) == 0;
}

/* "us." in "us.anthropic.claude-...": a geography, lower-case letters and
 * '-', then a dot, then a provider id with a dot of its own. */
static size_t geo_prefix_len(ev_str s)
{
	size_t i = 0;
	while (i < s.n && i < BEDROCK_GEO_MAX && ((s.p[i] >= 'a' && s.p[i] <= 'z') || s.p[i] == '-'))
		i++;
	if (i < 2 || i >= s.n || s.p[i] != '.')
		return 0;
	const char *rest = s.p + i + 1;
	size_t left = s.n - i - 1;
	return memchr(rest, '.', left) != NULL ? i + 1 : 0;
}

ev_str bedrock_model_key(ev_str id)
{
	static const char *const kinds[] = {":foundation-model/", ":inference-profile/"};
	if (id.p == NULL || id.n == 0)
		return id;
	ev_str m = id;
	if (has_prefix(id, "arn:")) {
		bool known = false;
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && !known; k++) {
			size_t kn = strlen(kinds[k]);
			for (size_t i = 0; i + kn <= id.n; i++)
				if (memcmp(id.p + i, kinds[k], kn) == 0) {
					m = ev_str_from(id.p + i + kn, id.n - i - kn);
					known = true;
					break;
				}
		}
		if (!known)
			return id;
	}
	size_t g = geo_prefix_len(m);
	return g ? ev_str_from(m.p + g, m.n - g) : m;
}

bool bedrock_is_record(const json_value *rec)
{
	if (rec == NULL || rec->type != JSON_OBJECT)
		return false;
	if (json_str_eq(json_get(rec, "schemaType"), "ModelInvocationLog"))
		return true;
	return json_get(rec, "requestId") != NULL &&
	       (json_get(rec, "operation") != NULL || json_get(rec, "modelId") != NULL);
}

static ev_str nonempty(const json_value *v)
{
	ev_str s = ev_str_json(v);
	return s.n > 0 ? s : EV_STR_NULL;
}

/* A token count: -1 when absent or null (unknown); also -1, with *bad set to
 * the value, when it is no whole number from 0 to BEDROCK_MAX_TOKENS (a
 * string, a fraction, a negative, an overflow such as 1e999999). */
static int64_t count_of(const json_value *v, const json_value **bad)
{
	int64_t n;
	if (v == NULL || v->type == JSON_NULL)
		return -1;
	if (v->type != JSON_NUMBER || json_to_int64(v, &n) != LT_OK || n < 0 || n > BEDROCK_MAX_TOKENS) {
		*bad = v;
		return -1;
	}
	return n;
}

/* The note for a token count that is not counted, naming the field and value. */
static lt_status bad_count(const char *field, const json_value *v, lt_error *err)
{
	bool text = v->type == JSON_NUMBER || v->type == JSON_STRING;
	size_t n = text ? v->len : 0;
	return lt_error_set(err, LT_EITEM, "%s %s%s%.*s%s%s is not a token count (a whole number from 0 to %llu): not counted",
	                    field, v->type == JSON_STRING ? "\"" : "", text ? "" : "(not a number)", (int)(n > 40 ? 40 : n),
	                    text ? v->u.s : "", n > 40 ? "..." : "", v->type == JSON_STRING ? "\"" : "",
	                    (unsigned long long)BEDROCK_MAX_TOKENS);
}

static bool ends_with(ev_str s, const char *suffix)
{
	size_t n = strlen(suffix);
	return s.n >= n && memcmp(s.p + s.n - n, suffix, n) == 0;
}

lt_status bedrock_fill(event *ev, const json_value *rec, int64_t fallback_time_us, arena *a,
                       bool *usable, lt_error *err)
{
	if (usable != NULL)
		*usable = false;
	if (rec == NULL || rec->type != JSON_OBJECT)
		return lt_error_set(err, LT_EITEM, "invocation log record is not a JSON object");
	ev->source = EV_SRC_INVOCATION;
	ev_str t = nonempty(json_get(rec, "timestamp"));
	if (t.n > 0) {
		if (ltime_parse(t.p, t.n, &ev->time_us) != LT_OK)
			return lt_error_set(err, LT_EITEM,
					    "invocation log record: timestamp is not a valid timestamp");
	} else if (fallback_time_us >= 0) {
		ev->time_us = fallback_time_us;
		ev->flags |= EV_F_TIME_FALLBACK;
	} else {
		const json_value *tv = json_get(rec, "timestamp");
		if (tv != NULL && tv->type != JSON_STRING)
			return lt_error_set(err, LT_EITEM, "invocation log record: timestamp is not a string (JSON %s)",
			                    json_type_name(tv->type));
		return lt_error_set(err, LT_EITEM, "invocation log record has no timestamp");
	}
	ev->uid = nonempty(json_get(rec, "requestId"));
	if (ev->uid.n == 0)
		return lt_error_set(err, LT_EITEM, "invocation log record has no requestId");
	ev->request_id = ev->uid;
	ev->action = nonempty(json_get(rec, "operation"));
	ev->service = ev_str_from("bedrock", 7);
	ev->principal = nonempty(json_get_path(rec, "identity.arn"));
	ev->account = nonempty(json_get(rec, "accountId"));
	ev->region = nonempty(json_get(rec, "region"));
	ev->model = bedrock_model_key(nonempty(json_get(rec, "modelId")));
	ev->error_code = nonempty(json_get(rec, "errorCode"));

	const json_value *in = jget(rec, "input");
	const json_value *out = jget(rec, "output");
	const json_value *bad_in = NULL, *bad_out = NULL;
	ev->input_tokens = count_of(jget(in, "inputTokenCount"), &bad_in);
	ev->output_tokens = count_of(jget(out, "outputTokenCount"), &bad_out);
	ev->input_body_ref = nonempty(jget(in, "inputBodyS3Path"));
	ev->output_body_ref = nonempty(jget(out, "outputBodyS3Path"));
	if (ev->input_body_ref.n > 0 || ev->output_body_ref.n > 0)
		ev->flags |= EV_F_BODY_EXTERNAL;
	if (ends_with(ev->action, "Stream"))
		ev->flags |= EV_F_STREAM;
	if (usable != NULL)
		*usable = true;
	if (bedrock_derive(ev, jget(in, "inputBodyJson"), jget(out, "outputBodyJson"), a) != LT_OK)
		return lt_error_set(err, LT_EITEM,
				    "derived text of the invocation bodies was truncated (over %u bytes or out of memory)",
				    BEDROCK_MAX_TEXT);
	if (bad_in != NULL)
		return bad_count("input.inputTokenCount", bad_in, err);
	if (bad_out != NULL)
		return bad_count("output.outputTokenCount", bad_out, err);
	return LT_OK;
}
