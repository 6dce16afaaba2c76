package io.damselfly.repl.flow;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where a resumed flow starts: {@link FlowLog#cursorAt} must put the cursor at the first frame
 * of the record asked for (the first piece of a big one), or at the published end when that
 * record is the next one, also while the writer is in the middle of a big record's pieces.
 */
class FlowLogTest {
    private static byte[] record(int size, long n) {
        byte[] b = new byte[size];
        ByteBuffer.wrap(b).putLong(0, n);
        return b;
    }

    /** The frames the cursor sends, up to those of record {@code upTo}. */
    private static byte[] firstFrame(FlowLog log, FlowLog.Cursor c, long upTo) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        log.read(c, upTo, out);
        return out.toByteArray();
    }

    @Test
    void aResumeStartsAtTheFirstPieceOfTheRecordOrAtTheEnd() throws Exception {
        FlowLog log = new FlowLog(0);
        long small = log.append(Frames.RECORD, 0, 0, 0, 0, record(100, 1), 0, 100);
        int bigSize = 3 * Frames.CHUNK + 17;
        long big = log.append(Frames.RECORD, 0, 0, 0, 0, record(bigSize, 2), 0, bigSize);
        long after = log.append(Frames.RECORD, 0, 0, 0, 0, record(50, 3), 0, 50);

        byte[] fromBig = firstFrame(log, log.cursorAt(big), big);
        assertEquals(Frames.PIECE, Frames.kind(fromBig, 0), "the big record's first piece");
        assertEquals(big, Frames.lsn(fromBig, 0));
        assertEquals(Frames.CHUNK, Frames.length(fromBig, 0));
        byte[] fromSmall = firstFrame(log, log.cursorAt(small), small);
        assertEquals(small, Frames.lsn(fromSmall, 0));
        byte[] fromAfter = firstFrame(log, log.cursorAt(after), after);
        assertEquals(Frames.RECORD, Frames.kind(fromAfter, 0));
        assertEquals(after, Frames.lsn(fromAfter, 0));

        FlowLog.Cursor atEnd = log.cursorAt(after + 1);
        assertNotNull(atEnd);
        assertEquals(log.publishedEnd(), atEnd.position());
        assertNull(log.cursorAt(after + 2), "a record not written yet");

        FlowLog empty = new FlowLog(1);
        assertNotNull(empty.cursorAt(1), "the first record of an empty log");
        assertNull(empty.cursorAt(5));
    }

    /**
     * A writer appends big records (in pieces) and small ones while another thread keeps asking
     * for a cursor at the next record; each cursor must start with that record's first frame.
     * Asking the writer's own position instead fails here: a cursor lands in a big record's middle.
     */
    @Test
    void aCursorAtTheNextRecordNeverStartsInsideOneBeingWritten() throws Exception {
        FlowLog log = new FlowLog(0);
        log.backlogSize = 32L * 1024 * 1024;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int bigSize = 8 * Frames.CHUNK + 5;
        byte[] big = new byte[bigSize];
        byte[] small = new byte[40];
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                for (long n = 0; !stop.get(); n++) {
                    if (n % 7 == 0) {
                        log.append(Frames.RECORD, 0, 0, 0, 0, big, 0, big.length);
                    } else {
                        log.append(Frames.RECORD, 0, 0, 0, 0, small, 0, small.length);
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        int checked = 0;
        long deadline = System.currentTimeMillis() + 3_000;
        while (writer.isAlive() && System.currentTimeMillis() < deadline) {
            long next = log.publishedLsn() + 1;
            FlowLog.Cursor c = log.cursorAt(next);
            if (c == null) {
                continue; // raced past a trim: nothing to check
            }
            // read what the cursor sends first, once the record is published (its end, not only its LSN)
            byte[] sent = new byte[0];
            long until = System.currentTimeMillis() + 5_000;
            while (sent.length < Frames.HEADER && System.currentTimeMillis() < until) {
                sent = firstFrame(log, c, next);
            }
            assertTrue(sent.length >= Frames.HEADER, "nothing of record " + next + " after the cursor");
            assertEquals(next, Frames.lsn(sent, 0), "the cursor's first frame belongs to the record asked for");
            long len = Frames.length(sent, 0);
            if (Frames.kind(sent, 0) == Frames.PIECE) {
                assertEquals(Frames.CHUNK, len);
            } else {
                assertEquals(small.length, len, "a record that starts with its last piece lost its start");
            }
            log.detach(c);
            checked++;
        }
        stop.set(true);
        writer.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertTrue(checked > 100, "checked " + checked);
    }

    /** A record of several MB spans many 64 KiB blocks: a resume at it sends all of it, whatever the alignment. */
    @Test
    void aResumeAtAMultiBlockRecordSendsItWhole() throws Exception {
        int bigSize = 3 * 1024 * 1024 + 17;
        byte[] big = new byte[bigSize];
        for (int i = 0; i < bigSize; i++) {
            big[i] = (byte) i;
        }
        for (int before = 0; before < 40; before++) {
            FlowLog log = new FlowLog(0);
            log.backlogSize = 64L * 1024 * 1024;
            for (int k = 0; k < before; k++) {
                byte[] small = new byte[1 + 997 * k % 70_000];
                log.append(Frames.RECORD, 0, 0, 0, 0, small, 0, small.length);
            }
            long l = log.append(Frames.RECORD, 0, 0, 0, 0, big, 0, bigSize);
            log.append(Frames.RECORD, 0, 0, 0, 0, new byte[10], 0, 10);
            byte[] sent = firstFrame(log, log.cursorAt(l), l);
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            int at = 0;
            while (at < sent.length) {
                assertEquals(l, Frames.lsn(sent, at), "frame lsn, " + before + " records before");
                int len = Frames.length(sent, at);
                payload.write(sent, at + Frames.HEADER, len);
                at += Frames.HEADER + len;
            }
            assertTrue(java.util.Arrays.equals(big, payload.toByteArray()), "the record whole, " + before + " records before: "
                    + payload.size() + " bytes");
        }
    }

    /**
     * A record bigger than the backlog loses its first pieces to trimming while it is written: a
     * resume at it must be refused (a full sync), not start at the first piece still held.
     */
    @Test
    void aResumeAtARecordWhoseStartWasTrimmedIsRefused() throws Exception {
        FlowLog log = new FlowLog(0);
        log.backlogSize = 256 * 1024;
        log.append(Frames.RECORD, 0, 0, 0, 0, new byte[100], 0, 100);
        int bigSize = 3 * 1024 * 1024 + 17;
        long l = log.append(Frames.RECORD, 0, 0, 0, 0, new byte[bigSize], 0, bigSize);
        long next = log.append(Frames.RECORD, 0, 0, 0, 0, new byte[10], 0, 10);
        log.append(Frames.RECORD, 0, 0, 0, 0, new byte[10], 0, 10); // seals a block: the trim runs
        assertNull(log.cursorAt(l), "the record's start is gone");
        assertNotNull(log.cursorAt(next), "the record after it is whole");
    }
}
