package io.quicxdp.datapath.internal.netlink;

import io.quicxdp.datapath.internal.linux.DirectBuffers;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.Ethtool;
import io.quicxdp.datapath.internal.linux.FileDescriptor;
import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.Sockets;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code NETLINK_ROUTE} socket for the questions the datapath asks the kernel: what an interface is
 * (its MAC, MTU and usable receive queues), which way a destination is routed, and the MAC address of
 * the next hop, resolving it with ARP or NDP when the kernel does not know it yet.
 *
 * <p>Answers come from the network namespace of the thread that opened the socket, wherever it is used
 * later. Each request carries a new sequence number; replies with any other number (left over from an
 * earlier request that timed out) are skipped. Every wait for a reply ends after the reply timeout.
 *
 * <p>Not thread-safe: the socket has one request buffer and one receive buffer and expects its replies
 * in order, so callers that share one must synchronise around each call.
 */
public final class RouteNetlinkSocket implements AutoCloseable {

    /** How long a request waits for its reply unless {@link #open(Duration)} says otherwise. */
    public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(5);

    private static final int AF_UNSPEC = 0;

    /** The kernel sizes dump messages to the reader's buffer but never above 32 KiB; single replies are smaller. */
    private static final int RECEIVE_BUFFER_SIZE = 64 * 1024;

    private static final int REQUEST_BUFFER_SIZE = 512;

    /** Attempts at a link dump that the kernel reports as inconsistent because links changed meanwhile. */
    private static final int DUMP_ATTEMPTS = 3;

    private static final long FIRST_POLL_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private static final long MAX_POLL_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    /** The discard service: whatever answers there, if anything, ignores the datagram. */
    private static final int DISCARD_PORT = 9;

    private static final String[] ROUTE_TYPES = {"unspecified", "unicast", "local", "broadcast", "anycast",
        "multicast", "blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve"};

    private final FileDescriptor fd;

    private final Duration replyTimeout;

    private final NetlinkRequest request = new NetlinkRequest(DirectBuffers.allocate(REQUEST_BUFFER_SIZE));

    private final ByteBuffer reply = DirectBuffers.allocate(RECEIVE_BUFFER_SIZE);


    private int sequence;

    /** Set once the kernel refuses {@code NTF_USE} for want of {@code CAP_NET_ADMIN}, so it is not asked again. */
    private boolean neighbourUseRefused;

    private RouteNetlinkSocket(int fd, Duration replyTimeout) {
        this.fd = new FileDescriptor(fd, "route netlink");
        this.replyTimeout = replyTimeout;
    }

    /** Opens a socket whose requests wait up to {@link #DEFAULT_REPLY_TIMEOUT} for their replies. */
    public static RouteNetlinkSocket open() throws NativeIoException {
        return open(DEFAULT_REPLY_TIMEOUT);
    }

