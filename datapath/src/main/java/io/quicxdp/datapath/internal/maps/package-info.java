/**
 * Map-mode start-up and the maps once open, internal: every configured map checked before any is touched, then
 * each queue's socket opened and inserted, unwinding on failure
 * ({@link io.quicxdp.datapath.internal.maps.MapModeStartup}); each map's report
 * ({@link io.quicxdp.datapath.internal.maps.MapBinding}); and the typed failures with their fixes.
 *
 * <p>May import: {@code config}, {@code state}, {@code failure}, {@code internal.queue} and the kernel-object
 * packages ({@code internal.xsk}, {@code bpf}, {@code netlink}, {@code source}, {@code linux}).
 */
package io.quicxdp.datapath.internal.maps;
