/*
 * prompt_model.c — prompt-attack classifier (see prompt_model.h).
 *
 * Features of one window (a stretch of the token stream: the normalised text's
 * words, [a-z0-9] runs and non-ASCII runs, joined by single spaces), of the
 * kinds the model's feature spec names: every word, every pair of adjacent
 * words, every character 3-, 4- and 5-gram of " window ", one feature per
 * normaliser flag, and (format 2) the concept features of the window's words
 * (see "concepts": a word of the attack vocabulary also stands for its class,
 * in several languages). Each is FNV-1a hashed with a
 * kind byte first and taken modulo 2^nbits. A class's raw score is
 * bias + scale * sum(w[h]) / sqrt(count) (repeats count; int16 weights), its
 * calibrated score 1 / (1 + exp(a * raw + b)). Long texts are cut into windows
 * of `window` bytes every `step` bytes (at token boundaries) and a class keeps
 * its best window, so a long role-play cannot dilute its attack paragraph.
 * The MinHash signature (one-permutation, 64 bins) is over word 3-shingles of
 * the first 64 KiB of the stream. tools/train-prompt-model.py reads features through tools/prompt-feat
 * (this same code), so training and scoring cannot drift apart.
 */
#include "analyzers/prompt/prompt_model.h"
#include "common/hash.h"
#include "common/textesc.h"
#include "analyzers/prompt/prompt_norm.h"
#include "ingest/sha256.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "LTPM\r\n\032\n"
#define FORMAT_VERSION 2u /* reads 1 and 2: 2 adds concept features */
/* feature kinds a model may use (its header's feature spec, any nonzero subset) */
#define FEAT_WORDS 0x01u
#define FEAT_PAIRS 0x02u
#define FEAT_C3 0x04u
#define FEAT_C4 0x08u
#define FEAT_C5 0x10u
#define FEAT_FLAGS 0x20u
#define FEAT_CONCEPTS 0x40u /* version 2 */
#define FEAT_ALL 0x7Fu
#define HEADER_LEN 40u
#define CLASS_LEN 40u
#define NAME_LEN 24u
#define TEMPLATE_LEN (PMODEL_FAMILY_LEN + 4u * PMODEL_SIG)
#define MAX_TEMPLATES 4096u
#define SHINGLE_SPAN (64u << 10)
#define TOP_GRAMS 4
#define CONCEPT_LEXICON 2u /* the concept features' version: lexicon and definition (see "concepts");
                              * 2 added the early feature and CONCEPT_REPEAT */
#define CONCEPT_SPAN 4      /* a concept pairs with those of the 4 tokens before it */
#define CONCEPT_EARLY 16    /* a concept among the text's first 16 words is also "early" */

typedef struct concept_tab concept_tab;
static concept_tab *concept_tab_new(void);

typedef struct pclass {
	char name[NAME_LEN];
	float bias, scale, platt_a, platt_b;
} pclass;

typedef struct ptemplate {
	char family[PMODEL_FAMILY_LEN];
	uint32_t sig[PMODEL_SIG];
} ptemplate;

struct pmodel {
	uint32_t nbits, nclass, window, step, ntemplates, spec;
	pclass cls[PMODEL_MAX_CLASSES];
	int16_t *w; /* [1 << nbits][nclass] */
	ptemplate *tpl;
	concept_tab *ct; /* the concept lexicon, when spec has FEAT_CONCEPTS */
	char digest[SHA256_HEX_LEN + 1]; /* the file's own SHA-256 (its last 32 bytes) */
};

typedef struct top_gram {
	double w;
	char g[24];
} top_gram;

/* Sliding sums over the padded token stream (see "sliding sums" below). */
typedef struct slide {
	size_t ring, rmask;   /* ring entries (a power of two), 0: not allocated */
	unsigned gn[3], ngk;  /* character n-gram orders the model uses */
	uint32_t *gp;         /* [ring][ngk][nclass] gram weight prefix by padded start */
	uint32_t *tp;         /* [ring][3][nclass] word, pair, concept weight prefix by token index */
	size_t *tc;           /* [ring] concept feature count prefix by token index */
	uint8_t cprev[CONCEPT_SPAN]; /* concepts of the last tokens read, nearest first */
	size_t *tse;          /* [ring][2] token start and end in the stream */
	size_t ghi, nt, tscan, klo, khi;
	uint32_t bstate;      /* FNV state of 'b' + the last token read: its pair's prefix */
	int64_t flagsum[PMODEL_MAX_CLASSES];
	size_t nflag;
} slide;

struct pmodel_scorer {
	const pmodel *m;
	pnorm nm;
	char *pbuf, *stream; /* the padded token stream; stream = pbuf + 1 */
	size_t slen, scap;
	size_t best_start[PMODEL_MAX_CLASSES], best_end[PMODEL_MAX_CLASSES];
	uint32_t sig[PMODEL_SIG];
	/* the window being scored: its feature hashes, then their weights */
	uint32_t *hashes;
	size_t nhash, chash;
	bool oom;
	bool fast; /* sliding sums (false: window by window, the reference) */
	slide z;
	double acc[PMODEL_MAX_CLASSES];
	size_t count;
	int explain_class; /* -1: not explaining */
	top_gram top[TOP_GRAMS], top_chars[TOP_GRAMS];
};