    /**
     * Opens a socket in the calling thread's network namespace.
     *
     * @param replyTimeout how long each request waits for its reply, at least 1 ms
     */
    public static RouteNetlinkSocket open(Duration replyTimeout) throws NativeIoException {
        long millis = replyTimeout.toMillis();
        if (millis < 1) {
            throw new IllegalArgumentException("reply timeout must be at least 1 ms: " + replyTimeout);
        }
        int fd = Sockets.open(Sockets.AF_NETLINK, Sockets.SOCK_RAW, Netlink.NETLINK_ROUTE, "AF_NETLINK NETLINK_ROUTE");
        try {
            Sockets.setTimeout(fd, Sockets.SO_RCVTIMEO, Duration.ofMillis(millis));
            // errors then carry the kernel's own explanation, and echo only the failed request's header
            Sockets.setOption(fd, Netlink.SOL_NETLINK, Netlink.NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK");
            Sockets.setOption(fd, Netlink.SOL_NETLINK, Netlink.NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK");
            return new RouteNetlinkSocket(fd, replyTimeout);
        }
        catch (NativeIoException | RuntimeException ex) {
            FileDescriptors.closeQuietly(fd);
            throw ex;
        }
    }

    /**
     * The interface called {@code name}.
     *
     * @throws NativeIoException with {@code ENODEV} when there is no such interface
     */
    public LinkInfo link(String name) throws IOException {
        startLinkRequest(Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, 0);
        request.attribute(Netlink.IFLA_IFNAME, name);
        return singleLink("RTM_GETLINK(" + name + ")");
    }

    /**
     * The interface with index {@code index}.
     *
     * @throws NativeIoException with {@code ENODEV} when there is no such interface
     */
    public LinkInfo link(int index) throws IOException {
        startLinkRequest(Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, index);
        return singleLink("RTM_GETLINK(ifindex " + index + ")");
    }

    /** Every interface in the namespace, in the kernel's order, from a link dump. */
    public List<LinkInfo> links() throws IOException {
        for (int attempt = 1; attempt <= DUMP_ATTEMPTS; attempt++) {
            startLinkRequest(Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP, 0);
            Replies<ParsedLink> replies = exchange("RTM_GETLINK(dump)", Netlink.RTM_NEWLINK,
                    RouteNetlinkSocket::parseLink);
            if (!replies.interrupted()) {
                List<LinkInfo> links = new ArrayList<>(replies.messages().size());
                for (ParsedLink link : replies.messages()) {
                    links.add(withBindableRxQueues(link));
                }
                return links;
            }
        }
        throw new IOException("RTM_GETLINK(dump): interfaces kept changing during " + DUMP_ATTEMPTS + " dumps");
    }

    /**
     * The kernel's route to {@code destination}, as {@code ip route get} shows it. An IPv6 destination's
     * scope id, if it has one, selects the outgoing interface.
     *
     * @throws NativeIoException with the kernel's errno when there is no route, such as {@code ENETUNREACH}
     * @throws NextHopException when the route is not a unicast one out of an interface (the destination is
     *         local, broadcast, multicast, or blackholed)
     */
    public Route route(InetAddress destination) throws IOException {
        boolean ipv6 = destination instanceof Inet6Address;
        String what = "RTM_GETROUTE(" + destination.getHostAddress() + ")";
        request.start(Netlink.RTM_GETROUTE, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK);
        // family, destination prefix length, then source length, tos, table, protocol, scope, type, flags
        request.u8(family(destination)).u8(ipv6 ? 128 : 32).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
        request.attribute(Netlink.RTA_DST, destination);
        int scope = ipv6 ? ((Inet6Address) destination).getScopeId() : 0;
        if (scope > 0) {
            request.attribute(Netlink.RTA_OIF, scope);
        }
        ParsedRoute parsed = single(exchange(what, Netlink.RTM_NEWROUTE, RouteNetlinkSocket::parseRoute)
                .messages(), what);
        if (parsed.type() != Netlink.RTN_UNICAST) {
            String type = parsed.type() < ROUTE_TYPES.length ? ROUTE_TYPES[parsed.type()] : "" + parsed.type();
            throw new NextHopException(destination.getHostAddress() + " has a route of type " + type
                    + ", not a unicast route out of an interface, so it has no next hop to send frames to");
        }
        return new Route(destination, parsed.interfaceIndex(), parsed.gateway(), parsed.preferredSource());
    }

    /**
     * The MAC address the kernel holds for {@code address} on interface {@code interfaceIndex}, without
     * asking the network: present when the neighbour entry is in a usable state (REACHABLE, STALE, DELAY,
     * PROBE, PERMANENT or NOARP) with a 6-byte address.
     *
     * @return the MAC in the low 48 bits, or null when the kernel has no usable entry
     * @throws NativeIoException with {@code ENODEV} when there is no such interface
     */
    public Long neighbourMac(int interfaceIndex, InetAddress address) throws IOException {
        Neighbour neighbour = neighbour(interfaceIndex, address);
        return neighbour != null && neighbour.usable() && neighbour.hasMac()
                ? Netlink.macToLong(neighbour.linkAddress()) : null;
    }

    /**
     * Where to send a raw frame for {@code destination}: the route (outgoing interface, gateway, source
     * address) and the MAC address of the next hop, the gateway or else the destination itself.
     *
     * <p>When the kernel has no usable neighbour entry for the next hop, this starts ARP (IPv4) or neighbour
     * discovery (IPv6) and polls the entry with short pauses until it resolves or {@code timeout} passes.
     * Resolution is started with an {@code RTM_NEWNEIGH} request flagged {@code NTF_USE}, the kernel's
     * "use this entry" nudge, which needs {@code CAP_NET_ADMIN}. Without that capability it sends one empty
     * UDP datagram to port 9 (discard) of the destination through an ordinary socket: the kernel must resolve
     * the next hop to transmit it, and any process may send one. That datagram goes out from the calling
     * thread's namespace, which must then be the one this socket was opened in.
     *
     * @throws NextHopException when the route is not unicast, or the next hop's MAC is still unknown when
     *         {@code timeout} has passed; the message names the address, the interface and the entry's state
     * @throws NativeIoException when the kernel refuses a request, such as {@code ENETUNREACH} for no route
     * @throws InterruptedIOException when the thread is interrupted while waiting
     */
    public NextHop resolve(InetAddress destination, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Route route = route(destination);
        InetAddress nextHop = route.nextHop();
        int interfaceIndex = route.interfaceIndex();
        long pause = FIRST_POLL_PAUSE_NANOS;
        Neighbour neighbour = neighbour(interfaceIndex, nextHop);
        // each pass either returns or sleeps at least FIRST_POLL_PAUSE_NANOS, so the deadline bounds the passes
        while (true) {
            if (neighbour != null && neighbour.usable()) {
                return nextHop(route, neighbour);
            }
            if (needsResolution(neighbour)) {
                startResolution(interfaceIndex, nextHop, destination);
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                break;
            }
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(pause, remaining));
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while resolving " + describeNextHop(route));
            }
            pause = Math.min(pause * 2, MAX_POLL_PAUSE_NANOS);
            neighbour = neighbour(interfaceIndex, nextHop);
        }
        throw new NextHopException("no MAC address for " + describeNextHop(route) + " on "
                + describeInterface(interfaceIndex) + " within " + timeout.toMillis() + " ms: "
                + (neighbour == null ? "no neighbour entry" : "neighbour state " + neighbour.stateName())
                + (nextHop instanceof Inet6Address ? ", no answer to neighbour solicitations"
                        : ", no answer to ARP requests"));
    }

