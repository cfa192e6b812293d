// SPDX-License-Identifier: Apache-2.0
/*
 * The C reference receiver for the end-to-end benchmarks: one AF_XDP socket, built with libxdp's xsk
 * API, inserted into the application's pinned XSKMAP (map mode: no XDP program of its own), doing the
 * same work per datagram as the quic-xdp datapath:
 *
 *   - parse Ethernet, IPv4 (with options) or IPv6 and UDP; verify the IPv4 header checksum and the UDP
 *     checksum; match the destination port;
 *   - drop mode: count, recycle the frame to the fill ring;
 *   - echo mode: write a new frame into a TX frame (Ethernet, IP and UDP headers with both checksums,
 *     payload copied), addressed back to the sender; wake the kernel's TX once per batch.
 *
 * Same geometry as the datapath's defaults: 2048 frames of 2048 bytes (half for the fill ring, half for
 * TX), 1024-entry rings, need_wakeup, receive batches of 64, poll(2) when the RX ring is empty.
 *
 * Control over stdin/stdout, one line each, the same protocol as the Java receivers:
 *   "drop" | "echo"  set the mode         "snap"  print "snap HANDLED ECHOED CPU_NS -1"
 *   "quit" (or end of input)  exit
 * It prints "ready" once its socket is in the map. It exits on its own after MAX_LIFETIME seconds.
 *
 * usage: xsk_recv IFNAME QUEUE XSKMAP_PIN PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xdp/xsk.h>

#define FRAME_SIZE 2048
#define FRAME_COUNT 2048
#define RING_SIZE 1024
#define BATCH 64
#define MAX_LIFETIME 1800

static struct xsk_umem *umem;
static struct xsk_socket *xsk;
static struct xsk_ring_prod fill_ring, tx_ring;
static struct xsk_ring_cons comp_ring, rx_ring;
static uint8_t *area;
static uint8_t own_mac[6];
static uint16_t port_be;

static uint64_t tx_free[FRAME_COUNT / 2];
static unsigned tx_free_count;
static unsigned tx_pending; /* on the TX ring, not yet kicked */

static _Atomic uint64_t handled, echoed, dropped;
static _Atomic int echo_mode;
static _Atomic int running = 1;

static uint32_t sum16(const uint8_t *p, size_t len, uint64_t acc)
{
	/*
	 * 64-bit loads, their two 32-bit halves added into a 64-bit accumulator whose carries are folded
	 * back at the end (RFC 1071); native byte order throughout, which the one's-complement sum allows.
	 */
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t w = 0;
		memcpy(&w, p, 1);
		acc += w;
	}
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

/* pseudo-header + UDP header + payload, as the one's-complement sum in network byte order words */
static uint32_t udp_sum(const uint8_t *src, const uint8_t *dst, size_t alen, const uint8_t *udp, size_t ulen)
{
	uint64_t acc = 0;
	acc += sum16(src, alen, 0);
	acc += sum16(dst, alen, 0);
	acc += htons(17);
	acc += htons((uint16_t)ulen);
	return sum16(udp, ulen, acc);
}

static int reply(const uint8_t *pkt, int v6, const uint8_t *src, const uint8_t *dst, const uint8_t *udp,
		 size_t plen);

