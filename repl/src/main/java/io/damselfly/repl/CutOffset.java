package io.damselfly.repl;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The stream offset a snapshot's cut stands for, named once by whichever thread learns it (the
 * merge passes the cut only once the multi-shard operations before it are complete, which their
 * coordinators report on their own threads) and awaited by the thread that writes the image's
 * head. The monitor orders the write before the waiter's read.
 */
final class CutOffset {
    private long offset = -1;

    synchronized void set(long at) {
        offset = at;
        notifyAll();
    }

    /** The offset, or -1 while nobody named it. */
    synchronized long get() {
        return offset;
    }

    /** Waits up to {@code seconds} for the offset; returns it, or -1 if it did not come. */
    synchronized long await(long seconds) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (offset < 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return -1;
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for a cut's offset");
            }
        }
        return offset;
    }
}