    /**
     * Where to send a raw frame for {@code destination} by what the kernel knows now, without waiting: as
     * {@link #resolve}, but when the next hop has no usable neighbour entry this starts resolution and returns
     * null at once. The kernel announces the entry when it resolves (see {@link RoutingChanges}).
     *
     * <p>A STALE entry's MAC is returned, and with {@code CAP_NET_ADMIN} the kernel is asked to confirm it
     * ({@code NTF_USE}), as it does before it sends its own packets on such an entry: frames sent around the
     * kernel never make it check that the next hop still has that MAC. When the next hop does not answer for
     * the old MAC the entry fails, and the next lookup resolves it anew.
     *
     * @return the next hop, or null while its MAC is being resolved
     * @throws NextHopException when the route is not unicast, or the next hop has no Ethernet address
     * @throws NativeIoException when the kernel refuses a request, such as {@code ENETUNREACH} for no route
     */
    public NextHop lookup(InetAddress destination) throws IOException {
        Route route = route(destination);
        InetAddress nextHop = route.nextHop();
        int interfaceIndex = route.interfaceIndex();
        Neighbour neighbour = neighbour(interfaceIndex, nextHop);
        if (neighbour != null && neighbour.usable()) {
            if (neighbour.state() == Netlink.NUD_STALE) {
                // without CAP_NET_ADMIN the entry is confirmed only when the host itself sends to the next hop
                useNeighbour(interfaceIndex, nextHop);
            }
            return nextHop(route, neighbour);
        }
        if (needsResolution(neighbour)) {
            startResolution(interfaceIndex, nextHop, destination);
        }
        return null;
    }