/* 1 when the frame is a valid UDP datagram for our port */
static int handle(uint8_t *pkt, uint32_t len)
{
	if (len < 14)
		return 0;
	uint16_t type = (uint16_t)(pkt[12] << 8 | pkt[13]);
	const uint8_t *ip = pkt + 14;
	size_t room = len - 14;
	const uint8_t *udp, *src, *dst;
	size_t alen, ulen;
	int v6;
	if (type == ETH_P_IP) {
		if (room < 20 || (ip[0] >> 4) != 4)
			return 0;
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		size_t total = (size_t)(ip[2] << 8 | ip[3]);
		if (ihl < 20 || total < ihl + 8 || total > room || ip[9] != 17)
			return 0;
		if ((ip[6] & 0x3f) || ip[7])
			return 0; /* fragment */
		if (sum16(ip, ihl, 0) != 0xffff)
			return 0;
		udp = ip + ihl;
		ulen = (size_t)(udp[4] << 8 | udp[5]);
		if (ulen < 8 || ulen > total - ihl)
			return 0;
		src = ip + 12;
		dst = ip + 16;
		alen = 4;
		v6 = 0;
		if ((udp[6] | udp[7]) && udp_sum(src, dst, 4, udp, ulen) != 0xffff)
			return 0;
	} else if (type == ETH_P_IPV6) {
		if (room < 48 || (ip[0] >> 4) != 6 || ip[6] != 17)
			return 0;
		size_t payload = (size_t)(ip[4] << 8 | ip[5]);
		if (payload < 8 || payload > room - 40)
			return 0;
		udp = ip + 40;
		ulen = (size_t)(udp[4] << 8 | udp[5]);
		if (ulen < 8 || ulen > payload)
			return 0;
		src = ip + 8;
		dst = ip + 24;
		alen = 16;
		v6 = 1;
		if (udp_sum(src, dst, 16, udp, ulen) != 0xffff)
			return 0;
	} else {
		return 0;
	}
	uint16_t dport;
	memcpy(&dport, udp + 2, 2);
	if (dport != port_be)
		return 0;
	(void)alen;
	atomic_store_explicit(&handled, atomic_load_explicit(&handled, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	if (atomic_load_explicit(&echo_mode, memory_order_relaxed)) {
		if (reply(pkt, v6, src, dst, udp, ulen - 8))
			atomic_store_explicit(&echoed, atomic_load_explicit(&echoed, memory_order_relaxed) + 1,
					      memory_order_relaxed);
	}
	return 1;
}

static void reap(void)
{
	uint32_t idx;
	unsigned n = xsk_ring_cons__peek(&comp_ring, FRAME_COUNT / 2 - tx_free_count, &idx);
	for (unsigned i = 0; i < n; i++)
		tx_free[tx_free_count++] = *xsk_ring_cons__comp_addr(&comp_ring, idx + i);
	if (n)
		xsk_ring_cons__release(&comp_ring, n);
}

/* a whole new frame back to the sender, from the address and port it was sent to */
static int reply(const uint8_t *pkt, int v6, const uint8_t *src, const uint8_t *dst, const uint8_t *udp,
		 size_t plen)
{
	if (tx_free_count == 0) {
		reap();
		if (tx_free_count == 0)
			return 0;
	}
	uint32_t idx;
	if (xsk_ring_prod__reserve(&tx_ring, 1, &idx) != 1)
		return 0;
	uint64_t addr = tx_free[--tx_free_count];
	uint8_t *out = xsk_umem__get_data(area, addr);
	size_t hdr = v6 ? 14 + 40 + 8 : 14 + 20 + 8;
	size_t ulen = 8 + plen;
	memcpy(out + hdr, udp + 8, plen);
	memcpy(out, pkt + 6, 6);
	memcpy(out + 6, own_mac, 6);
	uint8_t *ip = out + 14;
	uint8_t *u;
	if (v6) {
		out[12] = 0x86;
		out[13] = 0xdd;
		ip[0] = 0x60;
		ip[1] = ip[2] = ip[3] = 0;
		ip[4] = (uint8_t)(ulen >> 8);
		ip[5] = (uint8_t)ulen;
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, dst, 16);
		memcpy(ip + 24, src, 16);
		u = ip + 40;
	} else {
		size_t total = 20 + ulen;
		out[12] = 0x08;
		out[13] = 0x00;
		ip[0] = 0x45;
		ip[1] = 0;
		ip[2] = (uint8_t)(total >> 8);
		ip[3] = (uint8_t)total;
		ip[4] = ip[5] = 0;
		ip[6] = 0x40; /* DF */
		ip[7] = 0;
		ip[8] = 64;
		ip[9] = 17;
		ip[10] = ip[11] = 0;
		memcpy(ip + 12, dst, 4);
		memcpy(ip + 16, src, 4);
		uint16_t c = (uint16_t)~sum16(ip, 20, 0);
		memcpy(ip + 10, &c, 2);
		u = ip + 20;
	}
	memcpy(u, udp + 2, 2);
	memcpy(u + 2, udp, 2);
	u[4] = (uint8_t)(ulen >> 8);
	u[5] = (uint8_t)ulen;
	u[6] = u[7] = 0;
	uint16_t c = (uint16_t)~udp_sum(ip + (v6 ? 8 : 12), ip + (v6 ? 24 : 16), v6 ? 16 : 4, u, ulen);
	if (c == 0)
		c = 0xffff;
	memcpy(u + 6, &c, 2);
	struct xdp_desc *d = xsk_ring_prod__tx_desc(&tx_ring, idx);
	d->addr = addr;
	d->len = (uint32_t)(hdr + plen);
	xsk_ring_prod__submit(&tx_ring, 1);
	tx_pending++;
	return 1;
}

static void kick_tx(void)
{
	if (xsk_ring_prod__needs_wakeup(&tx_ring))
		sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
	tx_pending = 0;
}

static void *rx_loop(void *arg)
{
	(void)arg;
	struct pollfd pfd = { .fd = xsk_socket__fd(xsk), .events = POLLIN };
	while (atomic_load_explicit(&running, memory_order_relaxed)) {
		uint32_t idx_rx, idx_fill;
		unsigned n = xsk_ring_cons__peek(&rx_ring, BATCH, &idx_rx);
		if (n == 0) {
			if (FRAME_COUNT / 2 - tx_free_count > 0) {
				reap();
				if (xsk_ring_prod__needs_wakeup(&tx_ring) && tx_free_count < FRAME_COUNT / 2)
					sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
			}
			poll(&pfd, 1, 1000);
			continue;
		}
		for (unsigned i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&rx_ring, idx_rx + i);
			if (!handle(xsk_umem__get_data(area, d->addr), d->len))
				atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
		}
		/* the fill ring has room for every receive frame */
		while (xsk_ring_prod__reserve(&fill_ring, n, &idx_fill) != n)
			;
		for (unsigned i = 0; i < n; i++) {
			uint64_t a = xsk_ring_cons__rx_desc(&rx_ring, idx_rx + i)->addr;
			*xsk_ring_prod__fill_addr(&fill_ring, idx_fill + i) = xsk_umem__extract_addr(a);
		}
		xsk_ring_cons__release(&rx_ring, n);
		xsk_ring_prod__submit(&fill_ring, n);
		if (tx_pending)
			kick_tx();
	}
	return NULL;
}

