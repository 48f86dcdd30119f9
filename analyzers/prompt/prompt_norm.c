/*
 * prompt_norm.c — prompt normalisation (see prompt_norm.h).
 *
 * Three stages, each a linear pass:
 *  0. decode: base64 and hex runs that decode to printable text, and the whole
 *     text read in rot13 when that reads as English far better, are appended
 *     (after a newline) to the input, so what they hide is normalised and scored too;
 *  1. fold: UTF-8 code points are mapped one by one (compatibility forms to
 *     ASCII, upper to lower case, invisible characters dropped, tag characters
 *     decoded to a trailer, markdown decoration to spaces); look-alike
 *     Cyrillic/Greek letters are folded only inside a word that also has Latin
 *     letters, so Russian or Greek text stays what it is;
 *  2. words: leetspeak inside words with letters, and spaced-out letter runs
 *     ("i g n o r e", "i.g.n.o.r.e") joined.
 * Invalid UTF-8 bytes pass through unchanged. Every buffer is bounded by a
 * multiple of min(input, PNORM_MAX_IN).
 */
#include "analyzers/prompt/prompt_norm.h"

#include "common/b64.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const flag_names[PNORM_NFLAGS] = {
	"zero_width", "tags", "compat", "homoglyph", "leet", "spaced",
	"base64", "hex", "rot13", "markup", "truncated"};

const char *pnorm_flag_name(unsigned i)
{
	return i < PNORM_NFLAGS ? flag_names[i] : "";
}

/* ================================================================ growable bytes */

typedef struct sbuf {
	char *p;
	size_t n, cap;
} sbuf;

static bool sb_reserve(sbuf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return true;
	size_t nc = b->cap ? b->cap : 256;
	while (nc < b->n + more + 1)
		nc *= 2;
	char *np = realloc(b->p, nc);
	if (np == NULL)
		return false;
	b->p = np;
	b->cap = nc;
	return true;
}

static inline bool sb_put(sbuf *b, const void *s, size_t n)
{
	if (b->n + n + 1 > b->cap && !sb_reserve(b, n))
		return false;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return true;
}

static inline bool sb_putc(sbuf *b, char c)
{
	if (b->n + 2 <= b->cap) { /* the common case: room, no call */
		b->p[b->n++] = c;
		b->p[b->n] = '\0';
		return true;
	}
	return sb_put(b, &c, 1);
}

static bool sb_put_cp(sbuf *b, uint32_t cp)
{
	char u[4];
	size_t k;
	if (cp < 0x80) {
		return sb_putc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		k = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		k = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		k = 4;
	}
	return sb_put(b, u, k);
}

/* Decode one UTF-8 code point at s[*i..n); an invalid byte comes back as
 * 0x80000000 | byte so it can be passed through unchanged. */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	unsigned char c = s[*i];
	if (c < 0x80) {
		(*i)++;
		return c;
	}
	size_t k = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
	if (k == 0 || *i + k > n) {
		(*i)++;
		return 0x80000000u | c;
	}
	uint32_t cp = c & (k == 2 ? 0x1F : k == 3 ? 0x0F : 0x07);
	for (size_t j = 1; j < k; j++) {
		if ((s[*i + j] & 0xC0) != 0x80) {
			(*i)++;
			return 0x80000000u | c;
		}
		cp = (cp << 6) | (s[*i + j] & 0x3F);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF)) {
		(*i)++;
		return 0x80000000u | c;
	}
	*i += k;
	return cp;
}

/* ================================================================ stage 0: decode */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Mostly printable text (UTF-8 lead/continuation bytes count as printable). */
static bool printable(const unsigned char *p, size_t n)
{
	size_t good = 0;
	for (size_t i = 0; i < n; i++)
		if ((p[i] >= 0x20 && p[i] < 0x7F) || p[i] == '\n' || p[i] == '\t' || p[i] == '\r' ||
		    p[i] >= 0x80)
			good++;
	return n >= 6 && good * 100 >= n * 95;
}

