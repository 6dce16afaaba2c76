package io.damselfly.engine.command;

import io.damselfly.engine.exec.PubSub;

import java.util.List;

import static io.damselfly.engine.command.CommandSpec.FAST;
import static io.damselfly.engine.command.CommandSpec.LOADING;
import static io.damselfly.engine.command.CommandSpec.MAY_REPLICATE;
import static io.damselfly.engine.command.CommandSpec.NOSCRIPT;
import static io.damselfly.engine.command.CommandSpec.PUBSUB;
import static io.damselfly.engine.command.CommandSpec.SENTINEL;
import static io.damselfly.engine.command.CommandSpec.STALE;
import static io.damselfly.engine.command.CommandSpec.command;
import static io.damselfly.engine.command.CommandSpec.subcommand;

/**
 * SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, their sharded forms, and PUBSUB.
 * All run on the client's home thread; delivery goes through the subscribers' homes
 * ({@code exec.PubSub}).
 */
public final class PubSubCommands {
    private static final long SUB = PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL;

    private PubSubCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("subscribe", -2).flags(SUB).group("pubsub").since("2.0.0").acl("@pubsub", "@slow")
                .summary("Listens for messages published to channels.")
                .complexity("O(N) where N is the number of channels to subscribe to.")
                .home(c -> c.worker.subscribe(c, 0)).build());
        t.add(command("psubscribe", -2).flags(SUB).group("pubsub").since("2.0.0").acl("@pubsub", "@slow")
                .summary("Listens for messages published to channels that match patterns.")
                .complexity("O(N) where N is the number of patterns the client is already subscribed to.")
                .home(c -> c.worker.subscribe(c, 1)).build());
        t.add(command("ssubscribe", -2).flags(SUB).group("pubsub").since("7.0.0").acl("@pubsub", "@slow")
                .summary("Listens for messages published to shard channels.")
                .complexity("O(N) where N is the number of shard channels to subscribe to.")
                .home(c -> c.worker.subscribe(c, 2)).build());
        t.add(command("unsubscribe", -1).flags(SUB).group("pubsub").since("2.0.0").acl("@pubsub", "@slow")
                .summary("Stops listening to channels (all of them without arguments).")
                .complexity("O(N) where N is the number of clients already subscribed to a channel.")
                .home(c -> c.worker.unsubscribe(c, 0)).build());
        t.add(command("punsubscribe", -1).flags(SUB).group("pubsub").since("2.0.0").acl("@pubsub", "@slow")
                .summary("Stops listening to patterns (all of them without arguments).")
                .complexity("O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).")
                .home(c -> c.worker.unsubscribe(c, 1)).build());
        t.add(command("sunsubscribe", -1).flags(SUB).group("pubsub").since("7.0.0").acl("@pubsub", "@slow")
                .summary("Stops listening to shard channels (all of them without arguments).")
                .complexity("O(N) where N is the number of clients already subscribed to a shard channel.")
                .home(c -> c.worker.unsubscribe(c, 2)).build());
        t.add(command("publish", 3).flags(PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE | SENTINEL).group("pubsub")
                .since("2.0.0").acl("@pubsub", "@fast").summary("Sends a message to a channel; counts the receivers.")
                .complexity("O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).")
                .home(c -> {
                    c.worker.publish(c, false);
                    c.journalVerbatim(); // Redis 7.0 propagates PUBLISH to replicas
                }).build());
        t.add(command("spublish", 3).flags(PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE).group("pubsub")
                .since("7.0.0").acl("@pubsub", "@fast").summary("Sends a message to a shard channel; counts the receivers.")
                .complexity("O(N) where N is the number of clients subscribed to the receiving shard channel.")
                .home(c -> c.worker.publish(c, true)).build());
        t.add(command("pubsub", -2).group("pubsub").since("2.8.0").acl("@slow")
                .summary("Inspects the state of publish/subscribe.").complexity("Depends on subcommand.")
                .home(CommandContext::wrongArity)
                .sub(subcommand("pubsub", "channels", -2).flags(PUBSUB | LOADING | STALE).acl("@pubsub", "@slow")
                        .since("2.8.0").summary("Lists the channels that have subscribers.")
                        .complexity("O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)")
                        .home(c -> channels(c, false)))
                .sub(subcommand("pubsub", "shardchannels", -2).flags(PUBSUB | LOADING | STALE).acl("@pubsub", "@slow")
                        .since("7.0.0").summary("Lists the shard channels that have subscribers.")
                        .complexity("O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).")
                        .home(c -> channels(c, true)))
                .sub(subcommand("pubsub", "numsub", -2).flags(PUBSUB | LOADING | STALE).acl("@pubsub", "@slow")
                        .since("2.8.0").summary("Counts the subscribers of channels.")
                        .complexity("O(N) for the NUMSUB subcommand, where N is the number of requested channels")
                        .home(c -> numsub(c, false)))
                .sub(subcommand("pubsub", "shardnumsub", -2).flags(PUBSUB | LOADING | STALE).acl("@pubsub", "@slow")
                        .since("7.0.0").summary("Counts the subscribers of shard channels.")
                        .complexity("O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels")
                        .home(c -> numsub(c, true)))
                .sub(subcommand("pubsub", "numpat", 2).flags(PUBSUB | LOADING | STALE).acl("@pubsub", "@slow")
                        .since("2.8.0").summary("Counts the distinct patterns clients subscribe to.")
                        .home(c -> c.reply.integer(c.engine.pubsub().patternCount())))
                .sub(subcommand("pubsub", "help", 2).flags(LOADING | STALE).acl("@slow").since("6.2.0")
                        .summary("Lists the PUBSUB subcommands.").home(PubSubCommands::help))
                .build());
    }

    static void channels(CommandContext c, boolean shard) {
        Request r = c.req;
        if (r.argc() > 3) {
            c.reply.error("ERR unknown subcommand or wrong number of arguments for '" + r.str(1) + "'. Try PUBSUB HELP.");
            return;
        }
        List<byte[]> names = c.engine.pubsub().activeChannels(r.argc() == 3 ? r.copy(2) : null, shard);
        c.reply.array(names.size());
        for (byte[] n : names) {
            c.reply.bulk(n);
        }
    }

    static void numsub(CommandContext c, boolean shard) {
        Request r = c.req;
        PubSub ps = c.engine.pubsub();
        c.reply.array(2L * (r.argc() - 2)); // flat pairs in RESP3 too, as Redis sends them
        for (int i = 2; i < r.argc(); i++) {
            c.reply.bulk(r.buf(), r.off(i), r.len(i));
            c.reply.integer(ps.subscribers(r.copy(i), shard));
        }
    }

    static void help(CommandContext c) {
        ServerCommands.help(c, new String[] {
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    The channels that have subscribers, those matching <pattern> if given.",
            "NUMPAT",
            "    How many distinct patterns clients subscribe to.",
            "NUMSUB [<channel> ...]",
            "    How many clients subscribe to each channel.",
            "SHARDCHANNELS [<pattern>]",
            "    The shard channels that have subscribers, those matching <pattern> if given.",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    How many clients subscribe to each shard channel.",
            "HELP",
            "    This text.",
        });
    }
}
