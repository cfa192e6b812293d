// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xsk_redirect.c with a rate limit on QUIC Initials, before the XSKMAP redirect: a handshake flood is dropped
 * here, before it takes receive frames and ring slots from the connections already established.
 *
 * UDP datagrams to QUIC_PORT (IPv4 and IPv6) that begin with a QUIC version 1 Initial packet are let through
 * at INITIAL_RATE a second at most, over all queues (a window of one second, counted in the map
 * "initial_limit", whose "dropped" says how many were dropped); every other datagram to the port (short
 * headers: the established connections; Handshake packets; other versions) goes to the AF_XDP socket in slot
 * rx_queue_index of the XSKMAP "xsks" without a look at the window. Everything else goes on to the kernel.
 * Build, load and pin it as docs/operator-guide.md shows.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef QUIC_PORT
#define QUIC_PORT 4433
#endif

#ifndef INITIAL_RATE
#define INITIAL_RATE 1000
#endif

#define NSEC_PER_SEC 1000000000ULL

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64); /* at least the interface's receive queue count */
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct initial_window {
	__u64 start;   /* when the current window began, bpf_ktime_get_ns() */
	__u64 count;   /* Initials let through in it */
	__u64 dropped; /* Initials dropped, since the program was loaded */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct initial_window);
} initial_limit SEC(".maps");

SEC("xdp")
int redirect_quic_limit_initials(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u8 *quic;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP)
			return XDP_PASS;
		/* fragments: the kernel reassembles them */
		if (ip->frag_off & bpf_htons(0x3fff))
			return XDP_PASS;
		udp = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		udp = (void *)(ip6 + 1);
	} else {
		return XDP_PASS;
	}

	if ((void *)(udp + 1) > data_end || udp->dest != bpf_htons(QUIC_PORT))
		return XDP_PASS;

	/* a long header of type Initial (first octet 1100xxxx), version 1 */
	quic = (void *)(udp + 1);
	if ((void *)(quic + 5) <= data_end && (quic[0] & 0xf0) == 0xc0 && quic[1] == 0 && quic[2] == 0
	    && quic[3] == 0 && quic[4] == 1) {
		__u32 zero = 0;
		struct initial_window *window = bpf_map_lookup_elem(&initial_limit, &zero);

		if (window) {
			__u64 now = bpf_ktime_get_ns();

			/* CPUs racing at a window's turn may each start it: a few more get through, never fewer */
			if (now - window->start >= NSEC_PER_SEC) {
				window->start = now;
				window->count = 0;
			}
			if (window->count >= INITIAL_RATE) {
				__sync_fetch_and_add(&window->dropped, 1);
				return XDP_DROP;
			}
			__sync_fetch_and_add(&window->count, 1);
		}
	}

	/* key = receive queue; XDP_PASS is the action when the slot is empty */
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
