package io.damselfly.repl.rdb;

import java.io.IOException;

/** An RDB file or DUMP payload that cannot be loaded: corrupt, truncated, or of a kind not supported. */
public final class RdbException extends IOException {
    private final long offset;

    public RdbException(long offset, String message) {
        super("Bad RDB data at offset " + offset + ": " + message);
        this.offset = offset;
    }

    /** Byte offset in the file or payload where the problem was found. */
    public long offset() {
        return offset;
    }
}