    /** Closes the socket; later calls do nothing, and requests after it fail. */
    @Override
    public void close() {
        fd.close();
    }

    /**
     * Sends one empty UDP datagram to port 9 of {@code destination} through an ordinary socket of the calling
     * thread's namespace, so that the kernel resolves the next hop's link-layer address to transmit it.
     *
     * @param interfaceIndex the interface that scopes a link-local IPv6 destination that has no scope id
     */
    static void sendDiscardDatagram(InetAddress destination, int interfaceIndex) throws NativeIoException {
        byte[] raw = destination.getAddress();
        ByteBuffer to = DirectBuffers.allocate(28);
        int toLength;
        int family;
        // sockaddr_in and sockaddr_in6 keep the family in native order, the port and address in network order
        to.put(2, (byte) (DISCARD_PORT >> 8));
        to.put(3, (byte) DISCARD_PORT);
        if (destination instanceof Inet6Address ipv6) {
            family = Sockets.AF_INET6;
            to.put(8, raw);
            int scope = ipv6.getScopeId() > 0 ? ipv6.getScopeId() : ipv6.isLinkLocalAddress() ? interfaceIndex : 0;
            to.putInt(24, scope);
            toLength = 28;
        }
        else {
            family = Sockets.AF_INET;
            to.put(4, raw);
            toLength = 16;
        }
        to.putShort(0, (short) family);
        int udp = Sockets.open(family, Sockets.SOCK_DGRAM, 0, "UDP for neighbour resolution");
        try {
            Sockets.sendTo(udp, DirectBuffers.allocate(1), 0, to, toLength,
                    "empty UDP datagram to " + destination.getHostAddress() + " port " + DISCARD_PORT);
        }
        finally {
            FileDescriptors.closeQuietly(udp);
        }
    }

    private void startLinkRequest(int flags, int index) {
        request.start(Netlink.RTM_GETLINK, flags);
        // family, pad, device type, index, flags, change mask
        request.u8(AF_UNSPEC).u8(0).u16(0).u32(index).u32(0).u32(0);
        // counters are not needed, and leaving them out keeps each reply small
        request.attribute(Netlink.IFLA_EXT_MASK, Netlink.RTEXT_FILTER_SKIP_STATS);
    }

    private LinkInfo singleLink(String what) throws IOException {
        return withBindableRxQueues(single(exchange(what, Netlink.RTM_NEWLINK, RouteNetlinkSocket::parseLink)
                .messages(), what));
    }

    /**
     * Completes a link with the receive and transmit queues in use. AF_XDP binds to queue ids below the device's real
     * receive queue count, which drivers may set below the count it was created with: veth takes
     * {@code ethtool -L}, and without an explicit {@code numrxqueues} uses one queue of the several it
     * allocates. The ethtool channel counts report the real count, and the ioctl goes through this socket so
     * that it answers for the same namespace, unlike {@code /sys/class/net}, which shows the namespace sysfs
     * was mounted in. Drivers without channel counts (such as {@code lo}) keep the count they were created
     * with.
     */
    private LinkInfo withBindableRxQueues(ParsedLink link) throws NativeIoException {
        int bindable = link.numRxQueues();
        int transmit = link.numTxQueues();
        try {
            Ethtool.Channels channels = Ethtool.channels(fd.intValue(), link.name());
            if (channels.rx() + channels.combined() > 0) {
                bindable = channels.rx() + channels.combined();
            }
            if (channels.tx() + channels.combined() > 0) {
                transmit = channels.tx() + channels.combined();
            }
        }
        catch (NativeIoException ex) {
            if (ex.errno() != Errno.EOPNOTSUPP) {
                throw ex;
            }
        }
        return new LinkInfo(link.index(), link.name(), link.mac(), link.mtu(), link.numRxQueues(),
                link.numTxQueues(), link.up(), link.running(), bindable, transmit, link.xdpProgramId());
    }

