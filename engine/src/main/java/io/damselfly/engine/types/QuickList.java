package io.damselfly.engine.types;

import io.damselfly.engine.resp.Reply;

import io.damselfly.engine.shard.LargeValue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A large list: a deque of nodes, each a packed run of elements that can grow at both ends
 * (Redis's quicklist of listpacks). Pushing and popping at either end is O(1); positional
 * operations walk node by node. A node holds at most {@code fill} bytes (a negative
 * list-max-listpack-size: -1 = 4 KiB ... -5 = 64 KiB) or {@code fill} elements (positive).
 *
 * <pre>
 * node buffer:   [ free ... | element | element | ... | free ]
 *                            ^start                    ^end
 * element:  len (varint) | bytes | len (varint, bytes in reverse order, so it reads backwards)
 * </pre>
 */
public final class QuickList implements LargeValue {
    /** One node: elements packed in buf[start, end). */
    static final class Node {
        byte[] buf;
        int start;
        int end;
        int count;

        Node(int capacity) {
            this(capacity, capacity / 2);
        }

        Node(int capacity, int start) {
            buf = new byte[capacity];
            this.start = start;
            end = start;
        }

        int bytes() {
            return end - start;
        }

        Node copy() {
            Node n = new Node(0);
            n.buf = buf.clone();
            n.start = start;
            n.end = end;
            n.count = count;
            return n;
        }
    }

    private Node[] nodes = new Node[4];
    private int head;
    private int nodeCount;
    private long size;
    private final int fill;

    public QuickList(int fill) {
        this.fill = fill;
    }

    /** Bytes of a node for a list-max-listpack-size; 0 for an element count limit. */
    static int nodeBytes(int fill) {
        if (fill >= 0) {
            return 0;
        }
        int f = Math.min(5, -fill);
        return 4096 << (f - 1);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public long memory() {
        long m = 32 + nodes.length * 4L;
        for (int i = 0; i < nodeCount; i++) {
            m += 32 + node(i).buf.length;
        }
        return m;
    }

    @Override
    public QuickList copy() {
        QuickList q = new QuickList(fill);
        q.nodes = new Node[nodes.length];
        for (int i = 0; i < nodeCount; i++) {
            q.nodes[i] = node(i).copy();
        }
        q.nodeCount = nodeCount;
        q.size = size;
        return q;
    }

    private Node node(int i) {
        return nodes[(head + i) & (nodes.length - 1)];
    }

    private void growRing() {
        Node[] bigger = new Node[nodes.length * 2];
        for (int i = 0; i < nodeCount; i++) {
            bigger[i] = node(i);
        }
        nodes = bigger;
        head = 0;
    }

    private boolean fits(Node n, int len) {
        if (n == null) {
            return false;
        }
        if (fill >= 0) {
            return n.count < Math.max(1, fill);
        }
        return n.bytes() + elementSize(len) <= nodeBytes(fill) || n.count == 0;
    }

    public static int elementSize(int len) {
        return 2 * Pack.varintSize(len) + len;
    }

    /**
     * Sizes the first node of an empty list for the {@code bytes} of elements one command is
     * about to push at one end ({@link #elementSize} each), with the free room on that side, so
     * that a list created by one LPUSH or RPUSH of a few elements takes no more than it needs.
     */
    public void firstPush(int bytes, int elements, boolean front) {
        if (nodeCount != 0 || (fill >= 0 ? elements > Math.max(1, fill) : bytes > nodeBytes(fill))) {
            return;
        }
        int cap = bytes + 8;
        nodes[head] = new Node(cap, front ? cap - 4 : 4);
        nodeCount = 1;
    }

    private Node newNode(int len) {
        int cap = Math.max(64, Math.min(nodeBytes(fill) == 0 ? 1024 : nodeBytes(fill), elementSize(len) * 4));
        return new Node(Math.max(cap, elementSize(len) * 2 + 8));
    }

    // ------------------------------------------------------------------ ends

    public void pushFront(byte[] b, int off, int len) {
        Node n = nodeCount == 0 ? null : node(0);
        if (!fits(n, len)) {
            if (nodeCount == nodes.length) {
                growRing();
            }
            head = (head - 1) & (nodes.length - 1);
            n = newNode(len);
            nodes[head] = n;
            nodeCount++;
        }
        int need = elementSize(len);
        if (n.start < need) {
            recentre(n, need, 0);
        }
        int p = n.start - need;
        p = writeVarint(n.buf, p, len);
        System.arraycopy(b, off, n.buf, p, len);
        p += len;
        writeBackLen(n.buf, p, len);
        n.start -= need;
        n.count++;
        size++;
    }

    public void pushBack(byte[] b, int off, int len) {
        Node n = nodeCount == 0 ? null : node(nodeCount - 1);
        if (!fits(n, len)) {
            if (nodeCount == nodes.length) {
                growRing();
            }
            n = newNode(len);
            nodes[(head + nodeCount) & (nodes.length - 1)] = n;
            nodeCount++;
        }
        int need = elementSize(len);
        if (n.buf.length - n.end < need) {
            recentre(n, 0, need);
        }
        int p = writeVarint(n.buf, n.end, len);
        System.arraycopy(b, off, n.buf, p, len);
        p += len;
        writeBackLen(n.buf, p, len);
        n.end += need;
        n.count++;
        size++;
    }

    /** Makes room in a node's buffer: at least {@code front} free bytes before and {@code back} after. */
    private static void recentre(Node n, int front, int back) {
        int data = n.bytes();
        int cap = Math.max(n.buf.length, data + front + back + 16);
        if (data + front + back + 16 > n.buf.length) {
            cap = Math.max(cap, n.buf.length * 2);
        }
        byte[] fresh = new byte[cap];
        int slack = cap - data - front - back;
        int start = front + slack / 2;
        System.arraycopy(n.buf, n.start, fresh, start, data);
        n.buf = fresh;
        n.start = start;
        n.end = start + data;
    }

    public byte[] popFront() {
        if (size == 0) {
            return null;
        }
        Node n = node(0);
        int[] lenOut = new int[1];
        int p = readVarint(n.buf, n.start, lenOut);
        byte[] v = Arrays.copyOfRange(n.buf, p, p + lenOut[0]);
        n.start = p + lenOut[0] + Pack.varintSize(lenOut[0]);
        dropFrontIfEmpty(n);
        return v;
    }

    /** Counts the element just taken from the head node, dropping the node when it empties. */
    private void dropFrontIfEmpty(Node n) {
        n.count--;
        size--;
        if (n.count == 0) {
            nodes[head] = null;
            head = (head + 1) & (nodes.length - 1);
            nodeCount--;
        }
    }

    /** Counts the element just taken from the tail node, dropping the node when it empties. */
    private void dropBackIfEmpty(Node n) {
        n.count--;
        size--;
        if (n.count == 0) {
            nodes[(head + nodeCount - 1) & (nodes.length - 1)] = null;
            nodeCount--;
        }
    }

    /** Pops the first element straight into a bulk reply (no copy); false when the list is empty. */
    public boolean popFrontTo(Reply reply) {
        if (size == 0) {
            return false;
        }
        Node n = node(0);
        int[] lenOut = new int[1];
        int p = readVarint(n.buf, n.start, lenOut);
        reply.bulk(n.buf, p, lenOut[0]);
        n.start = p + lenOut[0] + Pack.varintSize(lenOut[0]);
        dropFrontIfEmpty(n);
        return true;
    }

    /** Pops the last element straight into a bulk reply (no copy); false when the list is empty. */
    public boolean popBackTo(Reply reply) {
        if (size == 0) {
            return false;
        }
        Node n = node(nodeCount - 1);
        int[] lenOut = new int[1];
        int dataEnd = readBackLen(n.buf, n.end, lenOut);
        int len = lenOut[0];
        reply.bulk(n.buf, dataEnd - len, len);
        n.end = dataEnd - len - Pack.varintSize(len);
        dropBackIfEmpty(n);
        return true;
    }

    public byte[] popBack() {
        if (size == 0) {
            return null;
        }
        Node n = node(nodeCount - 1);
        int[] lenOut = new int[1];
        int dataEnd = readBackLen(n.buf, n.end, lenOut);
        int len = lenOut[0];
        byte[] v = Arrays.copyOfRange(n.buf, dataEnd - len, dataEnd);
        n.end = dataEnd - len - Pack.varintSize(len);
        dropBackIfEmpty(n);
        return v;
    }

    /** Drops n elements from the head (LTRIM). */
    public void trimFront(long n) {
        int[] lenOut = new int[1];
        while (n > 0 && size > 0) {
            Node node = node(0);
            if (node.count <= n) {
                n -= node.count;
                size -= node.count;
                nodes[head] = null;
                head = (head + 1) & (nodes.length - 1);
                nodeCount--;
                continue;
            }
            int p = readVarint(node.buf, node.start, lenOut);
            node.start = p + lenOut[0] + Pack.varintSize(lenOut[0]);
            node.count--;
            size--;
            n--;
        }
    }

    /** Drops n elements from the tail (LTRIM). */
    public void trimBack(long n) {
        int[] lenOut = new int[1];
        while (n > 0 && size > 0) {
            Node node = node(nodeCount - 1);
            if (node.count <= n) {
                n -= node.count;
                size -= node.count;
                nodes[(head + nodeCount - 1) & (nodes.length - 1)] = null;
                nodeCount--;
                continue;
            }
            int dataEnd = readBackLen(node.buf, node.end, lenOut);
            node.end = dataEnd - lenOut[0] - Pack.varintSize(lenOut[0]);
            node.count--;
            size--;
            n--;
        }
    }

    // ------------------------------------------------------------------ element encoding

    static int writeVarint(byte[] b, int p, int v) {
        while ((v & ~0x7F) != 0) {
            b[p++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        b[p++] = (byte) v;
        return p;
    }

    /** Writes the varint of len with its bytes in reverse order at p. */
    static void writeBackLen(byte[] b, int p, int len) {
        int k = Pack.varintSize(len);
        int v = len;
        for (int i = 0; i < k; i++) {
            int group = v & 0x7F;
            v >>>= 7;
            b[p + k - 1 - i] = (byte) (group | (i < k - 1 ? 0x80 : 0));
        }
    }

    static int readVarint(byte[] b, int p, int[] out) {
        int v = 0;
        int shift = 0;
        for (;;) {
            int x = b[p++] & 0xFF;
            v |= (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                break;
            }
            shift += 7;
        }
        out[0] = v;
        return p;
    }

    /** Reads a reversed varint that ends just before p; returns where the element's data ends. */
    static int readBackLen(byte[] b, int p, int[] out) {
        int v = 0;
        int shift = 0;
        for (;;) {
            int x = b[--p] & 0xFF;
            v |= (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                break;
            }
            shift += 7;
        }
        out[0] = v;
        return p;
    }

    // ------------------------------------------------------------------ whole-list operations

    /** Visits elements in order from index {@code from} (0-based, in range) while the visitor returns true. */
    public void forEach(long from, ElementVisitor visitor) {
        long skipped = 0;
        int[] len = new int[1];
        for (int i = 0; i < nodeCount; i++) {
            Node n = node(i);
            if (skipped + n.count <= from) {
                skipped += n.count;
                continue;
            }
            int p = n.start;
            for (int k = 0; k < n.count; k++) {
                p = readVarint(n.buf, p, len);
                if (skipped >= from && !visitor.visit(n.buf, p, len[0])) {
                    return;
                }
                skipped++;
                p += len[0] + Pack.varintSize(len[0]);
            }
        }
    }

    /** Visits elements from the tail towards the head, starting {@code fromTail} elements before the end. */
    public void forEachReverse(long fromTail, ElementVisitor visitor) {
        long skipped = 0;
        int[] len = new int[1];
        for (int i = nodeCount - 1; i >= 0; i--) {
            Node n = node(i);
            if (skipped + n.count <= fromTail) {
                skipped += n.count;
                continue;
            }
            int p = n.end;
            for (int k = 0; k < n.count; k++) {
                int dataEnd = readBackLen(n.buf, p, len);
                int dataStart = dataEnd - len[0];
                if (skipped >= fromTail && !visitor.visit(n.buf, dataStart, len[0])) {
                    return;
                }
                skipped++;
                p = dataStart - Pack.varintSize(len[0]);
            }
        }
    }

    /** Receives an element's bytes; returns whether to go on. */
    @FunctionalInterface
    public interface ElementVisitor {
        boolean visit(byte[] buf, int off, int len);
    }

    public byte[] get(long index) {
        byte[][] out = new byte[1][];
        forEach(index, (b, o, l) -> {
            out[0] = Arrays.copyOfRange(b, o, o + l);
            return false;
        });
        return out[0];
    }

    /** All elements, in order (for rewrites of the middle of the list). */
    public List<byte[]> toList() {
        List<byte[]> all = new ArrayList<>((int) Math.min(size, Integer.MAX_VALUE));
        forEach(0, (b, o, l) -> all.add(Arrays.copyOfRange(b, o, o + l)));
        return all;
    }

    /** Replaces the whole content (LSET, LINSERT, LREM, LTRIM rebuild through this). */
    public void replaceAll(List<byte[]> elements) {
        nodes = new Node[4];
        head = 0;
        nodeCount = 0;
        size = 0;
        for (byte[] e : elements) {
            pushBack(e, 0, e.length);
        }
    }
}