static bool has_letters_and_space(const unsigned char *p, size_t n)
{
	size_t sp = 0, al = 0;
	for (size_t i = 0; i < n; i++) {
		sp += p[i] == ' ';
		al += (p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z';
	}
	return sp >= 1 && al * 2 >= n;
}

static bool decode_b64(const unsigned char *s, size_t n, sbuf *out)
{
	size_t start = out->n;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		acc = (acc << 6) | (uint32_t)lt_b64_value(s[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (!sb_putc(out, (char)((acc >> bits) & 0xFF)))
				return false;
		}
	}
	if (!printable((unsigned char *)out->p + start, out->n - start) ||
	    !has_letters_and_space((unsigned char *)out->p + start, out->n - start)) {
		out->n = start;
		return false;
	}
	return sb_putc(out, '\n');
}

static bool decode_hex(const unsigned char *s, size_t n, sbuf *out)
{
	size_t start = out->n;
	for (size_t i = 0; i + 1 < n; i += 2)
		if (!sb_putc(out, (char)(hexval(s[i]) << 4 | hexval(s[i + 1]))))
			return false;
	if (!printable((unsigned char *)out->p + start, out->n - start) ||
	    !has_letters_and_space((unsigned char *)out->p + start, out->n - start)) {
		out->n = start;
		return false;
	}
	return sb_putc(out, '\n');
}

static char rot13(char c)
{
	if (c >= 'a' && c <= 'z')
		return (char)('a' + (c - 'a' + 13) % 26);
	if (c >= 'A' && c <= 'Z')
		return (char)('A' + (c - 'A' + 13) % 26);
	return c;
}

/* Common English words, and what they look like in rot13. */
static const char *const common_words[] = {
	"the", "and", "you", "your", "to", "of", "is", "are", "all", "what", "me", "now",
	"ignore", "previous", "instructions", "prompt", "system", "tell", "say", "print",
	"this", "that", "with", "for", "not", "how", "make", "password", "secret", "rules"};

static size_t count_common(const char *s, size_t n, bool rot, size_t *words)
{
	size_t hits = 0, i = 0;
	*words = 0;
	char w[16];
	while (i < n) {
		while (i < n && !((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z'))
			i++;
		size_t k = 0;
		while (i < n && (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') {
			if (k < sizeof w - 1)
				w[k++] = (char)(rot ? rot13(s[i]) | 0x20 : s[i] | 0x20);
			i++;
		}
		w[k] = '\0';
		*words += k > 0;
		for (size_t j = 0; k && j < sizeof common_words / sizeof *common_words; j++)
			if (common_words[j][0] == w[0] && strcmp(w, common_words[j]) == 0) {
				hits++;
				break;
			}
	}
	return hits;
}

/* Markdown decoration: folded to a space (PNORM_MARKUP). */
static bool is_markup(uint32_t cp)
{
	return cp == '*' || cp == '_' || cp == '`' || cp == '#' || cp == '~' || cp == '>' ||
	       cp == '|';
}

/* What the passes ask of a byte, one table look-up for all (they see every
 * byte of every prompt): may be in a base64 run (the alphabets of
 * lt_b64_value and '='), is one of e t a o, is one of r g n b (either case),
 * is an ASCII letter or digit, is markup. Filled once (pnorm_run). */
enum { BYTE_B64 = 1, BYTE_ETAO = 2, BYTE_RGNB = 4, BYTE_WORD = 8, BYTE_MARKUP = 16 };

static unsigned char byte_class[256];

static void byte_class_init(void)
{
	for (unsigned c = 0; c < 256; c++) {
		unsigned char k = 0, l = (unsigned char)(c | 0x20);
		if (lt_b64_value((unsigned char)c) >= 0 || c == '=')
			k |= BYTE_B64;
		if (l == 'e' || l == 't' || l == 'a' || l == 'o')
			k |= BYTE_ETAO;
		if (l == 'r' || l == 'g' || l == 'n' || l == 'b')
			k |= BYTE_RGNB;
		if ((l >= 'a' && l <= 'z') || (c >= '0' && c <= '9'))
			k |= BYTE_WORD;
		if (is_markup(c))
			k |= BYTE_MARKUP;
		byte_class[c] = k;
	}
}

static pthread_once_t byte_class_once = PTHREAD_ONCE_INIT;

/* Append decoded segments of s to out; returns false when out of memory. */
static bool decode_segments(const unsigned char *s, size_t n, sbuf *out, unsigned *flags)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && (byte_class[s[j]] & BYTE_B64))
			j++;
		size_t run = j - i;
		if (run >= 16) {
			bool hex = true;
			for (size_t k = i; k < j && hex; k++)
				hex = hexval(s[k]) >= 0;
			if (hex && run % 2 == 0) {
				if (decode_hex(s + i, run, out))
					*flags |= PNORM_HEX;
			} else if (decode_b64(s + i, run, out)) {
				*flags |= PNORM_BASE64;
			}
			if (out->p == NULL)
				return false;
		}
		i = j > i ? j : i + 1;
	}
	/* English is rich in e t a o; its rot13 in r g n b: only then look closer */
	size_t etao = 0, rgnb = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned char c = byte_class[s[k]];
		etao += (c & BYTE_ETAO) != 0;
		rgnb += (c & BYTE_RGNB) != 0;
	}
	size_t words = 0, plain = 0, rot = 0;
	if (rgnb > etao && rgnb >= 6) {
		plain = count_common((const char *)s, n, false, &words);
		rot = plain * 8 < words ? count_common((const char *)s, n, true, &words) : 0;
	}
	if (rot >= 3 && rot > 3 * plain) {
		if (!sb_reserve(out, n + 1))
			return false;
		for (size_t k = 0; k < n; k++)
			out->p[out->n++] = rot13((char)s[k]);
		out->p[out->n++] = '\n';
		out->p[out->n] = '\0';
		*flags |= PNORM_ROT13;
	}
	return true;
}

/* ================================================================ stage 1: fold */

static bool invisible(uint32_t cp)
{
	return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF || cp == 0x00AD || cp == 0x180E ||
	       cp == 0x034F || (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF) ||
	       cp == 0xE0001 || cp == 0xE007F;
}

/* Letterlike symbols standing in for the holes of the math alphanumeric block. */
static uint32_t letterlike(uint32_t cp)
{
	static const struct {
		uint16_t cp;
		char c;
	} map[] = {{0x210E, 'h'}, {0x212C, 'B'}, {0x2130, 'E'}, {0x2131, 'F'}, {0x210B, 'H'},
	           {0x2110, 'I'}, {0x2112, 'L'}, {0x2133, 'M'}, {0x211B, 'R'}, {0x212F, 'e'},
	           {0x210A, 'g'}, {0x2134, 'o'}, {0x2102, 'C'}, {0x210D, 'H'}, {0x2115, 'N'},
	           {0x2119, 'P'}, {0x211A, 'Q'}, {0x211D, 'R'}, {0x2124, 'Z'}, {0x212D, 'C'},
	           {0x210C, 'H'}, {0x2111, 'I'}, {0x211C, 'R'}, {0x2128, 'Z'}};
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (map[i].cp == cp)
			return (uint32_t)map[i].c;
	return 0;
}

/* Compatibility forms that are letters or digits in disguise; 0 if cp is none. */
static uint32_t compat(uint32_t cp)
{
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		return cp - 0xFEE0;
	if (cp == 0x3000)
		return ' ';
	if (cp >= 0x1D400 && cp <= 0x1D6A3) {
		uint32_t k = (cp - 0x1D400) % 52;
		return k < 26 ? 'A' + k : 'a' + k - 26;
	}
	if (cp >= 0x1D7CE && cp <= 0x1D7FF)
		return '0' + (cp - 0x1D7CE) % 10;
	if (cp >= 0x24B6 && cp <= 0x24CF)
		return 'A' + cp - 0x24B6;
	if (cp >= 0x24D0 && cp <= 0x24E9)
		return 'a' + cp - 0x24D0;
	if (cp >= 0x249C && cp <= 0x24B5)
		return 'a' + cp - 0x249C;
	if (cp >= 0x1F130 && cp <= 0x1F149)
		return 'A' + cp - 0x1F130;
	if (cp >= 0x1F150 && cp <= 0x1F169)
		return 'A' + cp - 0x1F150;
	if (cp >= 0x1F170 && cp <= 0x1F189)
		return 'A' + cp - 0x1F170;
	if (cp >= 0x1F1E6 && cp <= 0x1F1FF)
		return 'a' + cp - 0x1F1E6;
	if (cp >= 0x2460 && cp <= 0x2468)
		return '1' + cp - 0x2460;
	return letterlike(cp);
}

/* Cyrillic and Greek letters that look like Latin ones (lower case after folding). */
static uint32_t lookalike(uint32_t cp)
{
	static const struct {
		uint16_t cp;
		char c;
	} map[] = {
		{0x0430, 'a'}, {0x0435, 'e'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'},
		{0x0443, 'y'}, {0x0445, 'x'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x0455, 's'},
		{0x0501, 'd'}, {0x04BB, 'h'}, {0x0432, 'b'}, {0x043A, 'k'}, {0x043C, 'm'},
		{0x043D, 'h'}, {0x0442, 't'}, {0x051B, 'q'}, {0x051D, 'w'}, {0x0261, 'g'},
		{0x03B1, 'a'}, {0x03BF, 'o'}, {0x03B5, 'e'}, {0x03B9, 'i'}, {0x03BA, 'k'},
		{0x03BD, 'v'}, {0x03C1, 'p'}, {0x03C4, 't'}, {0x03C5, 'u'}, {0x03C7, 'x'},
		{0x03B2, 'b'}, {0x03B7, 'n'}, {0x03B6, 'z'}, {0x03BC, 'u'}, {0x0251, 'a'},
		{0x026A, 'i'}, {0x1D00, 'a'}, {0x0299, 'b'}, {0x1D04, 'c'}, {0x1D05, 'd'},
		{0x1D07, 'e'}, {0x0262, 'g'}, {0x029C, 'h'}, {0x1D0A, 'j'}, {0x1D0B, 'k'},
		{0x029F, 'l'}, {0x1D0D, 'm'}, {0x0274, 'n'}, {0x1D0F, 'o'}, {0x1D18, 'p'},
		{0x0280, 'r'}, {0xA731, 's'}, {0x1D1B, 't'}, {0x1D1C, 'u'}, {0x1D20, 'v'},
		{0x1D21, 'w'}, {0x028F, 'y'}, {0x1D22, 'z'}};
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (map[i].cp == cp)
			return (uint32_t)map[i].c;
	return 0;
}

static uint32_t to_lower(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) ||
	    (cp >= 0x410 && cp <= 0x42F))
		return cp + 32;
	if (cp >= 0x400 && cp <= 0x40F)
		return cp + 80;
	return cp;
}

