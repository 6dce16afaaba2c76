package io.damselfly.engine.keyspace;

/**
 * Redis Cluster's key slots: CRC16 (XMODEM) of the key, or of its first non-empty
 * {@code {hash tag}}, modulo 16384. Nodes with different shard counts agree on a key's slot.
 */
public final class Slots {
    public static final int COUNT = 16384;
    private static final int[] TABLE = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            TABLE[i] = crc & 0xFFFF;
        }
    }

    private Slots() {
    }

    public static int crc16(byte[] b, int off, int len) {
        int crc = 0;
        for (int i = off, end = off + len; i < end; i++) {
            crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ b[i]) & 0xFF]) & 0xFFFF;
        }
        return crc;
    }

    public static int slot(byte[] key, int off, int len) {
        int end = off + len;
        for (int i = off; i < end; i++) {
            if (key[i] == '{') {
                for (int j = i + 1; j < end; j++) {
                    if (key[j] == '}') {
                        if (j == i + 1) {
                            break; // "{}" hashes the whole key
                        }
                        return crc16(key, i + 1, j - i - 1) & (COUNT - 1);
                    }
                }
                break;
            }
        }
        return crc16(key, off, len) & (COUNT - 1);
    }

    public static int slot(byte[] key) {
        return slot(key, 0, key.length);
    }
}
