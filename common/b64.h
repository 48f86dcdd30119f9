/*
 * b64.h — the value of one base64 digit, both alphabets (RFC 4648 §4 "+/" and
 * §5 URL-safe "-_"): 0..63, or -1 for anything else (padding included). One
 * definition for every decoder (invocation-log document bytes, encoded
 * segments in prompts).
 */
#ifndef LLMTRAIL_COMMON_B64_H
#define LLMTRAIL_COMMON_B64_H

static inline int lt_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

#endif
