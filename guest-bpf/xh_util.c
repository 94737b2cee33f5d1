// SPDX-License-Identifier: GPL-2.0-or-later
/* JSON line output and the userspace frame parser. */
#include <string.h>

#include "xh_util.h"

void jb_begin(struct jbuf *j)
{
	j->len = 0;
	j->first = true;
	j->buf[j->len++] = '{';
	j->buf[j->len] = 0;
}

void jb_raw(struct jbuf *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->len >= sizeof(j->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->len, sizeof(j->buf) - j->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	j->len += (size_t)n;
	if (j->len > sizeof(j->buf) - 1)
		j->len = sizeof(j->buf) - 1;
}

void jb_key(struct jbuf *j, const char *key)
{
	jb_raw(j, "%s\"%s\":", j->first ? "" : ",", key);
	j->first = false;
}

static void jb_escaped(struct jbuf *j, const char *s)
{
	jb_raw(j, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			jb_raw(j, "\\%c", c);
		else if (c < 0x20)
			jb_raw(j, "\\u%04x", c);
		else
			jb_raw(j, "%c", c);
	}
	jb_raw(j, "\"");
}

void jb_str(struct jbuf *j, const char *key, const char *val)
{
	jb_key(j, key);
	if (val)
		jb_escaped(j, val);
	else
		jb_raw(j, "null");
}

void jb_int(struct jbuf *j, const char *key, long long val)
{
	jb_key(j, key);
	jb_raw(j, "%lld", val);
}

void jb_uint(struct jbuf *j, const char *key, unsigned long long val)
{
	jb_key(j, key);
	jb_raw(j, "%llu", val);
}

void jb_bool(struct jbuf *j, const char *key, bool val)
{
	jb_key(j, key);
	jb_raw(j, val ? "true" : "false");
}

void jb_null(struct jbuf *j, const char *key)
{
	jb_key(j, key);
	jb_raw(j, "null");
}

void jb_rc(struct jbuf *j, const char *key, int rc)
{
	if (rc == XH_RC_NOT_CALLED)
		jb_null(j, key);
	else
		jb_int(j, key, rc);
}

void jb_hex(struct jbuf *j, const char *key, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = data;
	size_t i, room;


	jb_key(j, key);
	room = sizeof(j->buf) - j->len;	/* jb_raw keeps len <= sizeof(buf) - 1 */
	if (room < 4)
		return;
	if (2 * len + 3 > room)
		len = (room - 3) / 2;
	j->buf[j->len++] = '"';
	for (i = 0; i < len; i++) {
		j->buf[j->len++] = digits[b[i] >> 4];
		j->buf[j->len++] = digits[b[i] & 15];
	}
	j->buf[j->len++] = '"';
	j->buf[j->len] = 0;
}

void jb_end_print(struct jbuf *j)
{
	jb_raw(j, "}");
	fputs(j->buf, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

void jb_meta(struct jbuf *j, const char *key, const struct xh_meta *m, bool found)
{
	if (!found) {
		jb_null(j, key);
		return;
	}
	jb_key(j, key);
	jb_raw(j, "{\"version\":%u,\"id\":%u,\"pkt_flags\":%u,", m->version, m->id, m->pkt_flags);
	jb_raw(j, "\"rx_timestamp_rc\":");
	if (m->ts_rc == XH_RC_NOT_CALLED)
		jb_raw(j, "null");
	else
		jb_raw(j, "%d", m->ts_rc);
	jb_raw(j, ",\"rx_timestamp\":%llu,\"rx_hash_rc\":", (unsigned long long)m->rx_ts);
	if (m->hash_rc == XH_RC_NOT_CALLED)
		jb_raw(j, "null");
	else
		jb_raw(j, "%d", m->hash_rc);
	jb_raw(j, ",\"rx_hash\":%u,\"rx_hash_type\":%u,\"rx_vlan_tag_rc\":", m->rx_hash,
	       m->rx_hash_type);
	if (m->vlan_rc == XH_RC_NOT_CALLED)
		jb_raw(j, "null");
	else
		jb_raw(j, "%d", m->vlan_rc);
	jb_raw(j, ",\"rx_vlan_proto\":%u,\"rx_vlan_tci\":%u,\"rx_queue\":%u,\"ifindex\":%u}",
	       m->vlan_proto, m->vlan_tci, m->rx_queue, m->ifindex);
}

void emit_event(const char *event, const char *fmt, ...)
{
	char tail[4096];
	va_list ap;

	tail[0] = 0;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(tail, sizeof(tail), fmt, ap);
		va_end(ap);
	}
	printf("{\"event\":\"%s\"%s%s}\n", event, tail[0] ? "," : "", tail);
	fflush(stdout);
}

void emit_error(const char *stage, int err, const char *fmt, ...)
{
	char msg[1024];
	struct jbuf j;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jb_begin(&j);
	jb_str(&j, "event", "error");
	jb_str(&j, "stage", stage);
	jb_int(&j, "errno", err < 0 ? -err : err);
	jb_str(&j, "error", err ? strerror(err < 0 ? -err : err) : "");
	jb_str(&j, "msg", msg);
	jb_end_print(&j);
	fprintf(stderr, "xdp-hints-guest: %s: %s (%s)\n", stage, msg,
		err ? strerror(err < 0 ? -err : err) : "");
}

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)((b[0] << 8) | b[1]);
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
	       ((uint32_t)b[3] << 24);
}

