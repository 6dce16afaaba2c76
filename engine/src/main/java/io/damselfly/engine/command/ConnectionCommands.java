package io.damselfly.engine.command;

import io.damselfly.engine.exec.Client;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.Host;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.damselfly.engine.command.CommandSpec.FAST;
import static io.damselfly.engine.command.CommandSpec.LOADING;
import static io.damselfly.engine.command.CommandSpec.NO_AUTH;
import static io.damselfly.engine.command.CommandSpec.NOSCRIPT;
import static io.damselfly.engine.command.CommandSpec.STALE;
import static io.damselfly.engine.command.CommandSpec.command;
import static io.damselfly.engine.command.CommandSpec.subcommand;

/** Connection commands: PING ECHO QUIT HELLO AUTH SELECT RESET and CLIENT. They run on the client's thread. */
public final class ConnectionCommands {
    private static final long CONN = NOSCRIPT | LOADING | STALE | FAST;

    private ConnectionCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("ping", -1).flags(FAST).group("connection").since("1.0.0").acl("@fast", "@connection")
                .tips("request_policy:all_shards", "response_policy:all_succeeded")
                .summary("Checks the connection: answers PONG, or echoes its argument.")
                .home(ConnectionCommands::ping).build());
        t.add(command("echo", 2).flags(FAST).group("connection").since("1.0.0").acl("@fast", "@connection")
                .summary("Returns its argument.").home(c -> c.reply.bulk(c.req.buf(), c.req.off(1), c.req.len(1))).build());
        t.add(command("quit", -1).flags(CONN | NO_AUTH | CommandSpec.ALLOW_BUSY).group("connection").since("1.0.0")
                .acl("@fast", "@connection").summary("Closes the connection after answering OK.")
                .home(ConnectionCommands::quit).build());
        t.add(command("select", 2).flags(LOADING | STALE | FAST).group("connection").since("1.0.0")
                .acl("@fast", "@connection").summary("Selects the logical database the connection works on.")
                .home(ConnectionCommands::select).build());
        t.add(command("auth", -2).flags(CONN | NO_AUTH | CommandSpec.ALLOW_BUSY).group("connection").since("1.0.0")
                .acl("@fast", "@connection").summary("Authenticates the connection.")
                .complexity("O(N) where N is the number of passwords defined for the user")
                .home(ConnectionCommands::auth).build());
        t.add(command("hello", -1).flags(CONN | NO_AUTH | CommandSpec.ALLOW_BUSY).group("connection").since("6.0.0")
                .acl("@fast", "@connection")
                .summary("Chooses RESP2 or RESP3, optionally authenticates and names the connection, and describes the server.")
                .home(ConnectionCommands::hello).build());
        t.add(command("reset", 1).flags(CONN | NO_AUTH | CommandSpec.ALLOW_BUSY).group("connection").since("6.2.0")
                .acl("@fast", "@connection")
                .summary("Returns the connection to its initial state: database 0, RESP2, no name, not authenticated.")
                .home(ConnectionCommands::reset).build());
        CommandSpec.Builder client = command("client", -2).group("connection").since("2.4.0").acl("@slow")
                .summary("Inspects and manages client connections.").complexity("Depends on subcommand.")
                .home(CommandContext::wrongArity);
        client.sub(subcommand("client", "id", 2).flags(CONN).acl("@slow", "@connection").since("5.0.0")
                .summary("Returns the connection's id.").home(c -> c.reply.integer(c.client.id())));
        client.sub(subcommand("client", "info", 2).flags(CONN).acl("@slow", "@connection").since("6.2.0")
                .tips("nondeterministic_output").summary("Describes the connection, as one line of CLIENT LIST.")
                .home(c -> c.reply.verbatim(describe(c.engine, c.client, c.client) + "\n")));
        client.sub(subcommand("client", "list", -2).flags(CommandSpec.ADMIN | CONN).acl("@admin", "@slow", "@dangerous", "@connection")
                .since("2.4.0").tips("nondeterministic_output").complexity("O(N) where N is the number of client connections")
                .summary("Describes every connection, one per line.").home(ConnectionCommands::clientList));
        client.sub(subcommand("client", "kill", -3).flags(CommandSpec.ADMIN | CONN).acl("@admin", "@slow", "@dangerous", "@connection")
                .since("2.4.0").complexity("O(N) where N is the number of client connections")
                .summary("Closes the connections that match filters.").home(ConnectionCommands::clientKill));
        client.sub(subcommand("client", "unblock", -3).flags(CommandSpec.ADMIN | CONN)
                .acl("@admin", "@slow", "@dangerous", "@connection").since("5.0.0")
                .complexity("O(log N) where N is the number of client connections")
                .summary("Ends the wait of a client blocked in BLPOP and the like.").home(ConnectionCommands::clientUnblock));
        client.sub(subcommand("client", "setname", 3).flags(CONN).acl("@slow", "@connection").since("2.6.9")
                .summary("Names the connection.").home(ConnectionCommands::clientSetName));
        client.sub(subcommand("client", "getname", 2).flags(CONN).acl("@slow", "@connection").since("2.6.9")
                .summary("Returns the connection's name.").home(c -> {
                    String n = c.client.name();
                    if (n == null) {
                        c.reply.nullBulk();
                    } else {
                        c.reply.bulk(n);
                    }
                }));
        client.sub(subcommand("client", "no-evict", 3).flags(CommandSpec.ADMIN | CONN).acl("@admin", "@slow", "@dangerous", "@connection")
                .since("7.0.0").summary("Exempts the connection from client eviction, or not.").home(c -> {
                    if (c.req.is(2, "on") || c.req.is(2, "off")) {
                        c.reply.ok();
                    } else {
                        c.syntaxError();
                    }
                }));
        client.sub(subcommand("client", "pause", -3).flags(CommandSpec.ADMIN | CONN).acl("@admin", "@slow", "@dangerous", "@connection")
                .since("3.0.0").summary("Holds clients' commands (every command, or only writes) for a while.")
                .home(ConnectionCommands::clientPause));
        client.sub(subcommand("client", "unpause", 2).flags(CommandSpec.ADMIN | CONN).acl("@admin", "@slow", "@dangerous", "@connection")
                .since("6.2.0").complexity("O(N) where N is the number of paused clients")
                .summary("Ends a CLIENT PAUSE: held commands go on.").home(c -> {
                    c.engine.unpauseClients();
                    c.reply.ok();
                }));
        client.sub(subcommand("client", "getredir", 2).flags(CONN).acl("@slow", "@connection").since("6.0.0")
                .summary("Returns the id tracking notifications are redirected to (-1: none).")
                .home(c -> c.reply.integer(-1)));
        client.sub(subcommand("client", "reply", 3).flags(CONN).acl("@slow", "@connection").since("3.2.0")
                .summary("Turns the connection's replies off, back on, or off for the next command only.")
                .home(ConnectionCommands::clientReply));
        client.sub(subcommand("client", "help", 2).flags(CONN).acl("@slow", "@connection").since("5.0.0")
                .summary("Lists the CLIENT subcommands.").home(ConnectionCommands::clientHelp));
        t.add(client.build());
    }

    /** CLIENT PAUSE timeout [WRITE|ALL]: ALL when no mode is given, as in Redis. */
    static void clientPause(CommandContext c) {
        Request r = c.req;
        if (r.argc() > 4) {
            c.reply.error("ERR unknown subcommand or wrong number of arguments for '" + r.str(1) + "'. Try CLIENT HELP.");
            return;
        }
        int kind = Engine.PAUSE_ALL;
        if (r.argc() == 4) {
            if (r.is(3, "write")) {
                kind = Engine.PAUSE_WRITE;
            } else if (!r.is(3, "all")) {
                c.reply.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
                return;
            }
        }
        if (!r.parseLong(2)) {
            c.reply.error("ERR timeout is not an integer or out of range");
            return;
        }
        long ms = r.longValue();
        if (ms < 0) {
            c.reply.error("ERR timeout is negative");
            return;
        }
        // 0 pauses nothing: the pause ends before any command could see it
        c.engine.pauseClients(kind, ms == 0 ? 0 : System.currentTimeMillis() + ms);
        c.reply.ok();
    }

    static void clientReply(CommandContext c) {
        Request r = c.req;
        if (r.is(2, "on")) {
            c.client.replyMode(Client.REPLY_ON);
            c.reply.ok();
        } else if (r.is(2, "off")) {
            c.client.replyMode(Client.REPLY_OFF);
        } else if (r.is(2, "skip")) {
            c.client.replyMode(Client.REPLY_SKIP_NEXT);
        } else {
            c.syntaxError();
        }
    }

    static void clientUnblock(CommandContext c) {
        Request r = c.req;
        if (r.argc() > 4) {
            c.reply.error("ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.");
            return;
        }
        boolean error = false;
        if (r.argc() == 4) {
            if (r.is(3, "error")) {
                error = true;
            } else if (!r.is(3, "timeout")) {
                c.reply.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
                return;
            }
        }
        if (!r.parseLong(2)) {
            c.notInteger();
            return;
        }
        long id = r.longValue();
        for (Client cl : c.engine.host().clients()) {
            if (cl.id() == id) {
                c.reply.integer(c.engine.unblock(cl, error) ? 1 : 0);
                return;
            }
        }
        c.reply.integer(0);
    }

    static void ping(CommandContext c) {
        if (c.req.argc() > 2) {
            c.wrongArity();
            return;
        }
        if (c.reply.protocol() == 2 && c.engine.clientType(c.client).equals("pubsub")) {
            // a RESP2 subscriber gets PING's answer as a pub/sub frame
            c.reply.array(2);
            c.reply.bulk(PONG);
            if (c.req.argc() == 1) {
                c.reply.bulk(EMPTY);
            } else {
                c.reply.bulk(c.req.buf(), c.req.off(1), c.req.len(1));
            }
            return;
        }
        if (c.req.argc() == 1) {
            c.reply.simple("PONG");
        } else {
            c.reply.bulk(c.req.buf(), c.req.off(1), c.req.len(1));
        }
    }

    private static final byte[] PONG = Reply.ascii("pong");
    private static final byte[] EMPTY = {};

    static void quit(CommandContext c) {
        c.reply.ok();
        c.client.setFlag(Client.FLAG_CLOSE_AFTER_REPLY);
    }

    static void select(CommandContext c) {
        Request r = c.req;
        if (!r.parseLong(1) || r.longValue() > Integer.MAX_VALUE || r.longValue() < Integer.MIN_VALUE) {
            c.reply.error("ERR invalid DB index");
            return;
        }
        long id = r.longValue();
        if (id < 0 || id >= c.shard.databases()) {
            c.reply.error("ERR DB index is out of range");
            return;
        }
        c.client.select((int) id);
        c.reply.ok();
    }

    /** Compares a password with the configured one in time independent of where they differ. */
    static boolean passwordMatches(Engine engine, String user, byte[] password) {
        String configured = engine.settings().requirepass.value();
        if (!user.equals("default")) {
            return false;
        }
        if (configured.isEmpty()) {
            return true;
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] a = sha.digest(configured.getBytes(StandardCharsets.UTF_8));
            byte[] b = MessageDigest.getInstance("SHA-256").digest(password);
            return MessageDigest.isEqual(a, b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void auth(CommandContext c) {
        Request r = c.req;
        if (r.argc() > 3) {
            c.syntaxError();
            return;
        }
        String user;
        byte[] password;
        if (r.argc() == 2) {
            if (c.engine.settings().requirepass.value().isEmpty()) {
                c.reply.error("ERR AUTH <password> called without any password configured for the default user. "
                        + "Are you sure your configuration is correct?");
                return;
            }
            user = "default";
            password = r.copy(1);
        } else {
            user = r.str(1);
            password = r.copy(2);
        }
        if (passwordMatches(c.engine, user, password)) {
            c.client.authenticated(true);
            c.reply.ok();
        } else {
            c.reply.error("WRONGPASS invalid username-password pair or user is disabled.");
        }
    }

    static void hello(CommandContext c) {
        Request r = c.req;
        long version = 0;
        int next = 1;
        if (r.argc() >= 2) {
            if (!r.parseLong(1)) {
                c.reply.error("ERR Protocol version is not an integer or out of range");
                return;
            }
            version = r.longValue();
            next = 2;
            if (version < 2 || version > 3) {
                c.reply.error("NOPROTO unsupported protocol version");
                return;
            }
        }
        for (int j = next; j < r.argc(); j++) {
            int more = r.argc() - 1 - j;
            if (r.is(j, "auth") && more >= 2) {
                if (!passwordMatches(c.engine, r.str(j + 1), r.copy(j + 2))) {
                    c.reply.error("WRONGPASS invalid username-password pair or user is disabled.");
                    return;
                }
                c.client.authenticated(true);
                j += 2;
            } else if (r.is(j, "setname") && more >= 1) {
                if (!setName(c, j + 1)) {
                    return;
                }
                j++;
            } else {
                c.reply.error("ERR Syntax error in HELLO option '" + r.str(j) + "'");
                return;
            }
        }
        if (!c.client.authenticated() && !c.engine.settings().requirepass.value().isEmpty()) {
            c.reply.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
                    + "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
                    + "protocol version at the same time");
            return;
        }
        if (version != 0) {
            c.client.protocol((int) version);
            c.reply.target(c.reply.output(), (int) version);
        }
        c.reply.map(7);
        c.reply.bulk("server");
        c.reply.bulk("redis");
        c.reply.bulk("version");
        c.reply.bulk(Engine.REDIS_VERSION);
        c.reply.bulk("proto");
        c.reply.integer(c.client.protocol());
        c.reply.bulk("id");
        c.reply.integer(c.client.id());
        c.reply.bulk("mode");
        c.reply.bulk("standalone");
        c.reply.bulk("role");
        c.reply.bulk(c.engine.role().equals("slave") ? "replica" : "master");
        c.reply.bulk("modules");
        c.reply.array(0);
    }

    static void reset(CommandContext c) {
        Client client = c.client;
        if (client.hasFlag(Client.FLAG_MONITOR)) {
            c.reply.error("ERR can only reset normal client connections");
            return;
        }
        client.select(0);
        client.protocol(2);
        client.name(null);
        client.authenticated(c.engine.settings().requirepass.value().isEmpty());
        c.engine.sessionReset(client);
        c.reply.target(c.reply.output(), 2);
        c.reply.simple("RESET");
    }

    // ------------------------------------------------------------------ CLIENT

    /** One line of CLIENT LIST. Fields owned by other threads are read without locks: a snapshot for display. */
    public static String describe(Engine engine, Client cl, Client caller) {
        long now = System.currentTimeMillis();
        String name = cl.name();
        StringBuilder flags = new StringBuilder();
        if (cl.hasFlag(Client.FLAG_MONITOR)) {
            flags.append('O');
        }
        String extra = engine.clientFlags(cl);
        flags.append(extra);
        if (flags.length() == 0) {
            flags.append('N');
        }
        long qbuf = cl.queryBufferShown(cl == caller);
        return "id=" + cl.id()
                + " addr=" + cl.address()
                + " laddr=" + cl.localAddress()
                + " fd=" + cl.fd()
                + " name=" + (name == null ? "" : name)
                + " age=" + Math.max(0, (now - cl.createdMs()) / 1000)
                + " idle=" + Math.max(0, (now - cl.lastInteractionMs()) / 1000)
                + " flags=" + flags
                + " db=" + cl.dbShown()
                + " sub=" + engine.subscriptions(cl, 0)
                + " psub=" + engine.subscriptions(cl, 1)
                + " ssub=0"
                + " multi=" + engine.multiCount(cl)
                + " qbuf=" + qbuf
                + " qbuf-free=" + Math.max(0, cl.inputMemory() - qbuf)
                + " argv-mem=0"
                + " multi-mem=0"
                + " rbs=" + cl.outputMemory()
                + " rbp=" + cl.outputMemory()
                + " obl=" + cl.output().size()
                + " oll=0"
                + " omem=0"
                + " tot-mem=" + (cl.inputMemory() + cl.outputMemory())
                + " events=r"
                + " cmd=" + cl.lastCommand()
                + " user=default"
                + " redir=-1"
                + " resp=" + cl.protocol();
    }

    static String clientType(Engine engine, Client cl) {
        String t = engine.clientType(cl);
        return t == null ? "normal" : t;
    }

    private static String normalizeType(String t) {
        String v = t.toLowerCase(Locale.ROOT);
        return switch (v) {
            case "normal", "master", "pubsub" -> v;
            case "replica", "slave" -> "slave";
            default -> null;
        };
    }

    static void clientList(CommandContext c) {
        Request r = c.req;
        Host host = c.engine.host();
        StringBuilder sb = new StringBuilder();
        if (r.argc() == 4 && r.is(2, "type")) {
            String type = normalizeType(r.str(3));
            if (type == null) {
                c.reply.error("ERR Unknown client type '" + r.str(3) + "'");
                return;
            }
            for (Client cl : host.clients()) {
                if (clientType(c.engine, cl).equals(type)) {
                    sb.append(describe(c.engine, cl, c.client)).append('\n');
                }
            }
        } else if (r.argc() > 3 && r.is(2, "id")) {
            List<Long> ids = new ArrayList<>();
            for (int j = 3; j < r.argc(); j++) {
                if (!r.parseLong(j)) {
                    c.reply.error("ERR Invalid client ID");
                    return;
                }
                ids.add(r.longValue());
            }
            for (long id : ids) {
                for (Client cl : host.clients()) {
                    if (cl.id() == id) {
                        sb.append(describe(c.engine, cl, c.client)).append('\n');
                    }
                }
            }
        } else if (r.argc() != 2) {
            c.syntaxError();
            return;
        } else {
            for (Client cl : host.clients()) {
                sb.append(describe(c.engine, cl, c.client)).append('\n');
            }
        }
        c.reply.verbatim(sb.toString());
    }

    static void clientKill(CommandContext c) {
        Request r = c.req;
        String addr = null;
        String laddr = null;
        String type = null;
        long id = 0;
        boolean skipMe = true;
        if (r.argc() == 3) {
            addr = r.str(2);
            skipMe = false;
        } else {
            for (int i = 2; i < r.argc(); i += 2) {
                boolean more = r.argc() > i + 1;
                if (r.is(i, "id") && more) {
                    if (!r.parseLong(i + 1) || r.longValue() < 1) {
                        c.reply.error("ERR client-id should be greater than 0");
                        return;
                    }
                    id = r.longValue();
                } else if (r.is(i, "type") && more) {
                    type = normalizeType(r.str(i + 1));
                    if (type == null) {
                        c.reply.error("ERR Unknown client type '" + r.str(i + 1) + "'");
                        return;
                    }
                } else if (r.is(i, "addr") && more) {
                    addr = r.str(i + 1);
                } else if (r.is(i, "laddr") && more) {
                    laddr = r.str(i + 1);
                } else if (r.is(i, "user") && more) {
                    if (!r.str(i + 1).equals("default")) {
                        c.reply.error("ERR No such user '" + r.str(i + 1) + "'");
                        return;
                    }
                } else if (r.is(i, "skipme") && more) {
                    if (r.is(i + 1, "yes")) {
                        skipMe = true;
                    } else if (r.is(i + 1, "no")) {
                        skipMe = false;
                    } else {
                        c.syntaxError();
                        return;
                    }
                } else {
                    c.syntaxError();
                    return;
                }
            }
        }
        int killed = 0;
        boolean closeSelf = false;
        for (Client cl : c.engine.host().clients()) {
            if (addr != null && !cl.address().equals(addr)) {
                continue;
            }
            if (laddr != null && !cl.localAddress().equals(laddr)) {
                continue;
            }
            if (type != null && !clientType(c.engine, cl).equals(type)) {
                continue;
            }
            if (id != 0 && cl.id() != id) {
                continue;
            }
            if (cl == c.client) {
                if (skipMe) {
                    continue;
                }
                closeSelf = true;
            } else {
                c.engine.host().kill(cl);
            }
            killed++;
        }
        if (r.argc() == 3) {
            if (killed == 0) {
                c.reply.error("ERR No such client");
            } else {
                c.reply.ok();
            }
        } else {
            c.reply.integer(killed);
        }
        if (closeSelf) {
            c.client.setFlag(Client.FLAG_CLOSE_AFTER_REPLY);
        }
    }

    private static boolean setName(CommandContext c, int arg) {
        Request r = c.req;
        byte[] b = r.buf();
        for (int i = r.off(arg); i < r.off(arg) + r.len(arg); i++) {
            if (b[i] < '!' || b[i] > '~') {
                c.reply.error("ERR Client names cannot contain spaces, newlines or special characters.");
                return false;
            }
        }
        c.client.name(r.len(arg) == 0 ? null : r.str(arg));
        return true;
    }

    static void clientSetName(CommandContext c) {
        if (setName(c, 2)) {
            c.reply.ok();
        }
    }

    static void clientHelp(CommandContext c) {
        String[] lines = {
            "CLIENT <subcommand> [<arg> ...]. Subcommands:",
            "ID",
            "    The id of this connection.",
            "INFO",
            "    A description of this connection.",
            "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> ...]",
            "    Descriptions of connections, one per line.",
            "KILL <ip:port>",
            "    Close the connection from that address.",
            "KILL <option> <value> [<option> <value> ...]",
            "    Close every connection that matches all filters: ID, ADDR, LADDR, TYPE, USER, SKIPME.",
            "SETNAME <name>",
            "    Name this connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    End the wait of a client blocked in BLPOP or the like, as a timeout or with an error.",
            "GETNAME",
            "    The name of this connection.",
            "REPLY (ON|OFF|SKIP)",
            "    Send replies, send none, or leave out the next command's reply only.",
            "NO-EVICT (ON|OFF)",
            "    Exempt this connection from client eviction.",
            "GETREDIR",
            "    Where tracking notifications go (-1: nowhere).",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Hold clients' commands for <timeout> ms: every command (ALL, the default), or those that write.",
            "UNPAUSE",
            "    End a pause.",
            "HELP",
            "    This text.",
        };
        ServerCommands.help(c, lines);
    }
}
