/**
 * The quic-xdp agent: a small privileged process that inserts applications' AF_XDP sockets into the XSKMAPs it
 * serves, so that the applications make no {@code bpf()} call themselves.
 *
 * <p>May import: the datapath's {@code internal.bpf}, {@code internal.linux} and {@code internal.source} (the
 * agent protocol it shares with the datapath), whose jar it ships inside its own.
 */
package io.quicxdp.agent;
