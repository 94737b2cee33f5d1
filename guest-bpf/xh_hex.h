/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hex text to bytes, for the runner's `parse` and xh-tools' `send` (header only: two binaries). */
#ifndef XH_HEX_H
#define XH_HEX_H

#include <stddef.h>

static inline int xh_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The @n hex digits at @s into @out (at most @max bytes): the byte count, or -1 for an
 * odd count, a non-hex digit or too many bytes. */
static inline int xh_unhex(const char *s, size_t n, unsigned char *out, size_t max)
{
	size_t i;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = xh_hexval(s[2 * i]), lo = xh_hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

#endif