    private Neighbour neighbour(int interfaceIndex, InetAddress address) throws IOException {
        request.start(Netlink.RTM_GETNEIGH, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK);
        putNeighbourHeader(address, interfaceIndex, Netlink.NUD_NONE, 0);
        request.attribute(Netlink.NDA_DST, address);
        String what = "RTM_GETNEIGH(" + address.getHostAddress() + " ifindex " + interfaceIndex + ")";
        try {
            return single(exchange(what, Netlink.RTM_NEWNEIGH, RouteNetlinkSocket::parseNeighbour).messages(),
                    what);
        }
        catch (NativeIoException ex) {
            if (ex.errno() == Errno.ENOENT) {
                return null;
            }
            throw ex;
        }
    }

    private NextHop nextHop(Route route, Neighbour neighbour) throws NextHopException {
        if (!neighbour.hasMac()) {
            throw new NextHopException(describeNextHop(route) + " on " + describeInterface(route.interfaceIndex())
                    + " has no Ethernet address (neighbour state " + neighbour.stateName() + ")");
        }
        return new NextHop(route, Netlink.macToLong(neighbour.linkAddress()));
    }

    /** An INCOMPLETE entry already has a probe in flight; a missing, new or FAILED one needs a new start. */
    private static boolean needsResolution(Neighbour neighbour) {
        return neighbour == null || neighbour.state() == Netlink.NUD_NONE || neighbour.state() == Netlink.NUD_FAILED;
    }

    private void startResolution(int interfaceIndex, InetAddress nextHop, InetAddress destination)
            throws IOException {
        if (!useNeighbour(interfaceIndex, nextHop)) {
            sendDiscardDatagram(destination, interfaceIndex);
        }
    }

    /**
     * Tells the kernel the entry is about to be used ({@code NTF_USE}): a missing, new or FAILED entry starts
     * resolving, a STALE one is probed. Never sent for PERMANENT entries, which it would turn into dynamic ones.
     *
     * @return false when the kernel refuses for want of {@code CAP_NET_ADMIN}
     */
    private boolean useNeighbour(int interfaceIndex, InetAddress nextHop) throws IOException {
        if (neighbourUseRefused) {
            return false;
        }
        // NLM_F_CREATE makes the entry when there is none
        request.start(Netlink.RTM_NEWNEIGH, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK | Netlink.NLM_F_CREATE);
        putNeighbourHeader(nextHop, interfaceIndex, Netlink.NUD_NONE, Netlink.NTF_USE);
        request.attribute(Netlink.NDA_DST, nextHop);
        try {
            exchange("RTM_NEWNEIGH(NTF_USE " + nextHop.getHostAddress() + " ifindex " + interfaceIndex + ")",
                    Netlink.RTM_NEWNEIGH, RouteNetlinkSocket::parseNeighbour);
            return true;
        }
        catch (NativeIoException ex) {
            if (ex.errno() != Errno.EPERM) {
                throw ex;
            }
            neighbourUseRefused = true;
            return false;
        }
    }

    private void putNeighbourHeader(InetAddress address, int interfaceIndex, int state, int flags) {
        // family, two pad fields, interface index, state, flags, type
        request.u8(family(address)).u8(0).u16(0).u32(interfaceIndex).u16(state).u8(flags).u8(0);
    }

