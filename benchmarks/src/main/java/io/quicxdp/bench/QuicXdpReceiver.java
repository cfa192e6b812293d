package io.quicxdp.bench;

import io.quicxdp.datapath.DatagramHandler;
import io.quicxdp.datapath.ReceivedDatagram;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.state.SocketState;
import java.nio.file.Path;
import java.util.List;

/** The quic-xdp datapath in map mode, through its public API only: default settings, one queue. */
final class QuicXdpReceiver extends Receiver implements DatagramHandler {

    private final String interfaceName;

    private final Path mapPin;

    private final int port;

    private XdpDatapath datapath;

    QuicXdpReceiver(String interfaceName, Path mapPin, int port) {
        this.interfaceName = interfaceName;
        this.mapPin = mapPin;
        this.port = port;
    }

    @Override
    void start() {
        datapath = XdpDatapath.open(List.of(new XdpMapConfig(interfaceName, mapPin, List.of(0))),
                DatapathSettings.defaults());
        datapath.bind(port, this);
        System.err.println("quic-xdp: " + datapath.settings() + ", " + datapath.state().sockets());
    }

    @Override
    public void onDatagram(ReceivedDatagram datagram) {
        noteThread();
        handled.increment();
        if (echo && datagram.reply(datagram.payload())) {
            echoed.increment();
        }
    }

    @Override
    long drops() {
        long drops = 0;
        for (SocketState socket : datapath.state().sockets()) {
            for (long count : socket.drops().values()) {
                drops += count;
            }
        }
        return drops;
    }

    @Override
    public void close() {
        if (datapath != null) {
            System.err.println("quic-xdp at close: " + datapath.state().sockets());
            datapath.close();
        }
    }
}