typedef struct wordbuf {
	uint32_t cp[64], alt[64];
	size_t n;
	bool latin, look;
} wordbuf;

static bool word_flush(wordbuf *w, sbuf *out, unsigned *flags)
{
	bool fold = w->latin && w->look;
	if (fold)
		*flags |= PNORM_HOMOGLYPH;
	for (size_t i = 0; i < w->n; i++)
		if (!sb_put_cp(out, fold && w->alt[i] ? w->alt[i] : w->cp[i]))
			return false;
	w->n = 0;
	w->latin = w->look = false;
	return true;
}

/* The fold of an ASCII byte: lower case, markup decoration a space. */
static char fold_ascii(unsigned char c, unsigned *flags)
{
	if (byte_class[c] & BYTE_MARKUP) {
		*flags |= PNORM_MARKUP;
		return ' ';
	}
	return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/* The common case of fold_text, with no word pending: a run of ASCII up to and
 * including its last non-word byte is folded byte by byte (an ASCII word ended
 * by ASCII comes out as it went in, whatever the word buffer would do); the
 * rest of the run, a word that non-ASCII letters may continue, is left to the
 * code-point path. Returns where that path resumes. */
static size_t fold_ascii_run(const unsigned char *s, size_t n, size_t i, sbuf *out, unsigned *flags)
{
	size_t j = i, last = i;
	while (j < n && s[j] < 0x80) {
		if (!(byte_class[s[j]] & BYTE_WORD))
			last = j + 1;
		j++;
	}
	if (j == n)
		last = n;
	if (last == i || !sb_reserve(out, last - i))
		return i;
	char *o = out->p + out->n;
	for (size_t k = i; k < last; k++)
		*o++ = fold_ascii(s[k], flags);
	out->n += last - i;
	out->p[out->n] = '\0';
	return last;
}

static bool fold_text(const unsigned char *s, size_t n, sbuf *out, sbuf *tags, unsigned *flags)
{
	wordbuf w = {{0}, {0}, 0, false, false};
	size_t i = 0;
	while (i < n) {
		if (w.n == 0 && s[i] < 0x80) {
			size_t k = fold_ascii_run(s, n, i, out, flags);
			if (k > i) {
				i = k;
				continue;
			}
		}
		uint32_t cp = utf8_next(s, n, &i);
		if (cp & 0x80000000u) { /* invalid byte: pass through */
			if (!word_flush(&w, out, flags) || !sb_putc(out, (char)(cp & 0xFF)))
				return false;
			continue;
		}
		if (cp >= 0xE0020 && cp <= 0xE007E) {
			*flags |= PNORM_TAGS;
			if (!sb_putc(tags, (char)(cp - 0xE0000)))
				return false;
			continue;
		}
		if (cp >= 0x80 && invisible(cp)) {
			*flags |= PNORM_ZERO_WIDTH;
			continue;
		}
		uint32_t c = cp >= 0x80 ? compat(cp) : 0;
		if (c) {
			*flags |= PNORM_COMPAT;
			cp = c;
		}
		if (is_markup(cp)) {
			*flags |= PNORM_MARKUP;
			cp = ' ';
		}
		cp = to_lower(cp);
		bool wordch = (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp >= 0x80;
		if (!wordch || w.n == sizeof w.cp / sizeof *w.cp) {
			if (!word_flush(&w, out, flags))
				return false;
			if (!wordch) {
				if (!sb_put_cp(out, cp))
					return false;
				continue;
			}
		}
		uint32_t alt = cp >= 0x80 ? lookalike(cp) : 0;
		w.look |= alt != 0;
		w.latin |= cp >= 'a' && cp <= 'z';
		w.cp[w.n] = cp;
		w.alt[w.n++] = alt;
	}
	return word_flush(&w, out, flags);
}

/* ================================================================ stage 2: words */

/* The letter a leetspeak stand-in means, 0 for any other byte (a table: it is
 * asked for every byte of every token). */
static const char leet_of[256] = {['0'] = 'o', ['1'] = 'i', ['!'] = 'i', ['|'] = 'i', ['3'] = 'e',
                                  ['4'] = 'a', ['@'] = 'a', ['5'] = 's', ['$'] = 's', ['7'] = 't',
                                  ['8'] = 'b'};

static inline char leet(char c)
{
	return leet_of[(unsigned char)c];
}

static bool is_alpha(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A token is read as leetspeak when it has at least two letters, at least one
 * stand-in, and does not start or end with a number of two digits or more (so
 * "win10", "2024", "19th" stay, "pr3v10us" folds). */
static bool leet_token(const char *t, size_t n)
{
	size_t letters = 0, subs = 0;
	if (n >= 2 && ((is_digit(t[0]) && is_digit(t[1])) || (is_digit(t[n - 1]) && is_digit(t[n - 2]))))
		return false;
	for (size_t i = 0; i < n; i++) {
		letters += is_alpha(t[i]);
		subs += leet(t[i]) != 0;
	}
	if (n && leet(t[n - 1]) && (t[n - 1] == '!' || t[n - 1] == '|'))
		subs--; /* trailing "!" is punctuation */
	return letters >= 2 && subs >= 1 && subs <= letters + 1;
}

/* "i.g.n.o.r.e" / "i-g-n-o-r-e": single letters joined by one separator. */
static bool dotted_token(const char *t, size_t n)
{
	if (n < 7 || n % 2 == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (i % 2 == 0 ? !is_alpha(t[i]) : !(t[i] == '.' || t[i] == '-' || t[i] == '*' ||
		                                      t[i] == ' ' || t[i] == '_'))
			return false;
	return true;
}

static bool emit_token(const char *t, size_t n, sbuf *out, unsigned *flags)
{
	if (dotted_token(t, n)) {
		*flags |= PNORM_SPACED;
		for (size_t i = 0; i < n; i += 2)
			if (!sb_putc(out, t[i]))
				return false;
		return true;
	}
	if (leet_token(t, n)) {
		*flags |= PNORM_LEET;
		for (size_t i = 0; i < n; i++)
			if (!sb_putc(out, leet(t[i]) && !(i == n - 1 && t[i] == '!') ? leet(t[i]) : t[i]))
				return false;
		return true;
	}
	return sb_put(out, t, n);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Length of a run of >= 3 single letters each separated by exactly one space. */
static size_t spaced_run(const char *s, size_t n, size_t i)
{
	size_t j = i, end = i, letters = 0;
	while (j < n && is_alpha(s[j]) && (j + 1 == n || !is_alpha(s[j + 1]))) {
		letters++;
		end = j + 1;
		if (j + 2 < n && s[j + 1] == ' ' && is_alpha(s[j + 2]))
			j += 2;
		else
			break;
	}
	return letters >= 3 ? end - i : 0;
}

static bool word_pass(const char *s, size_t n, sbuf *out, unsigned *flags)
{
	size_t i = 0;
	while (i < n) {
		if (is_space(s[i])) {
			if (!sb_putc(out, s[i]))
				return false;
			i++;
			continue;
		}
		if (i == 0 || is_space(s[i - 1])) {
			size_t run = spaced_run(s, n, i);
			if (run) {
				*flags |= PNORM_SPACED;
				for (size_t k = i; k < i + run; k += 2)
					if (!sb_putc(out, s[k]))
						return false;
				i += run;
				continue;
			}
		}
		size_t j = i;
		while (j < n && !is_space(s[j]))
			j++;
		/* split the token at punctuation ends so "ign0re," folds as "ign0re" */
		size_t a = i, b = j;
		while (a < b && (s[a] == '"' || s[a] == '\'' || s[a] == '(' || s[a] == '['))
			a++;
		while (b > a && (s[b - 1] == '"' || s[b - 1] == '\'' || s[b - 1] == ')' ||
		                 s[b - 1] == ']' || s[b - 1] == ',' || s[b - 1] == '.' ||
		                 s[b - 1] == ':' || s[b - 1] == ';' || s[b - 1] == '?'))
			b--;
		if ((a > i && !sb_put(out, s + i, a - i)) || !emit_token(s + a, b - a, out, flags) ||
		    (j > b && !sb_put(out, s + b, j - b)))
			return false;
		i = j;
	}
	return true;
}

/* ================================================================ driver */

/* The envelope a model's own prompt format wraps around the text (Llama's
 * "<s>[INST] ... [/INST]", Llama 3's header tokens, ChatML, Gemma's turns)
 * is not what a person wrote: it is removed before folding, so it neither
 * raises the markup flag nor adds n-grams (a benign Llama prompt must not
 * look more like an injection than the same words sent to Claude). Such
 * tokens planted inside user text are the business of the regex rule
 * chat_template_token_injection, which reads the raw prompt. */
static const char *const template_tokens[] = {
	"<s>", "</s>", "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>", "<|begin_of_text|>", "<|end_of_text|>",
	"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|im_start|>", "<|im_end|>", "<|endoftext|>",
	"<|system|>", "<|user|>", "<|assistant|>", "<start_of_turn>", "<end_of_turn>"};

static size_t template_token_at(const char *s, size_t n)
{
	for (size_t k = 0; k < sizeof template_tokens / sizeof template_tokens[0]; k++) {
		size_t tn = strlen(template_tokens[k]);
		if (tn <= n && memcmp(s, template_tokens[k], tn) == 0)
			return tn;
	}
	return 0;
}

static bool put_without_templates(sbuf *in, const char *s, size_t n)
{
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '<' && s[i] != '[')
			continue;
		size_t tn = template_token_at(s + i, n - i);
		if (tn == 0)
			continue;
		if (!sb_put(in, s + from, i - from) || !sb_putc(in, ' '))
			return false;
		i += tn - 1;
		from = i + 1;
	}
	return sb_put(in, s + from, n - from);
}

lt_status pnorm_run(pnorm *nm, const char *s, size_t len, lt_error *err)
{
	pthread_once(&byte_class_once, byte_class_init);
	nm->flags = 0;
	if (len > PNORM_MAX_IN) {
		len = PNORM_MAX_IN;
		nm->flags |= PNORM_TRUNCATED;
	}
	sbuf in = {nm->tmp, 0, nm->tmp_cap};
	sbuf folded = {nm->fold, 0, nm->fold_cap}, tags = {nm->tags, 0, nm->tags_cap};
	sbuf out = {nm->out, 0, nm->cap};
	bool ok = put_without_templates(&in, s, len) && sb_putc(&in, '\n') &&
	          decode_segments((const unsigned char *)s, len, &in, &nm->flags) &&
	          sb_reserve(&folded, in.n) &&
	          fold_text((const unsigned char *)in.p, in.n, &folded, &tags, &nm->flags);
	if (ok && tags.n) {
		size_t tn = tags.n;
		tags.n = 0;
		ok = sb_putc(&folded, '\n') &&
		     fold_text((const unsigned char *)tags.p, tn, &folded, &tags, &nm->flags);
	}
	ok = ok && sb_reserve(&out, folded.n) && word_pass(folded.p, folded.n, &out, &nm->flags);
	nm->fold = folded.p;
	nm->fold_cap = folded.cap;
	nm->tags = tags.p;
	nm->tags_cap = tags.cap;
	nm->tmp = in.p;
	nm->tmp_cap = in.cap;
	nm->out = out.p;
	nm->cap = out.cap;
	if (!ok) {
		nm->len = 0;
		if (nm->out)
			nm->out[0] = '\0';
		return lt_error_set(err, LT_EFATAL, "out of memory normalising a prompt");
	}
	while (out.n && is_space(out.p[out.n - 1]))
		out.n--;
	out.p[out.n] = '\0';
	nm->len = out.n;
	return LT_OK;
}

void pnorm_free(pnorm *nm)
{
	free(nm->out);
	free(nm->tmp);
	free(nm->fold);
	free(nm->tags);
	memset(nm, 0, sizeof *nm);
}