    /**
     * Sends the request written into {@link #request} and collects the replies of {@code replyType}, until
     * the kernel's ack (every request here but a dump asks for one) or {@code NLMSG_DONE} (which ends a dump).
     */
    private <T> Replies<T> exchange(String what, int replyType, Parser<T> parser) throws IOException {
        int expected = ++sequence;
        int length = request.finish(expected);
        Sockets.sendTo(fd.intValue(), request.buffer(), length, null, 0, "NETLINK_ROUTE " + what);
        long deadline = System.nanoTime() + replyTimeout.toNanos();
        List<T> messages = new ArrayList<>();
        boolean interrupted = false;
        // each pass receives or fails; SO_RCVTIMEO bounds one receive and the deadline bounds the passes
        while (System.nanoTime() - deadline < 0) {
            long received = Sockets.receive(fd.intValue(), reply);
            if (received == -Errno.EINTR) {
                continue;
            }
            if (received == -Errno.EAGAIN) {
                break;
            }
            if (received < 0) {
                throw new NativeIoException("recv(NETLINK_ROUTE reply to " + what + ")", (int) -received);
            }
            int offset = 0;
            while (offset + Netlink.HEADER_LENGTH <= received) {
                int messageLength = reply.getInt(offset + Netlink.LENGTH_OFFSET);
                if (messageLength < Netlink.HEADER_LENGTH || offset + messageLength > received) {
                    throw new IOException("malformed netlink reply to " + what + ": a message of " + messageLength
                            + " bytes at offset " + offset + " of " + received);
                }
                int type = reply.getShort(offset + Netlink.TYPE_OFFSET) & 0xffff;
                int flags = reply.getShort(offset + Netlink.FLAGS_OFFSET) & 0xffff;
                if (reply.getInt(offset + Netlink.SEQUENCE_OFFSET) == expected) {
                    if (type == Netlink.NLMSG_ERROR) {
                        int error = reply.getInt(offset + Netlink.HEADER_LENGTH);
                        if (error == 0) {
                            return new Replies<>(messages, interrupted);
                        }
                        String message = Netlink.extendedAckMessage(reply, offset, messageLength);
                        throw new NativeIoException(message == null ? what : what + " [" + message + "]", -error);
                    }
                    if (type == Netlink.NLMSG_DONE) {
                        int status = messageLength >= Netlink.HEADER_LENGTH + 4
                                ? reply.getInt(offset + Netlink.HEADER_LENGTH) : 0;
                        if (status < 0) {
                            throw new NativeIoException(what, -status);
                        }
                        return new Replies<>(messages, interrupted);
                    }
                    if (type == replyType) {
                        interrupted |= (flags & Netlink.NLM_F_DUMP_INTR) != 0;
                        messages.add(parser.parse(reply, offset + Netlink.HEADER_LENGTH, offset + messageLength));
                    }
                }
                offset += Netlink.align(messageLength);
            }
        }
        throw new NativeIoException("recv(NETLINK_ROUTE reply to " + what + " within " + replyTimeout.toMillis()
                + " ms)", Errno.EAGAIN);
    }

    private static <T> T single(List<T> messages, String what) throws IOException {
        if (messages.size() != 1) {
            throw new IOException(what + ": expected one reply, the kernel sent " + messages.size());
        }
        return messages.get(0);
    }

    private String describeInterface(int interfaceIndex) {
        try {
            return link(interfaceIndex).name() + " (ifindex " + interfaceIndex + ")";
        }
        catch (IOException ex) {
            return "ifindex " + interfaceIndex;
        }
    }

    private static String describeNextHop(Route route) {
        return route.gateway() == null ? route.destination().getHostAddress()
                : "gateway " + route.gateway().getHostAddress() + " (next hop to "
                        + route.destination().getHostAddress() + ")";
    }

    private static int family(InetAddress address) {
        return address instanceof Inet6Address ? Sockets.AF_INET6 : Sockets.AF_INET;
    }

