// SPDX-License-Identifier: Apache-2.0
/*
 * The traffic generator of the end-to-end benchmarks; runs in the peer namespace, pinned to its own core.
 *
 *   -m udp     sendmmsg(2) on a UDP socket, 64 datagrams per call (the kernel builds the frames)
 *   -m packet  AF_PACKET with PACKET_QDISC_BYPASS, sendmmsg(2) of 64 prebuilt frames per call
 *              (frames and checksums built here; needs -M, the receiver's MAC)
 *
 * Flood (no -r): as fast as possible for -t seconds. Paced (-r PPS): one datagram every 1/PPS seconds,
 * each carrying its sequence number and send time, for round-trip latency. With -e, echoes are read back
 * (non-blocking recvmmsg on a UDP socket bound to the source address and port) and counted; paced runs
 * report p50/p99/p99.9 of the round trip.
 *
 * Every loop is bounded by -t (at most 120 s) and by -n packets (default 500 million).
 * Prints one line: "gen mode=M sent=N secs=S echoed=E p50_ns=A p99_ns=B p999_ns=C".
 *
 * usage: udpgen -m udp|packet -i IFNAME -s SRC_IP -d DST_IP -P SRC_PORT -p DST_PORT -l PAYLOAD -t SECONDS
 *               [-r PPS] [-e] [-M DST_MAC] [-n MAX_PACKETS]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_FRAME 2048

static int v6;
static uint8_t src_ip[16], dst_ip[16], src_mac[6], dst_mac[6];
static uint16_t sport, dport;
static size_t payload_len;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint64_t acc)
{
	while (len >= 2) {
		acc += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)(p[0] << 8);
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

/* a complete Ethernet frame with both checksums; returns its length */
static size_t build_frame(uint8_t *f, const uint8_t *payload)
{
	size_t alen = v6 ? 16 : 4;
	size_t iplen = v6 ? 40 : 20;
	size_t ulen = 8 + payload_len;
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	uint8_t *ip = f + 14, *u = ip + iplen;
	memset(ip, 0, iplen);
	if (v6) {
		ip[0] = 0x60;
		ip[4] = (uint8_t)(ulen >> 8);
		ip[5] = (uint8_t)ulen;
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, src_ip, 16);
		memcpy(ip + 24, dst_ip, 16);
	} else {
		size_t total = 20 + ulen;
		ip[0] = 0x45;
		ip[2] = (uint8_t)(total >> 8);
		ip[3] = (uint8_t)total;
		ip[6] = 0x40;
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, src_ip, 4);
		memcpy(ip + 16, dst_ip, 4);
		uint16_t c = (uint16_t)~sum16(ip, 20, 0);
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	}
	u[0] = (uint8_t)(sport >> 8);
	u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8);
	u[3] = (uint8_t)dport;
	u[4] = (uint8_t)(ulen >> 8);
	u[5] = (uint8_t)ulen;
	u[6] = u[7] = 0;
	memcpy(u + 8, payload, payload_len);
	uint64_t acc = sum16(src_ip, alen, 0) + sum16(dst_ip, alen, 0) + 17 + ulen;
	uint16_t c = (uint16_t)~sum16(u, ulen, acc);
	if (c == 0)
		c = 0xffff;
	u[6] = (uint8_t)(c >> 8);
	u[7] = (uint8_t)c;
	return 14 + iplen + ulen;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned m[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

static void sockaddr_of(const uint8_t *ip, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		memcpy(&a->sin6_addr, ip, 16);
		*len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		memcpy(&a->sin_addr, ip, 4);
		*len = sizeof *a;
	}
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	const char *mode = "udp", *ifname = NULL, *src = NULL, *dst = NULL, *mac = NULL;
	double seconds = 2;
	long rate = 0;
	int echo = 0;
	uint64_t max_packets = 500000000ull;
	int opt;
	while ((opt = getopt(argc, argv, "m:i:s:d:P:p:l:t:r:eM:n:")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'i': ifname = optarg; break;
		case 's': src = optarg; break;
		case 'd': dst = optarg; break;
		case 'P': sport = (uint16_t)atoi(optarg); break;
		case 'p': dport = (uint16_t)atoi(optarg); break;
		case 'l': payload_len = (size_t)atol(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'r': rate = atol(optarg); break;
		case 'e': echo = 1; break;
		case 'M': mac = optarg; break;
		case 'n': max_packets = strtoull(optarg, NULL, 10); break;
		default: fprintf(stderr, "bad option\n"); return 2;
		}
	}
	int packet = !strcmp(mode, "packet");
	if (!ifname || !src || !dst || !sport || !dport || payload_len < 16 || payload_len > 1400 || seconds <= 0
	    || seconds > 120 || (packet && !mac) || (strcmp(mode, "udp") && !packet)) {
		fprintf(stderr, "usage: udpgen -m udp|packet -i IF -s SRC -d DST -P SPORT -p DPORT -l LEN(16..1400) "
				"-t SECONDS(<=120) [-r PPS] [-e] [-M DSTMAC] [-n MAX]\n");
		return 2;
	}
	v6 = strchr(dst, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, src, src_ip) != 1 || inet_pton(v6 ? AF_INET6 : AF_INET, dst, dst_ip) != 1) {
		fprintf(stderr, "bad address\n");
		return 2;
	}
	if (mac && parse_mac(mac, dst_mac)) {
		fprintf(stderr, "bad MAC\n");
		return 2;
	}
	int family = v6 ? AF_INET6 : AF_INET;

	/* the UDP socket: sends in udp mode, receives echoes in both */
	int us = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (us < 0)
		die("socket");
	int big = 32 << 20;
	setsockopt(us, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
	struct sockaddr_storage local, remote;
	socklen_t llen, rlen;
	sockaddr_of(src_ip, sport, &local, &llen);
	sockaddr_of(dst_ip, dport, &remote, &rlen);
	if (bind(us, (struct sockaddr *)&local, llen) < 0)
		die("bind");
	if (!packet && connect(us, (struct sockaddr *)&remote, rlen) < 0)
		die("connect");

	int ps = -1;
	if (packet) {
		ps = socket(AF_PACKET, SOCK_RAW, 0);
		if (ps < 0)
			die("AF_PACKET socket");
		int one = 1;
		if (setsockopt(ps, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0)
			die("PACKET_QDISC_BYPASS");
		struct ifreq ifr = { 0 };
		strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
		if (ioctl(ps, SIOCGIFHWADDR, &ifr) < 0)
			die("SIOCGIFHWADDR");
		memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
		struct sockaddr_ll sll = { 0 };
		sll.sll_family = AF_PACKET;
		sll.sll_ifindex = (int)if_nametoindex(ifname);
		sll.sll_protocol = 0; /* send only */
		if (!sll.sll_ifindex || bind(ps, (struct sockaddr *)&sll, sizeof sll) < 0)
			die("bind AF_PACKET");
	}

	static uint8_t payload[MAX_FRAME], frames[BATCH][MAX_FRAME], rxbuf[BATCH][MAX_FRAME];
	for (size_t i = 0; i < payload_len; i++)
		payload[i] = (uint8_t)(i * 13 + 7);
	size_t frame_len = 0;
	struct mmsghdr msgs[BATCH], rmsgs[BATCH];
	struct iovec iov[BATCH], riov[BATCH];
	memset(msgs, 0, sizeof msgs);
	memset(rmsgs, 0, sizeof rmsgs);
	for (int i = 0; i < BATCH; i++) {
		if (packet) {
			frame_len = build_frame(frames[i], payload);
			iov[i].iov_base = frames[i];
			iov[i].iov_len = frame_len;
		} else {
			memcpy(frames[i], payload, payload_len);
			iov[i].iov_base = frames[i];
			iov[i].iov_len = payload_len;
		}
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		riov[i].iov_base = rxbuf[i];
		riov[i].iov_len = MAX_FRAME;
		rmsgs[i].msg_hdr.msg_iov = &riov[i];
		rmsgs[i].msg_hdr.msg_iovlen = 1;
	}
	int out = packet ? ps : us;

	uint64_t *rtt = NULL;
	size_t rtt_cap = 0, rtt_n = 0;
	if (rate > 0) {
		rtt_cap = (size_t)(rate * seconds) + 16;
		if (rtt_cap > 20000000)
			rtt_cap = 20000000;
		rtt = malloc(rtt_cap * sizeof *rtt);
		if (!rtt)
			die("malloc");
	}

	uint64_t sent = 0, echoed = 0, errors = 0;
	uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9), now = start;
	uint64_t period = rate > 0 ? 1000000000ull / (uint64_t)rate : 0, next = start;
	while (now < end && sent < max_packets) {
		if (rate > 0) {
			if (now >= next) {
				uint64_t stamp[2] = { sent, now };
				uint8_t *f = frames[0];
				if (packet) {
					memcpy(payload, stamp, sizeof stamp);
					iov[0].iov_len = build_frame(f, payload);
				} else {
					memcpy(f, stamp, sizeof stamp);
				}
				if (send(out, f, iov[0].iov_len, MSG_DONTWAIT) > 0)
					sent++;
				else
					errors++;
				next += period;
				if (next < now - 1000000) /* more than 1 ms behind: do not burst to catch up */
					next = now;
			}
		} else {
			int n = sendmmsg(out, msgs, BATCH, 0);
			if (n > 0)
				sent += (uint64_t)n;
			else
				errors++;
		}
		if (echo) {
			for (;;) {
				int r = recvmmsg(us, rmsgs, BATCH, MSG_DONTWAIT, NULL);
				if (r <= 0)
					break;
				echoed += (uint64_t)r;
				if (rtt) {
					uint64_t t = now_ns();
					for (int i = 0; i < r; i++) {
						uint64_t stamp[2];
						if (rmsgs[i].msg_len < sizeof stamp)
							continue;
						memcpy(stamp, rxbuf[i], sizeof stamp);
						if (rtt_n < rtt_cap && stamp[1] >= start && stamp[1] <= t)
							rtt[rtt_n++] = t - stamp[1];
					}
				}
				if (r < BATCH)
					break;
			}
		}
		now = now_ns();
	}
	double secs = (double)(now - start) / 1e9;
	if (echo) {
		/* stragglers: up to 200 ms, not counted in the rate */
		uint64_t grace = now_ns() + 200000000ull;
		while (now_ns() < grace) {
			int r = recvmmsg(us, rmsgs, BATCH, MSG_DONTWAIT, NULL);
			if (r <= 0) {
				usleep(1000);
				continue;
			}
			if (rtt) {
				uint64_t t = now_ns();
				for (int i = 0; i < r; i++) {
					uint64_t stamp[2];
					memcpy(stamp, rxbuf[i], sizeof stamp);
					if (rtt_n < rtt_cap && stamp[1] >= start && stamp[1] <= t)
						rtt[rtt_n++] = t - stamp[1];
				}
			}
		}
	}
	uint64_t p50 = 0, p99 = 0, p999 = 0;
	if (rtt_n) {
		qsort(rtt, rtt_n, sizeof *rtt, cmp_u64);
		p50 = rtt[rtt_n / 2];
		p99 = rtt[(size_t)((double)rtt_n * 0.99)];
		p999 = rtt[(size_t)((double)rtt_n * 0.999)];
	}
	printf("gen mode=%s sent=%llu secs=%.6f echoed=%llu errors=%llu samples=%zu p50_ns=%llu p99_ns=%llu "
	       "p999_ns=%llu\n",
	       mode, (unsigned long long)sent, secs, (unsigned long long)echoed, (unsigned long long)errors, rtt_n,
	       (unsigned long long)p50, (unsigned long long)p99, (unsigned long long)p999);
	return 0;
}