static uint64_t thread_cpu_ns(pthread_t t)
{
	clockid_t cid;
	struct timespec ts;
	if (pthread_getcpuclockid(t, &cid) || clock_gettime(cid, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *lifetime_guard(void *arg)
{
	(void)arg;
	sleep(MAX_LIFETIME);
	fprintf(stderr, "xsk_recv: %d s lifetime reached, exiting\n", MAX_LIFETIME);
	exit(3);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s IFNAME QUEUE XSKMAP_PIN PORT\n", argv[0]);
		return 2;
	}
	const char *ifname = argv[1];
	int queue = atoi(argv[2]);
	port_be = htons((uint16_t)atoi(argv[4]));
	setvbuf(stdout, NULL, _IOLBF, 0);

	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = { 0 };
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
		perror("SIOCGIFHWADDR");
		return 1;
	}
	memcpy(own_mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);

	size_t size = (size_t)FRAME_SIZE * FRAME_COUNT;
	area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	struct xsk_umem_config ucfg = {
		.fill_size = RING_SIZE,
		.comp_size = RING_SIZE,
		.frame_size = FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	int err = xsk_umem__create(&umem, area, size, &fill_ring, &comp_ring, &ucfg);
	if (err) {
		fprintf(stderr, "xsk_umem__create: %s\n", strerror(-err));
		return 1;
	}
	struct xsk_socket_config scfg = {
		.rx_size = RING_SIZE,
		.tx_size = RING_SIZE,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
		.bind_flags = XDP_USE_NEED_WAKEUP,
	};
	/* a socket closed just before may hold the queue a little longer: retry EBUSY for up to 5 s */
	for (int attempt = 0; attempt < 50; attempt++) {
		err = xsk_socket__create(&xsk, ifname, (uint32_t)queue, umem, &rx_ring, &tx_ring, &scfg);
		if (err != -EBUSY)
			break;
		usleep(100000);
	}
	if (err) {
		fprintf(stderr, "xsk_socket__create: %s\n", strerror(-err));
		return 1;
	}
	uint32_t idx;
	if (xsk_ring_prod__reserve(&fill_ring, RING_SIZE, &idx) != RING_SIZE) {
		fprintf(stderr, "fill ring reserve failed\n");
		return 1;
	}
	for (unsigned i = 0; i < RING_SIZE; i++)
		*xsk_ring_prod__fill_addr(&fill_ring, idx + i) = (uint64_t)i * FRAME_SIZE;
	xsk_ring_prod__submit(&fill_ring, RING_SIZE);
	for (unsigned i = 0; i < FRAME_COUNT / 2; i++)
		tx_free[tx_free_count++] = (uint64_t)(RING_SIZE + i) * FRAME_SIZE;

	int map = bpf_obj_get(argv[3]);
	if (map < 0) {
		fprintf(stderr, "bpf_obj_get %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	err = xsk_socket__update_xskmap(xsk, map);
	if (err) {
		fprintf(stderr, "xsk_socket__update_xskmap: %s\n", strerror(-err));
		return 1;
	}

	pthread_t rx, guard;
	pthread_create(&guard, NULL, lifetime_guard, NULL);
	pthread_create(&rx, NULL, rx_loop, NULL);
	printf("ready\n");

	char line[128];
	while (fgets(line, sizeof line, stdin)) {
		if (!strncmp(line, "drop", 4)) {
			atomic_store(&echo_mode, 0);
			printf("ok\n");
		} else if (!strncmp(line, "echo", 4)) {
			atomic_store(&echo_mode, 1);
			printf("ok\n");
		} else if (!strncmp(line, "snap", 4)) {
			printf("snap %llu %llu %llu -1 %llu\n", (unsigned long long)atomic_load(&handled),
			       (unsigned long long)atomic_load(&echoed), (unsigned long long)thread_cpu_ns(rx),
			       (unsigned long long)atomic_load(&dropped));
		} else if (!strncmp(line, "quit", 4)) {
			break;
		}
	}
	atomic_store(&running, 0);
	pthread_join(rx, NULL);
	xsk_socket__delete(xsk); /* closing the socket takes it out of the map */
	xsk_umem__delete(umem);
	close(map);
	return 0;
}