int xh_parse_frame(const uint8_t *pkt, size_t len, struct xh_pkt *p)
{
	size_t off = 14, l4off, ploff;
	uint16_t proto;
	int i;

	memset(p, 0, sizeof(*p));
	p->pkt_len = (uint32_t)len;
	if (len < 14)
		return 0;
	proto = be16(pkt + 12);
	for (i = 0; i < 2; i++) {
		if (proto != 0x8100 && proto != 0x88A8)
			break;
		if (len < off + 4)
			return 0;
		if (i == 0) {
			p->vlan0_proto = proto;
			p->vlan0_tci = be16(pkt + off);
		} else {
			p->vlan1_proto = proto;
			p->vlan1_tci = be16(pkt + off);
		}
		p->vlan_count = (uint8_t)(i + 1);
		proto = be16(pkt + off + 2);
		off += 4;
	}
	p->eth_proto = proto;
	if (proto == 0x0800) {
		size_t ihl;

		if (len < off + 20 || (pkt[off] >> 4) != 4)
			return 0;
		ihl = (size_t)(pkt[off] & 0x0f) * 4;
		if (ihl < 20 || (pkt[off + 6] & 0x1f) || pkt[off + 7])
			return 0;
		p->l4_proto = pkt[off + 9];
		l4off = off + ihl;
	} else if (proto == 0x86DD) {
		if (len < off + 40 || (pkt[off] >> 4) != 6)
			return 0;
		p->l4_proto = pkt[off + 6];
		l4off = off + 40;
	} else {
		return 0;
	}
	if (p->l4_proto == 17) {
		ploff = l4off + 8;
	} else if (p->l4_proto == 6) {
		size_t doff;

		if (len < l4off + 20)
			return 0;
		doff = (size_t)(pkt[l4off + 12] >> 4) * 4;
		if (doff < 20)
			return 0;
		ploff = l4off + doff;
	} else {
		return 0;
	}
	if (len < ploff + 16 || memcmp(pkt + ploff, XH_PKT_MAGIC, XH_PKT_MAGIC_LEN))
		return 0;
	p->id = le32(pkt + ploff + 8);
	p->pkt_flags = le32(pkt + ploff + 12);
	return 1;
}

void jb_pkt(struct jbuf *j, const struct xh_pkt *p)
{
	jb_uint(j, "pkt_len", p->pkt_len);
	jb_uint(j, "eth_proto", p->eth_proto);
	jb_uint(j, "l4_proto", p->l4_proto);
	jb_uint(j, "frame_vlan_count", p->vlan_count);
	jb_uint(j, "frame_vlan0_proto", p->vlan0_proto);
	jb_uint(j, "frame_vlan0_tci", p->vlan0_tci);
	jb_uint(j, "frame_vlan1_proto", p->vlan1_proto);
	jb_uint(j, "frame_vlan1_tci", p->vlan1_tci);
}
