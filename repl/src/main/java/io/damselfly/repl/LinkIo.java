package io.damselfly.repl;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** The text side of a replication link, for either protocol: commands sent, reply lines read. */
public final class LinkIo {
    private LinkIo() {
    }

    /** Sends a command as a RESP array of bulk strings, and flushes. */
    public static void send(OutputStream out, String... args) throws IOException {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            byte[] b = a.getBytes(StandardCharsets.UTF_8);
            sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
        }
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /**
     * A line without its CRLF, skipping empty lines (a master sends them to keep the link alive
     * while it prepares); throws when the peer closed the connection.
     */
    public static String line(InputStream in) throws IOException {
        while (true) {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("connection closed by the peer");
                }
                if (c != '\r') {
                    sb.append((char) c);
                }
            }
            if (sb.length() > 0) {
                return sb.toString();
            }
        }
    }
}