/* ================================================================ little-endian reads */

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float rdf(const unsigned char *p)
{
	uint32_t u = rd32(p);
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static bool printable_name(const char *s, size_t cap)
{
	size_t n = 0;
	while (n < cap && s[n] != '\0')
		n++;
	if (n == 0 || n == cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	for (size_t i = n; i < cap; i++)
		if (s[i] != '\0')
			return false;
	return true;
}

/* ================================================================ loading */

static lt_status bad(lt_error *err, const char *what)
{
	return lt_error_set(err, LT_EFILE, "prompt model: %s", what);
}

static lt_status check_header(const unsigned char *p, size_t n, uint32_t *v, lt_error *err)
{
	if (n < HEADER_LEN + 32 || memcmp(p, MAGIC, 8) != 0)
		return bad(err, "not a prompt model file (bad magic or too short)");
	for (int i = 0; i < 8; i++)
		v[i] = rd32(p + 8 + 4 * i);
	if (v[0] < 1 || v[0] > FORMAT_VERSION)
		return lt_error_set(err, LT_EFILE,
		                    "prompt model: format version %u, this llmtrail reads 1 to %u", v[0],
		                    FORMAT_VERSION);
	if (v[1] < 10 || v[1] > 22)
		return bad(err, "hash bits out of range 10..22");
	if (v[2] < 1 || v[2] > PMODEL_MAX_CLASSES)
		return bad(err, "class count out of range 1..4");
	if (v[3] < 64 || v[3] > 65536 || v[4] < 16 || v[4] > v[3])
		return bad(err, "window or step out of range");
	if (v[5] > MAX_TEMPLATES)
		return bad(err, "too many templates");
	if (v[6] == 0 || (v[6] & ~(v[0] == 1 ? FEAT_ALL & ~FEAT_CONCEPTS : FEAT_ALL)) != 0)
		return bad(err, "unknown feature specification");
	if (!(v[6] & FEAT_CONCEPTS) && v[7] != 0)
		return bad(err, "reserved header field not 0");
	if ((v[6] & FEAT_CONCEPTS) && v[7] != CONCEPT_LEXICON)
		return lt_error_set(err, LT_EFILE,
		                    "prompt model: concept lexicon %u, this llmtrail has %u", v[7],
		                    CONCEPT_LEXICON);
	return LT_OK;
}

static lt_status check_checksum(const unsigned char *p, size_t n, lt_error *err)
{
	char want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
	if (sha256_hex(p, n - 32, got) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "prompt model: cannot hash");
	sha256_to_hex(p + n - 32, want);
	if (strcmp(want, got) != 0)
		return bad(err, "checksum mismatch (file damaged or edited)");
	return LT_OK;
}

static lt_status read_classes(pmodel *m, const unsigned char *p, lt_error *err)
{
	for (uint32_t c = 0; c < m->nclass; c++, p += CLASS_LEN) {
		pclass *k = &m->cls[c];
		memcpy(k->name, p, NAME_LEN);
		if (!printable_name(k->name, NAME_LEN))
			return bad(err, "class name not a NUL-padded [A-Za-z0-9_.-] word");
		k->bias = rdf(p + NAME_LEN);
		k->scale = rdf(p + NAME_LEN + 4);
		k->platt_a = rdf(p + NAME_LEN + 8);
		k->platt_b = rdf(p + NAME_LEN + 12);
		if (!isfinite(k->bias) || !isfinite(k->scale) || !isfinite(k->platt_a) ||
		    !isfinite(k->platt_b) || fabsf(k->bias) > 1e6f || fabsf(k->scale) > 1e6f ||
		    fabsf(k->platt_a) > 1e6f || fabsf(k->platt_b) > 1e6f)
			return bad(err, "class parameters not finite or out of range");
	}
	return LT_OK;
}

static lt_status read_templates(pmodel *m, const unsigned char *p, lt_error *err)
{
	for (uint32_t t = 0; t < m->ntemplates; t++, p += TEMPLATE_LEN) {
		memcpy(m->tpl[t].family, p, PMODEL_FAMILY_LEN);
		if (!printable_name(m->tpl[t].family, PMODEL_FAMILY_LEN))
			return bad(err, "template family not a NUL-padded [A-Za-z0-9_.-] word");
		for (int k = 0; k < PMODEL_SIG; k++)
			m->tpl[t].sig[k] = rd32(p + PMODEL_FAMILY_LEN + 4 * k);
	}
	return LT_OK;
}

lt_status pmodel_parse(pmodel **out, const void *data, size_t n, lt_error *err)
{
	*out = NULL;
	const unsigned char *p = data;
	uint32_t v[8];
	lt_status st = check_header(p, n, v, err);
	if (st != LT_OK)
		return st;
	size_t nb = (size_t)1 << v[1];
	size_t want = HEADER_LEN + (size_t)v[2] * CLASS_LEN + nb * v[2] * 2 +
	              (size_t)v[5] * TEMPLATE_LEN + 32;
	if (n != want)
		return lt_error_set(err, LT_EFILE, "prompt model: %zu bytes, the header implies %zu", n,
		                    want);
	if ((st = check_checksum(p, n, err)) != LT_OK)
		return st;
	pmodel *m = calloc(1, sizeof *m);
	if (m == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory loading the prompt model");
	m->nbits = v[1];
	m->nclass = v[2];
	m->window = v[3];
	m->step = v[4];
	m->ntemplates = v[5];
	m->spec = v[6];
	sha256_to_hex(p + n - 32, m->digest);
	m->w = malloc(nb * m->nclass * sizeof *m->w);
	m->tpl = calloc(m->ntemplates ? m->ntemplates : 1, sizeof *m->tpl);
	if (m->w == NULL || m->tpl == NULL) {
		pmodel_free(m);
		return lt_error_set(err, LT_EFATAL, "out of memory loading the prompt model");
	}
	const unsigned char *q = p + HEADER_LEN;
	if ((st = read_classes(m, q, err)) != LT_OK) {
		pmodel_free(m);
		return st;
	}
	q += (size_t)m->nclass * CLASS_LEN;
	for (size_t i = 0; i < nb * m->nclass; i++, q += 2)
		m->w[i] = (int16_t)(uint16_t)(q[0] | q[1] << 8);
	if ((st = read_templates(m, q, err)) != LT_OK) {
		pmodel_free(m);
		return st;
	}
	if ((m->spec & FEAT_CONCEPTS) && (m->ct = concept_tab_new()) == NULL) {
		pmodel_free(m);
		return lt_error_set(err, LT_EFATAL, "out of memory loading the prompt model");
	}
	*out = m;
	return LT_OK;
}

lt_status pmodel_load(pmodel **out, const char *path, lt_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return lt_error_set(err, LT_EFILE, "prompt model %s: cannot open: %s", path,
		                    strerror(errno));
	unsigned char *bytes = malloc(PMODEL_MAX_FILE + 1);
	if (bytes == NULL) {
		fclose(f);
		return lt_error_set(err, LT_EFATAL, "out of memory loading the prompt model");
	}
	size_t n = fread(bytes, 1, PMODEL_MAX_FILE + 1, f);
	bool rerr = ferror(f) != 0;
	fclose(f);
	lt_status st;
	if (rerr)
		st = lt_error_set(err, LT_EFILE, "prompt model %s: read error", path);
	else if (n > PMODEL_MAX_FILE)
		st = lt_error_set(err, LT_EFILE, "prompt model %s: larger than %u bytes", path,
		                  PMODEL_MAX_FILE);
	else {
		st = pmodel_parse(out, bytes, n, err);
		if (st != LT_OK && err != NULL) {
			char msg[LT_ERROR_MSG_MAX];
			snprintf(msg, sizeof msg, "%s", err->msg);
			lt_error_set(err, st, "%s (%s)", msg, path);
		}
	}
	free(bytes);
	return st;
}

void pmodel_free(pmodel *m)
{
	if (m == NULL)
		return;
	free(m->w);
	free(m->tpl);
	free(m->ct);
	free(m);
}

const char *pmodel_digest(const pmodel *m)
{
	return m->digest;
}

size_t pmodel_nclass(const pmodel *m)
{
	return m->nclass;
}

const char *pmodel_class_name(const pmodel *m, size_t c)
{
	return c < m->nclass ? m->cls[c].name : "";
}

int pmodel_class_index(const pmodel *m, const char *name)
{
	for (uint32_t c = 0; c < m->nclass; c++)
		if (strcmp(m->cls[c].name, name) == 0)
			return (int)c;
	return -1;
}

/* ================================================================ features */

static uint32_t fnv(char kind, const char *s, size_t n)
{
	return lt_fnv32_add(lt_fnv32_byte(LT_FNV32_BASIS, (unsigned char)kind), s, n);
}

static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85EBCA6Bu;
	h ^= h >> 13;
	h *= 0xC2B2AE35u;
	h ^= h >> 16;
	return h;
}

/* ---------------------------------------------------------------- concepts
 *
 * Concept features (FEAT_CONCEPTS, format version 2): a word that belongs to a
 * class of the attack vocabulary (override verbs, "previous", "instructions",
 * "reveal", "reformat", "you", ... in several languages) also stands for its
 * class, so "disregard preceding directives" shares features with "ignore
 * previous instructions" and "vergiss die vorherigen Anweisungen": one feature
 * per classed word and one per pair of classed words at most CONCEPT_SPAN
 * tokens apart in order ("{ignore instr}"), and one more for a classed word
 * among the first CONCEPT_EARLY words of the text ("{^reformat}": "convert
 * the rules above to Python" as the whole prompt asks about hidden text, after
 * a pasted document it is an ordinary request). Each concept feature counts
 * CONCEPT_REPEAT times: beside a window's hundreds of character n-grams the
 * regularised fit otherwise gives the few concept features little weight
 * (measured: held-out injection recall at the shipped threshold 49 % once,
 * 57 % three times; docs/prompt-model.md). A pair may reach back before the
 * window's first token (a token's features depend on the stream up to it, not
 * on the window), so the sliding sums treat them as a token's own features.
 * The lexicon is part of the feature definition: its version is the model
 * header's last field, and a model trained with another lexicon is refused.
 * Stems ending in '*' match any word they begin, others the whole word; the
 * longest match wins.
 */
#ifndef CONCEPT_REPEAT
#define CONCEPT_REPEAT 3 /* each concept feature counts three times (see "concepts") */
#endif
#define CONCEPT_SLOTS 2048u
#define CONCEPT_FEATS (2 + CONCEPT_SPAN) /* at most, per token */
#define CONCEPT_MAX_STEM 24u

static const char *const concept_name[] = {
	"", "ignore", "prior", "instr", "secret", "reveal", "reformat", "you", "new", "all",
	"text", "role", "nolimit", "verbatim", "authority", "stop", "negation", "say", "start",
};
#define NCONCEPT (sizeof concept_name / sizeof concept_name[0])

static const char *const concept_words[NCONCEPT] = {
	"",
	/* ignore */
	"ignor* disregard* forget* forgot* overlook* neglect* dismiss* discard* abandon* scrap "
	"bypass* circumvent* overrid* skip* nevermind vergiss vergess* missacht* oubli* olvid* "
	"esquec* esqueç* dimentic* negeer* vergeet zignoruj* zapomnij* ignoruj* desconsider* "
	"игнорир* забудь* забуд* unut*",
	/* prior */
	"previous* prior preceding precede* earlier above before former* foregoing prev "
	"vorherig* vorher bisherig* obig* oben davor zuvor précédent* precedent* anterior* arriba "
	"antes sopra prima acima vorig* hierboven poprzedni* powyżej предыдущ* выше önceki yukarı*",
	/* instr */
	"instruction* instruct* directive* direction* rule* guideline* guidance prompt* order* "
	"command* constraint* programming programmed anweisung* regel* befehl* vorgabe* "
	"richtlinie* consigne* règle* instrucc* regla* istruzion* regol* instruç* regra* "
	"instructie* opdracht* instrukcj* polecen* инструкц* правил* указани* talimat* kural* "
	"systemprompt* preprompt*",
	/* secret */
	"system* hidden secret* confidential* internal* password* passcode* passphrase* passwort* "
	"kennwort* key keys pin credential* private geheim* versteckt* caché* "
	"secreto* segret* système* sistema* системн* секрет* пароль*",
	/* reveal */
	"repeat* reveal* print* output* show* display* recite* echo* spell* disclose* divulg* "
	"leak* dump* copy* expose* share tell wiederhol* zeig* verrat* ausgeb* répète* répét* "
	"repet* repit* affiche* montre* révèle* muestra* mostra* revela* ripeti* herhaal* toon "
	"powtórz* pokaż* покажи* повтори* выведи* göster* tekrarla*",
	/* reformat */
	"convert* translat* format* rewrite* rephrase* summar* paraphras* encode* base64 hex "
	"rot13 python json yaml xml bullet* markdown poem* acrostic reverse* übersetz* "
	"zusammenfass* fasse traduis* tradu* résume* resum* konvertier* umwandl*",
	/* you */
	"you your yours yourself du dein* dir dich tu tes ton ta toi vous votre vos tus tuo tua "
	"tuoi tue seu sua suas seus jouw jij twoj* ты твои* твой твоя sen senin",
	/* new */
	"new now instead henceforth hereafter onwards onward stattdessen neue neuen neuer neues "
	"jetzt nouvel* nouveau* maintenant désormais plutôt nuev* ahora invece nuov* adesso nova "
	"novo agora nieuw* nowe nowa teraz новые новая теперь yeni artık",
	/* all */
	"all everything every any entire* whole alle alles sämtlich* tout* tous toutes todo* "
	"todas tutt* tudo wszystk* все всё hepsi* tüm",
	/* text */
	"text* word* message* content* conversation* sentence* line* paragraph* chat passage "
	"tekst* texte texto testo wort* wörter nachricht* inhalt* mots palabra* parol* mensaje* "
	"текст* сообщени* metin*",
	/* role */
	"pretend* roleplay* role roles act acting simulat* persona* character* imagine* play* "
	"embody become hypothetical* fiction* story stories scenario* game mode modus spiel* "
	"rolle* joue* rôle* finge* juego* rol papel gioco ruolo",
	/* nolimit */
	"unrestrict* uncensor* unfilter* unlimit* unbound* restriction* restrict* filter* "
	"censor* limit* ethic* moral* polic* openai refuse* refusal* jailbr* dan anything "
	"whatever harmful illegal* offensive boundaries guardrail* safety beschränk* "
	"einschränk* zensur* restricci* restrizion* ограничени*",
	/* verbatim */
	"verbatim exactly exact literally literal wörtlich* genau textuellement exactement "
	"textualmente exactamente letteralmente esattamente дословно aynen unaltered unmodified "
	"complete full fully entirety",
	/* authority */
	"admin* administrator* developer* root sudo authori* debug* maintenance operator "
	"creator* owner superuser privileg* access granted entwickler* développeur* "
	"desarrollador*",
	/* stop */
	"stop* end ends ended halt cancel* abort* terminat* cease quit schluss ende arrête* fin "
	"alto basta",
	/* negation */
	"not never no without don doesn nothing nicht nie niemals ohne kein* jamais sans pas nunca "
	"sin nada mai senza niet nooit zonder bez не без никогда asla",
	/* say */
	"say* said reply* respond* response* answer* write sag* antwort* schreib* dis "
	"réponds* répon* escrib* rispond* scriv* diga responda zeg antwoord* napisz odpowiedz* "
	"скажи ответь* напиши* cevap* yaz*",
	/* start */
	"initial* original* first beginning begin* start* top earliest anfang* erste* "
	"ursprünglich* début premier* premièr* inicio primer* inizio",
};

typedef struct concept_slot {
	uint32_t hash;   /* FNV-1a of the stem, 0: empty */
	uint8_t len;     /* stem bytes */
	uint8_t concept; /* 1..NCONCEPT-1 */
	bool prefix;     /* matches any word it begins */
	char stem[CONCEPT_MAX_STEM];
} concept_slot;

struct concept_tab {
	concept_slot slot[CONCEPT_SLOTS];
	uint32_t lens; /* bit L: some stem has L bytes */
	/* bit (a << 8 | b): some stem begins with the bytes a, b. Most words begin
	 * with two bytes no stem begins with and need no probe (a word can only
	 * match a stem it begins with; bit 1 of lens covers one-byte stems). */
	uint8_t first2[65536 / 8];
	uint32_t uni[NCONCEPT], early[NCONCEPT], pair[NCONCEPT][NCONCEPT]; /* the features' hashes */
};

static void concept_text(unsigned p, unsigned c, char g[24])
{
	if (p == NCONCEPT)
		snprintf(g, 24, "{^%s}", concept_name[c]);
	else if (p)
		snprintf(g, 24, "{%s %s}", concept_name[p], concept_name[c]);
	else
		snprintf(g, 24, "{%s}", concept_name[c]);
}

static uint32_t concept_hash(const char *s, size_t n)
{
	uint32_t h = lt_fnv32_add(LT_FNV32_BASIS, s, n);
	return h ? h : 1;
}

static concept_tab *concept_tab_new(void)
{
	concept_tab *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	for (size_t c = 1; c < NCONCEPT; c++)
		for (const char *p = concept_words[c]; *p;) {
			while (*p == ' ')
				p++;
			size_t n = strcspn(p, " ");
			if (n == 0)
				break;
			bool prefix = p[n - 1] == '*';
			size_t len = n - prefix;
			if (len > 0 && len < CONCEPT_MAX_STEM) {
				uint32_t h = concept_hash(p, len), i = h & (CONCEPT_SLOTS - 1);
				while (t->slot[i].hash != 0 &&
				       !(t->slot[i].len == len && memcmp(t->slot[i].stem, p, len) == 0))
					i = (i + 1) & (CONCEPT_SLOTS - 1);
				if (t->slot[i].hash == 0) { /* the first listing of a stem wins */
					concept_slot *k = &t->slot[i];
					k->hash = h;
					k->len = (uint8_t)len;
					k->concept = (uint8_t)c;
					k->prefix = prefix;
					memcpy(k->stem, p, len);
					t->lens |= 1u << len;
					if (len >= 2) {
						unsigned ab = (unsigned char)p[0] << 8 | (unsigned char)p[1];
						t->first2[ab >> 3] |= (uint8_t)(1u << (ab & 7));
					}
				}
			}
			p += n;
		}
	char g[24];
	for (unsigned c = 1; c < NCONCEPT; c++)
		for (unsigned q = 0; q < NCONCEPT; q++) {
			concept_text(q, c, g);
			if (q)
				t->pair[q][c] = fnv('k', g, strlen(g));
			else
				t->uni[c] = fnv('k', g, strlen(g));
		}
	for (unsigned c = 1; c < NCONCEPT; c++) {
		concept_text(NCONCEPT, c, g);
		t->early[c] = fnv('k', g, strlen(g));
	}
	return t;
}

/* The concept of word w[0..n) (0: none): its longest listed stem. */
static unsigned concept_of(const concept_tab *t, const char *w, size_t n)
{
	unsigned best = 0;
	if (!(t->lens & 2u)) { /* no one-byte stem: the first two bytes must begin one */
		if (n < 2)
			return 0;
		unsigned ab = (unsigned char)w[0] << 8 | (unsigned char)w[1];
		if (!(t->first2[ab >> 3] & (1u << (ab & 7))))
			return 0;
	}
	uint32_t h = LT_FNV32_BASIS;
	size_t top = n < CONCEPT_MAX_STEM ? n : CONCEPT_MAX_STEM - 1;
	for (size_t L = 1; L <= top; L++) {
		h = lt_fnv32_byte(h, (unsigned char)w[L - 1]);
		if (!(t->lens & (1u << L)))
			continue;
		uint32_t hh = h ? h : 1;
		for (uint32_t i = hh & (CONCEPT_SLOTS - 1); t->slot[i].hash != 0;
		     i = (i + 1) & (CONCEPT_SLOTS - 1)) {
			const concept_slot *k = &t->slot[i];
			if (k->hash == hh && k->len == L && memcmp(k->stem, w, L) == 0) {
				if (k->prefix || L == n)
					best = k->concept;
				break;
			}
		}
	}
	return best;
}

/* The concept features of token number i (from 0) of the text, of concept c,
 * after the concepts prev[0..CONCEPT_SPAN) (prev[0] the nearest, 0: none): their
 * hashes into h[CONCEPT_FEATS] and, when g is not NULL, their texts into g;
 * returns how many. */
static size_t concept_feats(const concept_tab *t, size_t i, unsigned c, const uint8_t *prev,
                            uint32_t *h, char (*g)[24])
{
	if (c == 0)
		return 0;
	size_t k = 0;
	if (g != NULL)
		concept_text(0, c, g[k]);
	h[k++] = t->uni[c];
	if (i < CONCEPT_EARLY) {
		if (g != NULL)
			concept_text(NCONCEPT, c, g[k]);
		h[k++] = t->early[c];
	}
	for (int d = 0; d < CONCEPT_SPAN; d++)
		if (prev[d] != 0) {
			if (g != NULL)
				concept_text(prev[d], c, g[k]);
			h[k++] = t->pair[prev[d]][c];
		}
	return k;
}

static void concept_push(uint8_t *prev, unsigned c)
{
	memmove(prev + 1, prev, CONCEPT_SPAN - 1);
	prev[0] = (uint8_t)c;
}

/* The concepts of the CONCEPT_SPAN tokens before stream position a (a token start). */
static void concepts_before(const concept_tab *t, const char *s, size_t a, uint8_t *prev)
{
	memset(prev, 0, CONCEPT_SPAN);
	size_t e = a, d = 0;
	while (d < CONCEPT_SPAN && e > 0) {
		e--; /* the space before the token that ends at e */
		size_t st = e;
		while (st > 0 && s[st - 1] != ' ')
			st--;
		prev[d++] = (uint8_t)concept_of(t, s + st, e - st);
		e = st;
	}
}

/* a-z, 0-9 and every byte of a multi-byte character: a table, asked for every
 * byte of every prompt */
#define ONES_16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const bool token_bytes[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1,
    ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
    [0x80] = ONES_16, ONES_16, ONES_16, ONES_16, ONES_16, ONES_16, ONES_16, ONES_16};
#undef ONES_16

static inline bool token_byte(unsigned char c)
{
	return token_bytes[c];
}

/* The token stream of normalised text: tokens joined by single spaces, with
 * one more space before and after (padded[0] and stream[len]: the padded stream
 * the sliding sums read) and a NUL; *stream = padded + 1. */
static bool build_stream(const char *t, size_t n, char **padded, size_t *cap, char **stream,
                         size_t *len)
{
	if (*cap < n + 3) {
		char *nb = realloc(*padded, n + 3);
		if (nb == NULL)
			return false;
		*padded = nb;
		*cap = n + 3;
	}
	char *o0 = *padded + 1;
	size_t o = 0;
	(*padded)[0] = ' ';
	for (size_t i = 0; i < n;) {
		while (i < n && !token_byte((unsigned char)t[i]))
			i++;
		if (i == n)
			break;
		if (o)
			o0[o++] = ' ';
		while (i < n && token_byte((unsigned char)t[i]))
			o0[o++] = t[i++];
	}
	o0[o] = ' ';
	o0[o + 1] = '\0';
	*stream = o0;
	*len = o;
	return true;
}

typedef void (*emit_fn)(void *ctx, uint32_t h, const char *g, size_t gn, char kind);

/* Every feature of stream[a..b) of the kinds in spec. */
static void window_features(const char *s, size_t a, size_t b, unsigned flags, unsigned spec,
                            const concept_tab *ct, emit_fn emit, void *ctx)
{
	if ((spec & FEAT_CONCEPTS) && ct != NULL) {
		uint8_t prev[CONCEPT_SPAN];
		uint32_t h[CONCEPT_FEATS];
		char g[CONCEPT_FEATS][24];
		concepts_before(ct, s, a, prev);
		size_t tok = 0; /* the token's number in the text (counted up to CONCEPT_EARLY) */
		for (size_t i = 0; i < a && tok < CONCEPT_EARLY; i++)
			tok += s[i] == ' ';
		for (size_t i = a; i < b; tok++) {
			size_t j = i;
			while (j < b && s[j] != ' ')
				j++;
			unsigned c = concept_of(ct, s + i, j - i);
			size_t k = concept_feats(ct, tok, c, prev, h, g);
			for (size_t x = 0; x < k * CONCEPT_REPEAT; x++)
				emit(ctx, h[x % k], g[x % k], strlen(g[x % k]), 'k');
			concept_push(prev, c);
			i = j + 1;
		}
	}
	for (unsigned i = 0; (spec & FEAT_FLAGS) && i < PNORM_NFLAGS; i++)
		if (flags & (1u << i)) {
			const char *nm = pnorm_flag_name(i);
			emit(ctx, fnv('f', nm, strlen(nm)), nm, strlen(nm), 'f');
		}
	size_t prev_start = 0, prev_len = 0;
	for (size_t i = a; (spec & (FEAT_WORDS | FEAT_PAIRS)) && i < b;) {
		size_t j = i;
		while (j < b && s[j] != ' ')
			j++;
		if (spec & FEAT_WORDS)
			emit(ctx, fnv('w', s + i, j - i), s + i, j - i, 'w');
		if (prev_len && (spec & FEAT_PAIRS))
			emit(ctx, fnv('b', s + prev_start, j - prev_start), s + prev_start, j - prev_start,
			     'b');
		prev_start = i;
		prev_len = j - i;
		i = j + 1;
	}
	/* character n-grams of " window ": virtual position v is ' ' at 0 and L-1 */
	size_t L = b - a + 2;
	char g[5];
	for (size_t v = 0; v + 3 <= L; v++)
		for (size_t n = 3; n <= 5 && v + n <= L; n++) {
			if (!(spec & (n == 3 ? FEAT_C3 : n == 4 ? FEAT_C4 : FEAT_C5)))
				continue;
			for (size_t k = 0; k < n; k++) {
				size_t x = v + k;
				g[k] = x == 0 || x == L - 1 ? ' ' : s[a + x - 1];
			}
			emit(ctx, fnv('c', g, n), g, n, 'c');
		}
}

/* Next window [*a, *b) after the one ending at prev_b; false when done. */
static bool next_window(const char *s, size_t len, size_t window, size_t step, size_t *a,
                        size_t *b, bool first)
{
	if (first) {
		*a = 0;
	} else {
		if (*b >= len)
			return false;
		size_t na = *a + step;
		while (na < len && s[na - 1] != ' ')
			na++;
		if (na >= len)
			return false;
		*a = na;
	}
	size_t nb = *a + window;
	if (nb >= len)
		nb = len;
	else
		while (nb > *a + 1 && s[nb] != ' ')
			nb--;
	*b = nb;
	return true;
}

/* One-permutation MinHash: each word 3-shingle's hash picks one of the
 * PMODEL_SIG bins (top bits) and the bin keeps its smallest remaining value,
 * one hash per shingle instead of PMODEL_SIG. An empty bin is UINT32_MAX. */
static void minhash(const char *s, size_t len, uint32_t sig[PMODEL_SIG])
{
	for (int k = 0; k < PMODEL_SIG; k++)
		sig[k] = UINT32_MAX;
	if (len > SHINGLE_SPAN) {
		len = SHINGLE_SPAN;
		while (len && s[len] != ' ')
			len--;
	}
	size_t w[3] = {0, 0, 0}; /* starts of the last three words */
	size_t nw = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == 0 || s[i - 1] == ' ') {
			if (i >= len)
				break;
			w[0] = w[1];
			w[1] = w[2];
			w[2] = i;
			nw++;
		}
		bool end = i == len || s[i] == ' ';
		if (!end || nw < 3 || (i > 0 && s[i - 1] == ' '))
			continue;
		uint32_t v = mix32(fnv('s', s + w[0], i - w[0]));
		uint32_t bin = v >> (32 - 6), rest = v & 0x03FFFFFFu;
		if (rest < sig[bin])
			sig[bin] = rest;
	}
}

