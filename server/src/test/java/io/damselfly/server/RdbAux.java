package io.damselfly.server;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the AUX fields at the head of an RDB file, independently of the server's own reader:
 * "REDIS" and four version digits, then opcode 0xFA with a name and a value string, repeated.
 */
final class RdbAux {
    private static final int AUX = 0xFA;

    private RdbAux() {
    }

    static Map<String, String> read(Path file) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw))) {
            byte[] magic = new byte[9];
            in.readFully(magic);
            if (!new String(magic, 0, 5, StandardCharsets.US_ASCII).equals("REDIS")) {
                throw new IOException("not an RDB file: " + file);
            }
            Map<String, String> aux = new LinkedHashMap<>();
            while (in.readUnsignedByte() == AUX) {
                String name = string(in);
                aux.put(name, string(in));
            }
            return aux;
        }
    }

    /** A length-prefixed string, or an integer encoded as one (LZF does not occur in AUX values here). */
    private static String string(DataInputStream in) throws IOException {
        int first = in.readUnsignedByte();
        int kind = first >>> 6;
        long length;
        switch (kind) {
            case 0 -> length = first & 0x3F;
            case 1 -> length = ((first & 0x3F) << 8) | in.readUnsignedByte();
            case 2 -> length = first == 0x80 ? Integer.toUnsignedLong(in.readInt()) : in.readLong();
            default -> {
                return switch (first & 0x3F) {
                    case 0 -> Integer.toString(in.readByte());
                    case 1 -> Integer.toString(Short.reverseBytes(in.readShort()));
                    case 2 -> Integer.toString(Integer.reverseBytes(in.readInt()));
                    default -> throw new IOException("unexpected string encoding " + first);
                };
            }
        }
        if (length > 1 << 20) {
            throw new IOException("an AUX string of " + length + " bytes");
        }
        byte[] b = new byte[(int) length];
        in.readFully(b);
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
