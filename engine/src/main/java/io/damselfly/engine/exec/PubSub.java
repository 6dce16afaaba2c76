package io.damselfly.engine.exec;

import io.damselfly.engine.keyspace.Glob;
import io.damselfly.engine.resp.Reply;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Publish/subscribe for the whole engine. Who subscribes to what is kept in concurrent maps
 * any worker reads when it publishes; each subscriber's own list (its frame counts, UNSUBSCRIBE
 * without arguments) belongs to its home thread. A message reaches a subscriber through its
 * home's inbox, one {@link Delivery} per home and publish, so a publisher's messages arrive in
 * the order it published them (a client publishes from its home thread, and each inbox is FIFO
 * per sender). Writing the frame happens at home, into the subscriber's output, where the
 * pub/sub output-buffer limit applies; the publisher never waits for it.
 */
public final class PubSub {
    /** Frame names, as Redis sends them. */
    static final byte[] MESSAGE = Reply.ascii("message");
    static final byte[] PMESSAGE = Reply.ascii("pmessage");
    static final byte[] SMESSAGE = Reply.ascii("smessage");

    /** A channel or pattern name, usable as a map key. */
    public static final class Name {
        final byte[] bytes;
        private final int hash;

        Name(byte[] bytes) {
            this.bytes = bytes;
            this.hash = Arrays.hashCode(bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Name n && n.hash == hash && Arrays.equals(n.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** One client's subscriptions. Home thread only. */
    static final class Subscriptions {
        final LinkedHashSet<Name> channels = new LinkedHashSet<>();
        final LinkedHashSet<Name> patterns = new LinkedHashSet<>();
        final LinkedHashSet<Name> shardChannels = new LinkedHashSet<>();

        int count() {
            return channels.size() + patterns.size();
        }

        boolean any() {
            return !channels.isEmpty() || !patterns.isEmpty() || !shardChannels.isEmpty();
        }
    }

    static final int CHANNEL = 0;
    static final int PATTERN = 1;
    static final int SHARD = 2;

    private final ConcurrentHashMap<Name, Set<Client>> channels = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Name, Set<Client>> patterns = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Name, Set<Client>> shardChannels = new ConcurrentHashMap<>();
    private final Engine engine;

    PubSub(Engine engine) {
        this.engine = engine;
    }

    private ConcurrentHashMap<Name, Set<Client>> map(int kind) {
        return kind == CHANNEL ? channels : kind == PATTERN ? patterns : shardChannels;
    }

    private static LinkedHashSet<Name> own(Subscriptions s, int kind) {
        return kind == CHANNEL ? s.channels : kind == PATTERN ? s.patterns : s.shardChannels;
    }

    /** Subscribes (on the client's home thread); returns the client's subscription count after it. */
    int subscribe(Client c, int kind, byte[] name) {
        if (c.subs == null) {
            c.subs = new Subscriptions();
        }
        Name n = new Name(name);
        if (own(c.subs, kind).add(n)) {
            map(kind).computeIfAbsent(n, k -> ConcurrentHashMap.newKeySet()).add(c);
        }
        return kind == SHARD ? c.subs.shardChannels.size() : c.subs.count();
    }

    /** Unsubscribes (home thread); returns the count after it. */
    int unsubscribe(Client c, int kind, byte[] name) {
        if (c.subs == null) {
            return 0;
        }
        Name n = new Name(name);
        if (own(c.subs, kind).remove(n)) {
            drop(kind, n, c);
        }
        return kind == SHARD ? c.subs.shardChannels.size() : c.subs.count();
    }

    private void drop(int kind, Name n, Client c) {
        map(kind).computeIfPresent(n, (k, set) -> {
            set.remove(c);
            return set.isEmpty() ? null : set;
        });
    }

    /** The client's channels (or patterns) in subscription order, for UNSUBSCRIBE without arguments. */
    List<byte[]> names(Client c, int kind) {
        List<byte[]> out = new ArrayList<>();
        if (c.subs != null) {
            for (Name n : own(c.subs, kind)) {
                out.add(n.bytes);
            }
        }
        return out;
    }

    /** RESET and disconnect: drops every subscription, without frames. */
    void unsubscribeAll(Client c) {
        Subscriptions s = c.subs;
        if (s == null) {
            return;
        }
        for (Name n : s.channels) {
            drop(CHANNEL, n, c);
        }
        for (Name n : s.patterns) {
            drop(PATTERN, n, c);
        }
        for (Name n : s.shardChannels) {
            drop(SHARD, n, c);
        }
        c.subs = null;
    }

    /**
     * PUBLISH from {@code from}'s thread: hands the message to every subscriber's home and
     * returns how many receive it (a client subscribed to the channel and to a matching pattern
     * counts twice, as in Redis).
     */
    public long publish(Worker from, byte[] channel, byte[] message, boolean shard) {
        Delivery[] byHome = null;
        long receivers = 0;
        Name n = new Name(channel);
        Set<Client> direct = (shard ? shardChannels : channels).get(n);
        if (direct != null) {
            for (Client c : direct) {
                byHome = add(byHome, c, null, n, channel, message, shard);
                receivers++;
            }
        }
        if (!shard && !patterns.isEmpty()) {
            for (Map.Entry<Name, Set<Client>> e : patterns.entrySet()) {
                byte[] p = e.getKey().bytes;
                if (Glob.match(p, 0, p.length, channel, 0, channel.length, false)) {
                    for (Client c : e.getValue()) {
                        byHome = add(byHome, c, e.getKey(), n, channel, message, false);
                        receivers++;
                    }
                }
            }
        }
        if (byHome != null) {
            for (int i = 0; i < byHome.length; i++) {
                if (byHome[i] != null) {
                    from.send(i, byHome[i]);
                }
            }
        }
        return receivers;
    }

    private Delivery[] add(Delivery[] byHome, Client c, Name pattern, Name channelName, byte[] channel, byte[] message,
            boolean shard) {
        if (byHome == null) {
            byHome = new Delivery[engine.shards()];
        }
        int home = c.home();
        Delivery d = byHome[home];
        if (d == null) {
            d = byHome[home] = new Delivery(channelName, channel, message, shard);
        }
        d.clients.add(c);
        d.patterns.add(pattern);
        return byHome;
    }

    public int channelCount() {
        return channels.size();
    }

    public int patternCount() {
        return patterns.size();
    }

    public int shardChannelCount() {
        return shardChannels.size();
    }

    /** Active channels matching a pattern (null: all), for PUBSUB CHANNELS. */
    public List<byte[]> activeChannels(byte[] pattern, boolean shard) {
        List<byte[]> out = new ArrayList<>();
        for (Name n : (shard ? shardChannels : channels).keySet()) {
            if (pattern == null || Glob.match(pattern, 0, pattern.length, n.bytes, 0, n.bytes.length, false)) {
                out.add(n.bytes);
            }
        }
        return out;
    }

    /** Subscribers of a channel, for PUBSUB NUMSUB. */
    public int subscribers(byte[] channel, boolean shard) {
        Set<Client> s = (shard ? shardChannels : channels).get(new Name(channel));
        return s == null ? 0 : s.size();
    }

    /** One publish for the subscribers that live on one worker. */
    static final class Delivery extends Message {
        final Name channelName;
        final byte[] channel;
        final byte[] message;
        final boolean shard;
        final ArrayList<Client> clients = new ArrayList<>(2);
        /** Per client: the pattern it matched through, or null for a direct subscription. */
        final ArrayList<Name> patterns = new ArrayList<>(2);

        Delivery(Name channelName, byte[] channel, byte[] message, boolean shard) {
            this.channelName = channelName;
            this.channel = channel;
            this.message = message;
            this.shard = shard;
        }

        @Override
        public void deliver(Worker worker) {
            worker.deliver(this);
        }
    }
}
