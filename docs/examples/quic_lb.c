// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A reference XDP load balancer for QUIC servers whose connection IDs carry a QUIC-LB plaintext server ID
 * (quic.xdp.quic.server-id; docs/fleet.md). Attached to the interface clients reach, it sends each UDP
 * datagram to QUIC_PORT to a backend slot:
 *
 *  - a short-header packet (first bit 0) whose destination connection ID has config-rotation bits other than
 *    0b111 and, at its octets 1 to SERVER_ID_LEN, a server ID found in lb_server_ids: that server ID's slot,
 *    wherever the client's address has moved;
 *  - everything else to the port (long headers: Initial, 0-RTT, Handshake, Retry; unroutable or unknown
 *    connection IDs; datagrams too short to hold a server ID; anything not QUIC): the slot a hash of the
 *    addresses and ports picks among the first lb_config[0] slots.
 *
 * The frame leaves through the DEVMAP slot lb_backends[slot] with lb_macs[slot]'s Ethernet addresses written
 * over its own: the backend is on the same L2 segment and owns the service address (on its loopback, say),
 * and answers the client directly. Not UDP, another port, IPv4 fragments, IPv6 extension headers, and
 * everything while lb_config[0] is 0, go on to this machine's kernel (XDP_PASS).
 *
 * docs/fleet.md shows how to build, load and fill it; the tests build, load and fill it the same way, and run
 * the same program assembled in Java (LoadBalancerProgram) against real traffic.
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

/* the length of quic.xdp.quic.server-id, in octets: 1 to 15 */
#ifndef SERVER_ID_LEN
#define SERVER_ID_LEN 2
#endif

#define MAX_BACKENDS 64
/* more than one server ID a backend while IDs rotate */
#define MAX_SERVER_IDS 1024
/* the config-rotation codepoint QUIC-LB keeps for connection IDs no load balancer can route */
#define UNROUTABLE 0x7

struct server_id {
	__u8 octets[SERVER_ID_LEN];
};

/* the Ethernet header's first twelve octets, in its order */
struct macs {
	__u8 dest[ETH_ALEN];
	__u8 source[ETH_ALEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_SERVER_IDS);
	__type(key, struct server_id);
	__type(value, __u32); /* slot */
} lb_server_ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);   /* slot */
	__type(value, __u32); /* ifindex the backend is reached through */
} lb_backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32); /* slot */
	__type(value, struct macs);
} lb_macs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32); /* [0]: how many slots, from 0, what is hashed spreads over */
} lb_config SEC(".maps");

static __always_inline __u32 mix(__u32 hash)
{
	hash ^= hash >> 16;
	hash *= 0x45d9f3b;
	hash ^= hash >> 16;
	return hash;
}

SEC("xdp")
int quic_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	struct macs *macs;
	__u32 hash, slot, zero = 0, *found, *hashed;
	__u8 *quic;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5 || ip->protocol != IPPROTO_UDP)
			return XDP_PASS;
		/* a datagram's fragments stay together: the kernel reassembles them */
		if (ip->frag_off & bpf_htons(0x3fff))
			return XDP_PASS;
		udp = (void *)ip + ip->ihl * 4;
		hash = ip->saddr ^ ip->daddr;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->version != 6 || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		udp = (void *)(ip6 + 1);
		hash = 0;
		for (int i = 0; i < 4; i++)
			hash ^= ip6->saddr.in6_u.u6_addr32[i] ^ ip6->daddr.in6_u.u6_addr32[i];
	} else {
		return XDP_PASS;
	}

	if ((void *)(udp + 1) > data_end || udp->dest != bpf_htons(QUIC_PORT))
		return XDP_PASS;
	/* both ports as the one word they are in the header */
	hash = mix(hash ^ *(__u32 *)udp);

	/* a short header: its first octet, then the connection ID: rotation bits, server ID, the rest */
	quic = (void *)(udp + 1);
	if ((void *)(quic + 2 + SERVER_ID_LEN) <= data_end && !(quic[0] & 0x80) && (quic[1] >> 5) != UNROUTABLE) {
		found = bpf_map_lookup_elem(&lb_server_ids, quic + 2);
		if (found) {
			slot = *found;
			goto forward;
		}
	}

	hashed = bpf_map_lookup_elem(&lb_config, &zero);
	if (!hashed || *hashed == 0)
		return XDP_PASS;
	slot = hash % *hashed;

forward:
	macs = bpf_map_lookup_elem(&lb_macs, &slot);
	if (!macs)
		return XDP_DROP;
	__builtin_memcpy(eth, macs, sizeof(*macs));
	/* XDP_DROP when the slot has no interface */
	return bpf_redirect_map(&lb_backends, slot, XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
