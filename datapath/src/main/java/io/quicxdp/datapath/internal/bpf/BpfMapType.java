package io.quicxdp.datapath.internal.bpf;

import java.util.Optional;

/** BPF map types ({@code enum bpf_map_type} in {@code include/uapi/linux/bpf.h}), by their kernel numbers. */
public enum BpfMapType {
    UNSPEC(0),
    HASH(1),
    ARRAY(2),
    PROG_ARRAY(3),
    PERF_EVENT_ARRAY(4),
    PERCPU_HASH(5),
    PERCPU_ARRAY(6),
    STACK_TRACE(7),
    CGROUP_ARRAY(8),
    LRU_HASH(9),
    LRU_PERCPU_HASH(10),
    LPM_TRIE(11),
    ARRAY_OF_MAPS(12),
    HASH_OF_MAPS(13),
    DEVMAP(14),
    SOCKMAP(15),
    CPUMAP(16),
    /** A map of AF_XDP sockets, the target of {@code bpf_redirect_map} in map mode. */
    XSKMAP(17),
    SOCKHASH(18),
    CGROUP_STORAGE(19),
    REUSEPORT_SOCKARRAY(20),
    PERCPU_CGROUP_STORAGE(21),
    QUEUE(22),
    STACK(23),
    SK_STORAGE(24),
    DEVMAP_HASH(25),
    STRUCT_OPS(26),
    RINGBUF(27),
    INODE_STORAGE(28),
    TASK_STORAGE(29),
    BLOOM_FILTER(30),
    USER_RINGBUF(31),
    CGRP_STORAGE(32),
    ARENA(33);

    private static final BpfMapType[] BY_ID = values();

    private final int id;

    BpfMapType(int id) {
        this.id = id;
    }

    /** The kernel's number for this type. */
    public int id() {
        return id;
    }

    /** The type with kernel number {@code id}, empty for one newer than this list. */
    public static Optional<BpfMapType> of(int id) {
        return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[id]) : Optional.empty();
    }

    /** A readable name for kernel type number {@code id}, such as {@code XSKMAP}, or {@code type 40}. */
    public static String nameOf(int id) {
        return of(id).map(Enum::name).orElse("type " + id);
    }
}
