package io.damselfly.engine.types;

import io.damselfly.engine.resp.Numbers;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A read-only view of a set or a sorted set, whatever its encoding, for the commands that
 * combine several of them (SINTER, SUNIONSTORE, ZUNION, ZINTERSTORE ...). A set's members all
 * score 1, as ZUNIONSTORE counts them.
 */
public interface Members {
    Members EMPTY = new Members() {
        @Override
        public long size() {
            return 0;
        }

        @Override
        public double score(byte[] b, int off, int len) {
            return Double.NaN;
        }

        @Override
        public void forEach(Visitor v) {
        }
    };

    long size();

    /** The member's score (1 for a set member), or NaN when it is not there. */
    double score(byte[] b, int off, int len);

    default boolean contains(byte[] b, int off, int len) {
        return !Double.isNaN(score(b, off, len));
    }

    /** Visits every member until the visitor returns false. The bytes are only valid during the call. */
    void forEach(Visitor v);

    @FunctionalInterface
    interface Visitor {
        boolean visit(byte[] b, int off, int len, double score);
    }

    /** An intset in a segment (in the slab, or a detached copy). */
    static Members intSet(MemorySegment seg, long base) {
        return new Members() {
            private final Numbers.LongResult parsed = new Numbers.LongResult();

            @Override
            public long size() {
                return IntSet.count(seg, base);
            }

            @Override
            public double score(byte[] b, int off, int len) {
                if (!Numbers.parseLong(b, off, len, parsed)) {
                    return Double.NaN;
                }
                return IntSet.search(seg, base, parsed.value) >= 0 ? 1 : Double.NaN;
            }

            @Override
            public void forEach(Visitor v) {
                byte[] digits = new byte[Numbers.MAX_LONG_CHARS];
                int n = IntSet.count(seg, base);
                for (int i = 0; i < n; i++) {
                    int len = Numbers.writeLong(digits, 0, IntSet.get(seg, base, i));
                    if (!v.visit(digits, 0, len, 1)) {
                        return;
                    }
                }
            }
        };
    }

    /**
     * A large set (values absent), a large sorted set's member index (values are skip-list
     * nodes) or a detached copy of one (values are Doubles).
     */
    static Members map(BytesMap map) {
        return new Members() {
            @Override
            public long size() {
                return map.size();
            }

            @Override
            public double score(byte[] b, int off, int len) {
                BytesMap.Node n = map.get(b, off, len);
                return n == null ? Double.NaN : scoreOf(n.value);
            }

            @Override
            public void forEach(Visitor v) {
                map.forEachWhile(n -> v.visit(n.key, 0, n.key.length, scoreOf(n.value)));
            }
        };
    }

    /** A map value's score: a skip-list node's, a detached copy's, or 1 for a set member. */
    private static double scoreOf(Object value) {
        if (value instanceof SkipList.Node s) {
            return s.score;
        }
        return value instanceof Double d ? d : 1;
    }

    /** A compact sorted set: a {@link Pack} of member, score pairs. */
    static Members zsetPack(MemorySegment seg, long base, int len) {
        return new Members() {
            private final Pack.Cursor cur = new Pack.Cursor().of(seg, base, len);

            @Override
            public long size() {
                return cur.count() / 2;
            }

            @Override
            public double score(byte[] b, int off, int l) {
                cur.rewind();
                while (cur.next()) {
                    boolean match = cur.equalsElement(b, off, l);
                    cur.next();
                    if (match) {
                        return cur.score();
                    }
                }
                return Double.NaN;
            }

            @Override
            public void forEach(Visitor v) {
                Pack.Cursor c = new Pack.Cursor().of(seg, base, len);
                byte[] member = new byte[64];
                while (c.next()) {
                    if (member.length < c.elemLen) {
                        member = new byte[c.elemLen];
                    }
                    int ml = c.elemLen;
                    MemorySegment.copy(c.segment(), ValueLayout.JAVA_BYTE, c.elemOff, member, 0, ml);
                    c.next();
                    if (!v.visit(member, 0, ml, c.score())) {
                        return;
                    }
                }
            }
        };
    }
}