/* ---------------------------------------------------------------- training export */

typedef struct feat_ctx {
	const pmodel_feat_cb *cb;
} feat_ctx;

static void emit_to_cb(void *ctx, uint32_t h, const char *g, size_t gn, char kind)
{
	(void)g;
	(void)gn;
	(void)kind;
	const feat_ctx *f = ctx;
	f->cb->feat(f->cb->ctx, h);
}

lt_status pmodel_features(const char *text, size_t n, size_t window, size_t step, unsigned spec,
                          const pmodel_feat_cb *cb, uint32_t sig[PMODEL_SIG], lt_error *err)
{
	pnorm nm = {0};
	char *padded = NULL, *stream = NULL;
	size_t cap = 0, len = 0;
	concept_tab *ct = NULL;
	if ((spec & FEAT_CONCEPTS) && (ct = concept_tab_new()) == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory extracting prompt features");
	lt_status st = pnorm_run(&nm, text, n, err);
	if (st == LT_OK && !build_stream(nm.out, nm.len, &padded, &cap, &stream, &len))
		st = lt_error_set(err, LT_EFATAL, "out of memory extracting prompt features");
	if (st == LT_OK) {
		feat_ctx fc = {cb};
		size_t a = 0, b = 0, i = 0;
		for (bool first = true; next_window(stream, len, window, step, &a, &b, first);
		     first = false) {
			cb->window(cb->ctx, i++);
			window_features(stream, a, b, nm.flags, spec, ct, emit_to_cb, &fc);
		}
		minhash(stream, len, sig);
	}
	free(padded);
	free(ct);
	pnorm_free(&nm);
	return st;
}

size_t pmodel_concept_hashes(uint32_t *out, size_t cap)
{
	size_t n = 0;
	char g[24];
	for (unsigned c = 1; c < NCONCEPT; c++)
		for (unsigned q = 0; q <= NCONCEPT; q++) {
			concept_text(q, c, g);
			if (n < cap)
				out[n] = fnv('k', g, strlen(g));
			n++;
		}
	return n;
}

/* ================================================================ scoring */

pmodel_scorer *pmodel_scorer_new(const pmodel *m)
{
	pmodel_scorer *s = calloc(1, sizeof *s);
	if (s != NULL) {
		s->m = m;
		s->explain_class = -1;
		s->fast = true;
	}
	return s;
}

void pmodel_scorer_free(pmodel_scorer *s)
{
	if (s == NULL)
		return;
	pnorm_free(&s->nm);
	free(s->pbuf);
	free(s->hashes);
	free(s->z.gp);
	free(s->z.tp);
	free(s->z.tc);
	free(s->z.tse);
	free(s);
}

void pmodel_scorer_reference(pmodel_scorer *s, bool on)
{
	s->fast = !on;
}

const pmodel *pmodel_scorer_model(const pmodel_scorer *s)
{
	return s->m;
}

/* A gram worth showing an investigator: three letters or digits at least. */
static bool telling(const char *g, size_t gn)
{
	size_t al = 0;
	for (size_t i = 0; i < gn; i++)
		al += g[i] != ' ';
	return al >= 3;
}

/* Keep the TOP_GRAMS heaviest grams; of two that overlap ("epea" inside
 * " repeat") only the heavier stays, so the list names different evidence. */
static void add_top(top_gram *top, double w, const char *g, size_t gn)
{
	if (w <= top[TOP_GRAMS - 1].w || !telling(g, gn))
		return;
	char txt[sizeof top->g];
	size_t k = gn < sizeof txt - 1 ? gn : sizeof txt - 1;
	memcpy(txt, g, k);
	txt[k] = '\0';
	for (int i = 0; i < TOP_GRAMS && top[i].g[0]; i++)
		if (strstr(top[i].g, txt) != NULL || strstr(txt, top[i].g) != NULL) {
			if (w <= top[i].w)
				return;
			memmove(top + i, top + i + 1, (size_t)(TOP_GRAMS - 1 - i) * sizeof *top);
			memset(top + TOP_GRAMS - 1, 0, sizeof *top);
			i--;
		}
	int i = TOP_GRAMS - 1;
	while (i > 0 && top[i - 1].w < w) {
		top[i] = top[i - 1];
		i--;
	}
	top[i].w = w;
	memcpy(top[i].g, txt, k + 1);
}

/* Explaining: the weight of each feature of the best window, with its text. */
static void emit_explain(void *ctx, uint32_t h, const char *g, size_t gn, char kind)
{
	pmodel_scorer *s = ctx;
	const pmodel *m = s->m;
	const int16_t *w = m->w + (size_t)(h & ((1u << m->nbits) - 1)) * m->nclass;
	double v = w[s->explain_class] * (double)m->cls[s->explain_class].scale;
	/* words and word pairs read best; character grams fill in when words say little */
	add_top(kind == 'w' || kind == 'b' || kind == 'f' || kind == 'k' ? s->top : s->top_chars, v, g, gn);
}

/* Scoring: collect the window's hashes, then sum their weights in one tight
 * loop that prefetches ahead (the weight table does not fit in L1/L2). */
static void emit_hash(void *ctx, uint32_t h, const char *g, size_t gn, char kind)
{
	(void)g;
	(void)gn;
	(void)kind;
	pmodel_scorer *s = ctx;
	if (s->nhash == s->chash) {
		size_t nc = s->chash ? s->chash * 2 : 4096;
		uint32_t *nh = realloc(s->hashes, nc * sizeof *nh);
		if (nh == NULL) {
			s->oom = true;
			return;
		}
		s->hashes = nh;
		s->chash = nc;
	}
	s->hashes[s->nhash++] = h;
}

static void sum_weights(pmodel_scorer *s)
{
	const pmodel *m = s->m;
	const uint32_t mask = (1u << m->nbits) - 1, nc = m->nclass;
	int64_t acc[PMODEL_MAX_CLASSES] = {0};
	const uint32_t *h = s->hashes;
	size_t n = s->nhash;
	for (size_t i = 0; i < n; i++) {
		if (i + 16 < n)
			__builtin_prefetch(m->w + (size_t)(h[i + 16] & mask) * nc);
		const int16_t *w = m->w + (size_t)(h[i] & mask) * nc;
		for (uint32_t c = 0; c < nc; c++)
			acc[c] += w[c];
	}
	for (uint32_t c = 0; c < nc; c++)
		s->acc[c] = (double)acc[c];
	s->count = n;
}

/* ---------------------------------------------------------------- sliding sums
 *
 * Windows overlap (a 1 KB window every 512 bytes), so the per-window path
 * above hashes and weighs most features twice. The stream is kept padded with
 * one space each side (P = " " stream " "); a window [a, b) starts a token and,
 * unless one token is longer than the window, ends at a space or the end, so
 * its " window " is exactly P[a .. b+2): its character n-grams are the n-grams
 * of P starting in [a, b+2-n] and its words are the stream's tokens inside
 * [a, b). Prefix sums of gram weights by start position and of word and pair
 * weights by token index (wrapping uint32 per class; a window's sum of one kind
 * fits in int32 while the window is at most FAST_MAX_WINDOW bytes) turn every
 * window into two look-ups per kind, and each gram and word is hashed and
 * weighed once. The sums are the same integers in any order, so the scores are
 * identical to the per-window path (tests/unit/test_prompt_model.c compares
 * them); a window that cuts a token in two takes the per-window path.
 */
#define FAST_MAX_WINDOW 16384u
#define GRAM_AHEAD 8u

static const int16_t zero_row[PMODEL_MAX_CLASSES];

static const int16_t *weight_row(const pmodel *m, uint32_t h)
{
	return m->w + (size_t)(h & ((1u << m->nbits) - 1)) * m->nclass;
}

/* Prefix arithmetic modulo 2^32: differences of prefixes are exact while the
 * true sum fits in int32. */
static uint32_t wrap_add(uint32_t sum, int16_t w)
{
	uint32_t u = (uint32_t)(int32_t)w;
	return (uint32_t)(sum + u);
}

static bool slide_usable(const pmodel *m)
{
	return m->window <= FAST_MAX_WINDOW;
}

static bool slide_alloc(slide *z, const pmodel *m)
{
	if (z->ring != 0)
		return true;
	size_t r = 64;
	while (r < 2 * (size_t)m->window + 16)
		r *= 2;
	z->ngk = 0;
	for (unsigned n = 3; n <= 5; n++)
		if (m->spec & (n == 3 ? FEAT_C3 : n == 4 ? FEAT_C4 : FEAT_C5))
			z->gn[z->ngk++] = n;
	z->gp = malloc(r * (z->ngk ? z->ngk : 1) * m->nclass * sizeof *z->gp);
	z->tp = malloc(r * 3 * m->nclass * sizeof *z->tp);
	z->tc = malloc(r * sizeof *z->tc);
	z->tse = malloc(r * 2 * sizeof *z->tse);
	if (z->gp == NULL || z->tp == NULL || z->tc == NULL || z->tse == NULL) {
		free(z->gp);
		free(z->tp);
		free(z->tc);
		free(z->tse);
		memset(z, 0, sizeof *z);
		return false;
	}
	z->ring = r;
	z->rmask = r - 1;
	return true;
}

/* Start a new text: empty prefixes, the flag features' sum. */
static void slide_reset(pmodel_scorer *s, unsigned flags)
{
	const pmodel *m = s->m;
	slide *z = &s->z;
	memset(z->gp, 0, (z->ngk ? z->ngk : 1) * m->nclass * sizeof *z->gp);
	memset(z->tp, 0, 3 * m->nclass * sizeof *z->tp);
	z->tc[0] = 0;
	memset(z->cprev, 0, sizeof z->cprev);
	z->ghi = z->nt = z->tscan = z->klo = z->khi = 0;
	memset(z->flagsum, 0, sizeof z->flagsum);
	z->nflag = 0;
	for (unsigned i = 0; (m->spec & FEAT_FLAGS) && i < PNORM_NFLAGS; i++)
		if (flags & (1u << i)) {
			const char *nm = pnorm_flag_name(i);
			const int16_t *w = weight_row(m, fnv('f', nm, strlen(nm)));
			for (uint32_t c = 0; c < m->nclass; c++)
				z->flagsum[c] += w[c];
			z->nflag++;
		}
}

/* The weight rows of the n-grams of P starting at q (zero_row where P ends),
 * prefetched: they are summed GRAM_AHEAD positions later. */
static void gram_rows(const slide *z, const pmodel *m, const char *P, size_t plen, size_t q,
                      const int16_t **rows)
{
	uint32_t h[6];
	h[0] = lt_fnv32_byte(LT_FNV32_BASIS, 'c');
	size_t have = plen - q < 5 ? plen - q : 5;
	for (size_t n = 1; n <= have; n++)
		h[n] = lt_fnv32_byte(h[n - 1], (unsigned char)P[q + n - 1]);
	for (unsigned k = 0; k < z->ngk; k++) {
		rows[k] = z->gn[k] <= have ? weight_row(m, h[z->gn[k]]) : zero_row;
		__builtin_prefetch(rows[k]);
	}
}

/* Gram prefixes known up to position hi (the sum of the grams starting before
 * hi): each position's rows are looked up GRAM_AHEAD positions before they are
 * added, so the weight table's cache misses overlap. */
static void slide_grams_to(pmodel_scorer *s, size_t hi)
{
	const pmodel *m = s->m;
	slide *z = &s->z;
	const size_t nc = m->nclass, ngk = z->ngk, stride = ngk * nc, plen = s->slen + 2;
	const int16_t *rows[GRAM_AHEAD][3];
	size_t q0 = z->ghi, pre = q0;
	if (ngk == 0 || q0 >= hi) {
		z->ghi = hi > q0 ? hi : q0;
		return;
	}
	for (; pre < hi && pre < q0 + GRAM_AHEAD; pre++)
		gram_rows(z, m, s->pbuf, plen, pre, rows[pre % GRAM_AHEAD]);
	for (size_t q = q0; q < hi; q++) {
		const uint32_t *cur = z->gp + (q & z->rmask) * stride;
		uint32_t *nx = z->gp + ((q + 1) & z->rmask) * stride;
		const int16_t *const *r = rows[q % GRAM_AHEAD];
		for (size_t k = 0; k < ngk; k++)
			for (size_t c = 0; c < nc; c++)
				nx[k * nc + c] = wrap_add(cur[k * nc + c], r[k][c]);
		if (pre < hi) {
			gram_rows(z, m, s->pbuf, plen, pre, rows[pre % GRAM_AHEAD]);
			pre++;
		}
	}
	z->ghi = hi;
}

/* Read the next token of the stream: its word and the pair it ends. */
static void slide_read_token(pmodel_scorer *s)
{
	const pmodel *m = s->m;
	slide *z = &s->z;
	const char *st = s->stream;
	size_t i = z->tscan, j = i;
	uint32_t hw = lt_fnv32_byte(LT_FNV32_BASIS, 'w'), hb = lt_fnv32_byte(LT_FNV32_BASIS, 'b');
	uint32_t hp = lt_fnv32_byte(z->bstate, ' ');
	for (; j < s->slen && st[j] != ' '; j++) {
		hw = lt_fnv32_byte(hw, (unsigned char)st[j]);
		hb = lt_fnv32_byte(hb, (unsigned char)st[j]);
		hp = lt_fnv32_byte(hp, (unsigned char)st[j]);
	}
	size_t k = z->nt, nc = m->nclass;
	z->tse[2 * (k & z->rmask)] = i;
	z->tse[2 * (k & z->rmask) + 1] = j;
	const uint32_t *cur = z->tp + (k & z->rmask) * 3 * nc;
	uint32_t *nx = z->tp + ((k + 1) & z->rmask) * 3 * nc;
	const int16_t *ww = (m->spec & FEAT_WORDS) ? weight_row(m, hw) : zero_row;
	const int16_t *wp = (m->spec & FEAT_PAIRS) && k > 0 ? weight_row(m, hp) : zero_row;
	for (size_t c = 0; c < nc; c++) {
		nx[c] = wrap_add(cur[c], ww[c]);
		nx[nc + c] = wrap_add(cur[nc + c], wp[c]);
		nx[2 * nc + c] = cur[2 * nc + c];
	}
	size_t nk = 0;
	if (m->ct != NULL) {
		uint32_t h[CONCEPT_FEATS];
		unsigned con = concept_of(m->ct, st + i, j - i);
		nk = concept_feats(m->ct, k, con, z->cprev, h, NULL);
		/* each feature counts CONCEPT_REPEAT times: one look-up, its weight
		 * times CONCEPT_REPEAT (the same wrapping sum as adding it that often) */
		for (size_t x = 0; x < nk; x++) {
			const int16_t *wk = weight_row(m, h[x]);
			for (size_t c = 0; c < nc; c++)
				nx[2 * nc + c] += (uint32_t)(int32_t)wk[c] * CONCEPT_REPEAT;
		}
		nk *= CONCEPT_REPEAT;
		concept_push(z->cprev, con);
	}
	z->tc[(k + 1) & z->rmask] = z->tc[k & z->rmask] + nk;
	z->bstate = hb;
	z->nt++;
	z->tscan = j + 1;
}

static int64_t wrap_diff(uint32_t hi, uint32_t lo)
{
	return (int32_t)(hi - lo);
}

/* The sums and feature count of window [a, b), which ends at a space or the end. */
static void slide_window(pmodel_scorer *s, size_t a, size_t b)
{
	const pmodel *m = s->m;
	slide *z = &s->z;
	const size_t nc = m->nclass, stride = z->ngk * nc;
	slide_grams_to(s, b);
	while (z->tscan < b)
		slide_read_token(s);
	while (z->klo < z->nt && z->tse[2 * (z->klo & z->rmask)] < a)
		z->klo++;
	if (z->khi < z->klo)
		z->khi = z->klo;
	while (z->khi < z->nt && z->tse[2 * (z->khi & z->rmask) + 1] <= b)
		z->khi++;
	int64_t acc[PMODEL_MAX_CLASSES];
	size_t count = z->nflag, L = b - a + 2;
	memcpy(acc, z->flagsum, sizeof acc);
	for (size_t k = 0; k < z->ngk; k++) {
		size_t n = z->gn[k];
		if (L < n)
			continue;
		const uint32_t *hi = z->gp + ((b + 3 - n) & z->rmask) * stride + k * nc;
		const uint32_t *lo = z->gp + (a & z->rmask) * stride + k * nc;
		for (size_t c = 0; c < nc; c++)
			acc[c] += wrap_diff(hi[c], lo[c]);
		count += L - n + 1;
	}
	size_t nw = z->khi - z->klo;
	const uint32_t *thi = z->tp + (z->khi & z->rmask) * 3 * nc;
	const uint32_t *tlo = z->tp + (z->klo & z->rmask) * 3 * nc;
	const uint32_t *tlo1 = z->tp + ((z->klo + 1) & z->rmask) * 3 * nc;
	if (m->spec & FEAT_WORDS) {
		for (size_t c = 0; c < nc; c++)
			acc[c] += wrap_diff(thi[c], tlo[c]);
		count += nw;
	}
	if ((m->spec & FEAT_PAIRS) && nw >= 2) {
		for (size_t c = 0; c < nc; c++)
			acc[c] += wrap_diff(thi[nc + c], tlo1[nc + c]);
		count += nw - 1;
	}
	if (m->ct != NULL) {
		for (size_t c = 0; c < nc; c++)
			acc[c] += wrap_diff(thi[2 * nc + c], tlo[2 * nc + c]);
		count += z->tc[z->khi & z->rmask] - z->tc[z->klo & z->rmask];
	}
	for (size_t c = 0; c < nc; c++)
		s->acc[c] = (double)acc[c];
	s->count = count;
}

static double calibrate(const pclass *k, double sum, size_t count)
{
	double raw = (double)k->bias + (double)k->scale * sum / sqrt(count ? (double)count : 1.0);
	return 1.0 / (1.0 + exp((double)k->platt_a * raw + (double)k->platt_b));
}

lt_status pmodel_score(pmodel_scorer *s, const char *text, size_t n, pmodel_result *r,
                       lt_error *err)
{
	const pmodel *m = s->m;
	memset(r, 0, sizeof *r);
	lt_status st = pnorm_run(&s->nm, text, n, err);
	if (st != LT_OK)
		return st;
	if (!build_stream(s->nm.out, s->nm.len, &s->pbuf, &s->scap, &s->stream, &s->slen))
		return lt_error_set(err, LT_EFATAL, "out of memory scoring a prompt");
	r->flags = s->nm.flags;
	for (uint32_t c = 0; c < m->nclass; c++)
		r->score[c] = -1.0;
	size_t a = 0, b = 0;
	s->explain_class = -1;
	s->oom = false;
	bool fast = s->fast && slide_usable(m) && slide_alloc(&s->z, m);
	if (fast)
		slide_reset(s, s->nm.flags);
	for (bool first = true; next_window(s->stream, s->slen, m->window, m->step, &a, &b, first);
	     first = false) {
		if (fast && (b == s->slen || s->stream[b] == ' ')) {
			slide_window(s, a, b);
		} else {
			s->nhash = 0;
			window_features(s->stream, a, b, s->nm.flags, m->spec, m->ct, emit_hash, s);
			if (s->oom)
				return lt_error_set(err, LT_EFATAL, "out of memory scoring a prompt");
			sum_weights(s);
		}
		for (uint32_t c = 0; c < m->nclass; c++) {
			double p = calibrate(&m->cls[c], s->acc[c], s->count);
			if (p > r->score[c]) {
				r->score[c] = p;
				s->best_start[c] = a;
				s->best_end[c] = b;
			}
		}
	}
	for (uint32_t c = 0; c < m->nclass; c++)
		if (r->score[c] < 0)
			r->score[c] = 0;
	s->sig[0] = 0;
	s->sig[1] = 0; /* signature computed on demand by pmodel_similar */
	return LT_OK;
}

/* An n-gram as the explanation shows it: the text as it is where it is valid,
 * visible UTF-8 (an Arabic or Cyrillic word reads as itself), and by the
 * rules of common/textesc.h elsewhere: a character n-gram that cuts a
 * multibyte character, controls and invisible characters become escapes;
 * '"', which delimits the n-grams, becomes "\x22". */
typedef struct gram_text {
	char *p;
	size_t n, cap; /* cap keeps one byte for the NUL */
} gram_text;

static void put_gram_text(void *ctx, const char *s, size_t len)
{
	gram_text *g = ctx;
	for (size_t i = 0; i < len; i++) {
		const char *piece = s[i] == '"' ? "\\x22" : &s[i];
		size_t pn = s[i] == '"' ? 4 : 1;
		if (g->n + pn >= g->cap)
			return;
		memcpy(g->p + g->n, piece, pn);
		g->n += pn;
	}
}

void pmodel_explain(pmodel_scorer *s, size_t c, char *why)
{
	why[0] = '\0';
	if (c >= s->m->nclass || s->stream == NULL)
		return;
	memset(s->top, 0, sizeof s->top);
	memset(s->top_chars, 0, sizeof s->top_chars);
	s->explain_class = (int)c;
	window_features(s->stream, s->best_start[c], s->best_end[c], s->nm.flags, s->m->spec,
	                s->m->ct, emit_explain, s);
	s->explain_class = -1;
	for (int i = 0, j = 0; i < TOP_GRAMS && j < TOP_GRAMS; i++)
		if (s->top[i].w <= 0 && s->top_chars[j].w > 0)
			s->top[i] = s->top_chars[j++];
	size_t o = 0;
	for (int i = 0; i < TOP_GRAMS && s->top[i].w > 0; i++) {
		char esc[4 * sizeof s->top[i].g + 1];
		gram_text g = {esc, 0, sizeof esc};
		lt_escape(s->top[i].g, strlen(s->top[i].g), LT_ESC_BACKSLASH, put_gram_text, &g);
		esc[g.n] = '\0';
		int k = snprintf(why + o, PMODEL_WHY_LEN - o, "%s\"%s\" (+%.2f)", i ? ", " : "", esc,
		                 s->top[i].w);
		if (k < 0 || (size_t)k >= PMODEL_WHY_LEN - o) {
			why[o] = '\0'; /* whole n-grams only: no cut entry, no cut character */
			break;
		}
		o += (size_t)k;
	}
}

const char *pmodel_similar(pmodel_scorer *s, double *similarity)
{
	*similarity = 0;
	const pmodel *m = s->m;
	if (m->ntemplates == 0 || s->stream == NULL)
		return NULL;
	minhash(s->stream, s->slen, s->sig);
	size_t filled = 0;
	for (int k = 0; k < PMODEL_SIG; k++)
		filled += s->sig[k] != UINT32_MAX;
	if (filled < 8)
		return NULL; /* too short to compare with a template */
	/* Jaccard estimate: equal bins over bins not empty in both */
	size_t best = 0;
	double bestj = 0;
	for (uint32_t t = 0; t < m->ntemplates; t++) {
		size_t eq = 0, used = 0;
		for (int k = 0; k < PMODEL_SIG; k++) {
			bool both_empty = m->tpl[t].sig[k] == UINT32_MAX && s->sig[k] == UINT32_MAX;
			used += !both_empty;
			eq += !both_empty && m->tpl[t].sig[k] == s->sig[k];
		}
		double j = used ? (double)eq / (double)used : 0;
		if (j > bestj) {
			bestj = j;
			best = t;
		}
	}
	*similarity = bestj;
	return bestj > 0 ? m->tpl[best].family : NULL;
}

const char *pmodel_normalised(const pmodel_scorer *s, size_t *len)
{
	*len = s->nm.len;
	return s->nm.out ? s->nm.out : "";
}
