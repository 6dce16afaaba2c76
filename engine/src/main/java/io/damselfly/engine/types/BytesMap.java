package io.damselfly.engine.types;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A chained hash table of byte-string keys, the large form of hashes and sets and the member
 * index of large sorted sets. Power-of-two buckets; it doubles when as full as it has buckets
 * and halves below one in eight. {@link #scan} iterates with Redis's reverse-binary cursor, so
 * an element present for a whole scan is returned at least once even when the table resizes
 * between calls.
 */
public final class BytesMap {
    /** One element: its key, its value (a hash's value bytes, a sorted set's node, or nothing). */
    public static final class Node {
        public final byte[] key;
        public Object value;
        final int hash;
        Node next;

        Node(byte[] key, Object value, int hash) {
            this.key = key;
            this.value = value;
            this.hash = hash;
        }
    }

    private Node[] table = new Node[4];
    private int size;
    /** At least the longest chain's length (removals may leave it high), for fair random picks. */
    private int maxChain = 1;
    private final long seed;

    public BytesMap() {
        this.seed = ThreadLocalRandom.current().nextLong();
    }

    private BytesMap(long seed, int capacity) {
        this.seed = seed;
        int cap = 4;
        while (cap < capacity) {
            cap <<= 1;
        }
        this.table = new Node[cap];
    }

    public int size() {
        return size;
    }

    public Node get(byte[] b, int off, int len) {
        int h = Bytes.hash(b, off, len, seed);
        for (Node n = table[h & (table.length - 1)]; n != null; n = n.next) {
            if (n.hash == h && Bytes.equals(n.key, b, off, len)) {
                return n;
            }
        }
        return null;
    }

    public Node get(byte[] key) {
        return get(key, 0, key.length);
    }

    /** Adds the key if missing (taking ownership of {@code key}); returns its node, new or old. */
    public Node putIfAbsent(byte[] key, Object value) {
        int h = Bytes.hash(key, 0, key.length, seed);
        int i = h & (table.length - 1);
        int chain = 1;
        for (Node n = table[i]; n != null; n = n.next, chain++) {
            if (n.hash == h && Bytes.equals(n.key, key, 0, key.length)) {
                return n;
            }
        }
        Node node = new Node(key, value, h);
        node.next = table[i];
        table[i] = node;
        size++;
        if (chain > maxChain) {
            maxChain = chain;
        }
        if (size > table.length) {
            resize(table.length * 2);
        }
        return node;
    }

    /** Whether {@link #putIfAbsent} added a node (compare the returned node's value identity). */
    public boolean put(byte[] key, Object value) {
        int before = size;
        Node n = putIfAbsent(key, value);
        n.value = value;
        return size > before;
    }

    public Node remove(byte[] b, int off, int len) {
        int h = Bytes.hash(b, off, len, seed);
        int i = h & (table.length - 1);
        Node prev = null;
        for (Node n = table[i]; n != null; prev = n, n = n.next) {
            if (n.hash == h && Bytes.equals(n.key, b, off, len)) {
                if (prev == null) {
                    table[i] = n.next;
                } else {
                    prev.next = n.next;
                }
                size--;
                if (table.length > 4 && size < table.length / 8) {
                    resize(table.length / 2);
                }
                return n;
            }
        }
        return null;
    }

    private void resize(int capacity) {
        Node[] old = table;
        Node[] fresh = new Node[capacity];
        int mask = capacity - 1;
        for (Node head : old) {
            Node n = head;
            while (n != null) {
                Node next = n.next;
                int i = n.hash & mask;
                n.next = fresh[i];
                fresh[i] = n;
                n = next;
            }
        }
        int longest = 1;
        for (Node head : fresh) {
            int len = 0;
            for (Node n = head; n != null; n = n.next) {
                len++;
            }
            longest = Math.max(longest, len);
        }
        maxChain = longest;
        table = fresh;
    }

    public void forEach(Consumer<Node> action) {
        for (Node head : table) {
            for (Node n = head; n != null; n = n.next) {
                action.accept(n);
            }
        }
    }

    /** Visits nodes until the action returns false. */
    public void forEachWhile(java.util.function.Predicate<Node> action) {
        for (Node head : table) {
            for (Node n = head; n != null; n = n.next) {
                if (!action.test(n)) {
                    return;
                }
            }
        }
    }

    /**
     * A node picked uniformly at random, or null if empty: a random bucket is accepted with
     * probability (its chain length / an upper bound on chain lengths), then a random node of
     * its chain is taken, so every node has the same chance.
     */
    public Node random(ThreadLocalRandom random) {
        if (size == 0) {
            return null;
        }
        for (;;) {
            Node head = table[random.nextInt(table.length)];
            int pick = random.nextInt(maxChain);
            Node n = head;
            while (n != null && pick > 0) {
                n = n.next;
                pick--;
            }
            if (n != null) {
                return n;
            }
        }
    }

    /**
     * Visits the bucket the cursor names and returns the next cursor (0 when done): Redis's
     * dictScan for a single table, incrementing the cursor's bits in reverse.
     */
    public long scan(long cursor, Consumer<Node> visitor) {
        if (size == 0) {
            return 0;
        }
        long mask = table.length - 1;
        for (Node n = table[(int) (cursor & mask)]; n != null; n = n.next) {
            visitor.accept(n);
        }
        long v = cursor | ~mask;
        v = Long.reverse(v);
        v++;
        v = Long.reverse(v);
        return v;
    }

    /** A copy with its own nodes; values are copied by {@code valueCopier} (null keeps them). */
    public BytesMap copy(java.util.function.UnaryOperator<Object> valueCopier) {
        BytesMap m = new BytesMap(seed, table.length);
        forEach(n -> m.putIfAbsent(n.key.clone(), valueCopier == null ? n.value : valueCopier.apply(n.value)));
        return m;
    }

    /** Approximate heap bytes: table, nodes, keys and byte-array values. */
    public long memory() {
        long[] m = {16 + table.length * 4L};
        forEach(n -> {
            m[0] += 32 + 16 + n.key.length;
            if (n.value instanceof byte[] v) {
                m[0] += 16 + v.length;
            }
        });
        return m[0];
    }
}
