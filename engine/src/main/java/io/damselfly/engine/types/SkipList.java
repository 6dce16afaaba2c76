package io.damselfly.engine.types;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The ordered index of a large sorted set: Redis's skip list with spans, ordered by score then
 * member (unsigned bytes), so ranks and range starts are found in O(log n).
 */
public final class SkipList {
    static final int MAX_LEVEL = 32;
    static final double P = 0.25;

    /** One member. Ranks are 1-based in the span arithmetic, 0-based for callers. */
    public static final class Node {
        public final byte[] member;
        public double score;
        Node backward;
        final Node[] forward;
        final int[] span;

        Node(int level, double score, byte[] member) {
            this.member = member;
            this.score = score;
            this.forward = new Node[level];
            this.span = new int[level];
        }

        public Node next() {
            return forward[0];
        }

        public Node previous() {
            return backward;
        }
    }

    private final Node header = new Node(MAX_LEVEL, 0, null);
    private Node tail;
    private int length;
    private int level = 1;

    public int length() {
        return length;
    }

    public Node first() {
        return header.forward[0];
    }

    public Node last() {
        return tail;
    }

    private static int randomLevel() {
        int lvl = 1;
        ThreadLocalRandom r = ThreadLocalRandom.current();
        while (lvl < MAX_LEVEL && r.nextDouble() < P) {
            lvl++;
        }
        return lvl;
    }

    static int cmp(double s1, byte[] m1, double s2, byte[] m2) {
        if (s1 < s2) {
            return -1;
        }
        if (s1 > s2) {
            return 1;
        }
        return Bytes.compare(m1, m2);
    }

    /** Inserts a member that is not in the list yet. */
    public Node insert(double score, byte[] member) {
        Node[] update = new Node[MAX_LEVEL];
        int[] rank = new int[MAX_LEVEL];
        Node x = header;
        for (int i = level - 1; i >= 0; i--) {
            rank[i] = i == level - 1 ? 0 : rank[i + 1];
            while (x.forward[i] != null && cmp(x.forward[i].score, x.forward[i].member, score, member) < 0) {
                rank[i] += x.span[i];
                x = x.forward[i];
            }
            update[i] = x;
        }
        int lvl = randomLevel();
        if (lvl > level) {
            for (int i = level; i < lvl; i++) {
                rank[i] = 0;
                update[i] = header;
                update[i].span[i] = length;
            }
            level = lvl;
        }
        x = new Node(lvl, score, member);
        for (int i = 0; i < lvl; i++) {
            x.forward[i] = update[i].forward[i];
            update[i].forward[i] = x;
            x.span[i] = update[i].span[i] - (rank[0] - rank[i]);
            update[i].span[i] = (rank[0] - rank[i]) + 1;
        }
        for (int i = lvl; i < level; i++) {
            update[i].span[i]++;
        }
        x.backward = update[0] == header ? null : update[0];
        if (x.forward[0] != null) {
            x.forward[0].backward = x;
        } else {
            tail = x;
        }
        length++;
        return x;
    }

    private void unlink(Node x, Node[] update) {
        for (int i = 0; i < level; i++) {
            if (update[i].forward[i] == x) {
                update[i].span[i] += x.span[i] - 1;
                update[i].forward[i] = x.forward[i];
            } else {
                update[i].span[i] -= 1;
            }
        }
        if (x.forward[0] != null) {
            x.forward[0].backward = x.backward;
        } else {
            tail = x.backward;
        }
        while (level > 1 && header.forward[level - 1] == null) {
            level--;
        }
        length--;
    }

    /** Removes the member with this score; false if it is not there. */
    public boolean delete(double score, byte[] member) {
        Node[] update = new Node[MAX_LEVEL];
        Node x = header;
        for (int i = level - 1; i >= 0; i--) {
            while (x.forward[i] != null && cmp(x.forward[i].score, x.forward[i].member, score, member) < 0) {
                x = x.forward[i];
            }
            update[i] = x;
        }
        x = x.forward[0];
        if (x != null && x.score == score && Bytes.compare(x.member, member) == 0) {
            unlink(x, update);
            return true;
        }
        return false;
    }

    /** Changes a member's score; returns its node (a new one when it had to move). */
    public Node updateScore(Node node, double newScore) {
        Node prev = node.backward;
        Node next = node.forward[0];
        if ((prev == null || prev.score < newScore || (prev.score == newScore && Bytes.compare(prev.member, node.member) < 0))
                && (next == null || next.score > newScore || (next.score == newScore && Bytes.compare(next.member, node.member) > 0))) {
            node.score = newScore;
            return node;
        }
        delete(node.score, node.member);
        return insert(newScore, node.member);
    }

    /** 0-based rank of a member, or -1. */
    public long rank(double score, byte[] member) {
        long rank = 0;
        Node x = header;
        for (int i = level - 1; i >= 0; i--) {
            while (x.forward[i] != null && cmp(x.forward[i].score, x.forward[i].member, score, member) <= 0) {
                rank += x.span[i];
                x = x.forward[i];
            }
            if (x.member != null && x.score == score && Bytes.compare(x.member, member) == 0) {
                return rank - 1;
            }
        }
        return -1;
    }

    /** The node at 0-based rank, or null. */
    public Node byRank(long rank) {
        long target = rank + 1;
        long traversed = 0;
        Node x = header;
        for (int i = level - 1; i >= 0; i--) {
            while (x.forward[i] != null && traversed + x.span[i] <= target) {
                traversed += x.span[i];
                x = x.forward[i];
            }
            if (traversed == target) {
                return x;
            }
        }
        return null;
    }

    /** First node with a score in the range (min, max with exclusivity), or null. */
    public Node firstInRange(ScoreRange r) {
        Node x = header;
        for (int i = level - 1; i >= 0; i--) {
            while (x.forward[i] != null && !r.aboveMin(x.forward[i].score)) {
                x = x.forward[i];
            }
        }
        x = x.forward[0];
        return x != null && r.belowMax(x.score) ? x : null;
    }

    /** Last node with a score in the range, or null. */
    public Node lastInRange(ScoreRange r) {
        Node x = header;
        for (int i = level - 1; i >= 0; i--) {
            while (x.forward[i] != null && r.belowMax(x.forward[i].score)) {
                x = x.forward[i];
            }
        }
        return x != header && r.aboveMin(x.score) ? x : null;
    }

    /** First node whose member is in the lexical range, or null. */
    public Node firstInLex(LexRange r) {
        Node x = header;
        for (int i = level - 1; i >= 0; i--) {
            while (x.forward[i] != null && !r.aboveMin(x.forward[i].member)) {
                x = x.forward[i];
            }
        }
        x = x.forward[0];
        return x != null && r.belowMax(x.member) ? x : null;
    }

    /** Last node whose member is in the lexical range, or null. */
    public Node lastInLex(LexRange r) {
        Node x = header;
        for (int i = level - 1; i >= 0; i--) {
            while (x.forward[i] != null && r.belowMax(x.forward[i].member)) {
                x = x.forward[i];
            }
        }
        return x != header && r.aboveMin(x.member) ? x : null;
    }
}