    private static ParsedLink parseLink(ByteBuffer buffer, int start, int end) {
        int index = buffer.getInt(start + 4);
        int flags = buffer.getInt(start + 8);
        NetlinkAttributes attributes = NetlinkAttributes.parse(buffer, start + Netlink.IFINFOMSG_LENGTH, end);
        byte[] address = attributes.bytes(Netlink.IFLA_ADDRESS);
        int numRxQueues = attributes.u32(Netlink.IFLA_NUM_RX_QUEUES, 1);
        return new ParsedLink(index, attributes.string(Netlink.IFLA_IFNAME),
                address != null && address.length == 6 ? Netlink.macToLong(address) : 0,
                attributes.u32(Netlink.IFLA_MTU, 0), numRxQueues, attributes.u32(Netlink.IFLA_NUM_TX_QUEUES, 1),
                (flags & Netlink.IFF_UP) != 0, (flags & Netlink.IFF_RUNNING) != 0, xdpProgramId(attributes));
    }

    /**
     * The id of the XDP program attached to a link, 0 for none: {@code IFLA_XDP_PROG_ID} when one program is
     * attached, else (a driver and a generic program at once) the driver's.
     */
    private static int xdpProgramId(NetlinkAttributes link) {
        NetlinkAttributes xdp = link.nested(Netlink.IFLA_XDP);
        if (xdp == null) {
            return 0;
        }
        int id = xdp.u32(Netlink.IFLA_XDP_PROG_ID, 0);
        id = id != 0 ? id : xdp.u32(Netlink.IFLA_XDP_DRV_PROG_ID, 0);
        return id != 0 ? id : xdp.u32(Netlink.IFLA_XDP_SKB_PROG_ID, 0);
    }

    private static ParsedRoute parseRoute(ByteBuffer buffer, int start, int end) {
        int type = buffer.get(start + Netlink.RTMSG_TYPE_OFFSET) & 0xff;
        NetlinkAttributes attributes = NetlinkAttributes.parse(buffer, start + Netlink.RTMSG_LENGTH, end);
        int interfaceIndex = attributes.u32(Netlink.RTA_OIF, 0);
        InetAddress gateway = attributes.address(Netlink.RTA_GATEWAY, interfaceIndex);
        byte[] via = attributes.bytes(Netlink.RTA_VIA);
        if (gateway == null && via != null) {
            // struct rtvia: a 2-byte family, then the router's address, of the other family than the route's
            gateway = NetlinkAttributes.toAddress(Arrays.copyOfRange(via, 2, via.length), interfaceIndex);
        }
        return new ParsedRoute(type, interfaceIndex, gateway, attributes.address(Netlink.RTA_PREFSRC, interfaceIndex));
    }

    private static Neighbour parseNeighbour(ByteBuffer buffer, int start, int end) {
        int state = buffer.getShort(start + Netlink.NDMSG_STATE_OFFSET) & 0xffff;
        NetlinkAttributes attributes = NetlinkAttributes.parse(buffer, start + Netlink.NDMSG_LENGTH, end);
        return new Neighbour(state, attributes.bytes(Netlink.NDA_LLADDR));
    }

    /** Reads one reply message's payload, between the end of its {@code nlmsghdr} and its end. */
    @FunctionalInterface
    private interface Parser<T> {
        T parse(ByteBuffer buffer, int start, int end);
    }

    /** The parsed replies to one request, and whether a dump among them was inconsistent. */
    private record Replies<T>(List<T> messages, boolean interrupted) {
    }

    /** An {@code RTM_NEWLINK} before its usable receive queues are known. */
    private record ParsedLink(int index, String name, long mac, int mtu, int numRxQueues, int numTxQueues,
            boolean up, boolean running, int xdpProgramId) {
    }

    /** An {@code RTM_NEWROUTE} answering a route lookup. */
    private record ParsedRoute(int type, int interfaceIndex, InetAddress gateway, InetAddress preferredSource) {
    }

    /** An {@code RTM_NEWNEIGH}: the entry's state and its link-layer address, if any. */
    private record Neighbour(int state, byte[] linkAddress) {

        boolean usable() {
            return (state & Netlink.NUD_USABLE) != 0;
        }

        boolean hasMac() {
            return linkAddress != null && linkAddress.length == 6;
        }

        String stateName() {
            return Netlink.neighbourStateName(state);
        }
    }
}
