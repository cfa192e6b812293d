// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The smallest XDP program that works with quic-xdp's map mode.
 *
 * UDP datagrams to QUIC_PORT (IPv4 and IPv6) go to the AF_XDP socket in slot rx_queue_index of the
 * XSKMAP "xsks"; everything else, and anything arriving while that slot is empty, goes on to the
 * kernel (XDP_PASS). Build, load and pin it as docs/operator-guide.md shows.
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

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64); /* at least the interface's receive queue count */
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

SEC("xdp")
int redirect_quic(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;

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

	/* key = receive queue; XDP_PASS is the action when the slot is empty */
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
