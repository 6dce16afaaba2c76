package io.damselfly.server;

import io.damselfly.engine.exec.Client;
import io.damselfly.engine.resp.ByteOutput;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * A client connection: the engine's {@link Client} plus its socket. Owned by one proactor
 * thread at a time (its home); handed to another only through that proactor's inbox.
 */
final class Connection extends Client {
    final SocketChannel channel;
    SelectionKey key;
    Proactor owner;
    private final String address;
    private final String localAddress;
    private final int fd;

    private ByteBuffer inView;
    private byte[] inViewArray;
    private ByteBuffer outView;
    private byte[] outViewArray;
    /** Bytes of {@link #output()} already written to the socket. */
    int sent;
    long softLimitSince;
    boolean readPaused;
    boolean released;
    /**
     * Set by a takeover body (on its virtual thread, before it returns) for a connection that
     * joins {@link #pumpTarget}'s loop afterwards; read after the hand-off through the target's
     * inbox (release on offer, acquire on poll).
     */
    io.damselfly.engine.exec.Host.Pump pump;
    int pumpTarget;
    /** When its pump first had bytes that were left for a bigger write (nanoTime), 0 for none. */
    long pumpWaitingSince;

    /**
     * @param fd the number CLIENT LIST shows as fd=: the JDK does not expose a socket's file
     *           descriptor, so the server numbers connections itself; tools only use the field to
     *           tell connections apart
     */
    Connection(long id, int home, long nowMs, SocketChannel channel, int fd) {
        super(id, home, nowMs);
        this.channel = channel;
        this.address = format(remote(channel));
        this.localAddress = format(local(channel));
        this.fd = fd;
    }

    private static InetSocketAddress remote(SocketChannel ch) {
        try {
            return (InetSocketAddress) ch.getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
    }

    private static InetSocketAddress local(SocketChannel ch) {
        try {
            return (InetSocketAddress) ch.getLocalAddress();
        } catch (IOException e) {
            return null;
        }
    }

    static String format(InetSocketAddress a) {
        if (a == null) {
            return "";
        }
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        if (host.contains(":")) {
            int pct = host.indexOf('%');
            if (pct >= 0) {
                host = host.substring(0, pct);
            }
            if (host.equals("0:0:0:0:0:0:0:1")) {
                host = "::1";
            }
            return "[" + host + "]:" + a.getPort();
        }
        return host + ":" + a.getPort();
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public String localAddress() {
        return localAddress;
    }

    @Override
    public int fd() {
        return fd;
    }

    /** A ByteBuffer over the free tail of the input buffer (reused while the array stays). */
    ByteBuffer readView() {
        byte[] in = inputBuffer();
        if (in != inViewArray) {
            inViewArray = in;
            inView = ByteBuffer.wrap(in);
        }
        inView.limit(in.length).position(inputLimit());
        return inView;
    }

    /** A ByteBuffer over the unsent part of the output. */
    ByteBuffer writeView() {
        ByteOutput out = output();
        byte[] arr = out.array();
        if (arr != outViewArray) {
            outViewArray = arr;
            outView = ByteBuffer.wrap(arr);
        }
        outView.limit(out.size()).position(sent);
        return outView;
    }

    /** Records the connection's new home proactor, while it travels there. */
    void moveTo(int target) {
        home(target);
    }

    long pendingOutput() {
        return output().size() - sent;
    }

    @Override
    protected void afterAway() {
        if (owner != null) {
            owner.release(this);
        }
    }
}
