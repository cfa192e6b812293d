package io.quicxdp.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;

/**
 * Java NIO: one blocking dual-stack {@link DatagramChannel} on the wildcard address, a direct buffer, a
 * thread in {@code receive}; echo sends the buffer back to the address {@code receive} returned.
 */
final class NioReceiver extends Receiver {

    private final int port;

    private DatagramChannel channel;

    private Thread thread;

    NioReceiver(int port) {
        this.port = port;
    }

    @Override
    void start() throws IOException {
        channel = DatagramChannel.open(StandardProtocolFamily.INET6);
        channel.bind(new InetSocketAddress(port));
        thread = new Thread(this::run, "nio-receiver");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
        try {
            while (true) {
                buffer.clear();
                SocketAddress sender = channel.receive(buffer);
                noteThread();
                handled.increment();
                if (echo) {
                    buffer.flip();
                    if (channel.send(buffer, sender) > 0) {
                        echoed.increment();
                    }
                }
            }
        }
        catch (ClosedChannelException ex) {
            // closing
        }
        catch (IOException ex) {
            ex.printStackTrace();
        }
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }
}
