package io.damselfly.engine.types;

import io.damselfly.engine.shard.LargeValue;

/**
 * A large sorted set (OBJECT ENCODING skiplist): a {@link SkipList} ordered by score and
 * member, and a {@link BytesMap} from member to its skip-list node for O(1) score lookups.
 */
public final class ZSetValue implements LargeValue {
    public final BytesMap dict = new BytesMap();
    public final SkipList list = new SkipList();

    @Override
    public ZSetValue copy() {
        ZSetValue z = new ZSetValue();
        for (SkipList.Node n = list.first(); n != null; n = n.next()) {
            z.add(n.member.clone(), n.score);
        }
        return z;
    }

    @Override
    public long size() {
        return list.length();
    }

    @Override
    public long memory() {
        return 32 + dict.memory() + list.length() * 64L;
    }

    /** Adds or re-scores a member (taking ownership of the array); returns true if it was new. */
    public boolean add(byte[] member, double score) {
        BytesMap.Node d = dict.get(member);
        if (d == null) {
            SkipList.Node n = list.insert(score, member);
            dict.putIfAbsent(member, n);
            return true;
        }
        SkipList.Node n = (SkipList.Node) d.value;
        if (n.score != score) {
            d.value = list.updateScore(n, score);
        }
        return false;
    }

    /** The member's score, or NaN when it is not there. */
    public double score(byte[] b, int off, int len) {
        BytesMap.Node d = dict.get(b, off, len);
        return d == null ? Double.NaN : ((SkipList.Node) d.value).score;
    }

    public boolean remove(byte[] b, int off, int len) {
        BytesMap.Node d = dict.remove(b, off, len);
        if (d == null) {
            return false;
        }
        SkipList.Node n = (SkipList.Node) d.value;
        list.delete(n.score, n.member);
        return true;
    }
}
